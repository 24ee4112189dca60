// The desktop clients' operations (`POST /api/client/{service}/{operation}`,
// HTTP Basic as the user): every row of the catalog for TeamWARE Admin,
// Directory, Mail, Calendar, Forum, Simple MAPI and the client level-up tool,
// through HTTP, with its exact dialog, its policy switch, its event, and its
// effect on the data checked afterwards through another interface (POP3/IMAP
// login, the library client's lock state, the Directory's account view).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { call, client, command, eventsSince, firedSince, imap, imapLoginRefusal, lastSeq, pop3Stat, setPolicy } from './util.js';

const BUSY = 'しばらくしてから再度実行してください。';
let emu: Emulator;
const server = () => emu.site.servers[0]!;

beforeAll(async () => {
  emu = await startTestSite({ services: { pop3: { failedLoginDelayMs: 0 }, access: { failedLoginDelayMs: 0 } } });
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  expect((await api(emu, 'POST', '/api/catalog/reset', {})).status).toBe(200);
});
afterEach(async () => {
  if (server().suspended) await command(emu, 'to tran resume');
});

let users = 0;
/** A fresh account (ADMIN creates it through the Directory client while the server is available). */
async function freshUser(extra: Record<string, unknown> = {}): Promise<string> {
  const name = `user${++users}`;
  const r = await call(emu, 'ADMIN', 'directory/account-create', { name, password: 'teamware', ...extra });
  expect(r.ok).toBe(true);
  return name;
}

