import type { FastifyInstance } from 'fastify';
import { html, query } from '../html.js';
import { csrfField, page } from '../layout.js';
import { InputError, fieldsOf, id, list, queryOf, route, text, type Ctx, type WebDeps } from '../context.js';

/** The product's folder names as the web client shows them (IMAP4 names in the store). */
export const FOLDER_LABELS: Record<string, string> = { INBOX: '受信メール', OUTBOX: '送信メール', WasteBox: 'ごみ箱' };
/** Mail domain of the From/To addresses the web client writes (emulator default). */
export const MAIL_DOMAIN = 'teamware.example';
const MAX_RECIPIENTS = 50;
/** Mails per page of a folder's list. */
export const LIST_PAGE_SIZE = 50;

interface Summary { uid: number; from: string; to: string; subject: string; date: string; text: string; seen: boolean }

/** Parsed messages, by server/user/folder/UIDVALIDITY/UID: a stored message never changes, so its parse is reused. */
const PARSED_MAX = 2000;
const PARSED_SIZE_MAX = 256 * 1024;
const parsed = new Map<string, Omit<Summary, 'seen' | 'uid'>>();

async function parse(raw: Buffer): Promise<Omit<Summary, 'seen' | 'uid'>> {
  // mailparser is loaded on first use: importing it costs a site's start-up most of a second.
  const { simpleParser } = await import('mailparser');
  const m = await simpleParser(raw, { skipHtmlToText: true, skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
  return {
    from: m.from?.text ?? '', to: Array.isArray(m.to) ? m.to.map((a) => a.text).join(', ') : m.to?.text ?? '',
    subject: m.subject ?? '', date: m.date ? formatDate(m.date) : '', text: m.text ?? '',
  };
}

async function summarize(key: string, raw: () => Buffer | null, uid: number, flags: string[]): Promise<Summary | null> {
  let p = parsed.get(key);
  if (!p) {
    const bytes = raw();
    if (!bytes) return null;
    p = await parse(bytes);
    if (bytes.length <= PARSED_SIZE_MAX) {
      if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
      parsed.set(key, p);
    }
  }
  return { ...p, uid, seen: flags.includes('\\Seen') };
}

export function formatDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The summary cache's key of a message of the user's folder: `keyOf(c, folder)(uid)` (the folder looked up once per page). */
function keyOf(c: Ctx, folder: string): (uid: number) => string {
  const f = c.deps.site.domain.mail.mailbox(c.user).folder(c.user, folder)!;
  const prefix = `${c.deps.site.homeServer(c.user).store.database.id}\u0000${c.user}\u0000${f.id}\u0000${f.uidValidity}\u0000`;
  return (uid) => `${prefix}${uid}`;
}

/** The user's folder named in the request (INBOX when absent); another name is 404. */
function folderOf(c: Ctx, value: unknown): string {
  const name = typeof value === 'string' && value ? value : 'INBOX';
  const account = c.deps.site.domain.access.account(c.user);
  const found = name.length <= 64 && account ? c.deps.site.domain.mail.folder(account, name) : null;
  if (!found?.ok) throw new InputError('指定されたフォルダはありません。', 404, '/mail/list');
  return found.value;
}

/** RFC 2047 B-encoding when the text is not plain ASCII. */
function encodeWord(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/**
 * A new message as the web client writes it: UTF-8 text, base64 body (no
 * line-length or dot issues). Date, Message-ID and Return-Path are the
 * delivery's (`domain.mail.send` stamps them with the site's clock).
 */
export function buildMessage(from: string, to: string[], subject: string, body: string): Buffer {
  const b64 = Buffer.from(body.replace(/\r?\n/g, '\r\n'), 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    `From: ${from}@${MAIL_DOMAIN}`,
    `To: ${to.map((t) => `${t}@${MAIL_DOMAIN}`).join(', ')}`,
    `Subject: ${encodeWord(subject)}`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: base64', '', b64, '',
  ].join('\r\n'), 'utf8');
}

export function mailRoutes(app: FastifyInstance, deps: WebDeps): void {
  const home = (c: Ctx) => [c.deps.site.homeServer(c.user)];
  const folderNav = (current: string) => html`<p>${Object.entries(FOLDER_LABELS).map(([name, label]) =>
    name === current ? html`[${label}] ` : html`<a href="/mail/list${query({ folder: name })}">${label}</a> `)}</p>`;

  // The mail frame of the top page (and the menu's メール): the folder's list.
  route(app, deps, 'GET', '/mail/list', { data: home }, async (c) => {
    const q = queryOf(c.req);
    const folder = folderOf(c, q.folder);
    const store = c.deps.site.domain.mail.mailbox(c.user);
    const all = store.messages(c.user, folder).reverse();
    const pages = Math.max(1, Math.ceil(all.length / LIST_PAGE_SIZE));
    const pageNo = q.page === undefined || q.page === '' ? 1 : id(q.page, 'page');
    if (pageNo > pages) throw new InputError('指定されたページはありません。', 404, `/mail/list${query({ folder })}`);
    const metas = all.slice((pageNo - 1) * LIST_PAGE_SIZE, pageNo * LIST_PAGE_SIZE);
    const key = keyOf(c, folder);
    const rows = (await Promise.all(metas.map(async (m) => summarize(key(m.uid), () => store.raw(c.user, folder, m.uid), m.uid, m.flags))))
      .filter((r): r is Summary => r !== null);
    return page('メール一覧', html`<h1>メール - ${FOLDER_LABELS[folder] ?? folder}</h1>
${folderNav(folder)}
<form method="post" action="/mail/delete">${csrfField(c.session.csrf)}<input type="hidden" name="folder" value="${folder}">
<table class="list" id="mail-list">
<tr><th></th><th>${folder === 'OUTBOX' ? '宛先' : '差出人'}</th><th>件名</th><th>日付</th></tr>
${rows.length ? rows.map((r) => html`<tr class="${r.seen ? 'seen' : 'unseen'}"><td><input type="checkbox" name="uid" value="${r.uid}"></td><td>${folder === 'OUTBOX' ? r.to : r.from}</td><td><a href="/mail/read${query({ folder, uid: r.uid })}">${r.subject || '(件名なし)'}</a></td><td>${r.date}</td></tr>\n`)
    : html`<tr><td colspan="4" class="muted">メールはありません。</td></tr>`}
</table>
${pages > 1 ? html`<p class="pager">${all.length}件 ${pageNo > 1 ? html`<a href="/mail/list${query({ folder, page: pageNo - 1 })}">&lt;&lt; 前へ</a>` : ''} ${pageNo}/${pages} ${pageNo < pages ? html`<a href="/mail/list${query({ folder, page: pageNo + 1 })}">次へ &gt;&gt;</a>` : ''}</p>` : ''}
<div class="buttons"><a href="/mail/compose">新規作成</a> <button type="submit">${folder === 'WasteBox' ? '完全に削除' : '削除'}</button></div>
</form>`);
  });

  route(app, deps, 'GET', '/mail/read', { data: home, back: (c) => `/mail/list${query({ folder: String(queryOf(c.req).folder ?? '') })}` }, async (c) => {
    const q = queryOf(c.req);
    const folder = folderOf(c, q.folder);
    const uid = id(q.uid, 'uid');
    const store = c.deps.site.domain.mail.mailbox(c.user);
    const meta = store.messages(c.user, folder).find((m) => m.uid === uid);
    const m = meta ? await summarize(keyOf(c, folder)(uid), () => store.raw(c.user, folder, uid), uid, meta.flags) : null;
    if (!meta || !m) throw new InputError('指定されたメールはありません。', 404, `/mail/list${query({ folder })}`);
    if (!meta.flags.includes('\\Seen')) store.setFlags(c.user, folder, [uid], ['\\Seen'], 'add');
    return page(`${m.subject} - メール`, html`<h1>メール - ${FOLDER_LABELS[folder] ?? folder}</h1>
<table class="form" id="mail-header">
<tr><th>差出人</th><td>${m.from}</td></tr><tr><th>宛先</th><td>${m.to}</td></tr>
<tr><th>件名</th><td id="mail-subject">${m.subject}</td></tr><tr><th>日付</th><td>${m.date}</td></tr>
</table>
<pre class="body" id="mail-body">${m.text}</pre>
<div class="buttons"><a href="/mail/list${query({ folder })}">一覧へ戻る</a>
<a href="/mail/compose${query({ to: m.from.replace(/^.*<|>.*$/g, '').split('@')[0], subject: `Re: ${m.subject}` })}">返信</a>
<form method="post" action="/mail/delete">${csrfField(c.session.csrf)}<input type="hidden" name="folder" value="${folder}"><input type="hidden" name="uid" value="${uid}"><button type="submit">削除</button></form></div>`);
  });

  /** The compose form, filled in: from the query (a reply's to and subject), or from what a refused 送信 posted. */
  const composeForm = (c: Ctx, values: { to: string; subject: string; body: string }) => html`<h1>メールの作成</h1>
<form method="post" action="/mail/send">${csrfField(c.session.csrf)}
<table class="form">
<tr><th>宛先</th><td><input type="text" name="to" size="50" maxlength="2000" value="${values.to}"> <span class="muted">(ユーザー名、複数はカンマ区切り)</span></td></tr>
<tr><th>件名</th><td><input type="text" name="subject" size="50" maxlength="200" value="${values.subject}"></td></tr>
<tr><td colspan="2"><textarea name="body" rows="14" cols="72">
${values.body}</textarea></td></tr>
</table>
<div class="buttons"><button type="submit">送信</button> <a href="/mail/list">キャンセル</a></div>
</form>`;

  route(app, deps, 'GET', '/mail/compose', { data: home, back: () => '/mail/list' }, (c) => {
    const q = queryOf(c.req);
    const signature = c.deps.site.domain.webdata.signature(c.user);
    const body = signature ? `\n\n${signature.replace(/\r\n/g, '\n')}` : '';
    return page('メールの作成', composeForm(c, { to: text(q, 'to', 2000), subject: text(q, 'subject', 200), body }));
  });

  route(app, deps, 'POST', '/mail/send', {
    data: (c) => [c.deps.site.homeServer(c.user), ...recipientsOf(c).map((r) => c.deps.site.homeServer(r))],
    form: (c, f) => composeForm(c, { to: str(f.to), subject: str(f.subject), body: str(f.body) }),
  }, (c) => {
    const f = fieldsOf(c.req);
    const to = recipientsOf(c);
    const subject = text(f, 'subject', 200);
    const body = text(f, 'body', 100_000);
    if (!to.length) throw new InputError('宛先を入力してください。');
    if (/[\r\n]/.test(subject)) throw new InputError('件名に改行は使えません。');
    const raw = buildMessage(c.user, to, subject, body);
    const access = c.deps.site.domain.access;
    c.deps.site.domain.mail.send(access.account(c.user)!, to.map((r) => access.account(r)!), raw);
    return page('送信しました', html`<h1>メールの作成</h1><p class="notice" id="sent">メールを送信しました。(宛先: ${to.join(', ')})</p>
<div class="buttons"><a href="/mail/list">メール一覧へ</a></div>`);
  });

  // Delete one or several: to WasteBox (from WasteBox: removed for good).
  route(app, deps, 'POST', '/mail/delete', { data: home, back: (c) => `/mail/list${query({ folder: str(fieldsOf(c.req).folder) })}` }, (c) => {
    const f = fieldsOf(c.req);
    const folder = folderOf(c, f.folder);
    const uids = list(f, 'uid').map((u) => id(u, 'uid'));
    if (!uids.length) throw new InputError('削除するメールを選択してください。', 400, `/mail/list${query({ folder })}`);
    const deleted = c.deps.site.domain.mail.delete(c.deps.site.domain.access.account(c.user)!, folder, uids);
    if (!deleted.ok) throw new InputError('指定されたフォルダはありません。', 404, '/mail/list');
    return { redirect: `/mail/list${query({ folder })}` };
  });

  // メールの署名 (web-service-specific data).
  const signatureForm = (c: Ctx, body: string) => html`<h1>メールの署名</h1>
<form method="post" action="/mail/signature">${csrfField(c.session.csrf)}
<textarea name="body" rows="6" cols="60" maxlength="4000" id="signature">
${body}</textarea>
<div class="buttons"><button type="submit">保存</button></div>
</form>`;
  route(app, deps, 'GET', '/mail/signature', { data: home, back: () => '/mail/list' }, (c) => {
    const q = queryOf(c.req);
    const signature = c.deps.site.domain.webdata.signature(c.user);
    return page('メールの署名', html`${q.saved ? html`<p class="notice">署名を保存しました。</p>` : ''}${signatureForm(c, signature.replace(/\r\n/g, '\n'))}
<h2>現在の署名</h2><pre class="body" id="signature-current">${signature}</pre>`);
  });
  route(app, deps, 'POST', '/mail/signature', { data: home, form: (c, f) => signatureForm(c, str(f.body)) }, (c) => {
    const body = text(fieldsOf(c.req), 'body', 4000);
    c.deps.site.domain.webdata.setSignature(c.user, body.replace(/\r?\n/g, '\r\n'));
    return { redirect: '/mail/signature?saved=1' };
  });
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
}

/** The recipients (existing accounts) of a send form; an unknown name is a 400. */
function recipientsOf(c: Ctx): string[] {
  const raw = text(fieldsOf(c.req), 'to', 2000);
  const names = raw.split(/[,\s、]+/).map((s) => s.trim()).filter(Boolean).map((s) => s.replace(new RegExp(`@${MAIL_DOMAIN.replace(/\./g, '\\.')}$`, 'i'), ''));
  if (names.length > MAX_RECIPIENTS) throw new InputError(`宛先は${MAX_RECIPIENTS}人までです。`);
  const out: string[] = [];
  for (const n of names) {
    const account = n.length <= 64 ? c.deps.site.domain.access.account(n) : null;
    if (!account) throw new InputError(`宛先 ${n} は登録されていません。`);
    if (!out.includes(account.name)) out.push(account.name);
  }
  return out;
}

