// A browser session of the web service: cookies kept across steps, redirects
// followed, the page decoded by its charset, frames found by name.

import type { Outcome } from './outcome.js';
import { htmlText } from '../../protocols/common/html-text.js';

const MAX_REDIRECTS = 10;

export class WebScenarioClient {
  private cookies = new Map<string, string>();
  private lastUrl: string | null = null;
  private lastPage = '';
  /** The form token of the last page that had one; sent with POSTs like a browser submitting the page's form. */
  private csrf: string | null = null;

  constructor(private readonly base: string) {}

  async get(path: string, timeoutMs: number): Promise<Outcome> {
    return this.request('GET', this.resolve(path), undefined, timeoutMs);
  }

  async post(path: string, form: Record<string, unknown> | undefined, timeoutMs: number): Promise<Outcome> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form ?? {})) {
      for (const item of Array.isArray(v) ? v : [v]) body.append(k, String(item));
    }
    if (this.csrf && !body.has('_csrf')) body.append('_csrf', this.csrf);
    return this.request('POST', this.resolve(path), body.toString(), timeoutMs);
  }

  /**
   * Loads the frame (or iframe) named `name` of the last page got or posted;
   * `main/mail` follows nested framesets (the frame `mail` of the frame `main`).
   */
  async frame(path: string, timeoutMs: number): Promise<Outcome> {
    if (!this.lastUrl) return { ok: false, reply: '(no page loaded yet: get one first)', body: '' };
    let url = this.lastUrl;
    let page = this.lastPage;
    let outcome: Outcome = { ok: false, reply: '' };
    for (const name of path.split('/')) {
      const src = findFrame(page, name);
      if (src === null) {
        const names = frameNames(page);
        const text = `(the page ${url} has no frame named ${JSON.stringify(name)}; its frames: ${names.length ? names.join(', ') : 'none'})`;
        return { ok: false, reply: text, body: text };
      }
      url = new URL(src, url).toString();
      outcome = await this.request('GET', url, undefined, timeoutMs, false);
      page = this.framePage;
    }
    return outcome;
  }

  /** The HTML of the last frame loaded (for nested frames). */
  private framePage = '';

  private resolve(path: string): string {
    return new URL(path, this.base.endsWith('/') ? this.base : `${this.base}/`).toString();
  }

  private async request(method: string, url: string, form: string | undefined, timeoutMs: number, remember = true): Promise<Outcome> {
    let current = url;
    let currentMethod = method;
    let body = form;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = {};
      if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      let res: Response;
      try {
        res = await fetch(current, { method: currentMethod, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const text = `(${currentMethod} ${current} failed: ${(err as Error).message})`;
        return { ok: false, reply: text, body: text };
      }
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        if (eq > 0) {
          const k = pair!.slice(0, eq).trim();
          const v = pair!.slice(eq + 1).trim();
          if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || v === '') this.cookies.delete(k);
          else this.cookies.set(k, v);
        }
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        if (res.status !== 307 && res.status !== 308) {
          currentMethod = 'GET';
          body = undefined;
        }
        continue;
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      const page = decode(bytes, res.headers.get('content-type'));
      const token = /name="_csrf" value="([^"]+)"/.exec(page);
      if (token) this.csrf = token[1]!;
      if (remember) {
        this.lastUrl = current;
        this.lastPage = page;
      }
      this.framePage = page;
      const reply = `HTTP ${res.status}`;
      return { ok: res.status >= 200 && res.status < 300, status: res.status, reply, body: `${page}\n${htmlText(page, 'flat')}` };
    }
    const text = `(more than ${MAX_REDIRECTS} redirects from ${url})`;
    return { ok: false, reply: text, body: text };
  }
}

function decode(bytes: Buffer, contentType: string | null): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1] ?? /<meta[^>]+charset=["']?([\w-]+)/i.exec(bytes.toString('latin1'))?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

const FRAME_TAG = /<i?frame\b[^>]*>/gi;
const attr = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);

function frameNames(html: string): string[] {
  return [...html.matchAll(FRAME_TAG)].map((m) => attr(m[0], 'name')).filter((a) => a).map((a) => a![1] ?? a![2] ?? a![3] ?? '');
}

function findFrame(html: string, name: string): string | null {
  for (const m of html.matchAll(FRAME_TAG)) {
    const n = attr(m[0], 'name');
    const value = n ? n[1] ?? n[2] ?? n[3] : undefined;
    if (value === name) {
      const src = attr(m[0], 'src');
      return src ? (src[1] ?? src[2] ?? src[3] ?? '').replace(/&amp;/g, '&') : '';
    }
  }
  return null;
}
