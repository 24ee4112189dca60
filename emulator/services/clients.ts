import { randomBytes } from 'node:crypto';
import type { Site } from '../site.js';
import type { SiteServer } from '../server.js';
import type { Account, ServiceName, ServiceSet } from '../store/directory.js';
import { SERVICE_NAMES } from '../store/directory.js';
import { BadRequest, NotFound, TwemuError } from '../errors.js';
import { encodeHeader } from './options.js';
import { valueOrThrow, visibleAccount, type Located } from '../domain/index.js';

// The desktop clients' operations (administrator guide 19.3.1: TeamWARE Admin,
// Directory, Mail, Calendar, Forum, the integration kit, the client level-up
// tool). The desktop clients speak a protocol of their own, so the emulator
// offers each operation as a call whose answer is what the client would show:
//   {ok: true, ...}                                     the operation succeeded
//   {ok: false, behaviour, dialog, effect, ...}        a catalog behaviour fired
// `dialog` holds the exact texts of the dialogs, in order (empty when the
// client shows none). The data effects (partly applied changes) are real.

export type ClientAnswer = { ok: true; [k: string]: unknown } | {
  ok: false;
  /** The most specific behaviour that fired. */
  behaviour: string;
  /** Every behaviour that fired, in order (directory.busy, then its effect row). */
  behaviours: string[];
  dialog: string[];
  effect: string;
  [k: string]: unknown;
};

export interface ClientContext {
  site: Site;
  user: Account;
  body: Record<string, unknown>;
}

/** One operation of a desktop client: declarative, one handler each. */
export interface ClientOperation {
  service: string;
  operation: string;
  /** The client's name, as in the catalog (shown on the event stream). */
  client: string;
  description: string;
  /** Only administrators (isAdmin, e.g. ADMIN) may call it. */
  admin: boolean;
  run(ctx: ClientContext): ClientAnswer;
}

// ---- input checks (bad input is a 400 with the reason) -----------------------