describe('authentication and bad input', () => {
  it('asks for HTTP Basic (401 + WWW-Authenticate: Basic), refuses wrong passwords and non-administrators, and keeps serving', async () => {
    const none = await fetch(`${emu.endpoints.control}/api/client/levelup/launch`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="TeamWARE Office"/);
    // The admin bearer token is not a user's credentials.
    expect((await api(emu, 'POST', '/api/client/levelup/launch', {})).status).toBe(401);
    const before = await lastSeq(emu);
    expect((await client(emu, 'alice', 'levelup/launch', {}, 'wrong')).status).toBe(401);
    expect((await eventsSince(emu, before, 'login-failed')).map((e) => [e.client, e.user, e.operation]))
      .toEqual([['desktop', 'alice', '/api/client/levelup/launch']]);
    expect((await client(emu, 'nobody', 'levelup/launch', {})).status).toBe(401);
    const forbidden = await client(emu, 'alice', 'directory/account-delete', { name: 'bob' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('E_FORBIDDEN');
    expect(emu.site.account('bob')).not.toBeNull();
    const unknown = await client(emu, 'alice', 'mail/explode', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('mail/explode');
    expect((await client(emu, 'alice', 'mail/delete-multiple', { uids: 'all' })).status).toBe(400);
    expect((await client(emu, 'alice', 'mail/delete-multiple', { uids: [1], extra: 1 })).status).toBe(400);
    expect((await client(emu, 'alice', 'mail/delete-multiple', [1, 2])).status).toBe(400);
    expect((await client(emu, 'alice', 'calendar/open-reservation', { id: 999999 })).status).toBe(404);
    expect((await client(emu, 'ADMIN', 'directory/account-create', { name: 'bad name!', password: 'x' })).status).toBe(400);
    expect((await client(emu, 'ADMIN', 'directory/account-update', { name: 'bob', services: { mail: 'no' } })).status).toBe(400);
    // null fields are left as they are (not a 500 from the store).
    expect(await call(emu, 'ADMIN', 'directory/account-update', { name: 'bob', displayName: null, department: null, password: null, services: null }))
      .toMatchObject({ ok: true, account: { name: 'bob', displayName: emu.site.account('bob')!.displayName } });
    expect((await client(emu, 'alice', 'mapi/send', { to: 'bob', subject: 'a\r\nBcc: x' })).status).toBe(400);
    const raw = await fetch(`${emu.endpoints.control}/api/client/levelup/launch`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:teamware').toString('base64')}`, 'content-type': 'application/json' }, body: '{not json',
    });
    expect(raw.status).toBe(400);
    // Still serving everyone else.
    expect(await call(emu, 'bob', 'levelup/launch', {})).toEqual({ ok: true, started: true });
    const list = await fetch(`${emu.endpoints.control}/api/client/operations`, { headers: { authorization: `Basic ${Buffer.from('alice:teamware').toString('base64')}` } });
    expect(((await list.json()) as { operations: Array<{ path: string }> }).operations.map((o) => o.path)).toContain('/api/client/forum/refresh');
  });

  it('are documented in the OpenAPI page, with the gateway and SearchPro routes', async () => {
    const r = await fetch(`${emu.endpoints.control}/docs/json`);
    expect(r.status).toBe(200);
    const paths = Object.keys(((await r.json()) as { paths: Record<string, unknown> }).paths);
    for (const p of ['/api/client/{service}/{operation}', '/api/client/operations', '/api/gateways/x400/reload', '/api/gateways/fax/receive', '/api/searchpro/index']) {
      expect(paths).toContain(p);
    }
  });
});

describe('TeamWARE Admin', () => {
  it('[behaviour:admin.calendar-update] suspended: the network-error dialog and the facility calendar is not updated; policy never: updated', async () => {
    const room = emu.site.sharedServer.store.calendar.facilities().find((f) => f.name === '第一会議室')!;
    expect(await call(emu, 'ADMIN', 'admin/calendar-update', { facilityId: room.id, permitted: ['alice', 'bob', 'ADMIN'] }))
      .toMatchObject({ ok: true, facility: { permitted: ['alice', 'bob', 'ADMIN'] } });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'ADMIN', 'admin/calendar-update', { facilityId: room.id, permitted: ['alice'] })).toEqual({
      ok: false, behaviour: 'admin.calendar-update', behaviours: ['admin.calendar-update'], dialog: ['ネットワークエラーが発生しました。(3,0) '], effect: 'not-updated',
    });
    expect(emu.site.sharedServer.store.calendar.facility(room.id)!.permitted).toEqual(['alice', 'bob', 'ADMIN']);
    expect(await firedSince(emu, since, 'admin.calendar-update')).toMatchObject([{ user: 'ADMIN', operation: 'admin/calendar-update', client: 'TeamWARE Admin' }]);
    await setPolicy(emu, 'admin.calendar-update', { mode: 'never' });
    expect(await call(emu, 'ADMIN', 'admin/calendar-update', { facilityId: room.id, permitted: ['alice'] })).toMatchObject({ ok: true, facility: { permitted: ['alice'] } });
    expect(await firedSince(emu, since, 'admin.calendar-update', 'behaviour-suppressed')).toHaveLength(1);
  });

  it('[behaviour:admin.directory-launch] suspended: both dialogs in order and the user is logged out (the Forum session ends); policy never: the directory opens', async () => {
    const session = (await call(emu, 'ADMIN', 'forum/login', {})).session as string;
    expect(await call(emu, 'ADMIN', 'admin/directory-launch', { from: 'shared-directory' })).toMatchObject({ ok: true, directory: expect.arrayContaining([expect.objectContaining({ name: 'alice' })]) });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await call(emu, 'ADMIN', 'admin/directory-launch', { from: 'address-book' });
    expect(r).toMatchObject({ ok: false, behaviour: 'admin.directory-launch', effect: 'logged-out', loggedOut: true, sessionsEnded: 1 });
    expect(r.dialog).toEqual(['サーバは現在混雑しています。しばらくしてから、再度実行してください。', 'すべてのTeamWAREアプリケーションを終了した後でログアウトすることになります。']);
    expect(await firedSince(emu, since, 'admin.directory-launch')).toHaveLength(1);
    await command(emu, 'to tran resume');
    const again = await client(emu, 'ADMIN', 'forum/refresh', { session });
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('E_LOGIN_AGAIN');
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'admin.directory-launch', { mode: 'never' });
    expect(await call(emu, 'ADMIN', 'admin/directory-launch', {})).toMatchObject({ ok: true, from: 'address-book' });
  });
});

