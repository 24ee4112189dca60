// Every listener of the built package, started as a user starts it
// (`TWEMU_NOW=... node dist/emulator/twemu.js serve --port-base 0 --data DIR`), through real clients:
// POP3 (node-pop3), the web pages (HTTP, session cookie, CSRF), the application execution module
// (HTTP+JSON), the control API (bearer token, console cookie and its CSRF header, Swagger UI).
// The site's clock is set with TWEMU_NOW, so the demo reservations are on a known day.
import Pop3Command from 'node-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient, textOf } from '../protocols/web/webclient.js';
import { runCli } from '../helpers.js';
import { serveBuilt, type Served } from './served.js';

const NOW = '2027-03-10T12:00:00Z'; // noon UTC: 2027-03-10 in every time zone from UTC-11 to UTC+11
const DAY = '2027-03-10';
const LOCK = '-ERR unable to lock maildrop';

let served: Served;
let srv: Served['endpoints']['servers'][number];
const pop3 = (user = 'alice') => new Pop3Command({ user, password: 'teamware', host: '127.0.0.1', port: srv.pop3!, timeout: 5000 });
const command = async (text: string) => expect((await served.api('POST', '/api/commands', { command: text })).status).toBe(200);

beforeAll(async () => {
  served = await serveBuilt({ env: { TWEMU_NOW: NOW } });
  srv = served.endpoints.servers[0]!;
});
afterAll(async () => served?.stop());

describe('the built package, as `twemu serve` runs it', () => {
  it('POP3: the demo mailbox, byte-exact retrieval; while suspended, the seed\'s refusal', async () => {
    const p = pop3();
    try {
      const [count] = (await p.STAT()).split(' ');
      expect(Number(count)).toBe(3);
      const list = (await p.LIST()) as unknown as string[][];
      expect(list.map((l) => l[0])).toEqual(['1', '2', '3']);
      const msg = await p.RETR(2);
      expect(msg).toContain('Subject: Quarterly figures');
      // node-pop3 hands back the lines as they were on the wire: the body's lone "." dot-stuffed (RFC 1939).
      expect(msg).toContain('\r\n..\r\nA line with a single dot above.');
    } finally {
      await p.QUIT().catch(() => undefined);
    }
    await command('to tran suspend');
    try {
      await expect(pop3('bob').STAT()).rejects.toThrow(`${LOCK.slice(5)} (emulator detail: the server is suspended for an online backup)`);
    } finally {
      await command('to tran resume');
    }
    expect(Number((await pop3('bob').STAT()).split(' ')[0])).toBe(3);
  });

  it('web pages: login sets the session cookie, today\'s schedule follows the site clock, a POST needs the CSRF token', async () => {
    const c = new WebClient(srv.web!);
    const login = await c.login('alice');
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')).toMatch(/TWSESSION=[\w-]{20,}; Path=\/; HttpOnly; SameSite=Strict/i);
    const today = textOf((await c.get('/schedule/today')).text);
    expect(today).toContain('2027年3月10日');
    expect(today).toContain('定例会議');
    expect(today).not.toContain('出張'); // the demo puts it on the next day
    const refused = await c.post('/memo/create', { title: 'no token', body: 'x' }, { csrf: null });
    expect(refused.status).toBe(403);
    const created = await c.post('/memo/create', { title: 'e2e memo', body: 'made through the built package' });
    expect(created.status).toBe(303);
    expect(textOf((await c.get('/memo/list')).text)).toContain('e2e memo');
  });

  it('application execution module: HTTP+JSON calls, -9 while suspended, its OpenAPI page', async () => {
    const call = async (fn: string, body: unknown) => {
      const res = await fetch(`${srv.ame}/${fn}`, {
        method: 'POST', body: JSON.stringify(body),
        headers: { authorization: `Basic ${Buffer.from('alice:teamware').toString('base64')}`, 'content-type': 'application/json' },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const list = await call('calendar_list', { from: `${DAY}T00:00`, to: `${DAY}T23:59` });
    expect(list.body.rc).toBe(0);
    expect(list.body.reservations.map((r: { title: string }) => r.title)).toEqual(expect.arrayContaining(['定例会議', '顧客訪問']));
    for (const r of list.body.reservations) expect(r.start.slice(0, 10)).toBe(DAY);
    expect((await call('date_format', { date: '2026-11-26T10:30', format: 'YYYY年MM月DD日(ddd) hh:mm' })).body).toEqual({ rc: 0, text: '2026年11月26日(木) 10:30' });
    await command('to tran suspend');
    try {
      expect((await call('mail_list', {})).body.rc).toBe(-9);
    } finally {
      await command('to tran resume');
    }
    expect((await call('mail_list', {})).body).toMatchObject({ rc: 0, total: 3 });
    expect((await fetch(`${srv.ame}/docs`)).status).toBe(200);
  });

  it('control API: token required, status, events with the site clock\'s time; console cookie and its CSRF header; Swagger UI', async () => {
    const base = served.endpoints.control;
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ ok: true, topology: 'single' });
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    const st = await served.api('GET', '/api/status');
    expect(st.status).toBe(200);
    expect(st.body.servers[0]).toMatchObject({ name: 'twsv01', service: 'available', backupMode: 'off' });
    const events = await served.api('GET', '/api/events?since=0&format=json');
    expect(events.status, JSON.stringify(events.body).slice(0, 300)).toBe(200);
    const times = (Array.isArray(events.body) ? events.body : events.body.events).map((e: { time: string }) => e.time) as string[];
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t.slice(0, 10)).toBe(DAY);

    const login = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(served.token)}` });
    expect(login.status).toBe(303);
    const cookie = /twemu_token=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie).toBeDefined();
    expect((await fetch(`${base}/console/state`, { headers: { cookie: cookie! } })).status).toBe(200);
    const noHeader = await fetch(`${base}/api/catalog/reset`, { method: 'POST', headers: { cookie: cookie!, 'content-type': 'application/json' }, body: '{}' });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { error: string }).error).toBe('E_CSRF');
    const withHeader = await fetch(`${base}/api/catalog/reset`, { method: 'POST', headers: { cookie: cookie!, 'x-twemu-console': '1', 'content-type': 'application/json' }, body: '{}' });
    expect(withHeader.status).toBe(200);

    const docs = await fetch(`${base}/docs/`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const spec = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/api/commands');
    const missing = await fetch(`${base}/docs/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'E_NOT_FOUND', message: 'no route GET /docs/nope' });
  });

  it('a scenario through the CLI against the running site: `twemu scenario run FILE --data DIR`', async () => {
    const r = await runCli(['scenario', 'run', 'scenarios/library/pop3.login.yaml', '--data', served.dir], { timeoutMs: 120_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('1 passed, 0 failed');
    expect(r.code).toBe(0);
    expect((await served.api('GET', '/api/status')).body.servers[0]).toMatchObject({ service: 'available' });
  });
});
