import { isDiskFull } from '../../emulator/disk.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../emulator/clock.js';
import type { SiteServer } from '../../emulator/server.js';
import type { Site } from '../../emulator/site.js';
import { html, SafeHtml } from './html.js';
import { busyPage, errorPage, formPage, page } from './layout.js';
import { SESSION_COOKIE, csrfMatches, type SessionStore, type WebSession } from './session.js';

/** Short-lived server-side payloads a frameset hands to its frames (e.g. the duplicated busy message). */
export class FrameTickets {
  private readonly tickets = new Map<string, { user: string; messages: string[]; expires: number }>();
  static readonly TTL_MS = 60_000;
  static readonly MAX = 1000;

  constructor(private readonly clock: Clock = systemClock) {}

  issue(user: string, messages: string[]): string {
    const now = this.clock.now();
    for (const [k, t] of this.tickets) if (t.expires < now || this.tickets.size >= FrameTickets.MAX) this.tickets.delete(k); else break;
    const id = randomBytes(12).toString('base64url');
    this.tickets.set(id, { user, messages, expires: now + FrameTickets.TTL_MS });
    return id;
  }

  messages(id: string, user: string): string[] | null {
    const t = this.tickets.get(id);
    if (!t || t.user !== user || t.expires < this.clock.now()) return null;
    return t.messages;
  }
}

/** What every route of the web service shares. */
export interface WebDeps {
  server: SiteServer;
  site: Site;
  sessions: SessionStore;
  tickets: FrameTickets;
}

export interface Ctx {
  req: FastifyRequest;
  reply: FastifyReply;
  deps: WebDeps;
  session: WebSession;
  user: string;
}

/** What a page handler returns. */
export type PageResult = SafeHtml | { redirect: string } | { status: number; body: SafeHtml };

export interface RouteSpec {
  /** Servers whose store the operation touches (their suspension triggers web.busy); default: none besides this one. */
  data?: (c: Ctx) => SiteServer[];
  /** Where 戻る on the busy page leads (the page the user came from); absent: the page has no 戻る button. */
  back?: (c: Ctx) => string | undefined;
  /** Only for ADMIN (isAdmin accounts). */
  admin?: boolean;
  /** The operation does not touch any store (static pages, or pages that ask the catalog themselves): no web.busy here. */
  static?: boolean;
  /**
   * A POST route's form, as the user filled it in: when the submission is refused (web.busy, bad input, an
   * expired page) the answer shows why and this form again with everything that was posted, whatever its
   * length, so nothing typed is lost and the user sends it again when they can.
   */
  form?: (c: Ctx, posted: Fields) => SafeHtml;
}

/** Headers of every page: UTF-8, no caching of personal data, no framing by other sites, no scripts. */
export function sendHtml(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply.code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
    .send(body.value);
}

export function sendResult(reply: FastifyReply, result: PageResult): FastifyReply {
  if (result instanceof SafeHtml) return sendHtml(reply, result);
  if ('redirect' in result) return reply.redirect(result.redirect, 303);
  return sendHtml(reply, result.body, result.status);
}

/** The session of a request, or null. */
export function sessionOf(req: FastifyRequest, deps: WebDeps): WebSession | null {
  const session = deps.sessions.get(req.cookies[SESSION_COOKIE]);
  if (!session) return null;
  // The account as the directory says now: a deleted account, or one whose web service was turned off, is logged out.
  const access = deps.site.domain.access;
  const account = access.account(session.user);
  if (!account || !access.mayUse(account, 'web').ok) {
    deps.sessions.destroy(session.id);
    return null;
  }
  session.isAdmin = account.isAdmin;
  return session;
}

/** A page asking the user to log in again (the link leaves the frames). */
export function loginRequired(): SafeHtml {
  return page('ログイン - TeamWARE Office', html`<h1>TeamWARE Office</h1><p class="error">ログインしていないか、セッションの有効期限が切れました。</p><p><a href="/login" target="_top">ログイン画面へ</a></p>`);
}

/**
 * Asks the servers an operation touches for web.busy (or another behaviour):
 * the server serving the page first, then the data's servers; the first one
 * that is suspended decides (the catalog emits the event).
 */
export function gateWeb(c: Ctx, id: string, servers: SiteServer[] = []): { allowed: true } | { allowed: false; messages: string[] } {
  const operation = `${c.req.method} ${c.req.routeOptions.url ?? c.req.url}`;
  const target = [c.deps.server, ...servers].find((s) => s.suspended);
  if (!target) return { allowed: true };
  const gate = target.gate(id, { operation, client: 'web', user: c.user });
  return gate.allowed ? { allowed: true } : { allowed: false, messages: gate.messages };
}

/** The busy page (web.busy) for this operation, with 戻る where the page has one. */
export function busy(c: Ctx, messages: string[], back?: string): PageResult {
  c.reply.header('x-twemu-behaviour', 'web.busy');
  return busyPage(messages, back);
}

/**
 * Where 戻る on the busy page leads: the page's own target; a page reached by 戻る (`back=1`) that has none
 * gets a 戻る to itself, so that 戻る never leads to a busy page without its own 戻る. A page opened directly
 * keeps the seed's "no 戻る" (the user takes the browser's back button, 19.3.1).
 */
function busyBack(c: Ctx, spec: RouteSpec): string | undefined {
  const own = spec.back?.(c);
  if (own) return own;
  return c.req.method === 'GET' && queryOf(c.req).back === '1' ? c.req.url : undefined;
}

