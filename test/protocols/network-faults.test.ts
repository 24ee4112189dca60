// Network faults as catalog behaviours (emulator defaults, off unless a policy
// turns them on): Toxiproxy's latency, timeout and reset per protocol, set
// through the control API and seen by real clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { request } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { api, collectEvents, startTestSite, trustSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestSite({ tls: 'off' } as never);
});
afterAll(async () => {
  await emu.stop();
});

const server = () => emu.endpoints.servers[0]!;
const policy = async (id: string, body: unknown) => expect((await api(emu, 'PUT', `/api/catalog/${id}/policy`, body)).status).toBe(200);

/** Connects, collects what the server sends for `ms`, and says how the connection ended. */
function probe(port: number, ms: number): Promise<{ data: string; end: 'reset' | 'closed' | 'open'; firstByteMs: number | null }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1');
    let data = '';
    let firstByteMs: number | null = null;
    let end: 'reset' | 'closed' | 'open' = 'open';
    s.on('data', (c) => {
      firstByteMs ??= performance.now() - t0;
      data += c.toString();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (end = e.code === 'ECONNRESET' ? 'reset' : 'closed'));
    s.on('close', () => {
      if (end === 'open') end = 'closed';
    });
    setTimeout(() => {
      s.destroy();
      resolve({ data, end, firstByteMs });
    }, ms);
  });
}

describe('network faults', { timeout: 60_000 }, () => {
  it('[behaviour:pop3.net-reset] off by default; `always` resets every new POP3 connection (TCP RST), on the event stream; `never` again serves', async () => {
    // Off is off: a connection puts nothing about the faults on the event stream (not three "suppressed" events).
    const quiet = collectEvents(emu);
    expect((await probe(server().pop3!, 300)).data).toMatch(/^\+OK /);
    quiet.off();
    expect(quiet.events.filter((e) => e.behaviour?.includes('.net-'))).toEqual([]);
    const events = collectEvents(emu);
    await policy('pop3.net-reset', { mode: 'always' });
    const r = await probe(server().pop3!, 500);
    expect(r).toMatchObject({ data: '', end: 'reset' });
    expect(events.fired('pop3.net-reset')).toHaveLength(1);
    expect(events.fired('pop3.net-reset')[0]).toMatchObject({ variant: 'on-connect', client: 'pop3' });
    events.off();
    await policy('pop3.net-reset', { mode: 'never' });
    expect((await probe(server().pop3!, 300)).data).toMatch(/^\+OK /);
  });

  it('[behaviour:imap4.net-latency] every reply comes at least 500 ms late, and imapflow still logs in and reads', async () => {
    await policy('imap4.net-latency', { mode: 'always' });
    try {
      const r = await probe(server().imap!, 1500);
      expect(r.data).toMatch(/^\* OK /);
      expect(r.firstByteMs!).toBeGreaterThanOrEqual(450);
      const client = new ImapFlow({ host: '127.0.0.1', port: server().imap!, secure: false, logger: false, auth: { user: 'alice', pass: 'teamware' } });
      await client.connect();
      const box = await client.mailboxOpen('INBOX');
      expect(box.exists).toBeGreaterThanOrEqual(3);
      await client.logout();
    } finally {
      await policy('imap4.net-latency', { mode: 'never' });
    }
  });

  it('[behaviour:web.net-timeout] a web request on a new connection gets no answer (the client times out), variant close-10s closes; `never` answers again', async () => {
    const url = `${server().web}/login`;
    expect(await get(url)).toBe(200);
    await policy('web.net-timeout', { mode: 'always' });
    await expect(get(url, 1500)).rejects.toThrow('no answer within 1500 ms');
    await policy('imap4.net-timeout', { mode: 'always', variant: 1 });
    const imap = await probe(server().imap!, 800);
    expect(imap).toMatchObject({ data: '', end: 'open' });
    await policy('web.net-timeout', { mode: 'never' });
    await policy('imap4.net-timeout', { mode: 'never' });
    expect(await get(url)).toBe(200);
  });
});

describe('network faults through a TLS upgrade', { timeout: 60_000 }, () => {
  let tls: Emulator;
  beforeAll(async () => {
    tls = await startTestSite();
  });
  afterAll(() => tls.stop());

  it('[behaviour:imap4.net-latency] [behaviour:pop3.net-latency] the latency drawn for a connection holds after STARTTLS and STLS (every reply inside TLS is late too)', async () => {
    tls.setPolicy('imap4.net-latency', 'always');
    tls.setPolicy('pop3.net-latency', 'always');
    try {
      const client = new ImapFlow({ host: '127.0.0.1', port: tls.endpoints.servers[0]!.imap!, secure: false, tls: trustSite(tls), logger: false, auth: { user: 'alice', pass: 'teamware' } });
      await client.connect();
      expect(client.secureConnection).toBe(true);
      let t0 = performance.now();
      await client.noop();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
      await client.logout();

      // POP3: greeting, STLS, then CAPA inside TLS.
      const plain = connect(tls.endpoints.servers[0]!.pop3!, '127.0.0.1');
      const lines = lineReader(plain);
      expect(await lines()).toMatch(/^\+OK /);
      plain.write('STLS\r\n');
      expect(await lines()).toMatch(/^\+OK /);
      const secure = tlsConnect({ socket: plain, ...trustSite(tls), servername: 'localhost' });
      await new Promise((r) => secure.once('secureConnect', r));
      const secureLines = lineReader(secure);
      t0 = performance.now();
      secure.write('NOOP\r\n');
      expect(await secureLines()).toMatch(/^[+-]/);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
      secure.destroy();
    } finally {
      tls.site.catalog.resetPolicies();
    }
  });
});

/** The next line a socket receives (bounded: rejects after 5 s). */
function lineReader(socket: import('node:net').Socket | import('node:tls').TLSSocket): () => Promise<string> {
  let buffer = '';
  const waiting: Array<(line: string) => void> = [];
  socket.on('data', (c: Buffer) => {
    buffer += c.toString();
    let i;
    while ((i = buffer.indexOf('\r\n')) >= 0 && waiting.length) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      waiting.shift()!(line);
    }
  });
  return () => new Promise((resolve, reject) => {
    const i = buffer.indexOf('\r\n');
    if (i >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      return resolve(line);
    }
    const timer = setTimeout(() => reject(new Error('no line within 5 s')), 5000);
    waiting.push((line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
}

/** A GET on a connection of its own (no keep-alive pool: the faults are drawn per new connection). */
function get(url: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (e) => reject(e));
    req.end();
  });
}
