// The AME functions as data: name, service, arguments (JSON schema, which
// fastify checks and the OpenAPI page shows), the servers a call touches, and
// a handler that works on the domain repositories. The names are the
// emulator's (the product's C names are not in our sources).

import type { Site } from '../../emulator/site.js';
import type { SiteServer } from '../../emulator/server.js';
import type { Account } from '../../emulator/store/directory.js';
import { checkFolderName, DEFAULT_FOLDERS, FOLDER_NAME_MAX } from '../../emulator/store/mail.js';
import { valueOrThrow } from '../../emulator/domain/index.js';
import { AmeError, RC } from './codes.js';
import type { AmeFunctionInfo, AmeFunctionName, AmeFunctions, LibraryDocument } from './types.js';

export const HOLD_MS_MAX = 10_000;
export const DEFAULT_MAIL_DOMAIN = 'teamware.example';

/** Options from `services.ame` (config file), each with its default. */
export interface AmeConfig {
  /** Functions that return the "another error" (-1) instead of -9/-10 while suspended (emulator default: library_lock, library_unlock). */
  otherErrorFunctions: string[];
  /** Domain of addresses built by mail_address_build and of mail_send's From (default teamware.example). */
  mailDomain: string;
}

export interface CallContext {
  site: Site;
  /** The server whose AME endpoint was called. */
  endpoint: SiteServer;
  account: Account;
  config: AmeConfig;
}

type Schema = Record<string, unknown> & { description: string };
type Service = AmeFunctionInfo['service'];

export interface FunctionSpec<N extends AmeFunctionName> {
  name: N;
  service: Service;
  description: string;
  args: Record<string, Schema>;
  required: string[];
  /** rcs besides 0 (and -2, -4, which any call can return; -9, -10, -1, -6 for every server call). */
  codes: number[];
  /** The servers holding the data the call touches (the endpoint's server is always touched too). Absent: a local function. */
  servers?: (ctx: CallContext, args: AmeFunctions[N]['args']) => SiteServer[];
  run: (ctx: CallContext, args: AmeFunctions[N]['args']) => AmeFunctions[N]['result'];
}

// ---- argument schemas ---------------------------------------------------

const folder = (d = 'folder name (default INBOX; OUTBOX = 送信メール, WasteBox = ごみ箱)'): Schema => ({ type: 'string', minLength: 1, maxLength: FOLDER_NAME_MAX * 4, description: d });
const uid: Schema = { type: 'integer', minimum: 1, description: 'message UID in the folder' };
const uids: Schema = { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 1000, description: 'message UIDs in the folder (1-1000)' };
const id = (what: string): Schema => ({ type: 'integer', minimum: 1, description: `${what} id` });
const text = (d: string, max = 200): Schema => ({ type: 'string', minLength: 1, maxLength: max, description: d });
const dateTime = (d: string): Schema => ({ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?$', description: `${d}, local date-time like 2026-11-26T10:00` });
const recipients = (d: string): Schema => ({
  description: `${d}: account names or addresses whose local part is an account name (one string or 1-100)`,
  anyOf: [{ type: 'string', minLength: 1, maxLength: 320 }, { type: 'array', items: { type: 'string', minLength: 1, maxLength: 320 }, minItems: 1, maxItems: 100 }],
});
export const HOLD_MS_SCHEMA: Schema = {
  type: 'integer', minimum: 0, maximum: HOLD_MS_MAX,
  description: `emulator test aid (not a product argument): hold the server access for up to this many ms (0-${HOLD_MS_MAX}) before doing the work; a suspension of a touched server meanwhile cuts the call (ame.call-cut, rc -10 by default)`,
};

// ---- helpers ------------------------------------------------------------

const home = (ctx: CallContext) => [ctx.site.homeServer(ctx.account)];
const shared = (ctx: CallContext) => [ctx.site.sharedServer];
const directory = (ctx: CallContext) => [ctx.site.directoryServer];

function mustFolder(ctx: CallContext, name: string): string {
  return value(ctx.site.domain.mail.folder(ctx.account, name));
}

/** Header fields of a raw message (unfolded; RFC 2047 encoded words are left as they are). */
function headerFields(raw: Buffer): Record<string, string> {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    if (!(key in out)) out[key] = Buffer.from(line.slice(i + 1).trim(), 'latin1').toString('utf8');
  }
  return out;
}

const encodeWord = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`);

function displayAddress(displayName: string | undefined, addrSpec: string): string {
  if (!displayName) return addrSpec;
  const name = /^[\x20-\x7e]*$/.test(displayName) ? `"${displayName.replace(/(["\\])/g, '\\$1')}"` : encodeWord(displayName);
  return `${name} <${addrSpec}>`;
}