/** A refused form submission: why, then the form again with what was posted. */
function refusedForm(c: Ctx, spec: RouteSpec & { form: NonNullable<RouteSpec['form']> }, status: number, messages: string[], kind: 'busy' | 'error'): FastifyReply {
  return sendHtml(c.reply, formPage(messages, kind, spec.form(c, fieldsOf(c.req))), status);
}

/** Without a session a form cannot be sent again here: the page says so and shows what was typed, to copy. */
function keptInput(fields: Fields): SafeHtml {
  const kept = Object.entries(fields).filter(([k, v]) => !k.startsWith('_') && typeof v === 'string' && v.length > 0) as Array<[string, string]>;
  if (!kept.length) return html``;
  return html`<h2>入力した内容</h2><p class="muted">もう一度ログインしてから、次の内容をコピーして入力し直してください。</p>
${kept.map(([k, v]) => html`<p>${k}<br><textarea name="kept-${k}" readonly rows="${Math.min(12, v.split('\n').length + 1)}" cols="70">\n${v}</textarea></p>\n`)}`;
}

type Handler = (c: Ctx) => PageResult | Promise<PageResult>;

const DISK_FULL_TEXT = 'サーバのディスクの空き容量が不足しているため、保存できませんでした。しばらくしてから、もう一度操作してください。';

/**
 * Registers a page: session check, CSRF check (POST), ADMIN check, then the
 * catalog gate (web.busy with the page's 戻る target), then the handler.
 */
export function route(app: FastifyInstance, deps: WebDeps, method: 'GET' | 'POST', url: string, spec: RouteSpec, handler: Handler): void {
  app.route({
    method, url,
    handler: async (req, reply) => {
      const session = sessionOf(req, deps);
      if (!session) return sendHtml(reply, method === 'POST' && spec.form ? html`${loginRequired()}${keptInput(fieldsOf(req))}` : loginRequired(), 401);
      const c: Ctx = { req, reply, deps, session, user: session.user };
      const form = method === 'POST' && spec.form ? (spec as RouteSpec & { form: NonNullable<RouteSpec['form']> }) : null;
      if (method === 'POST' && !csrfMatches(session, (req.body as Record<string, unknown> | undefined)?._csrf)) {
        if (form) return refusedForm(c, form, 403, ['画面の有効期限が切れました。入力した内容を確かめて、もう一度送信してください。(CSRF)'], 'error');
        return sendHtml(reply, errorPage('不正な要求です。画面を開き直してから、もう一度操作してください。(CSRF)'), 403);
      }
      if (spec.admin && !session.isAdmin) return sendHtml(reply, errorPage('この操作は管理者だけが利用できます。'), 403);
      try {
        if (!spec.static) {
          const gate = gateWeb(c, 'web.busy', spec.data?.(c) ?? []);
          if (!gate.allowed && form) {
            reply.header('x-twemu-behaviour', 'web.busy');
            return refusedForm(c, form, 200, gate.messages, 'busy');
          }
          if (!gate.allowed) return sendResult(reply, busy(c, gate.messages, busyBack(c, spec)));
        }
        return sendResult(reply, await handler(c));
      } catch (err) {
        if (form && err instanceof InputError) return refusedForm(c, form, err.status, [err.message], 'error');
        // A full disk: a temporary failure; the form comes back with what was typed.
        if (isDiskFull(err)) {
          if (form) return refusedForm(c, form, 507, [DISK_FULL_TEXT], 'error');
          return sendHtml(reply, errorPage(DISK_FULL_TEXT, busyBack(c, spec)), 507);
        }
        throw err;
      }
    },
  });
}

// ---- input helpers ---------------------------------------------------

export type Fields = Record<string, unknown>;

export function fieldsOf(req: FastifyRequest): Fields {
  const b = req.body;
  return b && typeof b === 'object' ? (b as Fields) : {};
}

export function queryOf(req: FastifyRequest): Fields {
  const q = req.query;
  return q && typeof q === 'object' ? (q as Fields) : {};
}

/** One text field (the first when repeated), trimmed of nothing, at most `max` characters; '' when absent. */
export function text(fields: Fields, name: string, max = 100_000): string {
  const v = fields[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === null) return '';
  if (typeof s !== 'string') throw new InputError(`${name} が不正です。`);
  if (s.length > max) throw new InputError(`${name} が長すぎます(${max}文字まで)。`);
  return s;
}

/** A positive integer id, or an InputError. */
export function id(value: unknown, name = 'id'): number {
  const s = Array.isArray(value) ? value[0] : value;
  if (typeof s !== 'string' && typeof s !== 'number') throw new InputError(`${name} が指定されていません。`);
  const n = typeof s === 'number' ? s : /^\d{1,9}$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InputError(`${name} が不正です。`);
  return n;
}

/** All values of a repeated field (checkboxes). */
export function list(fields: Fields, name: string, max = 1000): string[] {
  const v = fields[name];
  const arr = v === undefined ? [] : Array.isArray(v) ? v : [v];
  if (arr.length > max) throw new InputError(`${name} が多すぎます。`);
  return arr.map((x) => {
    if (typeof x !== 'string') throw new InputError(`${name} が不正です。`);
    return x;
  });
}

/** Bad input from a form or URL: HTTP 400 with the message, in the frame, with 戻る. */
export class InputError extends Error {
  constructor(message: string, readonly status = 400, readonly back?: string) {
    super(message);
    this.name = 'InputError';
  }
}