describe('TeamWARE Directory (user management)', () => {
  it('[behaviour:directory.busy] suspended: any user-management operation shows the dialog and changes nothing; policy never: it proceeds', async () => {
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: 'alice' })).toMatchObject({ ok: true, account: { name: 'alice', services: { mail: true } } });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: 'alice' }))
      .toEqual({ ok: false, behaviour: 'directory.busy', behaviours: ['directory.busy'], dialog: [BUSY], effect: 'not-applied' });
    expect(await call(emu, 'ADMIN', 'directory/template-get', { name: 'standard' })).toMatchObject({ ok: false, behaviour: 'directory.busy', dialog: [BUSY] });
    expect((await firedSince(emu, since, 'directory.busy')).map((e) => e.operation)).toEqual(['directory/account-get', 'directory/template-get']);
    // With an effect row switched off (its "may" not happening), the dialog shows and the operation is applied normally.
    await setPolicy(emu, 'directory.account-create', { mode: 'never' });
    const created = await call(emu, 'ADMIN', 'directory/account-create', { name: 'ghost', password: 'pw', optionSettings: 'q=1' });
    expect(created).toMatchObject({ ok: false, behaviour: 'directory.busy', behaviours: ['directory.busy'], dialog: [BUSY], effect: 'applied-normally',
      account: { name: 'ghost', optionSettings: 'q=1', optionSettingsApplied: true } });
    expect(emu.site.account('ghost')).toMatchObject({ name: 'ghost', optionSettingsApplied: true });
    expect(await firedSince(emu, since, 'directory.account-create', 'behaviour-suppressed')).toHaveLength(1);
    await setPolicy(emu, 'directory.account-delete', { mode: 'never' });
    expect(await call(emu, 'ADMIN', 'directory/account-delete', { name: 'ghost' }))
      .toEqual({ ok: false, behaviour: 'directory.busy', behaviours: ['directory.busy'], dialog: [BUSY], effect: 'applied-normally', deleted: 'ghost' });
    expect(emu.site.account('ghost')).toBeNull();
    await setPolicy(emu, 'directory.busy', { mode: 'never' });
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: 'alice' })).toMatchObject({ ok: true, account: { name: 'alice' } });
    expect(await firedSince(emu, since, 'directory.busy', 'behaviour-suppressed')).toHaveLength(1);
  });

  it('[behaviour:directory.print] suspended: the dialog, and the printout has only its header and footer; available: every account is printed', async () => {
    const full = await call(emu, 'ADMIN', 'directory/print', {});
    expect(full.ok).toBe(true);
    expect(full.printout.lines.length).toBeGreaterThanOrEqual(3);
    expect(full.printout.lines.some((l: string) => l.startsWith('alice\t'))).toBe(true);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const partial = await call(emu, 'ADMIN', 'directory/print', {});
    expect(partial).toMatchObject({ ok: false, behaviour: 'directory.print', behaviours: ['directory.busy', 'directory.print'], dialog: [BUSY], effect: 'header-and-footer-only' });
    expect(partial.printout.header).toBe(full.printout.header);
    expect(partial.printout.footer).toMatch(/^printed /);
    expect(partial.printout.lines).toEqual([]);
    expect(await firedSince(emu, since, 'directory.print')).toHaveLength(1);
    await setPolicy(emu, 'directory.print', { mode: 'never' });
    const noPrint = await call(emu, 'ADMIN', 'directory/print', {});
    expect(noPrint).toMatchObject({ ok: false, behaviour: 'directory.busy', behaviours: ['directory.busy'], dialog: [BUSY], effect: 'applied-normally' });
    expect(noPrint.printout.lines).toEqual(full.printout.lines);
  });

  it('[behaviour:directory.template-create] suspended: the template is created without its option settings file; available: with it', async () => {
    const normal = await call(emu, 'ADMIN', 'directory/template-create', { name: 'sales', optionSettings: 'mail.quota=50MB', services: { library: false } });
    expect(normal).toMatchObject({ ok: true, template: { name: 'sales', optionSettings: 'mail.quota=50MB', optionSettingsApplied: true, services: { library: false } } });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await call(emu, 'ADMIN', 'directory/template-create', { name: 'support', optionSettings: 'mail.quota=10MB', services: { forum: false } });
    expect(r).toMatchObject({ ok: false, behaviour: 'directory.template-create', behaviours: ['directory.busy', 'directory.template-create'], dialog: [BUSY],
      effect: 'created-without-option-settings' });
    expect(await firedSince(emu, since, 'directory.template-create')).toHaveLength(1);
    await command(emu, 'to tran resume');
    // Afterwards, through the Directory client: the template exists, its option settings were not applied.
    expect(await call(emu, 'ADMIN', 'directory/template-get', { name: 'support' }))
      .toMatchObject({ ok: true, template: { name: 'support', optionSettings: null, optionSettingsApplied: false, services: { forum: false } } });
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'directory.busy', { mode: 'never' });
    expect(await call(emu, 'ADMIN', 'directory/template-create', { name: 'dev', optionSettings: 'x=1' })).toMatchObject({ ok: true, template: { optionSettingsApplied: true, optionSettings: 'x=1' } });
  });

  it('[behaviour:directory.template-update] suspended: the template is updated, but its option settings file is not applied', async () => {
    await call(emu, 'ADMIN', 'directory/template-create', { name: 'ops', optionSettings: 'old=1' });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await call(emu, 'ADMIN', 'directory/template-update', { name: 'ops', optionSettings: 'new=2', services: { web: false } });
    expect(r).toMatchObject({ ok: false, behaviour: 'directory.template-update', behaviours: ['directory.busy', 'directory.template-update'], dialog: [BUSY],
      effect: 'updated-without-option-settings' });
    expect(await firedSince(emu, since, 'directory.template-update')).toHaveLength(1);
    await command(emu, 'to tran resume');
    expect(await call(emu, 'ADMIN', 'directory/template-get', { name: 'ops' }))
      .toMatchObject({ ok: true, template: { services: { web: false }, optionSettings: 'old=1', optionSettingsApplied: false } });
    // Available again: the update applies the option settings.
    expect(await call(emu, 'ADMIN', 'directory/template-update', { name: 'ops', optionSettings: 'new=2' }))
      .toMatchObject({ ok: true, template: { optionSettings: 'new=2', optionSettingsApplied: true } });
  });

  it('[behaviour:directory.account-create] suspended: the account is created without its option settings file, and can use Mail (POP3)', async () => {
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await call(emu, 'ADMIN', 'directory/account-create', { name: 'carol', password: 'teamware', template: 'standard', displayName: 'Carol' });
    expect(r).toMatchObject({ ok: false, behaviour: 'directory.account-create', behaviours: ['directory.busy', 'directory.account-create'], dialog: [BUSY],
      effect: 'created-without-option-settings', account: { name: 'carol', optionSettingsApplied: false, optionSettings: null } });
    expect(r.account.password).toBeUndefined();
    expect(await firedSince(emu, since, 'directory.account-create')).toHaveLength(1);
    await command(emu, 'to tran resume');
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: 'carol' }))
      .toMatchObject({ ok: true, account: { template: 'standard', optionSettings: null, optionSettingsApplied: false } });
    expect(await pop3Stat(emu, 'carol')).toMatch(/^0 0$/);
    // The same template while available: the option settings are applied.
    expect(await call(emu, 'ADMIN', 'directory/account-create', { name: 'dan', password: 'teamware', template: 'standard' }))
      .toMatchObject({ ok: true, account: { optionSettingsApplied: true, optionSettings: 'mail.quota=100MB\nweb.theme=classic' } });
  });

  it('[behaviour:directory.account-update] suspended: not updated, except Mail becomes unavailable when the update said so (POP3 and IMAP logins refused)', async () => {
    const plain = await freshUser({ displayName: 'Plain' });
    const mailOff = await freshUser({ displayName: 'Mail Off' });
    emu.site.deliver(mailOff, 'Subject: hello\r\n\r\nhi\r\n');
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'ADMIN', 'directory/account-update', { name: plain, displayName: 'Renamed', department: 'X' }))
      .toMatchObject({ ok: false, behaviour: 'directory.account-update', dialog: [BUSY], effect: 'not-updated' });
    expect(await call(emu, 'ADMIN', 'directory/account-update', { name: mailOff, displayName: 'Renamed', services: { mail: false, forum: false } }))
      .toMatchObject({ ok: false, behaviour: 'directory.account-update', dialog: [BUSY], effect: 'only-mail-made-unavailable' });
    expect(await firedSince(emu, since, 'directory.account-update')).toHaveLength(2);
    await command(emu, 'to tran resume');
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: plain })).toMatchObject({ account: { displayName: 'Plain', department: '', services: { mail: true } } });
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: mailOff }))
      .toMatchObject({ account: { displayName: 'Mail Off', services: { mail: false, forum: true } } });
    // The data afterwards, through the mail protocols: Mail is unavailable for that account only.
    await expect(pop3Stat(emu, mailOff)).rejects.toThrow(/Mail service is not available/);
    expect(await imapLoginRefusal(emu, mailOff)).toMatch(/Mail service is not available/);
    expect(await pop3Stat(emu, plain)).toMatch(/^0 /);
    // Policy never (directory.busy): the update applies in full.
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'directory.busy', { mode: 'never' });
    expect(await call(emu, 'ADMIN', 'directory/account-update', { name: plain, displayName: 'Renamed' })).toMatchObject({ ok: true, account: { displayName: 'Renamed' } });
  });

  it('[behaviour:directory.account-delete] suspended: the account is not deleted, but its Mail becomes unavailable (POP3 and IMAP logins refused)', async () => {
    const victim = await freshUser();
    expect(await pop3Stat(emu, victim)).toMatch(/^0 /);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'ADMIN', 'directory/account-delete', { name: victim })).toMatchObject({
      ok: false, behaviour: 'directory.account-delete', behaviours: ['directory.busy', 'directory.account-delete'], dialog: [BUSY],
      effect: 'not-deleted-mail-made-unavailable', account: { name: victim, services: { mail: false, calendar: true } },
    });
    expect(await firedSince(emu, since, 'directory.account-delete')).toHaveLength(1);
    await command(emu, 'to tran resume');
    expect(await call(emu, 'ADMIN', 'directory/account-get', { name: victim })).toMatchObject({ ok: true, account: { services: { mail: false } } });
    await expect(pop3Stat(emu, victim)).rejects.toThrow(/Mail service is not available/);
    expect(await imapLoginRefusal(emu, victim)).toMatch(/Mail service is not available/);
    // Available: deleted for good.
    expect(await call(emu, 'ADMIN', 'directory/account-delete', { name: victim })).toEqual({ ok: true, deleted: victim });
    expect((await client(emu, 'ADMIN', 'directory/account-get', { name: victim })).status).toBe(404);
  });
});

