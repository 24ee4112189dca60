import type { FastifyInstance } from 'fastify';
import { html, query } from '../html.js';
import { csrfField, page } from '../layout.js';
import { InputError, fieldsOf, id, queryOf, route, text, type Ctx, type WebDeps } from '../context.js';
import { formatDate } from './mail.js';

/** 個人メモ and 共有ブックマーク: the web-service-specific data `tobkweb arc` archives. */
export function memoRoutes(app: FastifyInstance, deps: WebDeps): void {
  const site = deps.site;
  const home = (c: Ctx) => [site.homeServer(c.user)];
  const webdata = site.domain.webdata;
  /** The user's own memo; another user's id is "not found". */
  const own = (c: Ctx, mid: number) => {
    const m = webdata.memo(c.user, mid);
    if (!m.ok) throw new InputError('指定されたメモはありません。', 404, '/memo/list');
    return m.value;
  };
  const checkMemo = (title: string) => {
    if (!title.trim()) throw new InputError('タイトルを入力してください。');
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');

  route(app, deps, 'GET', '/memo/list', { data: home }, (c) => page('個人メモ', html`<h1>個人メモ</h1>
<table class="list" id="memo-list"><tr><th>タイトル</th><th>更新日時</th></tr>
${webdata.memos(c.user).map((m) => html`<tr><td><a href="/memo/view${query({ id: m.id })}">${m.title}</a></td><td>${formatDate(new Date(m.updatedAt))}</td></tr>\n`)}
</table>
<div class="buttons"><a href="/memo/new">新規作成</a></div>`));

  route(app, deps, 'GET', '/memo/view', { data: home, back: () => '/memo/list' }, (c) => {
    const m = own(c, id(queryOf(c.req).id));
    return page(`${m.title} - 個人メモ`, html`<h1>個人メモ</h1>
<table class="form"><tr><th>タイトル</th><td id="memo-title">${m.title}</td></tr><tr><th>更新日時</th><td>${formatDate(new Date(m.updatedAt))}</td></tr></table>
<pre class="body" id="memo-body">${m.body}</pre>
<div class="buttons"><a href="/memo/edit${query({ id: m.id })}">編集</a>
<form method="post" action="/memo/delete">${csrfField(c.session.csrf)}<input type="hidden" name="id" value="${m.id}"><button type="submit">削除</button></form>
<a href="/memo/list">一覧へ戻る</a></div>`);
  });

  const memoForm = (c: Ctx, heading: string, action: string, values: { id?: string | number; title: string; body: string }) => html`<h1>${heading}</h1>
<form method="post" action="${action}">${csrfField(c.session.csrf)}${values.id ? html`<input type="hidden" name="id" value="${values.id}">` : ''}
<table class="form"><tr><th>タイトル</th><td><input type="text" name="title" size="50" maxlength="200" value="${values.title}"></td></tr>
<tr><td colspan="2"><textarea name="body" rows="10" cols="70">
${values.body}</textarea></td></tr></table>
<div class="buttons"><button type="submit">保存</button> <a href="/memo/list">キャンセル</a></div></form>`;

  route(app, deps, 'GET', '/memo/new', { data: home, back: () => '/memo/list' }, (c) => page('個人メモの作成', memoForm(c, '個人メモの作成', '/memo/create', { title: '', body: '' })));
  route(app, deps, 'POST', '/memo/create', { data: home, form: (c, f) => memoForm(c, '個人メモの作成', '/memo/create', { title: str(f.title), body: str(f.body) }) }, (c) => {
    const f = fieldsOf(c.req);
    const title = text(f, 'title', 200);
    checkMemo(title);
    const m = webdata.createMemo(c.user, { title, body: text(f, 'body', 20_000) });
    return { redirect: `/memo/view${query({ id: m.id })}` };
  });
  route(app, deps, 'GET', '/memo/edit', { data: home, back: (c) => `/memo/view${query({ id: String(queryOf(c.req).id ?? '') })}` }, (c) => {
    const m = own(c, id(queryOf(c.req).id));
    return page('個人メモの編集', memoForm(c, '個人メモの編集', '/memo/update', { id: m.id, title: m.title, body: m.body }));
  });
  route(app, deps, 'POST', '/memo/update', { data: home, form: (c, f) => memoForm(c, '個人メモの編集', '/memo/update', { id: str(f.id), title: str(f.title), body: str(f.body) }) }, (c) => {
    const f = fieldsOf(c.req);
    const m = own(c, id(f.id));
    const title = text(f, 'title', 200);
    checkMemo(title);
    webdata.updateMemo(c.user, m.id, { title, body: text(f, 'body', 20_000) });
    return { redirect: `/memo/view${query({ id: m.id })}` };
  });
  route(app, deps, 'POST', '/memo/delete', { data: home, back: () => '/memo/list' }, (c) => {
    const m = own(c, id(fieldsOf(c.req).id));
    webdata.deleteMemo(c.user, m.id);
    return { redirect: '/memo/list' };
  });

  // 共有ブックマーク: shared by every user (on the directory server); the creator or ADMIN may delete one.
  const directory = () => [webdata.bookmarkServer];
  const bookmarkForm = (c: Ctx, values: { title: string; url: string }) => html`<h2>ブックマークの追加</h2>
<form method="post" action="/bookmark/create">${csrfField(c.session.csrf)}
<table class="form"><tr><th>タイトル</th><td><input type="text" name="title" size="40" maxlength="200" value="${values.title}"></td></tr>
<tr><th>URL</th><td><input type="text" name="url" size="60" maxlength="2000" value="${values.url}"></td></tr></table>
<div class="buttons"><button type="submit">追加</button> <a href="/bookmark/list">一覧へ</a></div></form>`;
  route(app, deps, 'GET', '/bookmark/list', { data: directory }, (c) => page('共有ブックマーク', html`<h1>共有ブックマーク</h1>
<table class="list" id="bookmark-list"><tr><th>タイトル</th><th>URL</th><th>登録者</th><th></th></tr>
${webdata.bookmarks().map((b) => html`<tr><td><a href="${b.url}" target="_blank" rel="noopener noreferrer">${b.title}</a></td><td>${b.url}</td><td>${b.createdBy}</td>
<td>${webdata.mayDeleteBookmark({ name: c.user, isAdmin: c.session.isAdmin }, b) ? html`<form method="post" action="/bookmark/delete">${csrfField(c.session.csrf)}<input type="hidden" name="id" value="${b.id}"><button type="submit">削除</button></form>` : ''}</td></tr>\n`)}
</table>
${bookmarkForm(c, { title: '', url: '' })}`));
  route(app, deps, 'POST', '/bookmark/create', { data: directory, form: (c, f) => bookmarkForm(c, { title: str(f.title), url: str(f.url) }) }, (c) => {
    const f = fieldsOf(c.req);
    const title = text(f, 'title', 200);
    const url = text(f, 'url', 2000);
    if (!title.trim()) throw new InputError('タイトルを入力してください。');
    if (!/^https?:\/\/[^\s"'<>]+$/i.test(url)) throw new InputError('URL は http:// または https:// で始めてください。');
    webdata.addBookmark(c.user, { title, url });
    return { redirect: '/bookmark/list' };
  });
  route(app, deps, 'POST', '/bookmark/delete', { data: directory, back: () => '/bookmark/list' }, (c) => {
    const bid = id(fieldsOf(c.req).id);
    const deleted = webdata.deleteBookmark({ name: c.user, isAdmin: c.session.isAdmin }, bid);
    if (!deleted.ok && deleted.refused === 'not-found') throw new InputError('指定されたブックマークはありません。', 404, '/bookmark/list');
    if (!deleted.ok) throw new InputError('このブックマークは登録者か管理者だけが削除できます。', 403, '/bookmark/list');
    return { redirect: text(fieldsOf(c.req), 'from', 10) === 'admin' && c.session.isAdmin ? '/admin/bookmarks' : '/bookmark/list' };
  });
}