const USER = /^[A-Za-z0-9._-]{1,32}$/;
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function resolveRecipients(ctx: CallContext, list: string | string[] | undefined): Account[] {
  const found = ctx.site.domain.directory.recipients(list === undefined ? [] : Array.isArray(list) ? list : [list]);
  if (!found.ok) throw new AmeError(RC.NOT_FOUND, `${found.message}: nothing was sent`);
  return found.value;
}

function docView(d: { id: number; title: string; lockedBy: string | null; updatedAt: string }): LibraryDocument {
  return { id: d.id, title: d.title, lockedBy: d.lockedBy, updatedAt: d.updatedAt };
}

/** The value of a domain outcome; a refusal becomes the catalogue's error, whose AME rc the plugin answers with. */
const value = valueOrThrow;

/** The server holding the caller's reservation `id` (home when there is none: the call then answers -3 or -5). */
function reservationServers(ctx: CallContext, a: { id: number; server?: string }): SiteServer[] {
  const r = ctx.site.domain.calendar.own(ctx.account.name, a);
  return r.ok ? [ctx.site.server(r.value.server)] : home(ctx);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];

interface DateParts { year: number; month: number; day: number; hour: number; minute: number; second: number }

function checkParts(p: DateParts, text: string): DateParts {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second));
  const ok = p.year >= 1 && p.year <= 9999 && d.getUTCFullYear() === p.year && d.getUTCMonth() === p.month - 1 && d.getUTCDate() === p.day &&
    p.hour <= 23 && p.minute <= 59 && p.second <= 59;
  if (!ok) throw new AmeError(RC.ARGUMENT, `${JSON.stringify(text)} is not a valid date`);
  return p;
}

const DATE_FORMS: RegExp[] = [
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/,
  /^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})時(?:(\d{1,2})分)?(?:(\d{1,2})秒)?)?$/,
];

/** Parses YYYY-MM-DD, YYYY/MM/DD (optional time HH:MM[:SS] after T or a space) and 2026年11月26日 10時30分. */
export function parseDate(text: string): DateParts {
  for (const form of DATE_FORMS) {
    const m = form.exec(text.trim());
    if (m) {
      const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
      return checkParts({ year: n(1), month: n(2), day: n(3), hour: n(4), minute: n(5), second: n(6) }, text);
    }
  }
  throw new AmeError(RC.ARGUMENT, `cannot parse ${JSON.stringify(text)} as a date (forms: 2026-11-26, 2026/11/26 10:30, 2026-11-26T10:30:00, 2026年11月26日 10時30分)`);
}

