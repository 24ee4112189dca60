import { LineSocket } from '../../../protocols/common/line-client.js';
import { htmlText } from '../../../protocols/common/html-text.js';

// The console's demo clients: real clients against the site's own listeners,
// so the room sees exactly what a client sees (every line, as sent). Bounded:
// every read has a timeout, lines and transcripts have a maximum size.

/** Per-read timeout of the demo clients. */
export const READ_TIMEOUT_MS = 5000;
const MAX_LINE = 8 * 1024;
const MAX_LINES = 200;
const MAX_TEXT = 6000;
const MAX_FRAMES = 6;
/** Longest API reply shown on one transcript line. */
const MAX_REPLY = 600;

export interface TranscriptLine {
  /** `C` what the client sent, `S` what the server answered, `note` what happened (closed, timed out). */
  from: 'C' | 'S' | 'note';
  text: string;
}

export interface ClientResult {
  /** The line that tells the story (the reply to PASS, to LOGIN, the page's text). */
  summary: string;
  /** True when the client got what it asked for (+OK, OK, 2xx, rc 0). */
  ok: boolean;
  lines: TranscriptLine[];
}

/** A line connection of the demo clients: bounded reads, lines cut at MAX_LINE. */
class LineConnection {
  private constructor(private readonly conn: LineSocket) {}

  static async open(host: string, port: number): Promise<LineConnection> {
    return new LineConnection(await LineSocket.connect(host, port, { timeoutMs: READ_TIMEOUT_MS }));
  }

  /** The next line, or null when the server closed the connection; rejects after the read timeout. */
  readLine(): Promise<string | null> {
    return this.conn.readLine({ timeoutMs: READ_TIMEOUT_MS, maxLength: MAX_LINE });
  }

  get isClosed(): boolean {
    return this.conn.closed;
  }

  write(line: string): void {
    this.conn.write(`${line}\r\n`);
  }

  close(): void {
    this.conn.close();
  }
}

/** A transcript being written. */
class Transcript {
  readonly lines: TranscriptLine[] = [];
  add(from: TranscriptLine['from'], text: string) {
    if (this.lines.length < MAX_LINES) this.lines.push({ from, text });
    else if (this.lines.length === MAX_LINES) this.lines.push({ from: 'note', text: '(transcript truncated)' });
  }
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ECONNRESET') return 'connection reset by the server';
  return e.message ?? String(err);
}

