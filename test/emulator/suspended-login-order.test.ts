// One rule for a login with wrong credentials on a suspended server, through
// every protocol (access.login-order): by default the password is
// checked first (a wrong one gets the ordinary refusal, a good one the busy
// answer); policy always checks the suspension first (every login is busy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, collectEvents, startTestSite } from '../helpers.js';
import { LineClient } from '../protocols/common/line-client.js';
import type { Emulator } from '../../emulator/index.js';

let emu: Emulator;
const ep = () => emu.endpoints.servers[0]!;

async function pop3(password: string): Promise<string> {
  const c = await LineClient.plain(ep().pop3!);
  await c.until(/\r\n/);
  c.send(`USER alice\r\nPASS ${password}\r\n`);
  await c.until(/\r\n/);
  const r = (await c.until(/\r\n/)).trim();
  c.close();
  return r;
}
async function imap(password: string): Promise<string> {
  const c = await LineClient.plain(ep().imap!);
  await c.until(/\r\n/);
  c.send(`a LOGIN alice ${password}\r\n`);
  const r = (await c.until(/^a .*\r\n/m)).trim();
  c.close();
  return r;
}
async function smtp(password: string): Promise<string> {
  const c = await LineClient.plain(ep().smtp!);
  await c.until(/\r\n/);
  c.send('EHLO x\r\n');
  await c.until(/^250 .*\r\n/m);
  c.send(`AUTH PLAIN ${Buffer.from(`\0alice\0${password}`).toString('base64')}\r\n`);
  const r = (await c.until(/\r\n/)).trim();
  c.close();
  return r;
}
async function web(password: string): Promise<{ status: number; busy: boolean; body: string }> {
  const res = await fetch(`${ep().web}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=alice&password=${password}`, redirect: 'manual' });
  return { status: res.status, busy: res.headers.get('x-twemu-behaviour') === 'web.busy', body: await res.text() };
}
async function ame(password: string): Promise<number> {
  const res = await fetch(`${ep().ame}/mail_list`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`, 'content-type': 'application/json' }, body: '{}' });
  return ((await res.json()) as { rc: number }).rc;
}

describe('[behaviour:access.login-order] wrong credentials on a suspended server', () => {
  beforeAll(async () => {
    emu = await startTestSite({ services: { access: { failedLoginDelayMs: 0 }, pop3: { failedLoginDelayMs: 0 } } });
    await emu.command('to tran suspend');
  });
  afterAll(() => emu.stop());

  it('default (after-password): a wrong password gets each protocol\'s ordinary refusal, a good one the busy answer; nothing of this rule on the event stream', async () => {
    const ev = collectEvents(emu);
    expect(await pop3('wrong')).toBe('-ERR [AUTH] invalid user name or password');
    expect(await pop3('teamware')).toMatch(/^-ERR unable to lock maildrop/);
    expect(await imap('wrong')).toBe('a NO [AUTHENTICATIONFAILED] Authentication failed');
    expect(await imap('teamware')).toBe('a NO LOGIN failed:Server is busy');
    expect(await smtp('wrong')).toBe('535 5.7.8 Authentication credentials invalid');
    expect(await smtp('teamware')).toMatch(/^454 4\.7\.0 /);
    const w = await web('wrong');
    expect(w.status).toBe(401);
    expect(w.busy).toBe(false);
    expect((await web('teamware')).busy).toBe(true);
    expect(await ame('wrong')).toBe(-4);
    expect(await ame('teamware')).toBe(-9);
    expect(ev.events.filter((e) => e.behaviour === 'access.login-order')).toEqual([]);
    ev.off();
  });

  it('policy always (before-password): every login gets the busy answer, right or wrong credentials, and the rule is on the event stream', async () => {
    const r = await api(emu, 'PUT', '/api/catalog/access.login-order/policy', { mode: 'always' });
    expect(r.status).toBe(200);
    const ev = collectEvents(emu);
    try {
      expect(await pop3('wrong')).toMatch(/^-ERR unable to lock maildrop/);
      expect(await imap('wrong')).toBe('a NO LOGIN failed:Server is busy');
      expect(await smtp('wrong')).toMatch(/^454 4\.7\.0 /);
      expect((await web('wrong')).busy).toBe(true);
      expect(await ame('wrong')).toBe(-9);
      expect(ev.fired('access.login-order').map((e) => e.client)).toEqual(['pop3', 'imap', 'smtp', 'web', 'ame']);
    } finally {
      ev.off();
      await api(emu, 'PUT', '/api/catalog/access.login-order/policy', { mode: 'never' });
    }
  });

  it('after the resume a wrong password is the ordinary refusal whatever the policy', async () => {
    emu.setPolicy('access.login-order', 'always');
    await emu.command('to tran resume');
    try {
      expect(await imap('wrong')).toBe('a NO [AUTHENTICATIONFAILED] Authentication failed');
      expect(await smtp('wrong')).toBe('535 5.7.8 Authentication credentials invalid');
    } finally {
      emu.site.catalog.resetPolicies();
    }
  });
});
