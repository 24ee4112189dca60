import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RemoteError, TwemuError } from '../errors.js';
import { ENDPOINTS_FILE, TOKEN_FILE, type Endpoints } from '../site.js';

export interface SiteTarget {
  url: string;
  token: string;
  endpoints?: Endpoints;
}

/** Finds the running site: --url (+ --token or TWEMU_TOKEN), else DIR/endpoints.json and DIR/admin-token. */
export function findSite(opts: { data?: string; url?: string; token?: string }): SiteTarget {
  const dir = resolve(opts.data ?? 'data');
  const tokenFile = join(dir, TOKEN_FILE);
  const readToken = () => (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (opts.url) {
    const token = opts.token ?? process.env.TWEMU_TOKEN ?? readToken();
    if (!token) throw new TwemuError('E_NO_TOKEN', `no admin token for ${opts.url}`, { hint: 'pass --token TOKEN or set TWEMU_TOKEN' });
    return { url: opts.url.replace(/\/$/, ''), token };
  }
  const file = join(dir, ENDPOINTS_FILE);
  if (!existsSync(file)) throw new TwemuError('E_NO_SITE', `no running site at ${dir} (no ${ENDPOINTS_FILE})`, { hint: 'start one with `twemu serve --data DIR`, or pass --data DIR / --url URL' });
  let endpoints: Endpoints;
  try {
    endpoints = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  } catch {
    throw new TwemuError('E_NO_SITE', `${file} is not valid JSON`, { hint: 'restart the site with `twemu serve`' });
  }
  const token = opts.token ?? process.env.TWEMU_TOKEN ?? readToken();
  if (!token) throw new TwemuError('E_NO_TOKEN', `no admin token in ${tokenFile}`, { hint: 'pass --token TOKEN' });
  return { url: endpoints.control, token, endpoints };
}

/** One request's time limit (long operations are jobs the CLI polls); TWEMU_HTTP_TIMEOUT_MS changes it (tests, slow links). */
const REQUEST_TIMEOUT_MS = Number(process.env.TWEMU_HTTP_TIMEOUT_MS) > 0 ? Number(process.env.TWEMU_HTTP_TIMEOUT_MS) : 60_000;

/** Calls the control API; every failure is one TwemuError line. */
export async function callApi<T = unknown>(target: SiteTarget, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') {
      throw new TwemuError('E_SITE_TIMEOUT', `the site at ${target.url} did not answer ${method} ${path} within ${REQUEST_TIMEOUT_MS / 1000} s`, { hint: 'it is running but busy; try again, or see `twemu status`' });
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code === 'ECONNREFUSED' ? '' : ` (${cause?.code ?? cause?.message ?? (err as Error).message})`;
    throw new TwemuError('E_NO_SITE', `no running site answers at ${target.url}${why}`, { hint: 'start it with `twemu serve`, or check --data / --url' });
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: 'E_HTTP', message: text.slice(0, 200) };
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string; hint?: string; rule?: string };
    if (res.status === 401) throw new TwemuError('E_UNAUTHORIZED', `the site at ${target.url} refused the admin token`, { hint: 'check DIR/admin-token or --token' });
    // A procedure refusal names its rule (its hint names the next allowed command).
    throw new RemoteError(e.error ?? `E_HTTP_${res.status}`, e.rule ? `${e.message ?? `HTTP ${res.status}`} (rule ${e.rule})` : e.message ?? `HTTP ${res.status}`, res.status, e.hint);
  }
  return data as T;
}
