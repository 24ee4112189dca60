// The one login (credentials, service rights, home server, the failed-login
// delay, the login-failed and login events) on an in-memory store; the protocol tests
// show every front end uses it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessOptions, type DomainServer } from '../../../emulator/domain/index.js';
import { memorySite } from './memory.js';

let m: ReturnType<typeof memorySite>;
let waits: number[];
const wait = async (ms: number) => void waits.push(ms);

beforeEach(() => {
  m = memorySite();
  waits = [];
  m.site.directory.create({ name: 'alice', password: 'pw', homeServer: 'twap02' });
  m.site.directory.create({ name: 'nomail', password: 'pw', homeServer: 'twap01', services: { mail: false } });
});
afterEach(() => m.site.close());

const login = (user: string | undefined, password: string, extra: { server?: DomainServer; service?: 'mail' | 'web'; home?: boolean; delayMs?: number } = {}) =>
  m.domain.access.login({ client: 'imap', server: extra.server ?? m.servers[1]!, operation: 'LOGIN', user, password, wait, ...extra });

describe('login', () => {
  it('a wrong password, an unknown user and missing credentials are the same refusal, the guesses after the delay, each with its reason on the event stream', async () => {
    expect(await login('alice', 'wrong')).toMatchObject({ ok: false, refused: 'bad-credentials' });
    expect(await login('nobody', 'pw')).toMatchObject({ ok: false, refused: 'bad-credentials' });
    expect(await login(undefined, '')).toMatchObject({ ok: false, refused: 'bad-credentials' });
    expect(waits).toEqual([1000, 1000]);
    expect(m.site.events.list.map((e) => [e.type, e.client, e.user, e.message, e.data?.reason])).toEqual([
      ['login-failed', 'imap', 'alice', 'wrong password', 'wrong-password'],
      ['login-failed', 'imap', 'nobody', 'no such account', 'no-such-account'],
      ['login-failed', 'imap', undefined, 'no credentials', 'no-credentials'],
    ]);
  });

  it('a good login is not slowed; the user name is matched without case; it is a login event (the account\'s name)', async () => {
    expect(await login('ALICE', 'pw')).toMatchObject({ ok: true, value: { name: 'alice' } });
    expect(waits).toEqual([]);
    expect(m.site.events.list.map((e) => [e.type, e.client, e.operation, e.user, e.message])).toEqual([['login', 'imap', 'LOGIN', 'alice', 'alice logged in (imap LOGIN)']]);
  });

  it('checks the service right and the home server after the password, without the delay', async () => {
    expect(await login('nomail', 'pw', { service: 'mail', server: m.servers[0]! })).toMatchObject({ refused: 'service-unavailable', service: 'mail' });
    expect(await login('alice', 'pw', { service: 'mail', home: true, server: m.servers[0]! })).toMatchObject({ refused: 'wrong-server', home: { name: 'twap02' } });
    expect(await login('alice', 'pw', { service: 'mail', home: true, server: m.servers[1]! })).toMatchObject({ ok: true });
    expect(waits).toEqual([]);
    expect(m.site.events.list.map((e) => e.data?.reason ?? e.type)).toEqual(['service-unavailable', 'wrong-server', 'login']);
  });

  it('takes the delay from services.access, or from the front end\'s own setting', async () => {
    const quick = memorySite({ services: { access: { failedLoginDelayMs: 5 } } });
    quick.site.directory.create({ name: 'alice', password: 'pw', homeServer: 'twap01' });
    const t0 = performance.now();
    expect(await quick.domain.access.login({ client: 'web', server: quick.servers[0]!, operation: 'POST /login', user: 'alice', password: 'x' })).toMatchObject({ refused: 'bad-credentials' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4);
    quick.site.close();
    await login('alice', 'x', { delayMs: 0 });
    expect(waits).toEqual([0]);
  });

  it('a verifier (APOP) instead of a password', async () => {
    const r = await m.domain.access.login({ client: 'pop3', server: m.servers[1]!, operation: 'APOP', user: 'alice', password: (a) => a.password === 'pw', wait });
    expect(r.ok).toBe(true);
  });
});

describe('services.access', () => {
  it('has defaults and refuses a bad setting with one clear error', () => {
    expect(accessOptions(undefined)).toEqual({ failedLoginDelayMs: 1000, maxFailedLogins: 3 });
    expect(() => accessOptions({ failedLoginDelayMs: -1 })).toThrow(/services.access.failedLoginDelayMs must be an integer from 0 to 60000/);
    expect(() => accessOptions({ delay: 1 })).toThrow(/unknown option "delay"/);
  });

  it('service rights: the Directory decides', () => {
    const nomail = m.site.directory.get('nomail')!;
    expect(m.domain.access.mayUse(nomail, 'mail')).toMatchObject({ ok: false, refused: 'service-unavailable' });
    expect(m.domain.access.mayUse(nomail, 'calendar')).toMatchObject({ ok: true });
  });
});

describe('parallel guesses', () => {
  it('wrong logins for one user name wait one after the other; other names are not held up', async () => {
    const quick = memorySite({ services: { access: { failedLoginDelayMs: 60 } } });
    quick.site.directory.create({ name: 'alice', password: 'pw', homeServer: 'twap01' });
    const attempt = (user: string, password: string) => quick.domain.access.login({ client: 'ame', server: quick.servers[0]!, operation: 'mail_list', user, password });
    const t0 = performance.now();
    const done: string[] = [];
    const all = ['a', 'b', 'c', 'd'].map((p) => attempt(p === 'd' ? 'ALICE' : 'alice', p).then(() => done.push(p)));
    const other = attempt('bob', 'x').then(() => done.push('bob'));
    const good = attempt('alice', 'pw');
    expect(await good).toMatchObject({ ok: true });
    expect(done).toEqual([]);
    await Promise.all([...all, other]);
    // Four guesses for alice (any case): four delays in a row, a lower bound; bob's guess did not wait for them.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4 * 60 - 10);
    expect(done.indexOf('bob')).toBeLessThan(done.indexOf('b'));
    expect(done.filter((d) => d !== 'bob')).toEqual(['a', 'b', 'c', 'd']);
    quick.site.close();
  });
});