function str(body: Record<string, unknown>, key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw new BadRequest('E_BAD_REQUEST', `"${key}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new BadRequest('E_BAD_REQUEST', `"${key}" must be a string`);
  if (opts.required && v.length === 0) throw new BadRequest('E_BAD_REQUEST', `"${key}" must not be empty`);
  if (v.length > (opts.max ?? 10_000)) throw new BadRequest('E_BAD_REQUEST', `"${key}" is longer than ${opts.max ?? 10_000} characters`);
  return v;
}

function int(body: Record<string, unknown>, key: string): number {
  const v = body[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new BadRequest('E_BAD_REQUEST', `"${key}" must be a positive integer`);
  return v;
}

function intList(body: Record<string, unknown>, key: string, max = 1000): number[] {
  const v = body[key];
  if (!Array.isArray(v) || v.length === 0 || v.length > max || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1)) {
    throw new BadRequest('E_BAD_REQUEST', `"${key}" must be a list of 1 to ${max} positive integers`);
  }
  return [...new Set(v as number[])];
}

function strList(body: Record<string, unknown>, key: string, opts: { required?: boolean; max?: number } = {}): string[] | undefined {
  let v = body[key];
  if (v === undefined || v === null) {
    if (opts.required) throw new BadRequest('E_BAD_REQUEST', `"${key}" is required`);
    return undefined;
  }
  if (typeof v === 'string') v = [v];
  const max = opts.max ?? 100;
  if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 200)) {
    throw new BadRequest('E_BAD_REQUEST', `"${key}" must be a list of up to ${max} non-empty strings`);
  }
  if (opts.required && v.length === 0) throw new BadRequest('E_BAD_REQUEST', `"${key}" must not be empty`);
  return v as string[];
}

function services(body: Record<string, unknown>): Partial<ServiceSet> | undefined {
  const v = body.services;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadRequest('E_BAD_REQUEST', '"services" must be an object like {"mail": false}');
  const out: Partial<ServiceSet> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(k)) throw new BadRequest('E_BAD_REQUEST', `unknown service "${k}" (the services are ${SERVICE_NAMES.join(', ')})`);
    if (typeof x !== 'boolean') throw new BadRequest('E_BAD_REQUEST', `services.${k} must be true or false`);
    out[k as keyof ServiceSet] = x;
  }
  return out;
}

function optionSettings(body: Record<string, unknown>): string | null | undefined {
  if (body.optionSettings === null) return null;
  return str(body, 'optionSettings', { max: 20_000 });
}

function only(body: Record<string, unknown>, keys: string[]): void {
  const extra = Object.keys(body).filter((k) => !keys.includes(k));
  if (extra.length) throw new BadRequest('E_BAD_REQUEST', `unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')} (expected ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'none'})`);
}

/** An account as the clients see it (never the password): the Directory's rule. */
export { visibleAccount };

function fired(behaviours: string[], dialog: string[], effect: string, extra: Record<string, unknown> = {}): ClientAnswer {
  return { ok: false, behaviour: behaviours[behaviours.length - 1]!, behaviours, dialog, effect, ...extra };
}

/** Header values must not carry line breaks (header injection). */
function headerSafe(key: string, text: string): string {
  if (/[\r\n]/.test(text)) throw new BadRequest('E_BAD_REQUEST', `"${key}" must not contain line breaks`);
  return text;
}

// ---- desktop sessions (Forum's login; ended by forum.refresh and admin.directory-launch) --------

interface DesktopSession { token: string; user: string; service: string; createdAt: string }
const sessionsBySite = new WeakMap<Site, Map<string, DesktopSession>>();

function sessions(site: Site): Map<string, DesktopSession> {
  let m = sessionsBySite.get(site);
  if (!m) sessionsBySite.set(site, (m = new Map()));
  return m;
}

function openSession(site: Site, user: string, service: string): DesktopSession {
  const all = sessions(site);
  // Bounded: a client that logs in again and again does not grow the map without end.
  if (all.size >= 10_000) all.delete(all.keys().next().value!);
  const s = { token: randomBytes(16).toString('hex'), user, service, createdAt: new Date(site.clock.now()).toISOString() };
  all.set(s.token, s);
  return s;
}

function requireSession(site: Site, user: Account, service: string, token: string): DesktopSession {
  const s = sessions(site).get(token);
  if (!s || s.user !== user.name || s.service !== service) {
    throw new TwemuError('E_LOGIN_AGAIN', `the ${service} session has ended or is unknown; log in again`, { hint: `POST /api/client/${service}/login` });
  }
  return s;
}

/** Ends every desktop session of a user (logged out); returns how many. */
function endSessions(site: Site, user: string): number {
  let n = 0;
  for (const [token, s] of sessions(site)) if (s.user === user) { sessions(site).delete(token); n++; }
  return n;
}

// ---- helpers for the gate --------------------------------------------------

const ctxOf = (op: ClientOperation, user: Account) => ({ operation: `${op.service}/${op.operation}`, client: op.client, user: user.name });

/**
 * Directory operations (TeamWARE Directory, user management): while the
 * directory server is suspended, `directory.busy` shows its dialog; when it
 * does, the operation's own row (`rowId`) may leave a partial effect
 * (`partial`). With the row's policy `never` (the "may" not happening this
 * time), the dialog shows and the operation is applied normally (effect
 * `applied-normally`, no partial effect); with `directory.busy`'s policy
 * `never`, the operation proceeds normally without the dialog. Operations
 * without a row (account-get, template-get) show the dialog alone.
 */
function directoryOperation(op: ClientOperation, ctx: ClientContext, rowId: string | null, normal: () => ClientAnswer,
  partial?: () => { effect: string; extra?: Record<string, unknown> }): ClientAnswer {
  const server = ctx.site.directoryServer;
  const c = ctxOf(op, ctx.user);
  warnUserManagementDuringBackup(ctx.site, c);
  const busy = server.gate('directory.busy', c);
  if (busy.allowed) return normal();
  if (rowId && partial) {
    const row = server.fire(rowId, c);
    if (row.fires) {
      const { effect, extra } = partial();
      return fired(['directory.busy', rowId], busy.messages, effect, extra);
    }
    const { ok: _ok, ...applied } = normal();
    return fired(['directory.busy'], busy.messages, 'applied-normally', applied);
  }
  return fired(['directory.busy'], busy.messages, 'not-applied');
}

/** The seed's note on user management during an online backup (19.3.1), word for word. */
export const USER_MANAGEMENT_NOTE = 'オンラインバックアップ中はユーザ管理情報の操作は行わないでください。';

/**
 * A user-management operation while a backup cycle runs (from the first
 * `to tran suspend` to the last `to backup off`): a `warning` event naming the
 * seed's note. The operation itself behaves as the catalog says.
 */
function warnUserManagementDuringBackup(site: Site, c: ReturnType<typeof ctxOf>): void {
  const cycle = site.cycle.current;
  if (!cycle) return;
  site.events.emit({ type: 'warning', server: site.directoryServer.name, operation: c.operation, client: c.client, user: c.user,
    rule: 'no-user-management-during-backup',
    message: `${c.operation} during the online backup cycle (since ${cycle.startedAt}): the administrator guide says 「${USER_MANAGEMENT_NOTE}」 (19.3.1)`,
    data: { note: USER_MANAGEMENT_NOTE, source: 'seed', cycleStartedAt: cycle.startedAt } });
}

/** The refusal of a domain outcome as the catalogue's error (4xx on the control API). */
const valueOf = valueOrThrow;

/** The user's reservation (another user's is not found: no peeking by id). */
function ownReservation(site: Site, user: Account, ref: { id: number; server?: string }): Located {
  const r = site.domain.calendar.own(user.name, ref);
  if (!r.ok && r.refused !== 'bad-input') throw new NotFound('E_NO_RESERVATION', `no reservation ${ref.id} of ${user.name}`);
  return valueOf(r);
}

function mustAccount(site: Site, name: string): Account {
  const a = site.domain.directory.account(name);
  if (!a.ok) throw new NotFound('E_NO_ACCOUNT', a.message);
  return a.value;
}

/** A template-name refusal as TeamWARE Directory's error. */
function templateRefused(r: { refused: string; message: string }): never {
  if (r.refused === 'exists') throw new BadRequest('E_TEMPLATE_EXISTS', r.message);
  throw new NotFound('E_NO_TEMPLATE', r.message);
}

function print(site: Site, server: SiteServer, withLines: boolean) {
  const accounts = site.domain.directory.accounts();
  return {
    header: `TeamWARE Directory: user accounts (${server.name})`,
    lines: withLines ? accounts.map((a) => `${a.name}\t${a.displayName}\t${a.department}\t${SERVICE_NAMES.filter((s) => a.services[s]).join(',')}`) : [],
    footer: `printed ${new Date(site.clock.now()).toISOString()}`,
  };
}

// ---- the operations --------------------------------------------------------

const ops: ClientOperation[] = [
  // TeamWARE Admin -------------------------------------------------------------
  {
    service: 'admin', operation: 'calendar-update', client: 'TeamWARE Admin', admin: true,
    description: 'Updates a facility calendar\'s information (who may reserve it). Body: {"facilityId": N, "permitted": ["alice", ...]}. Suspended directory server: admin.calendar-update.',
    run(ctx) {
      only(ctx.body, ['facilityId', 'permitted']);
      const facilityId = int(ctx.body, 'facilityId');
      const permitted = strList(ctx.body, 'permitted', { required: true })!;
      for (const u of permitted) mustAccount(ctx.site, u);
      if (!ctx.site.domain.calendar.facility(facilityId)) throw new NotFound('E_NO_FACILITY', `no facility ${facilityId}`);
      const gate = ctx.site.directoryServer.gate('admin.calendar-update', ctxOf(this, ctx.user));
      if (!gate.allowed) return fired(['admin.calendar-update'], gate.messages, 'not-updated');
      return { ok: true, facility: valueOf(ctx.site.domain.calendar.setPermitted(facilityId, permitted)) };
    },
  },
  {
    service: 'admin', operation: 'directory-launch', client: 'TeamWARE Admin', admin: true,
    description: 'Starts Directory from the personal address book or the shared directory. Body: {"from": "address-book" | "shared-directory"}. Suspended directory server: admin.directory-launch (two dialogs; the user\'s desktop sessions end).',
    run(ctx) {
      only(ctx.body, ['from']);
      const from = str(ctx.body, 'from') ?? 'address-book';
      if (from !== 'address-book' && from !== 'shared-directory') throw new BadRequest('E_BAD_REQUEST', '"from" must be "address-book" or "shared-directory"');
      const gate = ctx.site.directoryServer.gate('admin.directory-launch', ctxOf(this, ctx.user));
      if (!gate.allowed) {
        const ended = endSessions(ctx.site, ctx.user.name);
        return fired(['admin.directory-launch'], gate.messages, 'logged-out', { loggedOut: true, sessionsEnded: ended });
      }
      return { ok: true, from, directory: ctx.site.domain.directory.list().map((a) => ({ name: a.name, displayName: a.displayName, department: a.department })) };
    },
  },

  // TeamWARE Directory (user management) ----------------------------------------
  {
    service: 'directory', operation: 'print', client: 'TeamWARE Directory', admin: true,
    description: 'Prints the user list. Suspended directory server: directory.busy, then directory.print (only the header and footer).',
    run(ctx) {
      only(ctx.body, []);
      const server = ctx.site.directoryServer;
      return directoryOperation(this, ctx, 'directory.print', () => ({ ok: true, printout: print(ctx.site, server, true) }),
        () => ({ effect: 'header-and-footer-only', extra: { printout: print(ctx.site, server, false) } }));
    },
  },
  {
    service: 'directory', operation: 'template-create', client: 'TeamWARE Directory', admin: true,
    description: 'Creates a user template. Body: {"name", "services"?, "optionSettings"?}. Suspended: directory.busy, then directory.template-create (created without the option settings file).',
    run(ctx) {
      only(ctx.body, ['name', 'services', 'optionSettings']);
      const input = { name: str(ctx.body, 'name', { required: true, max: 64 })!, services: services(ctx.body), optionSettings: optionSettings(ctx.body) };
      const directory = ctx.site.domain.directory;
      if (directory.template(input.name).ok) throw new BadRequest('E_TEMPLATE_EXISTS', `user template ${input.name} already exists`);
      const create = (opts: { applyOptionSettings?: boolean }) => {
        const t = directory.createTemplate(input, opts);
        return t.ok ? t.value : templateRefused(t);
      };
      return directoryOperation(this, ctx, 'directory.template-create', () => ({ ok: true, template: create({}) }),
        () => ({ effect: 'created-without-option-settings', extra: { template: create({ applyOptionSettings: false }) } }));
    },
  },
  {
    service: 'directory', operation: 'template-update', client: 'TeamWARE Directory', admin: true,
    description: 'Updates a user template. Body: {"name", "services"?, "optionSettings"?}. Suspended: directory.busy, then directory.template-update (updated, the option settings file not applied).',
    run(ctx) {
      only(ctx.body, ['name', 'services', 'optionSettings']);
      const name = str(ctx.body, 'name', { required: true, max: 64 })!;
      const patch = { services: services(ctx.body), optionSettings: optionSettings(ctx.body) };
      const directory = ctx.site.domain.directory;
      const current = directory.template(name);
      if (!current.ok) templateRefused(current);
      const update = (opts: { applyOptionSettings?: boolean }) => {
        const t = directory.updateTemplate(name, patch, opts);
        return t.ok ? t.value : templateRefused(t);
      };
      return directoryOperation(this, ctx, 'directory.template-update', () => ({ ok: true, template: update({}) }),
        () => ({ effect: 'updated-without-option-settings', extra: { template: update({ applyOptionSettings: false }) } }));
    },
  },
  {
    service: 'directory', operation: 'template-get', client: 'TeamWARE Directory', admin: true,
    description: 'Shows a user template. Body: {"name"}. Suspended: directory.busy.',
    run(ctx) {
      only(ctx.body, ['name']);
      const name = str(ctx.body, 'name', { required: true, max: 64 })!;
      return directoryOperation(this, ctx, null, () => {
        const t = ctx.site.domain.directory.template(name);
        return { ok: true, template: t.ok ? t.value : templateRefused(t) };
      });
    },
  },
  {
    service: 'directory', operation: 'account-create', client: 'TeamWARE Directory', admin: true,
    description: 'Creates a user account (and its mail folders). Body: {"name", "password", "displayName"?, "department"?, "template"?, "services"?, "optionSettings"?, "homeServer"?, "isAdmin"?}. Suspended: directory.busy, then directory.account-create (created without the option settings file).',
    run(ctx) {
      only(ctx.body, ['name', 'password', 'displayName', 'department', 'template', 'services', 'optionSettings', 'homeServer', 'isAdmin']);
      if (ctx.body.isAdmin !== undefined && typeof ctx.body.isAdmin !== 'boolean') throw new BadRequest('E_BAD_REQUEST', '"isAdmin" must be true or false');
      const input = {
        name: str(ctx.body, 'name', { required: true, max: 64 })!, password: str(ctx.body, 'password', { required: true, max: 200 })!,
        displayName: str(ctx.body, 'displayName', { max: 200 }), department: str(ctx.body, 'department', { max: 200 }),
        template: str(ctx.body, 'template', { max: 64 }), services: services(ctx.body) as ServiceSet | undefined, optionSettings: optionSettings(ctx.body) ?? undefined,
        homeServer: str(ctx.body, 'homeServer', { max: 64 }), isAdmin: ctx.body.isAdmin as boolean | undefined,
      };
      const may = ctx.site.domain.directory.mayCreateAccount(input);
      if (!may.ok && may.refused === 'exists') throw new BadRequest('E_ACCOUNT_EXISTS', may.message);
      if (!may.ok) throw new NotFound('E_NO_TEMPLATE', may.message);
      if (input.homeServer) ctx.site.server(input.homeServer);
      return directoryOperation(this, ctx, 'directory.account-create', () => ({ ok: true, account: visibleAccount(ctx.site.createUser(input)) }),
        () => ({ effect: 'created-without-option-settings', extra: { account: visibleAccount(ctx.site.createUser(input, { applyOptionSettings: false })) } }));
    },
  },
  {
    service: 'directory', operation: 'account-update', client: 'TeamWARE Directory', admin: true,
    description: 'Updates a user account. Body: {"name", "displayName"?, "password"?, "department"?, "services"?}. Suspended: directory.busy, then directory.account-update (not updated; where the update made Mail unavailable, only Mail becomes unavailable).',
    run(ctx) {
      only(ctx.body, ['name', 'displayName', 'password', 'department', 'services']);
      const name = str(ctx.body, 'name', { required: true, max: 64 })!;
      // A field that is absent or null is left as it is (null would otherwise reach the store as a missing value: a 500).
      const given = (k: string) => ctx.body[k] !== undefined && ctx.body[k] !== null;
      const patch = {
        ...(given('displayName') ? { displayName: str(ctx.body, 'displayName', { max: 200 }) } : {}),
        ...(given('password') ? { password: str(ctx.body, 'password', { required: true, max: 200 }) } : {}),
        ...(given('department') ? { department: str(ctx.body, 'department', { max: 200 }) } : {}),
        ...(given('services') ? { services: services(ctx.body) } : {}),
      };
      const account = mustAccount(ctx.site, name);
      const update = (p: typeof patch) => visibleAccount(valueOf(ctx.site.domain.directory.updateAccount(account.name, p)));
      return directoryOperation(this, ctx, 'directory.account-update', () => ({ ok: true, account: update(patch) }),
        () => {
          if (patch.services?.mail === false) {
            return { effect: 'only-mail-made-unavailable', extra: { account: update({ services: { mail: false } }) } };
          }
          return { effect: 'not-updated', extra: { account: visibleAccount(account) } };
        });
    },
  },
  {
    service: 'directory', operation: 'account-delete', client: 'TeamWARE Directory', admin: true,
    description: 'Deletes a user account. Body: {"name"}. Suspended: directory.busy, then directory.account-delete (not deleted; only Mail becomes unavailable).',
    run(ctx) {
      only(ctx.body, ['name']);
      const name = str(ctx.body, 'name', { required: true, max: 64 })!;
      const directory = ctx.site.domain.directory;
      const may = directory.mayDeleteAccount(ctx.user, name);
      if (!may.ok && may.refused === 'not-permitted') throw new BadRequest('E_DELETE_SELF', may.message);
      const account = may.ok ? may.value : mustAccount(ctx.site, name);
      return directoryOperation(this, ctx, 'directory.account-delete', () => ({ ok: true, deleted: valueOf(directory.deleteAccount(ctx.user, account.name)).name }),
        () => ({ effect: 'not-deleted-mail-made-unavailable', extra: { account: visibleAccount(valueOf(directory.updateAccount(account.name, { services: { mail: false } }))) } }));
    },
  },
  {
    service: 'directory', operation: 'account-get', client: 'TeamWARE Directory', admin: true,
    description: 'Shows a user account (its services, option settings). Body: {"name"}. Suspended: directory.busy.',
    run(ctx) {
      only(ctx.body, ['name']);
      const name = str(ctx.body, 'name', { required: true, max: 64 })!;
      return directoryOperation(this, ctx, null, () => ({ ok: true, account: visibleAccount(mustAccount(ctx.site, name)) }));
    },
  },

  // TeamWARE Mail ---------------------------------------------------------------
  {
    service: 'mail', operation: 'delete-multiple', client: 'TeamWARE Mail', admin: false,
    description: 'Deletes mails: moves them to ごみ箱 (WasteBox); in WasteBox, removes them. Body: {"folder"?: "INBOX", "uids": [N, ...]}. Suspended home server: mail.delete-multiple (the mails stay).',
    run(ctx) {
      only(ctx.body, ['folder', 'uids']);
      const folder = str(ctx.body, 'folder', { max: 200 }) ?? 'INBOX';
      const uids = intList(ctx.body, 'uids');
      const home = ctx.site.homeServer(ctx.user);
      ctx.site.domain.mail.ensureFolders(ctx.user);
      const f = ctx.site.domain.mail.folder(ctx.user, folder);
      if (!f.ok) throw new NotFound('E_NO_FOLDER', f.message);
      const gate = home.gate('mail.delete-multiple', ctxOf(this, ctx.user));
      if (!gate.allowed) return fired(['mail.delete-multiple'], gate.messages, 'not-moved', { notMoved: uids });
      const done = valueOf(ctx.site.domain.mail.delete(ctx.user, f.value, uids));
      if (done.permanently) return { ok: true, removed: done.removed };
      return { ok: true, moved: done.moved.map(([uid, wasteUid]) => ({ uid, wasteBoxUid: wasteUid })), notFound: uids.filter((u) => !done.moved.some(([x]) => x === u)) };
    },
  },

  // TeamWARE Calendar -------------------------------------------------------------
  {
    service: 'calendar', operation: 'open-reservation', client: 'TeamWARE Calendar', admin: false,
    description: 'Opens a reservation. Body: {"id": N, "server"?: the server holding it (a facility reservation: the shared server)}. Suspended server holding it: calendar.open-reservation (back to the main window, no message).',
    run(ctx) {
      only(ctx.body, ['id', 'server']);
      const r = ownReservation(ctx.site, ctx.user, { id: int(ctx.body, 'id'), server: str(ctx.body, 'server', { max: 40 }) });
      const gate = ctx.site.server(r.server).gate('calendar.open-reservation', ctxOf(this, ctx.user));
      if (!gate.allowed) return fired(['calendar.open-reservation'], gate.messages, 'returned-to-main-window');
      return { ok: true, reservation: r };
    },
  },
  {
    service: 'calendar', operation: 'update-reservation', client: 'TeamWARE Calendar', admin: false,
    description: 'Updates a reservation. Body: {"id": N, "server"?, "title"?, "start"?, "end"?, "note"?}. A facility reservation must stay free of clashes (409). Suspended server holding it: calendar.update-reservation.',
    run(ctx) {
      only(ctx.body, ['id', 'server', 'title', 'start', 'end', 'note']);
      const patch = Object.fromEntries((['title', 'start', 'end', 'note'] as const).filter((k) => ctx.body[k] !== undefined).map((k) => [k, str(ctx.body, k, { max: 2000 })]));
      const r = ownReservation(ctx.site, ctx.user, { id: int(ctx.body, 'id'), server: str(ctx.body, 'server', { max: 40 }) });
      const gate = ctx.site.server(r.server).gate('calendar.update-reservation', ctxOf(this, ctx.user));
      if (!gate.allowed) return fired(['calendar.update-reservation'], gate.messages, 'not-updated');
      return { ok: true, reservation: valueOf(ctx.site.domain.calendar.update(ctx.user.name, r, patch)) };
    },
  },
  {
    service: 'calendar', operation: 'delete-reservation', client: 'TeamWARE Calendar', admin: false,
    description: 'Deletes a reservation. Body: {"id": N, "server"?}. Suspended server holding it: calendar.delete-reservation.',
    run(ctx) {
      only(ctx.body, ['id', 'server']);
      const r = ownReservation(ctx.site, ctx.user, { id: int(ctx.body, 'id'), server: str(ctx.body, 'server', { max: 40 }) });
      const gate = ctx.site.server(r.server).gate('calendar.delete-reservation', ctxOf(this, ctx.user));
      if (!gate.allowed) return fired(['calendar.delete-reservation'], gate.messages, 'not-deleted');
      valueOf(ctx.site.domain.calendar.delete(ctx.user.name, r));
      return { ok: true, deleted: r.id };
    },
  },

  // TeamWARE Forum -------------------------------------------------------------------
  {
    service: 'forum', operation: 'login', client: 'TeamWARE Forum', admin: false,
    description: 'Logs in to Forum; answers a session for refresh. Works while suspended (the seed documents nothing for it).',
    run(ctx) {
      only(ctx.body, []);
      const s = openSession(ctx.site, ctx.user.name, 'forum');
      return { ok: true, session: s.token };
    },
  },
  {
    service: 'forum', operation: 'refresh', client: 'TeamWARE Forum', admin: false,
    description: '最新の情報に変更: the forum list. Body: {"session"} from forum/login. Suspended shared server: forum.refresh (no list; the session ends, log in again).',
    run(ctx) {
      only(ctx.body, ['session']);
      const token = str(ctx.body, 'session', { required: true, max: 200 })!;
      requireSession(ctx.site, ctx.user, 'forum', token);
      const forum = ctx.site.domain.forum;
      const gate = forum.server.gate('forum.refresh', ctxOf(this, ctx.user));
      if (!gate.allowed) {
        sessions(ctx.site).delete(token);
        return fired(['forum.refresh'], gate.messages, 'forum-list-not-shown', { forums: [], loginRequired: true });
      }
      return { ok: true, forums: forum.forums() };
    },
  },

  // TeamWARE Library (what the level-up tool's migration acts on) ---------------------
  {
    service: 'library', operation: 'documents', client: 'TeamWARE Library', admin: false,
    description: 'Lists the library documents with their lock state. Works while suspended (the seed documents nothing for the library client).',
    run(ctx) {
      only(ctx.body, []);
      return { ok: true, documents: ctx.site.domain.library.documents().map(({ body: _b, ...d }) => d) };
    },
  },
  {
    service: 'library', operation: 'lock', client: 'TeamWARE Library', admin: false,
    description: 'Locks a library document for the user (check-out). Body: {"id": N}. Works while suspended (the seed documents nothing for it).',
    run(ctx) {
      only(ctx.body, ['id']);
      const locked = ctx.site.domain.library.lock(int(ctx.body, 'id'), ctx.user.name);
      if (!locked.ok && locked.refused === 'not-permitted') throw new BadRequest('E_LOCKED', locked.message);
      const { body: _b, ...doc } = valueOf(locked);
      return { ok: true, document: doc };
    },
  },

  // Integration kit (Simple MAPI) ------------------------------------------------------
  {
    service: 'mapi', operation: 'send', client: 'Integration kit (Simple MAPI)', admin: false,
    description: 'Sends a mail with Simple MAPI while logged in. Body: {"to": ["bob", ...], "subject", "body"}. Suspended home server: mapi.send (a task list, or an abnormal exit; not sent).',
    run(ctx) {
      only(ctx.body, ['to', 'subject', 'body']);
      const to = strList(ctx.body, 'to', { required: true, max: 50 })!.map((n) => mustAccount(ctx.site, n));
      const subject = headerSafe('subject', str(ctx.body, 'subject', { max: 500 }) ?? '');
      const text = str(ctx.body, 'body', { max: 1_000_000 }) ?? '';
      const home = ctx.site.homeServer(ctx.user);
      const gate = home.gate('mapi.send', ctxOf(this, ctx.user));
      if (!gate.allowed) {
        const effect = gate.decision.variantName === 'abnormal-exit' ? 'abnormal-exit-on-close' : 'task-list-shown';
        return fired(['mapi.send'], gate.messages, effect, { variant: gate.decision.variantName, sent: false, restartRequired: true });
      }
      const raw = [
        `From: ${ctx.user.name}@teamware.example`, `To: ${to.map((a) => `${a.name}@teamware.example`).join(', ')}`,
        `Subject: ${encodeHeader(subject)}`, 'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', 'X-Mailer: TeamWARE Simple MAPI (twemu)', '',
        text.replace(/\r?\n/g, '\r\n'), '',
      ].join('\r\n');
      // Date, Message-ID and Return-Path: the delivery's stamp (the site's clock).
      const { delivered } = ctx.site.domain.mail.send(ctx.user, to, raw);
      return { ok: true, sent: true, delivered };
    },
  },

  // Client level-up tool -----------------------------------------------------------------
  {
    service: 'levelup', operation: 'launch', client: 'Client level-up tool', admin: false,
    description: 'Starts the client level-up tool (logs on to TeamWARE through the Directory service). Suspended directory server: levelup.launch.',
    run(ctx) {
      only(ctx.body, []);
      const gate = ctx.site.directoryServer.gate('levelup.launch', ctxOf(this, ctx.user));
      if (!gate.allowed) return fired(['levelup.launch'], gate.messages, 'not-started');
      return { ok: true, started: true };
    },
  },
  {
    service: 'levelup', operation: 'migrate', client: 'Client level-up tool', admin: false,
    description: 'Migrates the client: unlocks the library documents the user has locked. Suspended shared server: levelup.migrate (server-error: nothing done; unlock-failed: the dialog says the unlock failed, yet it completed).',
    run(ctx) {
      only(ctx.body, []);
      const library = ctx.site.domain.library;
      const unlockMine = () => library.unlockAllOf(ctx.user.name);
      const gate = library.server.gate('levelup.migrate', ctxOf(this, ctx.user));
      if (!gate.allowed) {
        if (gate.decision.variantName === 'unlock-failed') {
          // 19.3.1: with this message, the documents' unlock has in fact completed normally.
          return fired(['levelup.migrate'], gate.messages, 'documents-unlocked-despite-message', { variant: gate.decision.variantName, unlocked: unlockMine() });
        }
        return fired(['levelup.migrate'], gate.messages, 'not-migrated', { variant: gate.decision.variantName, unlocked: [] });
      }
      return { ok: true, migrated: true, unlocked: unlockMine() };
    },
  },
];

/** Every desktop-client operation, by `service/operation`. */
/** The Directory service an account needs for a desktop client (Simple MAPI sends through Mail). */
const SERVICE_OF_CLIENT: Record<string, ServiceName | undefined> = { mail: 'mail', mapi: 'mail', calendar: 'calendar', forum: 'forum', library: 'library' };

export const clientOperations: ReadonlyMap<string, ClientOperation> = new Map(ops.map((o) => [`${o.service}/${o.operation}`, o]));

/** Runs one operation as `user`; throws TwemuError (4xx) on bad input, unknown operation or missing rights. */
export function runClientOperation(site: Site, user: Account, service: string, operation: string, body: unknown): ClientAnswer {
  const op = clientOperations.get(`${service}/${operation}`);
  if (!op) {
    const known = [...clientOperations.keys()].filter((k) => k.startsWith(`${service}/`));
    throw new NotFound('E_NO_OPERATION', `no desktop-client operation ${service}/${operation}`,
      known.length ? `the ${service} operations are: ${known.join(', ')}` : `the operations are: ${[...clientOperations.keys()].join(', ')}`);
  }
  if (op.admin && !user.isAdmin) {
    throw new TwemuError('E_FORBIDDEN', `${service}/${operation} needs an administrator account; ${user.name} is not one`, { hint: 'authenticate as ADMIN (or another account with isAdmin)' });
  }
  const needs = SERVICE_OF_CLIENT[op.service];
  if (needs && !site.domain.access.mayUse(user, needs).ok) {
    // As POP3, IMAP and the application execution module refuse them: the Directory decides who may use what.
    throw new TwemuError('E_SERVICE_UNAVAILABLE', `${user.name} may not use the ${needs} service (the Directory has it unavailable for this account)`, { hint: 'enable the service for the account (directory/account-update)' });
  }
  if (body === undefined || body === null || body === '') body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('E_BAD_REQUEST', 'the body must be a JSON object');
  return op.run({ site, user, body: body as Record<string, unknown> });
}