describe('TeamWARE Mail', () => {
  it('[behaviour:mail.delete-multiple] suspended: the dialog and the mails stay in INBOX (IMAP); available: they move to WasteBox', async () => {
    const user = await freshUser();
    for (let i = 1; i <= 4; i++) emu.site.deliver(user, `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'ADMIN', 'levelup/launch', {})).toMatchObject({ ok: false }); // the server really is suspended
    expect(await call(emu, user, 'mail/delete-multiple', { uids: [1, 2, 3] })).toEqual({
      ok: false, behaviour: 'mail.delete-multiple', behaviours: ['mail.delete-multiple'], dialog: ['ごみ箱へ移動できないメールがありました。'], effect: 'not-moved', notMoved: [1, 2, 3],
    });
    expect(await firedSince(emu, since, 'mail.delete-multiple')).toMatchObject([{ user, client: 'TeamWARE Mail' }]);
    await command(emu, 'to tran resume');
    let c = await imap(emu, user);
    expect((await c.status('INBOX', { messages: true })).messages).toBe(4);
    expect((await c.status('WasteBox', { messages: true })).messages).toBe(0);
    await c.logout();
    expect(await call(emu, user, 'mail/delete-multiple', { folder: 'INBOX', uids: [1, 2] }))
      .toEqual({ ok: true, moved: [{ uid: 1, wasteBoxUid: 1 }, { uid: 2, wasteBoxUid: 2 }], notFound: [] });
    // Policy never while suspended: the deletion proceeds.
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'mail.delete-multiple', { mode: 'never' });
    expect(await call(emu, user, 'mail/delete-multiple', { uids: [3, 99] })).toMatchObject({ ok: true, notFound: [99] });
    await command(emu, 'to tran resume');
    c = await imap(emu, user);
    expect((await c.status('INBOX', { messages: true })).messages).toBe(1);
    expect((await c.status('WasteBox', { messages: true })).messages).toBe(3);
    await c.logout();
  });
});

describe('TeamWARE Calendar', () => {
  const mine = (user: string) => emu.site.homeStore(user).calendar.list(user);

  it('[behaviour:calendar.open-reservation] suspended: back to the main window with no message; policy never: the reservation opens', async () => {
    const r = mine('alice')[0]!;
    expect(await call(emu, 'alice', 'calendar/open-reservation', { id: r.id })).toMatchObject({ ok: true, reservation: { id: r.id, title: r.title } });
    // Another user's reservation is not found (no peeking by id).
    expect((await client(emu, 'bob', 'calendar/open-reservation', { id: r.id })).status).toBe(404);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'alice', 'calendar/open-reservation', { id: r.id }))
      .toEqual({ ok: false, behaviour: 'calendar.open-reservation', behaviours: ['calendar.open-reservation'], dialog: [], effect: 'returned-to-main-window' });
    expect(await firedSince(emu, since, 'calendar.open-reservation')).toMatchObject([{ user: 'alice', messages: [] }]);
    await setPolicy(emu, 'calendar.open-reservation', { mode: 'never' });
    expect(await call(emu, 'alice', 'calendar/open-reservation', { id: r.id })).toMatchObject({ ok: true });
  });

  it('[behaviour:calendar.update-reservation] suspended: 内部エラーが発生しました。 and the reservation is not updated', async () => {
    const r = mine('bob')[0]!;
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'bob', 'calendar/update-reservation', { id: r.id, title: '変更後' }))
      .toEqual({ ok: false, behaviour: 'calendar.update-reservation', behaviours: ['calendar.update-reservation'], dialog: ['内部エラーが発生しました。'], effect: 'not-updated' });
    expect(await firedSince(emu, since, 'calendar.update-reservation')).toHaveLength(1);
    await command(emu, 'to tran resume');
    expect(await call(emu, 'bob', 'calendar/open-reservation', { id: r.id })).toMatchObject({ ok: true, reservation: { title: r.title } });
    expect(await call(emu, 'bob', 'calendar/update-reservation', { id: r.id, title: '変更後' })).toMatchObject({ ok: true, reservation: { title: '変更後' } });
    expect((await client(emu, 'bob', 'calendar/update-reservation', { id: r.id, start: 'tomorrow' })).status).toBe(400);
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'calendar.update-reservation', { mode: 'never' });
    expect(await call(emu, 'bob', 'calendar/update-reservation', { id: r.id, note: 'n' })).toMatchObject({ ok: true, reservation: { note: 'n' } });
  });

  it('[behaviour:calendar.delete-reservation] suspended: 内部エラーが発生しました。 and the reservation is not deleted', async () => {
    const r = mine('bob').at(-1)!;
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'bob', 'calendar/delete-reservation', { id: r.id }))
      .toMatchObject({ ok: false, behaviour: 'calendar.delete-reservation', dialog: ['内部エラーが発生しました。'], effect: 'not-deleted' });
    expect(await firedSince(emu, since, 'calendar.delete-reservation')).toHaveLength(1);
    await command(emu, 'to tran resume');
    expect(await call(emu, 'bob', 'calendar/open-reservation', { id: r.id })).toMatchObject({ ok: true });
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'calendar.delete-reservation', { mode: 'never' });
    expect(await call(emu, 'bob', 'calendar/delete-reservation', { id: r.id })).toEqual({ ok: true, deleted: r.id });
    expect((await client(emu, 'bob', 'calendar/open-reservation', { id: r.id })).status).toBe(404);
  });
});

describe('TeamWARE Forum', () => {
  it('[behaviour:forum.refresh] suspended: an empty forum list and the session must log in again; policy never: the list', async () => {
    const session = (await call(emu, 'alice', 'forum/login', {})).session as string;
    const before = await call(emu, 'alice', 'forum/refresh', { session });
    expect(before.ok).toBe(true);
    expect(before.forums.map((f: { name: string }) => f.name)).toEqual(['お知らせ', '雑談']);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'alice', 'forum/refresh', { session })).toEqual({
      ok: false, behaviour: 'forum.refresh', behaviours: ['forum.refresh'], dialog: [], effect: 'forum-list-not-shown', forums: [], loginRequired: true,
    });
    expect(await firedSince(emu, since, 'forum.refresh')).toHaveLength(1);
    await command(emu, 'to tran resume');
    // The old session is gone: log in again.
    const stale = await client(emu, 'alice', 'forum/refresh', { session });
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ error: 'E_LOGIN_AGAIN' });
    const fresh = (await call(emu, 'alice', 'forum/login', {})).session as string;
    expect((await call(emu, 'alice', 'forum/refresh', { session: fresh })).forums).toHaveLength(2);
    // Someone else's session is not yours.
    expect((await client(emu, 'bob', 'forum/refresh', { session: fresh })).status).toBe(401);
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'forum.refresh', { mode: 'never' });
    expect(await call(emu, 'alice', 'forum/refresh', { session: fresh })).toMatchObject({ ok: true, forums: [{ name: 'お知らせ' }, { name: '雑談' }] });
  });
});

describe('Integration kit (Simple MAPI)', () => {
  it('[behaviour:mapi.send] suspended: a task list or an abnormal exit (by policy variant), nothing sent; available: delivered (POP3)', async () => {
    const to = await freshUser();
    expect(await call(emu, 'alice', 'mapi/send', { to: [to], subject: '報告', body: 'line 1\nline 2' })).toMatchObject({ ok: true, sent: true, delivered: [{ user: to, uid: 1 }] });
    expect(await pop3Stat(emu, to)).toMatch(/^1 /);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'alice', 'mapi/send', { to, subject: 's', body: 'b' })).toEqual({
      ok: false, behaviour: 'mapi.send', behaviours: ['mapi.send'], dialog: [], effect: 'task-list-shown', variant: 'task-list', sent: false, restartRequired: true,
    });
    await setPolicy(emu, 'mapi.send', { mode: 'always', variant: 1 });
    expect(await call(emu, 'alice', 'mapi/send', { to, subject: 's', body: 'b' })).toMatchObject({ ok: false, effect: 'abnormal-exit-on-close', variant: 'abnormal-exit' });
    expect((await firedSince(emu, since, 'mapi.send')).map((e) => e.variant)).toEqual(['task-list', 'abnormal-exit']);
    await setPolicy(emu, 'mapi.send', { mode: 'never' });
    expect(await call(emu, 'alice', 'mapi/send', { to, subject: 's', body: 'b' })).toMatchObject({ ok: true, sent: true });
    await command(emu, 'to tran resume');
    expect(await pop3Stat(emu, to)).toMatch(/^2 /);
    expect((await client(emu, 'alice', 'mapi/send', { to: ['nobody-here'] })).status).toBe(404);
  });
});

describe('Client level-up tool', () => {
  it('[behaviour:levelup.launch] suspended: TeamWAREにログオンできません; policy never: the tool starts', async () => {
    expect(await call(emu, 'alice', 'levelup/launch', {})).toEqual({ ok: true, started: true });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'alice', 'levelup/launch', {}))
      .toEqual({ ok: false, behaviour: 'levelup.launch', behaviours: ['levelup.launch'], dialog: ['TeamWAREにログオンできません'], effect: 'not-started' });
    expect(await firedSince(emu, since, 'levelup.launch')).toHaveLength(1);
    await setPolicy(emu, 'levelup.launch', { mode: 'never' });
    expect(await call(emu, 'alice', 'levelup/launch', {})).toEqual({ ok: true, started: true });
  });

  it('[behaviour:levelup.migrate] server error: nothing unlocked; unlock-failed: the dialog, yet the documents are unlocked (library lock state)', async () => {
    const docs = (await call(emu, 'bob', 'library/documents', {})).documents as Array<{ id: number }>;
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const d of docs.slice(0, 2)) expect(await call(emu, 'bob', 'library/lock', { id: d.id })).toMatchObject({ ok: true, document: { lockedBy: 'bob' } });
    const lockedByBob = async () => ((await call(emu, 'alice', 'library/documents', {})).documents as Array<{ id: number; lockedBy: string | null }>)
      .filter((d) => d.lockedBy === 'bob').map((d) => d.id);
    expect(await lockedByBob()).toEqual(docs.slice(0, 2).map((d) => d.id));
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect(await call(emu, 'bob', 'levelup/migrate', {})).toEqual({
      ok: false, behaviour: 'levelup.migrate', behaviours: ['levelup.migrate'], dialog: ['サーバでエラーが発生しました。'], effect: 'not-migrated', variant: 'server-error', unlocked: [],
    });
    expect(await lockedByBob()).toHaveLength(2);
    await setPolicy(emu, 'levelup.migrate', { mode: 'always', variant: 1 });
    expect(await call(emu, 'bob', 'levelup/migrate', {})).toMatchObject({
      ok: false, behaviour: 'levelup.migrate', dialog: ['登録されている文書のアンロックに失敗しました。'], effect: 'documents-unlocked-despite-message', variant: 'unlock-failed',
    });
    expect((await firedSince(emu, since, 'levelup.migrate')).map((e) => e.variant)).toEqual(['server-error', 'unlock-failed']);
    // The seed: with the second message, the unlock has in fact completed.
    expect(await lockedByBob()).toEqual([]);
    await command(emu, 'to tran resume');
    expect(await lockedByBob()).toEqual([]);
    await call(emu, 'bob', 'library/lock', { id: docs[0]!.id });
    expect(await call(emu, 'bob', 'levelup/migrate', {})).toEqual({ ok: true, migrated: true, unlocked: [docs[0]!.id] });
  });
});

describe('which server an operation asks, on a site with two application servers', () => {
  let multi: Emulator;
  beforeAll(async () => {
    multi = await startTestSite({ topology: 'multi', appServers: 2 });
  });
  afterAll(async () => {
    await multi?.stop();
  });

  it('[behaviour:directory.busy] Directory follows the directory server, Mail and Calendar the user\'s home server, Forum the shared server', async () => {
    const home = multi.site.homeServer('alice').name;
    const other = home === 'twap01' ? 'twap02' : 'twap01';
    const session = (await call(multi, 'alice', 'forum/login', {})).session as string;
    // The other application server suspended: alice's Mail and Calendar are unaffected.
    await command(multi, 'to tran suspend', other);
    expect(await call(multi, 'alice', 'mail/delete-multiple', { uids: [1] })).toMatchObject({ ok: true });
    const r = multi.site.homeStore('alice').calendar.list('alice')[0]!;
    expect(await call(multi, 'alice', 'calendar/open-reservation', { id: r.id })).toMatchObject({ ok: true });
    expect(await call(multi, 'ADMIN', 'directory/account-get', { name: 'alice' })).toMatchObject({ ok: true });
    // Her home server suspended too: Mail and Calendar fire; the Directory (directory server available) does not.
    await command(multi, 'to tran suspend', home);
    expect(await call(multi, 'alice', 'mail/delete-multiple', { uids: [2] })).toMatchObject({ ok: false, behaviour: 'mail.delete-multiple' });
    expect(await call(multi, 'alice', 'calendar/open-reservation', { id: r.id })).toMatchObject({ ok: false, effect: 'returned-to-main-window' });
    expect(await call(multi, 'ADMIN', 'directory/account-get', { name: 'alice' })).toMatchObject({ ok: true });
    expect(await call(multi, 'alice', 'levelup/launch', {})).toMatchObject({ ok: true });
    // Forum lives on the shared server (twap01).
    expect(multi.site.sharedServer.name).toBe('twap01');
    expect(await call(multi, 'alice', 'forum/refresh', { session })).toMatchObject({ ok: false, behaviour: 'forum.refresh' });
    // The directory server suspended last (the documented order): Directory and level-up launch fire.
    await command(multi, 'to tran suspend', 'twdir01');
    const since = await lastSeq(multi);
    expect(await call(multi, 'ADMIN', 'directory/account-get', { name: 'alice' })).toMatchObject({ ok: false, behaviour: 'directory.busy', dialog: [BUSY] });
    expect(await call(multi, 'alice', 'levelup/launch', {})).toMatchObject({ ok: false, behaviour: 'levelup.launch' });
    expect(await firedSince(multi, since, 'directory.busy')).toMatchObject([{ server: 'twdir01' }]);
    await command(multi, 'to tran resume');
    expect(await call(multi, 'alice', 'mail/delete-multiple', { uids: [2] })).toMatchObject({ ok: true });
  });
});
