import type { Site } from '../site.js';
import { TwemuError, BadRequest } from '../errors.js';
import { integerSetting } from '../settings.js';

/** A numeric option of `services.<service>.<key>` in the site's config, checked (one clear error). */
export function numberOption(site: Site, service: string, key: string, fallback: number, min: number, max: number): number {
  const section = site.config.services?.[service];
  if (section?.[key] === null) return fallback;
  return integerSetting(section ?? {}, `services.${service}`, key, fallback, min, max);
}

/** A string option of `services.<service>.<key>`. */
export function stringOption(site: Site, service: string, key: string): string | undefined {
  const v = site.config.services?.[service]?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 64 || /[\r\n]/.test(v)) {
    throw new TwemuError('E_CONFIG', `services.${service}.${key} must be a name of 1-64 characters on one line`);
  }
  return v;
}

/** The request body as an object (empty when absent); 400 otherwise. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('E_BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A required or optional one-line string field. */
export function lineField(body: Record<string, unknown>, key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw new BadRequest('E_BAD_REQUEST', `"${key}" is required`);
    return undefined;
  }
  if (typeof v !== 'string' || (opts.required && v.length === 0)) throw new BadRequest('E_BAD_REQUEST', `"${key}" must be a${opts.required ? ' non-empty' : ''} string`);
  if (v.length > (opts.max ?? 500)) throw new BadRequest('E_BAD_REQUEST', `"${key}" is longer than ${opts.max ?? 500} characters`);
  if (/[\r\n]/.test(v)) throw new BadRequest('E_BAD_REQUEST', `"${key}" must not contain line breaks`);
  return v;
}

export function onlyFields(body: Record<string, unknown>, keys: string[]): void {
  const extra = Object.keys(body).filter((k) => !keys.includes(k));
  if (extra.length) throw new BadRequest('E_BAD_REQUEST', `unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')} (expected ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'none'})`);
}

/** RFC 2047 B-encoding where a header value is not printable ASCII. */
export function encodeHeader(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/**
 * A background step that never takes the process down: an unexpected error is
 * logged (and put on the event stream) and the step is skipped.
 */
export function guarded(site: () => Site | null, what: string, fn: () => void): () => void {
  return () => {
    try {
      fn();
    } catch (err) {
      const s = site();
      s?.log.error({ err }, `${what} failed`);
      s?.events.emit({ type: 'warning', operation: what, message: `${what} failed: ${(err as Error).message}` });
    }
  };
}
