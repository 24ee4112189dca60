// Failed logins are slowed the same way on every protocol and page (the
// access service's one mechanism, services.access.failedLoginDelayMs), each is
// on the event stream as login-failed with its reason, IMAP closes a
// connection after services.access.maxFailedLogins wrong logins, and a web
// login form posted from another origin (or `Origin: null`) is refused.
// Through the wire: raw POP3 and IMAP sockets, HTTP for the web login, AME
// and the desktop clients' operations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, startTestSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';
import { RawPop3 } from './pop3/rawclient.js';
import { Wire } from './imap/wire.js';
import { WebClient } from './web/webclient.js';
import { ameHttp } from './ame/util.js';
import { client } from '../emulator/services/util.js';

const DELAY = 150;
let emu: Emulator;
const ep = () => emu.endpoints.servers[0]!;

beforeAll(async () => {
  emu = await startTestSite({ services: { access: { failedLoginDelayMs: DELAY } } });
});
afterAll(() => emu.stop());

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

describe('the failed-login delay, on every protocol and page', () => {
  it('POP3, IMAP, the web login, AME and the desktop clients each answer a wrong password after the delay, with login-failed and its reason', async () => {
    const ev = collectEvents(emu);
    const pop3 = await RawPop3.open(ep().pop3!);
    await pop3.cmd('USER alice');
    const p = await timed(() => pop3.cmd('PASS wrong'));
    expect(p.value).toBe('-ERR [AUTH] invalid user name or password');
    pop3.close();

    const imap = await Wire.open(ep().imap!);
    await imap.until('\r\n');
    const i = await timed(() => imap.cmd('a1', 'LOGIN alice wrong'));
    expect(i.value).toEqual(['a1 NO [AUTHENTICATIONFAILED] Authentication failed']);
    imap.close();

    const w = await timed(() => new WebClient(ep().web!).post('/login', { user: 'alice', password: 'wrong' }));
    expect(w.value.status).toBe(401);

    const a = await timed(() => ameHttp(ep().ame!, 'mail_list', {}, { user: 'alice', password: 'wrong' }));
    expect(a.value.body).toMatchObject({ rc: -4 });

    const d = await timed(() => client(emu, 'alice', 'levelup/launch', {}, 'wrong'));
    expect(d.value.status).toBe(401);

    // A lower bound set in the config, not a speed figure.
    for (const [what, t] of Object.entries({ pop3: p, imap: i, web: w, ame: a, desktop: d })) expect(t.ms, what).toBeGreaterThanOrEqual(DELAY - 10);
    ev.off();
    expect(ev.events.filter((e) => e.type === 'login-failed').map((e) => [e.client, e.user, e.data?.reason]))
      .toEqual(['pop3', 'imap', 'web', 'ame', 'desktop'].map((c) => [c, 'alice', 'wrong-password']));
  });

  it('an unknown user is refused the same way, and a good login is not slowed', async () => {
    const ev = collectEvents(emu);
    expect((await ameHttp(ep().ame!, 'mail_list', {}, { user: 'nobody' })).body).toMatchObject({ rc: -4 });
    expect((await new WebClient(ep().web!).post('/login', { user: 'nobody', password: 'teamware' })).status).toBe(401);
    ev.off();
    expect(ev.events.filter((e) => e.type === 'login-failed').map((e) => [e.client, e.data?.reason])).toEqual([['ame', 'no-such-account'], ['web', 'no-such-account']]);
    expect((await ameHttp(ep().ame!, 'mail_list', {}, { user: 'alice' })).body.rc).toBe(0);
  });
});