const weekday = (p: DateParts) => new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
const iso = (p: DateParts) => `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;

// ---- the functions --------------------------------------------------------

type Registry = { [N in AmeFunctionName]: FunctionSpec<N> };

export const FUNCTIONS: Registry = {
  mail_list: {
    name: 'mail_list', service: 'mail', codes: [RC.NOT_FOUND],
    description: 'Lists the messages of one of the caller\'s folders (newest last), paged: `offset` (default 0), `limit` (1-1000, default 100). Header values are as in the message (RFC 2047 encoded words are not decoded).',
    args: { folder: folder(), offset: { type: 'integer', minimum: 0, description: 'messages to skip (default 0)' }, limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'at most this many (default 100)' } },
    required: [], servers: home,
    run(ctx, a) {
      const mail = ctx.site.domain.mail.mailbox(ctx.account);
      const name = mustFolder(ctx, a.folder ?? 'INBOX');
      const all = mail.messages(ctx.account.name, name);
      const page = all.slice(a.offset ?? 0, (a.offset ?? 0) + (a.limit ?? 100));
      return {
        folder: name, total: all.length,
        messages: page.map((m) => {
          const h = headerFields(mail.raw(ctx.account.name, name, m.uid) ?? Buffer.alloc(0));
          return { uid: m.uid, size: m.size, date: m.internalDate, flags: m.flags, from: h.from ?? '', to: h.to ?? '', subject: h.subject ?? '' };
        }),
      };
    },
  },
  mail_read: {
    name: 'mail_read', service: 'mail', codes: [RC.NOT_FOUND],
    description: 'Reads one message: its raw RFC 5322 text (`raw`, decoded as UTF-8; `rawBase64` holds the exact bytes). Marks it \\Seen unless `peek` is true.',
    args: { folder: folder(), uid, peek: { type: 'boolean', description: 'do not mark the message \\Seen (default false)' } },
    required: ['uid'], servers: home,
    run(ctx, a) {
      const mail = ctx.site.domain.mail.mailbox(ctx.account);
      const name = mustFolder(ctx, a.folder ?? 'INBOX');
      const raw = mail.raw(ctx.account.name, name, a.uid);
      if (!raw) throw new AmeError(RC.NOT_FOUND, `no message with UID ${a.uid} in ${name}`);
      const meta = a.peek ? mail.messages(ctx.account.name, name).find((m) => m.uid === a.uid)! : mail.setFlags(ctx.account.name, name, [a.uid], ['\\Seen'], 'add')[0]!;
      return { folder: name, uid: a.uid, size: raw.length, flags: meta.flags, raw: raw.toString('utf8'), rawBase64: raw.toString('base64') };
    },
  },
  mail_send: {
    name: 'mail_send', service: 'mail', codes: [RC.NOT_FOUND],
    description: 'Sends a plain-text mail (UTF-8) to TeamWARE users: delivered to each recipient\'s INBOX, a copy in the caller\'s OUTBOX (送信メール). An unknown recipient is -3 and nothing is sent.',
    args: { to: recipients('recipients'), cc: recipients('copy recipients'), subject: { type: 'string', maxLength: 998, description: 'subject (may be empty)' }, body: { type: 'string', maxLength: 1_000_000, description: 'plain-text body' } },
    required: ['to', 'subject', 'body'],
    // Sending resolves the recipients in the Directory and delivers on their home servers.
    servers: (ctx, a) => {
      const out = [ctx.site.homeServer(ctx.account), ctx.site.directoryServer];
      for (const r of [a.to, a.cc].flat()) {
        const account = typeof r === 'string' ? ctx.site.domain.access.account(r.trim().replace(/^.*<([^>]*)>\s*$/, '$1').split('@')[0]!) : null;
        if (account && !out.includes(ctx.site.homeServer(account))) out.push(ctx.site.homeServer(account));
      }
      return [...new Set(out)];
    },
    run(ctx, a) {
      const to = resolveRecipients(ctx, a.to);
      const cc = resolveRecipients(ctx, a.cc).filter((r) => !to.some((t) => t.name === r.name));
      const domain = ctx.config.mailDomain;
      const addr = (r: Account) => displayAddress(r.displayName, `${r.name}@${domain}`);
      const raw = [
        `From: ${addr(ctx.account)}`,
        `To: ${to.map(addr).join(', ')}`,
        ...(cc.length ? [`Cc: ${cc.map(addr).join(', ')}`] : []),
        `Subject: ${encodeWord(a.subject.replace(/[\r\n]+/g, ' '))}`,
        'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit',
        '', a.body.replace(/\r?\n/g, '\r\n'), '',
      ].join('\r\n');
      // Date, Message-ID and Return-Path: the delivery's stamp (the site's clock).
      const sent = ctx.site.domain.mail.send(ctx.account, [...to, ...cc], raw);
      return { messageId: sent.messageId, delivered: sent.delivered.map((d) => ({ user: d.user, uid: d.uid })), outboxUid: sent.outboxUid };
    },
  },
  mail_delete: {
    name: 'mail_delete', service: 'mail', codes: [RC.NOT_FOUND],
    description: 'Deletes messages: moves them to WasteBox (ごみ箱); from WasteBox itself they are removed for good. -3 when none of the UIDs exists; otherwise 0, with the missing ones listed.',
    args: { folder: folder(), uids }, required: ['uids'], servers: home,
    run(ctx, a) {
      const mail = ctx.site.domain.mail.mailbox(ctx.account);
      const name = mustFolder(ctx, a.folder ?? 'INBOX');
      const present = new Set(mail.messages(ctx.account.name, name).map((m) => m.uid));
      const wanted = [...new Set(a.uids)];
      const found = wanted.filter((u) => present.has(u));
      if (!found.length) throw new AmeError(RC.NOT_FOUND, `none of the UIDs ${wanted.join(', ')} is in ${name}`);
      const done = value(ctx.site.domain.mail.delete(ctx.account, name, found));
      const deleted = done.permanently ? done.removed : done.moved.map(([u]) => u);
      return { folder: name, deleted, missing: wanted.filter((u) => !present.has(u)), permanently: done.permanently };
    },
  },
  mail_move: {
    name: 'mail_move', service: 'mail', codes: [RC.NOT_FOUND],
    description: 'Moves messages to another of the caller\'s folders; answers their new UIDs. -3 when a folder or every UID is missing.',
    args: { folder: folder(), uids, to: folder('destination folder') }, required: ['uids', 'to'], servers: home,
    run(ctx, a) {
      const mail = ctx.site.domain.mail.mailbox(ctx.account);
      const name = mustFolder(ctx, a.folder ?? 'INBOX');
      const dest = mustFolder(ctx, a.to);
      if (dest === name) throw new AmeError(RC.ARGUMENT, 'source and destination folder are the same');
      const present = new Set(mail.messages(ctx.account.name, name).map((m) => m.uid));
      const wanted = [...new Set(a.uids)];
      const found = wanted.filter((u) => present.has(u));
      if (!found.length) throw new AmeError(RC.NOT_FOUND, `none of the UIDs ${wanted.join(', ')} is in ${name}`);
      const { pairs } = mail.copy(ctx.account.name, name, found, dest, { move: true });
      return { folder: name, to: dest, moved: pairs.map(([u, n]) => ({ uid: u, newUid: n })), missing: wanted.filter((u) => !present.has(u)) };
    },
  },
  calendar_list: {
    name: 'calendar_list', service: 'calendar', codes: [],
    description: 'Lists the caller\'s reservations (personal schedule and facility reservations, each with the `server` holding it), optionally those ending at or after `from` and starting before `to`.',
    args: { from: dateTime('from'), to: dateTime('to') }, required: [], servers: (ctx) => ctx.site.domain.calendar.serversOf(ctx.account.name),
    run: (ctx, a) => ({ reservations: ctx.site.domain.calendar.list(ctx.account.name, { from: a.from, to: a.to }) }),
  },
  calendar_create: {
    name: 'calendar_create', service: 'calendar', codes: [RC.NOT_FOUND, RC.REFUSED],
    description: 'Creates a reservation in the caller\'s schedule; `facilityId` reserves a facility too, kept with the facility on the shared server (-3 if there is no such facility, -5 if the caller is not permitted to use it (利用許可) or it is already reserved for an overlapping time).',
    args: { title: text('title'), start: dateTime('start'), end: dateTime('end'), note: { type: 'string', maxLength: 2000, description: 'note' }, facilityId: id('facility') },
    required: ['title', 'start', 'end'], servers: (ctx, a) => [ctx.site.domain.calendar.placement(ctx.account.name, a.facilityId)],
    run: (ctx, a) => ({ reservation: value(ctx.site.domain.calendar.create(ctx.account.name, { title: a.title, start: a.start, end: a.end, note: a.note, facilityId: a.facilityId })) }),
  },
  calendar_update: {
    name: 'calendar_update', service: 'calendar', codes: [RC.NOT_FOUND, RC.REFUSED],
    description: 'Changes a reservation of the caller (title, start, end, note). `server` names the server holding it where the id is on two of the caller\'s servers (calendar_list shows it). -3 if there is no such reservation, -5 if it is another user\'s or its facility is already reserved for the new time.',
    args: { id: id('reservation'), server: text('server holding the reservation (calendar_list)', 32), title: text('title'), start: dateTime('start'), end: dateTime('end'), note: { type: 'string', maxLength: 2000, description: 'note' } },
    required: ['id'], servers: reservationServers,
    run: (ctx, a) => ({ reservation: value(ctx.site.domain.calendar.update(ctx.account.name, { id: a.id, server: a.server }, { title: a.title, start: a.start, end: a.end, note: a.note })) }),
  },
  calendar_delete: {
    name: 'calendar_delete', service: 'calendar', codes: [RC.NOT_FOUND, RC.REFUSED],
    description: 'Deletes a reservation of the caller (`server` as for calendar_update). -3 if there is no such reservation, -5 if it is another user\'s.',
    args: { id: id('reservation'), server: text('server holding the reservation (calendar_list)', 32) }, required: ['id'], servers: reservationServers,
    run(ctx, a) {
      value(ctx.site.domain.calendar.delete(ctx.account.name, { id: a.id, server: a.server }));
      return { id: a.id };
    },
  },
  forum_list: {
    name: 'forum_list', service: 'forum', codes: [],
    description: 'Lists the forums with their number of posts.',
    args: {}, required: [], servers: shared,
    run: (ctx) => ({ forums: ctx.site.domain.forum.forums() }),
  },
  forum_read: {
    name: 'forum_read', service: 'forum', codes: [RC.NOT_FOUND],
    description: 'Reads a forum\'s posts (oldest first), or only the post `postId`. -3 if the forum or the post does not exist.',
    args: { forumId: id('forum'), postId: id('post') }, required: ['forumId'], servers: shared,
    run: (ctx, a) => value(ctx.site.domain.forum.posts(a.forumId, a.postId)),
  },
  forum_post: {
    name: 'forum_post', service: 'forum', codes: [RC.NOT_FOUND],
    description: 'Posts to a forum as the caller. -3 if the forum does not exist.',
    args: { forumId: id('forum'), title: text('title'), body: { type: 'string', maxLength: 100_000, description: 'body' } },
    required: ['forumId', 'title', 'body'], servers: shared,
    run: (ctx, a) => ({ post: value(ctx.site.domain.forum.post(a.forumId, ctx.account.name, { title: a.title, body: a.body })) }),
  },
  directory_lookup: {
    name: 'directory_lookup', service: 'directory', codes: [RC.NOT_FOUND],
    description: 'Looks up a user in the Directory (no password). -3 if there is no such user.',
    args: { name: text('account name', 32) }, required: ['name'], servers: directory,
    run: (ctx, a) => ({ user: value(ctx.site.domain.directory.lookup(a.name)) }),
  },
  directory_list: {
    name: 'directory_list', service: 'directory', codes: [],
    description: 'Lists the users in the Directory, optionally of one department.',
    args: { department: text('department', 100) }, required: [], servers: directory,
    run: (ctx, a) => ({ users: ctx.site.domain.directory.list(a.department) }),
  },
  library_list: {
    name: 'library_list', service: 'library', codes: [],
    description: 'Lists the library documents with their lock state.',
    args: {}, required: [], servers: shared,
    run: (ctx) => ({ documents: ctx.site.domain.library.documents().map(docView) }),
  },
  library_lock: {
    name: 'library_lock', service: 'library', codes: [RC.NOT_FOUND, RC.REFUSED],
    description: 'Locks a document for the caller (again: no change). -3 if there is no such document, -5 if another user holds the lock.',
    args: { id: id('document') }, required: ['id'], servers: shared,
    run: (ctx, a) => ({ document: docView(value(ctx.site.domain.library.lock(a.id, ctx.account.name))) }),
  },
  library_unlock: {
    name: 'library_unlock', service: 'library', codes: [RC.NOT_FOUND, RC.REFUSED],
    description: 'Unlocks a document (not locked: no change). -3 if there is no such document, -5 if another user holds the lock and the caller is not an administrator.',
    args: { id: id('document') }, required: ['id'], servers: shared,
    run: (ctx, a) => ({ document: docView(value(ctx.site.domain.library.unlock(a.id, ctx.account))) }),
  },
  ame_version: {
    name: 'ame_version', service: 'local', codes: [],
    description: 'The version of the (emulated) application execution module. Does not touch the server.',
    args: {}, required: [],
    run: () => ({ version: '2.0', product: 'TeamWARE Office 200X V2.0 application execution module (emulated by twemu)', emulated: true }),
  },
  date_parse: {
    name: 'date_parse', service: 'local', codes: [],
    description: 'Parses a date: 2026-11-26, 2026/11/26, with an optional time 10:30 or 10:30:00 after a space or T, or 2026年11月26日 10時30分. Answers its parts, the weekday (0 = Sunday) and ISO form. -2 if it is not a valid date. Does not touch the server.',
    args: { text: text('the date text', 100) }, required: ['text'],
    run: (_ctx, a) => {
      const p = parseDate(a.text);
      return { ...p, weekday: weekday(p), iso: iso(p) };
    },
  },
  date_format: {
    name: 'date_format', service: 'local', codes: [],
    description: 'Formats a date (any form date_parse reads) with tokens YYYY MM DD hh mm ss and ddd (weekday 日..土); default format `YYYY/MM/DD hh:mm`. -2 if the date is not valid. Does not touch the server.',
    args: { date: text('the date', 100), format: { type: 'string', minLength: 1, maxLength: 200, description: 'format (default YYYY/MM/DD hh:mm)' } }, required: ['date'],
    run: (_ctx, a) => {
      const p = parseDate(a.date);
      const tokens: Record<string, string> = { YYYY: pad(p.year, 4), MM: pad(p.month), DD: pad(p.day), hh: pad(p.hour), mm: pad(p.minute), ss: pad(p.second), ddd: WEEKDAYS_JA[weekday(p)]! };
      return { text: (a.format ?? 'YYYY/MM/DD hh:mm').replace(/YYYY|MM|DD|hh|mm|ss|ddd/g, (t) => tokens[t]!) };
    },
  },
  mail_address_build: {
    name: 'mail_address_build', service: 'local', codes: [],
    description: 'Builds a mail address from an account name, a domain (default: services.ame.mailDomain, teamware.example) and an optional display name (RFC 2047 encoded when not ASCII). Does not check that the user exists; does not touch the server. -2 for a malformed name or domain.',
    args: { user: text('account name', 64), domain: text('mail domain', 253), displayName: text('display name', 200) }, required: ['user'],
    run: (ctx, a) => {
      if (!USER.test(a.user)) throw new AmeError(RC.ARGUMENT, `user ${JSON.stringify(a.user)} must be 1-32 letters, digits, '.', '_' or '-'`);
      const domain = a.domain ?? ctx.config.mailDomain;
      if (!DOMAIN.test(domain)) throw new AmeError(RC.ARGUMENT, `domain ${JSON.stringify(domain)} is not a valid domain name`);
      const addrSpec = `${a.user}@${domain}`;
      return { address: displayAddress(a.displayName?.replace(/[\r\n]+/g, ' '), addrSpec), addrSpec };
    },
  },
  folder_name_validate: {
    name: 'folder_name_validate', service: 'local', codes: [],
    description: `Checks a folder name against the product's rules (1-${FOLDER_NAME_MAX} characters, none of \\ " ( ) { } or control characters): rc 0 with \`valid\` and the \`reason\` when not; \`reserved\` for INBOX, OUTBOX, WasteBox. Does not touch the server.`,
    args: { name: { type: 'string', maxLength: 10_000, description: 'the folder name' } }, required: ['name'],
    run: (_ctx, a) => {
      const reserved = (DEFAULT_FOLDERS as readonly string[]).some((f) => f.toUpperCase() === 'INBOX' ? a.name.toUpperCase() === 'INBOX' : f === a.name);
      try {
        checkFolderName(a.name);
        return { valid: true, reserved };
      } catch (err) {
        return { valid: false, reserved, reason: (err as Error).message };
      }
    },
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as AmeFunctionName[];