export interface LoginInput {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** What a scripted line-protocol session does: send (with what the transcript shows), read one reply. */
interface LineIo {
  send(line: string, shown?: string): void;
  /** The next reply: lines up to the one `last` accepts (default: one line); null when the server closed. */
  reply(last?: (line: string) => boolean): Promise<string | null>;
  readonly closed: boolean;
}

const CLOSED = 'connection closed by the server';

/**
 * A demo client's session on a line protocol: connect, run `script`, close whatever happens; every line
 * goes on the transcript. The script answers whether the client got in and the line that says so.
 */
async function lineSession(input: LoginInput, script: (io: LineIo) => Promise<{ ok: boolean; summary: string }>): Promise<ClientResult> {
  const t = new Transcript();
  let conn: LineConnection;
  try {
    conn = await LineConnection.open(input.host, input.port);
  } catch (err) {
    t.add('note', describeError(err));
    return { summary: describeError(err), ok: false, lines: t.lines };
  }
  let result = { ok: false, summary: '' };
  const io: LineIo = {
    send(line, shown = line) {
      conn.write(line);
      t.add('C', shown);
    },
    async reply(last = () => true) {
      for (let n = 0; n < MAX_LINES; n++) {
        const line = await conn.readLine();
        if (line === null) {
          t.add('note', CLOSED);
          return null;
        }
        t.add('S', line);
        if (last(line)) return line;
      }
      return null;
    },
    get closed() {
      return conn.isClosed;
    },
  };
  try {
    result = await script(io);
  } catch (err) {
    t.add('note', describeError(err));
    result = { ok: false, summary: result.summary || describeError(err) };
  } finally {
    conn.close();
  }
  return { ...result, lines: t.lines };
}

/** POP3: greeting, USER, PASS, QUIT (RFC 1939), exactly as a mail client does it. */
export function pop3Login(input: LoginInput): Promise<ClientResult> {
  return lineSession(input, async (io) => {
    let said = (await io.reply()) ?? CLOSED;
    let ok = false;
    if (said.startsWith('+OK')) {
      io.send(`USER ${input.user}`);
      said = (await io.reply()) ?? CLOSED;
      if (said.startsWith('+OK')) {
        io.send(`PASS ${input.password}`, `PASS ${'*'.repeat(8)}`);
        said = (await io.reply()) ?? CLOSED;
        ok = said.startsWith('+OK');
      }
      // A client that got a greeting says goodbye, whatever happened since.
      if (!io.closed) {
        io.send('QUIT');
        await io.reply();
      }
    }
    return { ok, summary: said };
  });
}

/** SMTP submission: greeting, EHLO, AUTH PLAIN, QUIT, exactly as a mail client's send does it. */
export function smtpLogin(input: LoginInput): Promise<ClientResult> {
  // One reply: its lines up to the one whose code is followed by a space (RFC 5321 4.2.1).
  const last = (line: string) => !/^\d{3}-/.test(line);
  return lineSession(input, async (io) => {
    let said = (await io.reply(last)) ?? CLOSED;
    let ok = false;
    if (said.startsWith('220')) {
      io.send('EHLO twemu-console');
      said = (await io.reply(last)) ?? CLOSED;
      if (said.startsWith('250')) {
        const token = Buffer.from(`\0${input.user}\0${input.password}`).toString('base64');
        io.send(`AUTH PLAIN ${token}`, 'AUTH PLAIN ********');
        said = (await io.reply(last)) ?? CLOSED;
        ok = said.startsWith('235');
      }
      if (!io.closed) {
        io.send('QUIT');
        await io.reply(last);
      }
    }
    return { ok, summary: said };
  });
}

/** An IMAP quoted string (RFC 3501). */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** IMAP: greeting, LOGIN, LOGOUT (RFC 3501), exactly as a mail client does it. */
export function imapLogin(input: LoginInput): Promise<ClientResult> {
  const tagged = (tag: string) => (line: string) => line.startsWith(`${tag} `);
  return lineSession(input, async (io) => {
    let said = (await io.reply()) ?? CLOSED;
    let ok = false;
    if (said.startsWith('* OK')) {
      io.send(`a1 LOGIN ${quoted(input.user)} ${quoted(input.password)}`, `a1 LOGIN ${quoted(input.user)} "${'*'.repeat(8)}"`);
      said = (await io.reply(tagged('a1'))) ?? CLOSED;
      ok = said.startsWith('a1 OK');
      if (!io.closed) {
        io.send('a2 LOGOUT');
        await io.reply(tagged('a2'));
      }
    }
    return { ok, summary: said };
  });
}

/** Frame and iframe sources of a page (the web service's pages use frames). */
export function frameSources(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/<i?frame\b[^>]*\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    const src = m[1] ?? m[2] ?? m[3];
    if (src) found.push(src);
  }
  return found;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

interface Fetched {
  status: number;
  statusText: string;
  type: string;
  location: string | null;
  setCookies: string[];
  body: string;
}

async function fetchText(url: string, init: RequestInit): Promise<Fetched> {
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  const body = await res.text();
  return { status: res.status, statusText: res.statusText, type: res.headers.get('content-type') ?? '', location: res.headers.get('location'), setCookies: res.headers.getSetCookie(), body };
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...` : text;
}

interface LoginForm {
  action: string;
  fields: Record<string, string>;
}

/** The first form with a password field: its action and its fields (hidden ones kept, user and password filled in). */
export function loginForm(html: string, user: string, password: string): LoginForm | null {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const inputs = [...m[2]!.matchAll(/<input\b([^>]*)>/gi)].map((i) => i[1]!);
    const attr = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)?.slice(1).find((v) => v !== undefined) ?? null;
    if (!inputs.some((i) => (attr(i, 'type') ?? '').toLowerCase() === 'password')) continue;
    const fields: Record<string, string> = {};
    for (const i of inputs) {
      const name = attr(i, 'name');
      if (!name) continue;
      const type = (attr(i, 'type') ?? 'text').toLowerCase();
      if (type === 'password') fields[name] = password;
      else if (type === 'text' || type === 'email') fields[name] = user;
      else if (type === 'hidden') fields[name] = attr(i, 'value') ?? '';
    }
    return { action: attr(m[1]!, 'action') ?? '', fields };
  }
  return null;
}

/**
 * A browser opening a page of the web service: follows redirects, fills in the
 * login form once (user and password), and loads the frames of a frameset
 * (same server only), the way the room would see it.
 */
export async function webPage(input: { base: string; path: string; user: string; password: string }): Promise<ClientResult> {
  const t = new Transcript();
  const base = new URL(input.base);
  const cookies = new Map<string, string>();
  const leaves: string[] = [];
  let loggedIn = false;
  let top: { status: number; text: string } | null = null;
  let requests = 0;

  const headers = (extra: Record<string, string> = {}) => ({
    accept: 'text/html', ...extra,
    ...(cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
  });
  const sameServer = (ref: string, from: string): string | null => {
    const url = new URL(ref, `${input.base}${from}`);
    return url.origin === base.origin ? `${url.pathname}${url.search}` : null;
  };
  const request = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<{ page: Fetched; path: string }> => {
    let current = path;
    let m = method;
    let body = form ? new URLSearchParams(form).toString() : undefined;
    for (let hop = 0; hop < 6; hop++) {
      if (++requests > 24) throw new Error('too many requests for one page');
      const shown = m === 'POST' && form ? `POST ${current} (${Object.keys(form).map((k) => `${k}=${/pass/i.test(k) ? '********' : form[k]}`).join(', ')})` : `${m} ${current}`;
      t.add('C', shown);
      const page = await fetchText(`${input.base}${current}`, {
        method: m, headers: headers(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), body,
      });
      for (const c of page.setCookies) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        if (eq > 0) cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
      }
      const next = page.status >= 300 && page.status < 400 && page.location ? sameServer(page.location, current) : null;
      t.add('S', `HTTP ${page.status} ${page.statusText}${page.location ? ` -> ${page.location}` : ''}`.trim());
      if (!next) return { page, path: current };
      current = next;
      m = 'GET';
      body = undefined;
    }
    throw new Error('too many redirects');
  };
  const show = async (method: 'GET' | 'POST', path: string, depth: number, form?: Record<string, string>): Promise<void> => {
    const { page, path: at } = await request(method, path, form);
    const text = /html|text\/plain/i.test(page.type) || !page.type ? htmlText(page.body) : `(${page.type}, ${page.body.length} bytes)`;
    const frames = frameSources(page.body).map((src) => sameServer(src, at)).filter((p): p is string => p !== null);
    if (!frames.length) for (const line of clip(text).split('\n').slice(0, 40)) t.add('S', line);
    if (depth === 0) top = { status: page.status, text };
    const login = !loggedIn ? loginForm(page.body, input.user, input.password) : null;
    if (login) {
      loggedIn = true;
      const action = sameServer(login.action || at, at);
      if (action) return show('POST', action, depth, login.fields);
    }
    if (!frames.length) {
      if (text) leaves.push(text.split('\n').slice(0, 2).join(' / '));
      return;
    }
    if (depth >= 2) return;
    for (const src of frames.slice(0, MAX_FRAMES)) {
      t.add('note', `frame ${src}`);
      await show('GET', src, depth + 1);
    }
  };
  try {
    // A deep page is what a user opens after logging in: log in first, as that user's browser did.
    if (!/^\/(login)?(?:[?#]|$)/.test(input.path)) {
      t.add('note', `log in first, then open ${input.path}`);
      const { page, path: at } = await request('GET', '/login');
      const login = loginForm(page.body, input.user, input.password);
      const action = login ? sameServer(login.action || at, at) : null;
      if (login && action) {
        loggedIn = true;
        await request('POST', action, login.fields);
      }
    }
    await show('GET', input.path, 0);
  } catch (err) {
    t.add('note', describeError(err));
    return { summary: describeError(err), ok: false, lines: t.lines };
  }
  const status = (top as { status: number } | null)?.status ?? 0;
  const ok = status >= 200 && status < 300;
  return { summary: clip(`HTTP ${status}: ${leaves.join(' | ')}`), ok, lines: t.lines };
}

interface AmeFunction {
  name: string;
  [key: string]: unknown;
}

/** A reply body on one line, short enough to read from the back of the room. */
function short(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REPLY ? `${line.slice(0, MAX_REPLY)}...` : line;
}

/** The functions the application execution module lists (`GET <ame>/functions`). */
export async function ameFunctions(ame: string): Promise<AmeFunction[]> {
  return parseFunctions(await fetchText(`${ame}/functions`, { headers: { accept: 'application/json' } }));
}

function parseFunctions(res: Fetched): AmeFunction[] {
  if (res.status !== 200) return [];
  try {
    const parsed = JSON.parse(res.body) as unknown;
    const list = Array.isArray(parsed) ? parsed : (parsed as { functions?: unknown })?.functions;
    return Array.isArray(list) ? list.filter((f): f is AmeFunction => typeof f === 'object' && f !== null && typeof (f as AmeFunction).name === 'string') : [];
  } catch {
    return [];
  }
}

/** A custom application calling a function of the application execution module. */
export async function ameCall(input: { ame: string; fn: string | undefined; args: Record<string, unknown>; user: string; password: string }): Promise<ClientResult> {
  const t = new Transcript();
  let summary = '';
  let ok = false;
  try {
    let fn = input.fn;
    if (!fn) {
      // No function chosen: list them and call the first that touches the server (that is where the backup shows).
      t.add('C', 'GET /ame/functions');
      const listing = await fetchText(`${input.ame}/functions`, { headers: { accept: 'application/json' } });
      const functions = parseFunctions(listing);
      t.add('S', `HTTP ${listing.status} ${functions.length ? `(${functions.length} functions: ${functions.map((f) => f.name).join(', ')})` : short(listing.body)}`);
      fn = (functions.find((f) => f.touchesServer === true) ?? functions[0])?.name;
      if (!fn) {
        summary = `HTTP ${listing.status}: the module lists no function to call`;
        return { summary, ok: false, lines: t.lines };
      }
    }
    const body = JSON.stringify(input.args);
    t.add('C', `POST /ame/${fn} ${body}`);
    const res = await fetchText(`${input.ame}/${encodeURIComponent(fn)}`, {
      method: 'POST', headers: { authorization: basic(input.user, input.password), 'content-type': 'application/json', accept: 'application/json' }, body,
    });
    const shown = short(res.body);
    t.add('S', `HTTP ${res.status} ${shown}`);
    let rc: unknown;
    try {
      rc = (JSON.parse(res.body) as { rc?: unknown }).rc;
    } catch {
      rc = undefined;
    }
    ok = res.status >= 200 && res.status < 300 && rc === 0;
    summary = rc === undefined ? `${fn}: HTTP ${res.status} ${shown}` : `${fn}: rc ${String(rc)}`;
  } catch (err) {
    t.add('note', describeError(err));
    if (!summary) summary = describeError(err);
  }
  return { summary, ok, lines: t.lines };
}
