import { TwemuError } from './errors.js';

/**
 * An integer setting `<section>.<key>` of the site configuration (e.g.
 * `services.pop3.autologoutMs`): `fallback` when absent, else an integer from
 * `min` to `max`, or one clear E_CONFIG error naming the setting and the value.
 */
export function integerSetting(raw: Record<string, unknown>, section: string, key: string, fallback: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TwemuError('E_CONFIG', `${section}.${key} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  }
  return v;
}