export function touchesServer(spec: FunctionSpec<AmeFunctionName>): boolean {
  return spec.servers !== undefined;
}

/** The JSON schema of a function's body (what fastify checks and OpenAPI shows). */
export function bodySchema(spec: FunctionSpec<AmeFunctionName>): Record<string, unknown> {
  const properties: Record<string, unknown> = { ...spec.args, ...(touchesServer(spec) ? { holdMs: HOLD_MS_SCHEMA } : {}) };
  return { type: 'object', properties, ...(spec.required.length ? { required: spec.required } : {}) };
}

/** Every rc a function can return. */
export function codesOf(spec: FunctionSpec<AmeFunctionName>): number[] {
  const server = touchesServer(spec) ? [RC.SERVER, RC.SERVICE_NOT_PERMITTED, RC.SUSPENDED, RC.CUT] : [];
  return [...new Set([0, RC.ARGUMENT, RC.AUTH, ...spec.codes, ...server])].sort((a, b) => b - a);
}

export function describe(spec: FunctionSpec<AmeFunctionName>): AmeFunctionInfo {
  const args = touchesServer(spec) ? { ...spec.args, holdMs: HOLD_MS_SCHEMA } : spec.args;
  return {
    name: spec.name, service: spec.service, touchesServer: touchesServer(spec), description: spec.description,
    arguments: Object.entries(args).map(([name, s]) => ({
      name, type: typeof s.type === 'string' ? s.type : 'string | string[]', required: spec.required.includes(name), description: s.description,
    })),
    codes: codesOf(spec),
  };
}
