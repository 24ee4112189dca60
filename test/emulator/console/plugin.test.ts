import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSocket } from '../../../protocols/common/line-client.js';
import { api, http as httpRequest, sseEvents, startTestSite, tempDir } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

// The training console over HTTP: login and cookie, 401 without the token,
// CSRF on cookie-authenticated changes, the checklist, the demo-client routes.

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function http(emu: Emulator, method: string, path: string, opts: { cookie?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const r = await httpRequest(`${emu.endpoints.control}${path}`, { method, headers: { ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers }, body: opts.body });
  return { status: r.status, headers: r.headers, text: r.text, json: r.json };
}

const CONSOLE = { 'x-twemu-console': '1', 'content-type': 'application/json' };

/** The first line a raw TCP client reads from a port. */
async function firstLine(port: number): Promise<string> {
  const c = await LineSocket.connect('127.0.0.1', port);
  try {
    const line = await c.readLine();
    if (line === null) throw new Error('closed before a line');
    return line;
  } finally {
    c.close();
  }
}

describe('console: login, pages and auth (single-server site)', () => {
  let emu: Emulator;
  let cookie: string;
  beforeAll(async () => {
    emu = await startTestSite();
    cookie = `twemu_token=${emu.token}`;
  });
  afterAll(async () => emu.stop());

  it('answers 401 with the login form (and no console) without the token', async () => {
    const r = await http(emu, 'GET', '/console');
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.text).toContain('<form method="post" action="/console/login"');
    expect(r.text).toContain('name="token"');
    expect(r.text).not.toContain('id="servers"');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('answers 401 to a wrong cookie or a wrong bearer token', async () => {
    expect((await http(emu, 'GET', '/console', { cookie: 'twemu_token=wrong' })).status).toBe(401);
    expect((await http(emu, 'GET', '/console', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await http(emu, 'GET', '/console/state', { cookie: 'twemu_token=wrong' })).status).toBe(401);
  });

  it('refuses a wrong token at login without setting a cookie', async () => {
    const r = await http(emu, 'POST', '/console/login', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=not-the-token' });
    expect(r.status).toBe(401);
    expect(r.text).toContain('Wrong admin token.');
    expect(r.headers.get('set-cookie')).toBeNull();
    const empty = await http(emu, 'POST', '/console/login', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter the admin token.');
  });

  it('logs in with the token: HttpOnly SameSite=Strict cookie, then the console page', async () => {
    const r = await http(emu, 'POST', '/console/login', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(emu.token)}` });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/console');
    const setCookie = r.headers.get('set-cookie') ?? '';
    expect(setCookie).toContain(`twemu_token=${emu.token}`);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\//);
    const page = await http(emu, 'GET', '/console', { cookie: setCookie.split(';')[0]! });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="servers"');
    expect(page.text).toContain('id="command-form"');
    expect(page.text).toContain('<script src="/console/assets/console.js" defer></script>');
  });

  it('also opens with the bearer token', async () => {
    const page = await http(emu, 'GET', '/console', { headers: { authorization: `Bearer ${emu.token}` } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="feed"');
  });

  it('serves its script and style, and nothing else from the asset folder', async () => {
    const js = await http(emu, 'GET', '/console/assets/console.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.text).toContain('new EventSource(');
    expect(js.text).toContain("'x-twemu-console': '1'");
    const css = await http(emu, 'GET', '/console/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await http(emu, 'GET', '/console/assets/checklist.ts')).status).toBe(404);
    expect((await http(emu, 'GET', '/console/assets/..%2F..%2F..%2F..%2Fpackage.json')).status).toBe(404);
  });

  it('logs out by clearing the cookie', async () => {
    const r = await http(emu, 'POST', '/console/logout', { cookie });
    expect(r.status).toBe(303);
    const setCookie = r.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^twemu_token=;/);
    expect(setCookie).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
  });

  it('refuses a cookie-authenticated command without the console header (CSRF), keeps bearer callers working', async () => {
    const json = JSON.stringify({ command: 'to tran suspend', server: 'twsv01' });
    const noHeader = await http(emu, 'POST', '/api/commands', { cookie, headers: { 'content-type': 'application/json' }, body: json });
    expect(noHeader.status).toBe(403);
    expect(noHeader.json.error).toBe('E_CSRF');
    // What a cross-site HTML form can send: a urlencoded body, the cookie, no custom header.
    const form = await http(emu, 'POST', '/api/commands', { cookie, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=to+tran+suspend' });
    expect(form.status).toBe(403);
    const plain = await http(emu, 'POST', '/api/commands', { cookie, headers: { 'content-type': 'text/plain' }, body: json });
    expect(plain.status).toBe(403);
    expect(emu.site.server('twsv01').suspended).toBe(false);

    const withHeader = await http(emu, 'POST', '/api/commands', { cookie, headers: CONSOLE, body: json });
    expect(withHeader.status).toBe(200);
    expect(emu.site.server('twsv01').suspended).toBe(true);
    // Reading needs no header.
    expect((await http(emu, 'GET', '/api/status', { cookie })).status).toBe(200);
    // Bearer callers are unchanged.
    const bearer = await api(emu, 'POST', '/api/commands', { command: 'to tran resume', server: 'twsv01' });
    expect(bearer.status).toBe(200);
    expect(emu.site.server('twsv01').suspended).toBe(false);
  });

  it('protects the demo routes: 401 without the token, 403 without the console header', async () => {
    const body = JSON.stringify({ server: 'twsv01' });
    expect((await http(emu, 'POST', '/console/demo/pop3-login', { headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
    expect((await http(emu, 'POST', '/console/demo/pop3-login', { cookie, headers: { 'content-type': 'application/json' }, body })).status).toBe(403);
    expect((await http(emu, 'GET', '/console/state')).status).toBe(401);
  });

  it('cannot be reached around the token with percent-escaped paths (the router decodes them)', async () => {
    // `/%61pi/...` routes to `/api/...` and `/%63onsole/...` to `/console/...`: the checks must see the matched route.
    expect((await http(emu, 'GET', '/%61pi/status')).status).toBe(401);
    expect((await http(emu, 'GET', '/%63onsole/state')).status).toBe(401);
    const body = JSON.stringify({ command: 'to tran suspend' });
    expect((await http(emu, 'POST', '/%61pi/commands', { headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
    expect((await http(emu, 'POST', '/%61pi/commands', { cookie, headers: { 'content-type': 'application/json' }, body })).status).toBe(403);
    expect((await http(emu, 'POST', '/%63onsole/demo/pop3-login', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ server: 'twsv01' }) })).status).toBe(401);
    expect(emu.site.server('twsv01').suspended).toBe(false);
    // The public routes and the bearer token still work through the same escapes.
    expect((await http(emu, 'GET', '/%63onsole/assets/console.css')).status).toBe(200);
    expect((await http(emu, 'GET', '/%61pi/status', { headers: { authorization: `Bearer ${emu.token}` } })).status).toBe(200);
    expect((await http(emu, 'GET', '/api/no-such-route')).status).toBe(401);
  });

  it('answers bad demo input with a clear 4xx and keeps serving', async () => {
    const bad = async (path: string, body: unknown) => http(emu, 'POST', path, { cookie, headers: CONSOLE, body: JSON.stringify(body) });
    const unknownServer = await bad('/console/demo/pop3-login', { server: 'nosuch' });
    expect(unknownServer.status).toBe(404);
    expect(unknownServer.json.message).toContain('no server named "nosuch"');
    expect((await bad('/console/demo/pop3-login', { server: 'twsv01', user: 'alice\r\nDELE 1' })).status).toBe(400);
    expect((await bad('/console/demo/web-page', { server: 'twsv01', path: 'http://example.com/' })).status).toBe(400);
    expect((await bad('/console/demo/telnet', { server: 'twsv01' })).status).toBe(400);
    const notJson = await http(emu, 'POST', '/console/demo/pop3-login', { cookie, headers: CONSOLE, body: '{not json' });
    expect(notJson.status).toBe(400);
    expect(notJson.text).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect((await http(emu, 'GET', '/console/state', { cookie })).status).toBe(200);
  });

  it('runs a demo POP3 client and shows exactly what it saw, as a client event on the stream', async () => {
    const port = emu.site.server('twsv01').ports.pop3!;
    const greeting = await firstLine(port);
    const sse = await sseEvents(emu);
    try {
      const r = await http(emu, 'POST', '/console/demo/pop3-login', { cookie, headers: CONSOLE, body: JSON.stringify({ server: 'twsv01', user: 'alice', password: 'teamware' }) });
      expect(r.status).toBe(200);
      expect(r.json.client).toBe('pop3');
      // The greeting's APOP timestamp differs per connection; the rest is the same line.
      const stable = (line: string) => line.replace(/<[^>]*>/, '<...>');
      expect(r.json.lines[0].from).toBe('S');
      expect(stable(r.json.lines[0].text)).toBe(stable(greeting));
      expect(JSON.stringify(r.json.lines)).not.toContain('teamware'); // the password is masked
      const event = await sse.waitFor((e) => e.type === 'client' && e.client === 'pop3');
      expect(event.server).toBe('twsv01');
      expect(event.message).toBe(r.json.summary);
      expect((event.data as { transcript: unknown }).transcript).toEqual(r.json.lines);
    } finally {
      sse.close();
    }
  });

  it('[behaviour:pop3.login] the demo POP3 client sees -ERR unable to lock maildrop on PASS while suspended', async () => {
    const sse = await sseEvents(emu);
    try {
      await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'twsv01' });
      const r = await http(emu, 'POST', '/console/demo/pop3-login', { cookie, headers: CONSOLE, body: JSON.stringify({ server: 'twsv01', user: 'alice', password: 'teamware' }) });
      expect(r.status).toBe(200);
      expect(r.json.ok).toBe(false);
      expect(r.json.summary).toMatch(/^-ERR unable to lock maildrop/);
      const pass = r.json.lines.findIndex((l: { from: string; text: string }) => l.from === 'C' && l.text.startsWith('PASS '));
      expect(pass).toBeGreaterThan(0);
      expect(r.json.lines[pass + 1].text).toMatch(/^-ERR unable to lock maildrop/);
      const fired = await sse.behaviour('pop3.login');
      expect(fired.server).toBe('twsv01');
      expect(fired.messages?.[0] ?? fired.message).toMatch(/^-ERR unable to lock maildrop|^unable to lock maildrop/);
    } finally {
      sse.close();
      await api(emu, 'POST', '/api/commands', { command: 'to tran resume', server: 'twsv01' });
    }
  });

  it('[behaviour:imap4.login] the demo IMAP client sees NO LOGIN failed:Server is busy while suspended', async () => {
    const login = async () => http(emu, 'POST', '/console/demo/imap-login', { cookie, headers: CONSOLE, body: JSON.stringify({ server: 'twsv01', user: 'alice', password: 'teamware' }) });
    const ok = await login();
    expect(ok.status).toBe(200);
    expect(ok.json.ok).toBe(true);
    expect(ok.json.summary).toMatch(/^a1 OK/);
    expect(ok.json.lines).toContainEqual({ from: 'C', text: 'a1 LOGIN "alice" "********"' });
    const sse = await sseEvents(emu);
    try {
      await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'twsv01' });
      const busy = await login();
      expect(busy.status).toBe(200);
      expect(busy.json.ok).toBe(false);
      expect(busy.json.summary).toMatch(/^a1 NO .*LOGIN failed:Server is busy/);
      const fired = await sse.behaviour('imap4.login');
      expect(fired.server).toBe('twsv01');
      const seen = await sse.waitFor((e) => e.type === 'client' && e.client === 'imap' && e.seq > fired.seq);
      expect(seen.message).toBe(busy.json.summary);
    } finally {
      sse.close();
      await api(emu, 'POST', '/api/commands', { command: 'to tran resume', server: 'twsv01' });
    }
  });

  it('[behaviour:web.busy] the demo browser logs in like a user and sees the busy page while suspended', async () => {
    const ok = await http(emu, 'POST', '/console/demo/web-page', { cookie, headers: CONSOLE, body: JSON.stringify({ server: 'twsv01', path: '/' }) });
    expect(ok.status).toBe(200);
    const lines = ok.json.lines as Array<{ from: string; text: string }>;
    expect(lines[0]).toEqual({ from: 'C', text: 'GET /' });
    expect(lines[1]!.text).toMatch(/^HTTP 303 See Other -> \/login$/);
    expect(lines).toContainEqual({ from: 'C', text: 'POST /login (user=alice, password=********)' });
    expect(JSON.stringify(lines)).not.toContain('password=teamware');
    expect(ok.json.ok).toBe(true);

    const sse = await sseEvents(emu);
    try {
      await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'twsv01' });
      const busy = await http(emu, 'POST', '/console/demo/web-page', { cookie, headers: CONSOLE, body: JSON.stringify({ server: 'twsv01', path: '/' }) });
      expect(busy.status).toBe(200);
      expect(busy.json.summary).toContain('サーバに負荷がかかっています。しばらくしてからアクセスしてください。');
      const fired = await sse.behaviour('web.busy');
      expect(fired.server).toBe('twsv01');
    } finally {
      sse.close();
      await api(emu, 'POST', '/api/commands', { command: 'to tran resume', server: 'twsv01' });
    }
  });

  it('[behaviour:ame.server-call] the demo API client calls a server function: rc 0, then -9 or -10 while suspended', async () => {
    const fns = await http(emu, 'GET', '/console/demo/ame-functions?server=twsv01', { cookie });
    expect(fns.status).toBe(200);
    const first = (fns.json.functions as Array<{ name: string; touchesServer?: boolean }>).find((f) => f.touchesServer === true)!;
    expect(first).toBeDefined();
    const call = async () => http(emu, 'POST', '/console/demo/api-call', { cookie, headers: CONSOLE, body: JSON.stringify({ server: 'twsv01' }) });
    const ok = await call();
    expect(ok.status).toBe(200);
    expect(ok.json.client).toBe('ame');
    expect(ok.json.lines[0]).toEqual({ from: 'C', text: 'GET /ame/functions' });
    expect(ok.json.lines[1].text).toMatch(new RegExp(`^HTTP 200 \\(\\d+ functions: .*${first.name}`));
    expect(ok.json.lines[2]).toEqual({ from: 'C', text: `POST /ame/${first.name} {}` });
    expect(ok.json.summary).toBe(`${first.name}: rc 0`);
    expect(ok.json.ok).toBe(true);
    const sse = await sseEvents(emu);
    try {
      await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'twsv01' });
      const busy = await call();
      expect(busy.json.summary).toMatch(new RegExp(`^${first.name}: rc -(9|10)$`));
      expect(busy.json.ok).toBe(false);
      const fired = await sse.behaviour('ame.server-call');
      expect(fired.server).toBe('twsv01');
    } finally {
      sse.close();
      await api(emu, 'POST', '/api/commands', { command: 'to tran resume', server: 'twsv01' });
    }
  });
});

describe('console: the checklist follows the procedure', () => {
  let emu: Emulator;
  const dest = tempDir('twemu-console-backup-');
  beforeAll(async () => {
    emu = await startTestSite();
  });
  afterAll(async () => {
    await emu.stop();
    dest.remove();
  });

  const view = async (name: string) => {
    const r = await api(emu, 'GET', '/console/state');
    expect(r.status).toBe(200);
    const s = r.body.servers.find((x: { name: string }) => x.name === name);
    return { next: s.checklist.next as number | null, done: (s.checklist.steps as Array<{ step: number; done: boolean }>).filter((x) => x.done).map((x) => x.step), waiting: s.checklist.waiting as string | null, body: r.body };
  };

  it('walks the 7 steps on a single server: done steps and the next valid step', async () => {
    const start = await view('twsv01');
    expect(start).toMatchObject({ next: 1, done: [], waiting: null });
    expect(start.body.backupsApi).toBe(true);
    const run = async (command: string) => expect((await api(emu, 'POST', '/api/commands', { command, server: 'twsv01' })).status).toBe(200);
    await run('to tran suspend');
    expect(await view('twsv01')).toMatchObject({ next: 2, done: [1] });
    await run('to backup on');
    expect(await view('twsv01')).toMatchObject({ next: 3, done: [1, 2] });
    await run('tobkweb arc');
    expect(await view('twsv01')).toMatchObject({ next: 4, done: [1, 2, 3] });
    await run('to tran resume');
    expect(await view('twsv01')).toMatchObject({ next: 5, done: [1, 2, 3, 4] });
    expect((await api(emu, 'POST', '/api/backups?wait=true', { server: 'twsv01', level: 0, dest: dest.path })).status).toBe(200);
    expect(await view('twsv01')).toMatchObject({ next: 6, done: [1, 2, 3, 4, 5] });
    await run('tobkweb rm');
    expect(await view('twsv01')).toMatchObject({ next: 7, done: [1, 2, 3, 4, 5, 6] });
    await run('to backup off');
    expect(await view('twsv01')).toMatchObject({ next: 1, done: [] });
  });

  it('does not tick steps that were skipped in lenient mode', async () => {
    const r = await api(emu, 'POST', '/api/commands', { command: 'to backup on', server: 'twsv01', lenient: true });
    expect(r.status).toBe(200);
    expect(r.body.results[0].warnings).toEqual(['suspend-first']);
    // The state looks like "suspended, then resumed", but steps 1 and 4 never ran.
    expect(await view('twsv01')).toMatchObject({ next: 1, done: [2] });
    // Strict mode does not end backup mode without a backup; stopping part-way is `--abort` (19.3.4).
    const off = await api(emu, 'POST', '/api/commands', { command: 'to backup off', server: 'twsv01' });
    expect(off.status).toBe(409);
    expect(off.body.rule).toBe('all-backups-done');
    expect((await api(emu, 'POST', '/api/commands', { command: 'to backup off', server: 'twsv01', abort: true })).status).toBe(200);
    expect(await view('twsv01')).toMatchObject({ next: 1, done: [] });
  });

  it('a plain suspend and resume leaves the checklist at the start', async () => {
    await emu.command('to tran suspend', { server: 'twsv01' });
    await emu.command('to tran resume', { server: 'twsv01' });
    expect(await view('twsv01')).toMatchObject({ next: 1, done: [] });
  });
});

describe('console: the checklist after a restart in the middle of the procedure', () => {
  const data = tempDir('twemu-console-restart-');
  afterAll(() => data.remove());

  it('takes the steps the persisted state shows as done', async () => {
    const first = await startTestSite({ dataDir: data.path });
    try {
      await first.command('to tran suspend');
      await first.command('to backup on');
    } finally {
      await first.stop();
    }
    const again = await startTestSite({ dataDir: data.path });
    try {
      const r = await api(again, 'GET', '/console/state');
      const steps = r.body.servers[0].checklist.steps as Array<{ step: number; done: boolean }>;
      expect(steps.filter((x) => x.done).map((x) => x.step)).toEqual([1, 2]);
      expect(r.body.servers[0].checklist.next).toBe(3);
    } finally {
      await again.stop();
    }
  });
});

describe('console: multi-server site', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2 });
  });
  afterAll(async () => emu.stop());

  it('shows the directory server waiting for the application servers, then its step 1', async () => {
    const r = await api(emu, 'GET', '/console/state');
    const byName = Object.fromEntries(r.body.servers.map((s: { name: string }) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(['twdir01', 'twap01', 'twap02']);
    expect(byName.twdir01.checklist.next).toBeNull();
    expect(byName.twdir01.checklist.waiting).toContain('cannot suspend directory server twdir01 while application server(s) twap01, twap02 are available');
    expect(byName.twap01.checklist.next).toBe(1);
    expect(byName.twap01.ports.pop3).toBeGreaterThan(0);
    await emu.command('to tran suspend', { server: 'twap01' });
    await emu.command('to tran suspend', { server: 'twap02' });
    const after = await api(emu, 'GET', '/console/state');
    expect(after.body.servers[0].checklist.next).toBe(1);
    expect(after.body.servers[0].checklist.waiting).toBeNull();
  });

  it('walks the whole multi-server procedure: who is next and who waits for whom', async () => {
    const dest = tempDir('twemu-console-multi-backup-');
    try {
      const views = async () => {
        const r = await api(emu, 'GET', '/console/state');
        return Object.fromEntries(r.body.servers.map((s: { name: string; checklist: { next: number | null; waiting: string | null } }) => [s.name, s.checklist]));
      };
      const all = async (command: string) => expect((await api(emu, 'POST', '/api/commands', { command, server: 'all' })).status).toBe(200);
      await all('to tran suspend'); // the first test suspended the application servers already
      let v = await views();
      expect([v.twdir01.next, v.twap01.next, v.twap02.next]).toEqual([2, 2, 2]);
      await all('to backup on');
      v = await views();
      expect([v.twap01.next, v.twap02.next]).toEqual([3, 3]);
      expect(v.twdir01.next).toBeNull();
      expect(v.twdir01.waiting).toContain('cannot run tobkweb arc on directory server twdir01 before application server(s) twap01, twap02');
      await all('tobkweb arc');
      v = await views();
      expect(v.twdir01.next).toBe(4);
      expect(v.twap01.next).toBeNull();
      expect(v.twap01.waiting).toContain('cannot resume application server twap01 while directory server twdir01 is suspended');
      await all('to tran resume');
      v = await views();
      expect([v.twdir01.next, v.twap01.next, v.twap02.next]).toEqual([5, 5, 5]);
      expect((await api(emu, 'POST', '/api/backups?wait=true', { server: 'all', level: 0, dest: dest.path })).status).toBe(200);
      v = await views();
      expect([v.twdir01.next, v.twap01.next, v.twap02.next]).toEqual([6, 6, 6]);
      await all('tobkweb rm');
      v = await views();
      expect([v.twdir01.next, v.twap01.next, v.twap02.next]).toEqual([7, 7, 7]);
      await all('to backup off');
      v = await views();
      expect([v.twdir01.next, v.twap01.next, v.twap02.next]).toEqual([null, 1, 1]);
    } finally {
      dest.remove();
    }
  });

  it('says a directory server has no POP3 instead of trying', async () => {
    const r = await fetch(`${emu.endpoints.control}/console/demo/pop3-login`, {
      method: 'POST', headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ server: 'twdir01' }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: string; message: string; hint: string };
    expect(body.error).toBe('E_NO_SERVICE');
    expect(body.message).toBe('twdir01 does not run POP3');
    expect(body.hint).toContain('twap01, twap02');
  });
});
