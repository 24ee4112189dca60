// A small HTTP client for the web pages: keeps the session cookie, finds the
// CSRF token in the last page, follows nothing by itself.
import { htmlText } from '../../../protocols/common/html-text.js';
export interface WebResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export class WebClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[]>, opts: { csrf?: string | null; headers?: Record<string, string> } = {}): Promise<WebResponse> {
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      const token = opts.csrf === undefined ? this.csrf : opts.csrf;
      if (method === 'POST' && token !== null && !('_csrf' in form)) p.append('_csrf', token);
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
    }
    const res = await fetch(`${this.base}${path}`, {
      method, redirect: 'manual', body,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...opts.headers },
    });
    const setCookie = res.headers.get('set-cookie');
    const m = setCookie?.match(/TWSESSION=([^;]*)/);
    if (m) this.cookie = m[1] ? `TWSESSION=${m[1]}` : '';
    const text = await res.text();
    const t = text.match(/name="_csrf" value="([^"]+)"/);
    if (t) this.csrf = t[1]!;
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string | string[]>, opts: { csrf?: string | null; headers?: Record<string, string> } = {}) {
    return this.request('POST', path, form, opts);
  }

  /** Logs in and loads the menu (which carries the CSRF token). */
  async login(user: string, password = 'teamware'): Promise<WebResponse> {
    const res = await this.post('/login', { user, password });
    if (res.status === 303) await this.get('/menu');
    return res;
  }
}

/** The visible text of a page, on one line (the one HTML-to-text of the project). */
export function textOf(html: string): string {
  return htmlText(html, 'flat');
}
