import type { FastifyError, FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { SiteServer } from '../../emulator/server.js';
import { TwemuError } from '../../emulator/errors.js';
import { html } from './html.js';
import { STYLESHEET, blankPage, errorPage, frameset, page, csrfField, backButton } from './layout.js';
import { SESSION_COOKIE, SessionStore } from './session.js';
import { FrameTickets, InputError, fieldsOf, gateWeb, route, sendHtml, sessionOf, text, type WebDeps } from './context.js';
import { mailRoutes } from './routes/mail.js';
import { scheduleRoutes } from './routes/schedule.js';
import { forumRoutes } from './routes/forum.js';
import { memoRoutes } from './routes/memo.js';
import { adminRoutes } from './routes/admin.js';

/**
 * The Web service's pages (TeamWARE Office Web): login, the top page's
 * frames, mail, schedule, facility reservation, forum, memos, shared
 * bookmarks, the administrator and department administrator menus.
 */
export const webPagesPlugin: FastifyPluginAsync<{ server: SiteServer }> = async (app, { server }) => {
  const deps: WebDeps = { server, site: server.site, sessions: new SessionStore(server.site.clock), tickets: new FrameTickets(server.site.clock) };
  server.webSessions = () => deps.sessions.alive();
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 1024 * 1024 });

  // One error handler for the pages: bad input is a 4xx page in the frame; nothing else leaks.
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof InputError) return sendHtml(reply, errorPage(err.message, err.back), err.status);
    if (err instanceof TwemuError && err.status < 500) return sendHtml(reply, errorPage(messageOf(err), undefined), err.status);
    const status = (err as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendHtml(reply, errorPage(`要求が不正です。(${status})`), status);
    server.site.log.error({ err, url: req.url }, 'web page failed');
    return sendHtml(reply, errorPage('内部エラーが発生しました。'), 500);
  });
  app.setNotFoundHandler((_req, reply) => sendHtml(reply, errorPage('ページが見つかりません。'), 404));

  app.get('/tw.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(STYLESHEET));
  app.get('/', async (req, reply) => reply.redirect(sessionOf(req, deps) ? '/top' : '/login', 303));

  // ---- login / logout ----
  const loginForm = (message?: string, user = '') => page('ログイン - TeamWARE Office', html`<h1>TeamWARE Office Web</h1>
<p>ユーザー名とパスワードを入力してください。(${server.name})</p>
${message ? html`<p class="error">${message}</p>` : ''}
<form method="post" action="/login" target="_top">
<table class="form">
<tr><th>ユーザー名</th><td><input type="text" name="user" value="${user}" maxlength="64" autofocus></td></tr>
<tr><th>パスワード</th><td><input type="password" name="password" maxlength="128"></td></tr>
</table>
<div class="buttons"><button type="submit">ログイン</button></div>
</form>`);

  app.get('/login', async (_req, reply) => sendHtml(reply, loginForm()));
  app.post('/login', async (req, reply) => {
    const access = server.site.domain.access;
    const f = fieldsOf(req);
    // Login CSRF: a login form posted from another site, or from an opaque origin (`Origin: null`: a sandboxed
    // frame, a data: URL, some redirects) is refused; the session cookie does not exist yet to protect it.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameHost(origin, req.headers.host)) {
      access.failed({ client: 'web', server, operation: 'POST /login', user: typeof f.user === 'string' ? f.user : undefined }, 'origin', `login form posted from another origin (${String(origin).slice(0, 100)})`);
      return sendHtml(reply, page('ログイン - TeamWARE Office', html`<h1>TeamWARE Office Web</h1>
<p class="error">別のサイトから送信されたログイン要求は受け付けません。(origin)</p>
<p>送信元: ${String(origin).slice(0, 100)}</p><p>このサーバのログイン画面からログインしてください。</p><p><a href="/login" target="_top">ログイン画面へ</a></p>`), 403);
    }
    const user = text(f, 'user', 64);
    const password = text(f, 'password', 128);
    if (!user || !password) return sendHtml(reply, loginForm('ユーザー名とパスワードを入力してください。', user), 400);
    // Logging in reads the directory: the busy page when the serving or the directory server is suspended.
    // Asked where the site's rule says (access.login-order: by default after the password).
    const target = [server, server.site.directoryServer].find((s) => s.suspended);
    let busyMessages: string[] = [];
    const busy = () => {
      const gate = target?.gate('web.busy', { operation: 'POST /login', client: 'web', user });
      if (!gate || gate.allowed) return null;
      busyMessages = gate.messages;
      return gate.messages.join(' ');
    };
    const login = await access.login({ client: 'web', server, operation: 'POST /login', user, password, service: 'web', busy, busyServer: target });
    if (!login.ok && login.refused === 'busy') {
      return sendHtml(reply.header('x-twemu-behaviour', 'web.busy'), page('TeamWARE Office', html`${busyMessages.map((m) => html`<p class="busy">${m}</p>`)}<div class="buttons">${backButton('/login')}</div>`));
    }
    if (!login.ok) {
      if (login.refused === 'service-unavailable') return sendHtml(reply, loginForm('このユーザーはWebサービスを利用できません。', user), 403);
      return sendHtml(reply, loginForm('ユーザー名またはパスワードが正しくありません。', user), 401);
    }
    const session = deps.sessions.create(login.value);
    reply.setCookie(SESSION_COOKIE, session.id, { path: '/', httpOnly: true, sameSite: 'strict' });
    return reply.redirect('/top', 303);
  });
  route(app, deps, 'POST', '/logout', { static: true }, (c) => {
    c.deps.sessions.destroy(c.session.id);
    c.reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
    return { redirect: '/login' };
  });

  // ---- the top page ----
  // /top: menu frame | main frame; main starts with /home (mail frame over personal schedule frame).
  app.get('/top', async (req, reply) => {
    const session = sessionOf(req, deps);
    if (!session) return reply.redirect('/login', 303);
    // A 戻る form to the top page submits `/top?` (or `?back=1`): the address bar shows the top page as it is.
    if (req.url !== '/top') return reply.redirect('/top', 303);
    return sendHtml(reply, frameset('TeamWARE Office', { cols: '180,*' }, [{ name: 'menu', src: '/menu' }, { name: 'main', src: '/home' }]));
  });
  // Returning to the top page (web.top-blank-frames): the mail and personal schedule frames blank (grey).
  route(app, deps, 'GET', '/home', { static: true }, (c) => {
    const home = c.deps.site.homeServer(c.user);
    const gate = gateWeb(c, 'web.top-blank-frames', [home]);
    if (!gate.allowed) c.reply.header('x-twemu-behaviour', 'web.top-blank-frames');
    const [mail, schedule] = gate.allowed ? ['/mail/list', '/schedule/today'] : ['/blank', '/blank'];
    return frameset('トップページ - TeamWARE Office', { rows: '55%,45%' }, [{ name: 'mail', src: mail }, { name: 'schedule', src: schedule }]);
  });
  app.get('/blank', async (_req, reply) => sendHtml(reply, blankPage()));

  route(app, deps, 'GET', '/menu', { static: true }, (c) => page('メニュー', html`<div class="menu">
<h1>TeamWARE Office</h1>
<p class="user">${c.session.displayName} (${c.user})</p>
<a href="/home" target="main">トップページ</a>
<a href="/mail/list" target="main">メール</a>
<a href="/schedule/list" target="main">スケジュール</a>
<a href="/facility/list" target="main">設備予約</a>
<a href="/forum/list" target="main">フォーラム</a>
<a href="/memo/list" target="main">個人メモ</a>
<a href="/bookmark/list" target="main">共有ブックマーク</a>
<a href="/mail/signature" target="main">メールの署名</a>
${c.session.isAdmin ? html`<a href="/admin" target="_top">管理者メニュー</a>
<a href="/dept" target="main">部門管理者メニュー</a>` : ''}
<form method="post" action="/logout" target="_top">${csrfField(c.session.csrf)}<button type="submit">ログアウト</button></form>
</div>`, { bodyClass: 'menu' }));

  // A frame of a frameset that fired a behaviour with several messages (web.admin-menu-duplicate).
  route(app, deps, 'GET', '/busy/:ticket/:index', { static: true }, (c) => {
    const { ticket, index } = c.req.params as { ticket: string; index: string };
    const messages = c.deps.tickets.messages(ticket, c.user);
    const message = messages?.[Number(index)];
    if (!/^\d$/.test(index) || message === undefined) return { status: 404, body: errorPage('ページが見つかりません。', '/top') };
    return page('TeamWARE Office', html`<p class="busy">${message}</p><div class="buttons">${topBackButton()}</div>`, { bodyClass: 'page busy-page' });
  });

  mailRoutes(app, deps);
  scheduleRoutes(app, deps);
  forumRoutes(app, deps);
  memoRoutes(app, deps);
  adminRoutes(app, deps);
};

/** 戻る out of a frameset, back to the top page. */
export function topBackButton() {
  return html`<form method="get" action="/top" target="_top"><button type="submit">戻る</button></form>`;
}

/** Whether an Origin header names this host; a malformed one does not (403, not a 500). */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function messageOf(err: TwemuError): string {
  if (err.status === 404) return `指定されたデータが見つかりません。(${err.message})`;
  return `入力に誤りがあります。(${err.message})`;
}
