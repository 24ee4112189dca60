import type { FastifyInstance } from 'fastify';
import { html, query } from '../html.js';
import { csrfField, page } from '../layout.js';
import { InputError, fieldsOf, id, queryOf, route, text, type Ctx, type WebDeps } from '../context.js';
import { formatDate } from './mail.js';

export function forumRoutes(app: FastifyInstance, deps: WebDeps): void {
  const forum = deps.site.domain.forum;
  const shared = () => [forum.server];
  const mustForum = (fid: number) => {
    const f = forum.forum(fid);
    if (!f.ok) throw new InputError('指定されたフォーラムはありません。', 404, '/forum/list');
    return f.value;
  };

  // The forum list, with 最新の情報に変更 (refresh: the same list, read again).
  route(app, deps, 'GET', '/forum/list', { data: shared }, () => page('フォーラム', html`<h1>フォーラム一覧</h1>
<form method="get" action="/forum/list"><button type="submit" name="refresh" value="1">最新の情報に変更</button></form>
<table class="list" id="forum-list"><tr><th>フォーラム</th><th>記事数</th></tr>
${forum.forums().map((f) => html`<tr><td><a href="/forum/read${query({ id: f.id })}">${f.name}</a></td><td>${f.posts}</td></tr>\n`)}
</table>`));

  route(app, deps, 'GET', '/forum/read', { data: shared, back: () => '/forum/list' }, (c) => {
    const f = mustForum(id(queryOf(c.req).id));
    const read = forum.posts(f.id);
    if (!read.ok) throw new InputError('指定されたフォーラムはありません。', 404, '/forum/list');
    const posts = read.value.posts;
    return page(`${f.name} - フォーラム`, html`<h1>フォーラム - ${f.name}</h1>
<table class="list" id="post-list"><tr><th>件名</th><th>投稿者</th><th>日付</th></tr>
${posts.length ? posts.map((p) => html`<tr><td><a href="/forum/post${query({ id: p.id })}">${p.title}</a></td><td>${p.author}</td><td>${formatDate(new Date(p.createdAt))}</td></tr>\n`) : html`<tr><td colspan="3" class="muted">記事はありません。</td></tr>`}
</table>
<div class="buttons"><a href="/forum/new${query({ forum: f.id })}">投稿</a> <a href="/forum/list">フォーラム一覧へ</a></div>`);
  });

  route(app, deps, 'GET', '/forum/post', { data: shared, back: () => '/forum/list' }, (c) => {
    const found = forum.postById(id(queryOf(c.req).id));
    if (!found.ok) throw new InputError('指定された記事はありません。', 404, '/forum/list');
    const p = found.value;
    const f = mustForum(p.forumId);
    return page(`${p.title} - フォーラム`, html`<h1>フォーラム - ${f.name}</h1>
<table class="form"><tr><th>件名</th><td id="post-title">${p.title}</td></tr><tr><th>投稿者</th><td>${p.author}</td></tr><tr><th>日付</th><td>${formatDate(new Date(p.createdAt))}</td></tr></table>
<pre class="body" id="post-body">${p.body}</pre>
<div class="buttons"><a href="/forum/read${query({ id: f.id })}">記事一覧へ</a></div>`);
  });

  /** The post form; the forum's name comes from the store on the GET, and is not needed again to show what a refused 投稿 posted. */
  const postForm = (c: Ctx, forum: { id: string | number; name?: string }, values: { title: string; body: string }) => html`<h1>記事の投稿${forum.name ? html` - ${forum.name}` : ''}</h1>
<form method="post" action="/forum/create">${csrfField(c.session.csrf)}<input type="hidden" name="forum" value="${forum.id}">
<table class="form"><tr><th>件名</th><td><input type="text" name="title" size="50" maxlength="200" value="${values.title}"></td></tr>
<tr><td colspan="2"><textarea name="body" rows="10" cols="70">
${values.body}</textarea></td></tr></table>
<div class="buttons"><button type="submit">投稿</button> <a href="/forum/read${query({ id: forum.id })}">キャンセル</a></div></form>`;
  const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');

  route(app, deps, 'GET', '/forum/new', { data: shared, back: (c) => `/forum/read${query({ id: String(queryOf(c.req).forum ?? '') })}` }, (c) => {
    const f = mustForum(id(queryOf(c.req).forum, 'forum'));
    return page('記事の投稿', postForm(c, f, { title: '', body: '' }));
  });

  route(app, deps, 'POST', '/forum/create', {
    data: shared,
    form: (c, f) => postForm(c, { id: str(f.forum) }, { title: str(f.title), body: str(f.body) }),
  }, (c) => {
    const f = fieldsOf(c.req);
    const target = mustForum(id(f.forum, 'forum'));
    const title = text(f, 'title', 200);
    const body = text(f, 'body', 100_000);
    if (!title.trim()) throw new InputError('件名を入力してください。');
    const p = forum.post(target.id, c.user, { title, body });
    if (!p.ok) throw new InputError(p.refused === 'not-found' ? '指定されたフォーラムはありません。' : `入力に誤りがあります。(${p.message})`, p.refused === 'not-found' ? 404 : 400);
    return { redirect: `/forum/post${query({ id: p.value.id })}` };
  });
}