describe('parallel guesses', () => {
  it('wrong passwords for one account sent at once over HTTP are answered one delay apart (AME, the web login, the desktop clients)', async () => {
    const t = await timed(() => Promise.all([
      ...[1, 2].map((n) => ameHttp(ep().ame!, 'mail_list', {}, { user: 'bob', password: `guess${n}` })),
      ...[3, 4].map((n) => new WebClient(ep().web!).post('/login', { user: 'bob', password: `guess${n}` })),
      client(emu, 'bob', 'levelup/launch', {}, 'guess5'),
    ]));
    expect(t.value.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    // Five guesses at once cost five delays, as five in a row would (a lower bound set in the config).
    expect(t.ms).toBeGreaterThanOrEqual(5 * DELAY - 10);
  });
});

describe('IMAP closes after repeated failures', () => {
  it('the third wrong LOGIN on a connection gets BYE and the connection closes; another connection logs in', async () => {
    const w = await Wire.open(ep().imap!);
    await w.until('\r\n');
    expect(await w.cmd('a1', 'LOGIN alice wrong1')).toEqual(['a1 NO [AUTHENTICATIONFAILED] Authentication failed']);
    const plain = Buffer.from('\0alice\0wrong2').toString('base64');
    expect(await w.cmd('a2', `AUTHENTICATE PLAIN ${plain}`)).toEqual(['a2 NO [AUTHENTICATIONFAILED] Authentication failed']);
    expect(await w.cmd('a3', 'LOGIN nobody wrong3')).toEqual([
      '* BYE Too many failed logins (3); closing the connection', 'a3 NO [AUTHENTICATIONFAILED] Authentication failed']);
    await w.closedBy();
    const again = await Wire.open(ep().imap!);
    await again.until('\r\n');
    expect((await again.cmd('b1', 'LOGIN alice teamware')).at(-1)).toMatch(/^b1 OK /);
    again.close();
  });

  it('a refusal after the password (Mail not available) does not count', async () => {
    emu.site.createUser({ name: 'nomail2', password: 'pw', services: { mail: false } });
    const w = await Wire.open(ep().imap!);
    await w.until('\r\n');
    for (const tag of ['m1', 'm2', 'm3', 'm4']) {
      expect(await w.cmd(tag, 'LOGIN nomail2 pw')).toEqual([`${tag} NO [AUTHORIZATIONFAILED] The Mail service is not available for this account`]);
    }
    expect(w.closed).toBe(false);
    w.close();
  });
});

describe('login CSRF', () => {
  for (const origin of ['null', 'http://evil.example']) {
    it(`refuses a login form posted with Origin: ${origin} (403, a page saying why, no session)`, async () => {
      const ev = collectEvents(emu);
      const c = new WebClient(ep().web!);
      const r = await c.post('/login', { user: 'alice', password: 'teamware' }, { headers: { origin } });
      ev.off();
      expect(r.status).toBe(403);
      expect(r.text).toContain('別のサイトから送信されたログイン要求は受け付けません。');
      expect(r.text).toContain('href="/login"');
      expect(r.headers.get('set-cookie')).toBeNull();
      expect(ev.events.filter((e) => e.type === 'login-failed').map((e) => [e.client, e.user, e.data?.reason])).toEqual([['web', 'alice', 'origin']]);
    });
  }

  it('accepts the same origin, and a form without Origin (older clients)', async () => {
    const base = ep().web!;
    expect((await new WebClient(base).post('/login', { user: 'alice', password: 'teamware' }, { headers: { origin: new URL(base).origin } })).status).toBe(303);
    expect((await new WebClient(base).post('/login', { user: 'alice', password: 'teamware' })).status).toBe(303);
  });
});

describe('the default delay', () => {
  let plain: Emulator;
  afterAll(() => plain?.stop());

  it('applies without any setting: a wrong web login waits 1 s (services.access.failedLoginDelayMs default 1000)', async () => {
    plain = await startTestSite();
    const t = await timed(() => new WebClient(plain.endpoints.servers[0]!.web!).post('/login', { user: 'alice', password: 'wrong' }));
    expect(t.value.status).toBe(401);
    expect(t.ms).toBeGreaterThanOrEqual(990);
  });
});
