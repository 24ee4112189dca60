import type { FastifyInstance } from 'fastify';
import { html, SafeHtml, query } from '../html.js';
import { busyPage, csrfField, frameset, page } from '../layout.js';
import { InputError, fieldsOf, gateWeb, id, list, queryOf, route, text, type Ctx, type WebDeps } from '../context.js';

/** The page a web server answers when Cancel fires web.facility-cancel (the product's bare 500 page). */
export function internalServerErrorPage(messages: string[]): SafeHtml {
  return html`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${messages[0] ?? ''}</title></head><body>${messages.map((m) => html`<h1>${m}</h1>`)}</body></html>
`;
}

const CANCEL_FROM = ['permit', 'add', 'search'] as const;

/** 管理者メニュー and 部門管理者メニュー (facility calendar management). */
export function adminRoutes(app: FastifyInstance, deps: WebDeps): void {
  const site = deps.site;
  const directory = () => [site.directoryServer];
  const shared = () => [site.sharedServer];
  const calendar = site.domain.calendar;

  // Switching to the administrator menu from the top page (web.admin-menu-duplicate: the busy message twice).
  route(app, deps, 'GET', '/admin', { admin: true, static: true }, (c) => {
    const dup = gateWeb(c, 'web.admin-menu-duplicate', directory());
    if (!dup.allowed) {
      c.reply.header('x-twemu-behaviour', 'web.admin-menu-duplicate');
      const ticket = c.deps.tickets.issue(c.user, dup.messages);
      return frameset('管理者メニュー - TeamWARE Office', { cols: '200,*' }, dup.messages.map((_, i) => ({ name: i === 0 ? 'adminmenu' : 'adminmain', src: `/busy/${ticket}/${i}` })));
    }
    const busy = gateWeb(c, 'web.busy', directory());
    if (!busy.allowed) {
      c.reply.header('x-twemu-behaviour', 'web.busy');
      return busyPage(busy.messages, '/top');
    }
    return frameset('管理者メニュー - TeamWARE Office', { cols: '200,*' }, [{ name: 'adminmenu', src: '/admin/menu' }, { name: 'adminmain', src: '/admin/users' }]);
  });

  route(app, deps, 'GET', '/admin/menu', { admin: true, static: true }, () => page('管理者メニュー', html`<div class="menu">
<h1>管理者メニュー</h1>
<a href="/admin/users" target="adminmain">ユーザー一覧</a>
<a href="/admin/bookmarks" target="adminmain">共有ブックマークの管理</a>
<a href="/dept" target="adminmain">部門管理者メニュー</a>
<a href="/top" target="_top">トップページへ戻る</a>
</div>`, { bodyClass: 'menu' }));

  route(app, deps, 'GET', '/admin/users', { admin: true, data: directory, back: () => '/admin/menu' }, () => page('ユーザー一覧', html`<h1>ユーザー一覧</h1>
<table class="list" id="user-list"><tr><th>ユーザー名</th><th>氏名</th><th>部門</th><th>ホームサーバ</th><th>Web</th><th>管理者</th></tr>
${site.domain.directory.list().map((a) => html`<tr><td>${a.name}</td><td>${a.displayName}</td><td>${a.department}</td><td>${a.homeServer}</td><td>${a.services.web ? '○' : '-'}</td><td>${a.isAdmin ? '○' : ''}</td></tr>\n`)}
</table>`));

  route(app, deps, 'GET', '/admin/bookmarks', { admin: true, data: directory, back: () => '/admin/menu' }, (c) => page('共有ブックマークの管理', html`<h1>共有ブックマークの管理</h1>
<table class="list" id="admin-bookmarks"><tr><th>タイトル</th><th>URL</th><th>登録者</th><th></th></tr>
${site.domain.webdata.bookmarks().map((b) => html`<tr><td>${b.title}</td><td>${b.url}</td><td>${b.createdBy}</td>
<td><form method="post" action="/bookmark/delete">${csrfField(c.session.csrf)}<input type="hidden" name="from" value="admin"><input type="hidden" name="id" value="${b.id}"><button type="submit">削除</button></form></td></tr>\n`)}
</table>`));

  // ---- 部門管理者メニュー: facility calendar management ----
  const cancelButton = (from: (typeof CANCEL_FROM)[number]) => html`<form method="get" action="/dept/facility/cancel"><input type="hidden" name="from" value="${from}"><button type="submit" id="cancel">キャンセル</button></form>`;
  const mustFacility = (fid: number) => {
    const f = calendar.facility(fid);
    if (!f) throw new InputError('指定された設備はありません。', 404, '/dept');
    return f;
  };

  route(app, deps, 'GET', '/dept', { admin: true, data: shared }, () => page('部門管理者メニュー', html`<h1>部門管理者メニュー - 設備カレンダーの管理</h1>
<table class="list" id="dept-facilities"><tr><th>設備</th><th>部門</th><th>利用を許可されたユーザー</th><th></th></tr>
${calendar.facilities().map((f) => html`<tr><td>${f.name}</td><td>${f.department}</td><td>${f.permitted.join(', ')}</td><td><a href="/dept/facility/permit${query({ id: f.id })}">利用許可</a></td></tr>\n`)}
</table>
<div class="buttons"><a href="/dept/facility/add">追加</a> <a href="/dept/facility/search">検索</a></div>`));

  route(app, deps, 'GET', '/dept/facility/permit', { admin: true, data: () => [site.sharedServer, site.directoryServer], back: () => '/dept' }, (c) => {
    const f = mustFacility(id(queryOf(c.req).id));
    return page('利用許可', html`<h1>設備カレンダー - 利用許可 (${f.name})</h1>
<form method="post" action="/dept/facility/permit">${csrfField(c.session.csrf)}<input type="hidden" name="id" value="${f.id}">
<table class="list"><tr><th></th><th>ユーザー名</th><th>氏名</th></tr>
${site.domain.directory.list().map((a) => html`<tr><td><input type="checkbox" name="user" value="${a.name}"${calendar.mayReserve(a.name, f) ? html` checked` : ''}></td><td>${a.name}</td><td>${a.displayName}</td></tr>\n`)}
</table>
<div class="buttons"><button type="submit">OK</button></div></form>
<div class="buttons">${cancelButton('permit')}</div>`);
  });
  route(app, deps, 'POST', '/dept/facility/permit', { admin: true, data: () => [site.sharedServer, site.directoryServer], back: (c) => `/dept/facility/permit${query({ id: text(fieldsOf(c.req), 'id', 10) })}` }, (c) => {
    const f = fieldsOf(c.req);
    const fac = mustFacility(id(f.id));
    const users = list(f, 'user');
    const set = calendar.setPermitted(fac.id, users);
    if (!set.ok) throw new InputError(set.account ? `ユーザー ${set.account} は登録されていません。` : '指定された設備はありません。', set.account ? 400 : 404, `/dept/facility/permit${query({ id: fac.id })}`);
    return { redirect: '/dept' };
  });

  route(app, deps, 'GET', '/dept/facility/add', { admin: true, data: shared, back: () => '/dept' }, (c) => {
    const q = queryOf(c.req);
    return page('設備の追加', html`<h1>設備カレンダー - 追加</h1>
<form method="post" action="/dept/facility/add">${csrfField(c.session.csrf)}
<table class="form"><tr><th>設備名</th><td><input type="text" name="name" maxlength="100" value="${text(q, 'name', 100)}"></td></tr>
<tr><th>部門</th><td><input type="text" name="department" maxlength="100" value="${text(q, 'department', 100)}"></td></tr></table>
<div class="buttons"><button type="submit">OK</button></div></form>
<div class="buttons">${cancelButton('add')}</div>`);
  });
  route(app, deps, 'POST', '/dept/facility/add', { admin: true, data: shared, back: (c) => `/dept/facility/add${query({ name: text(fieldsOf(c.req), 'name', 100), department: text(fieldsOf(c.req), 'department', 100) })}` }, (c) => {
    const f = fieldsOf(c.req);
    const name = text(f, 'name', 100);
    const department = text(f, 'department', 100);
    const back = `/dept/facility/add${query({ name, department })}`;
    if (!name.trim()) throw new InputError('設備名を入力してください。', 400, back);
    const added = calendar.addFacility({ name, department });
    if (!added.ok) throw new InputError(added.refused === 'exists' ? `設備「${name}」はすでに登録されています。` : `入力に誤りがあります。(${added.message})`, added.refused === 'exists' ? 409 : 400, back);
    return { redirect: '/dept' };
  });

  route(app, deps, 'GET', '/dept/facility/search', { admin: true, data: shared, back: () => '/dept' }, (c) => {
    const q = text(queryOf(c.req), 'q', 100);
    const results = q ? calendar.searchFacilities(q) : null;
    return page('設備の検索', html`<h1>設備カレンダー - 検索</h1>
<form method="get" action="/dept/facility/search"><input type="text" name="q" maxlength="100" value="${q}"> <button type="submit">検索</button></form>
${results ? html`<table class="list" id="search-results"><tr><th>設備</th><th>部門</th></tr>
${results.length ? results.map((f) => html`<tr><td>${f.name}</td><td>${f.department}</td></tr>\n`) : html`<tr><td colspan="2" class="muted">該当する設備はありません。</td></tr>`}</table>` : ''}
<div class="buttons">${cancelButton('search')}</div>`);
  });

  // Cancel in permit / add / search (web.facility-cancel: 500 Internal Server Error while suspended).
  route(app, deps, 'GET', '/dept/facility/cancel', { admin: true, static: true }, (c: Ctx) => {
    const from = text(queryOf(c.req), 'from', 10);
    if (!(CANCEL_FROM as readonly string[]).includes(from)) throw new InputError('要求が不正です。', 400, '/dept');
    const gate = gateWeb(c, 'web.facility-cancel', shared());
    if (!gate.allowed) {
      c.reply.header('x-twemu-behaviour', 'web.facility-cancel');
      return { status: 500, body: internalServerErrorPage(gate.messages) };
    }
    return { redirect: '/dept' };
  });
}
