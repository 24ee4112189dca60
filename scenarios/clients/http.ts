// Plain HTTP+JSON calls: the control API (bearer token), the application
// execution module and the desktop-client operations (HTTP Basic as the user).

import { parseBody, type Outcome } from './outcome.js';

export interface HttpAnswer {
  status: number;
  json: unknown;
  text: string;
}

export async function httpJson(method: string, url: string, opts: { bearer?: string; basic?: { user: string; password: string }; body?: unknown; timeoutMs: number }): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.basic) headers.authorization = `Basic ${Buffer.from(`${opts.basic.user}:${opts.basic.password}`, 'utf8').toString('base64')}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: AbortSignal.timeout(opts.timeoutMs) });
  const text = await res.text();
  return { status: res.status, json: parseBody(text), text };
}

/** An HTTP answer as a step outcome: ok on 2xx, the JSON for `json` checks, the text for `match`. */
export function httpOutcome(a: HttpAnswer, okWhen?: (a: HttpAnswer) => boolean): Outcome {
  const ok = okWhen ? okWhen(a) : a.status >= 200 && a.status < 300;
  const err = a.json && typeof a.json === 'object' ? (a.json as { error?: string; message?: string }) : null;
  const reply = `HTTP ${a.status}${!ok && err?.message ? ` ${err.error ?? ''}: ${err.message}` : ''}`;
  return { ok, status: a.status, json: a.json, reply, body: a.text };
}
