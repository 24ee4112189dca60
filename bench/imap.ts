// IMAP figures: logins per second, FETCH of 1,000 envelopes, BODY[] throughput,
// the server's memory per idle connection at 1,000 connections, and p99 command
// latency with 100 concurrent active clients. The server runs as its own
// process (`twemu serve`), so the clients do not share its event loop and its
// memory can be read from /proc.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { CLI } from './serve.js';
const WAIT_MS = 60_000; // a loaded machine, and a Dovecot fsyncing 1,000 pipelined APPENDs
const LOGIN_RUN_MS = 2000;
const LOGIN_CONCURRENCY = 10;
const ENVELOPES = 1000;
const BIG_MESSAGES = 20;
const BIG_SIZE = 1_000_000;
const IDLE_CONNECTIONS = 1000;
const ACTIVE_CLIENTS = 100;
const ACTIVE_COMMANDS_EACH = 30;

/** A small IMAP client: reads lines and skips `{n}` literals without rescanning, every wait bounded. */
export class Client {
  private buf: Buffer = Buffer.alloc(0);
  private literalLeft = 0;
  private pending = new Map<string, (line: string) => void>();
  private tagSeq = 0;
  bytes = 0;
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => this.read(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const r of this.pending.values()) r('* closed');
      this.pending.clear();
    });
  }

  static open(port: number): Promise<Client> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1');
      const c = new Client(s);
      const t = setTimeout(() => rej(new Error('no greeting')), WAIT_MS);
      c.pending.set('*greeting', () => {
        clearTimeout(t);
        res(c);
      });
      s.once('error', rej);
    });
  }

  private read(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.literalLeft) {
        const take = Math.min(this.literalLeft, this.buf.length);
        this.literalLeft -= take;
        this.buf = this.buf.subarray(take);
        if (this.literalLeft) return;
      }
      const lf = this.buf.indexOf(0x0a);
      if (lf < 0) return;
      const line = this.buf.subarray(0, lf + 1).toString('latin1');
      this.buf = this.buf.subarray(lf + 1);
      const lit = /\{(\d+)\}\r\n$/.exec(line);
      if (lit) this.literalLeft = Number(lit[1]);
      if (line.startsWith('* OK') && this.pending.has('*greeting')) {
        this.pending.get('*greeting')!(line);
        this.pending.delete('*greeting');
        continue;
      }
      const sp = line.indexOf(' ');
      const tag = line.slice(0, sp);
      const r = this.pending.get(tag);
      if (r && /^[A-Z]+\d+ (OK|NO|BAD)/.test(line)) {
        this.pending.delete(tag);
        r(line.trimEnd());
      }
    }
  }

  /** Sends a command; resolves with its tagged completion line. */
  cmd(text: string | Buffer, after?: Buffer): Promise<string> {
    const tag = `C${++this.tagSeq}`;
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timeout: ${text}`)), WAIT_MS);
      this.pending.set(tag, (line) => {
        clearTimeout(t);
        if (!/ OK/.test(line)) rej(new Error(`${text}: ${line}`));
        else res(line);
      });
      this.socket.write(`${tag} ${text}\r\n`);
      if (after) this.socket.write(after);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Proportional set size of a process (shared pages split among their users), KB. */
export function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]);
  } catch {
    return 0; // the process ended
  }
}

function startServer(data: string, config: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port-base', '0', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`twemu serve did not start:\n${out}`));
    }, WAIT_MS);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (!out.includes('twemu ready ')) return;
      clearTimeout(t);
      const endpoints = JSON.parse(readFileSync(join(data, 'endpoints.json'), 'utf8')) as { servers: Array<{ imap?: number }> };
      res({ child, port: endpoints.servers[0]!.imap! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`twemu serve exited (${code}):\n${out}`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

export async function loggedIn(port: number, user = 'alice'): Promise<Client> {
  const c = await Client.open(port);
  await c.cmd(`LOGIN ${user} teamware`);
  return c;
}

export async function loginsPerSecond(port: number): Promise<number> {
  let done = 0;
  const until = performance.now() + LOGIN_RUN_MS;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, async () => {
    while (performance.now() < until) {
      const c = await loggedIn(port, 'bob');
      await c.cmd('LOGOUT');
      c.close();
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

export function message(i: number, body: string): Buffer {
  return Buffer.from([
    `From: "Sender ${i}" <sender${i}@teamware.example>`, `To: alice@teamware.example, "Bob" <bob@teamware.example>`,
    `Subject: =?UTF-8?B?${Buffer.from(`ベンチマーク ${i}`).toString('base64')}?=`, `Date: Mon, 23 Nov 2026 10:00:00 +0900`,
    `Message-ID: <bench-${i}@teamware.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', '', body, '',
  ].join('\r\n'));
}

/** APPENDs pipelined with LITERAL+ (one round trip per batch). */
export async function appendAll(c: Client, folder: string, messages: Buffer[]): Promise<void> {
  await Promise.all(messages.map((m) => c.cmd(`APPEND ${folder} {${m.length}+}\r\n`.slice(0, -2), Buffer.concat([m, Buffer.from('\r\n')]))));
}

export async function fetchEnvelopes(port: number, folder = 'bench1000'): Promise<{ first: number; median: number }> {
  const c = await loggedIn(port);
  await c.cmd(`CREATE ${folder}`);
  await appendAll(c, folder, Array.from({ length: ENVELOPES }, (_v, i) => message(i, `body ${i}`)));
  await c.cmd(`EXAMINE ${folder}`);
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await c.cmd(`FETCH 1:${ENVELOPES} (UID FLAGS ENVELOPE)`);
    runs.push(performance.now() - t0);
  }
  c.close();
  return { first: runs[0]!, median: [...runs].sort((a, b) => a - b)[2]! };
}

export async function bodyThroughput(port: number, folder = 'benchbig'): Promise<number> {
  const c = await loggedIn(port);
  await c.cmd(`CREATE ${folder}`);
  const line = `${'0123456789'.repeat(7)}abcdefg\r\n`;
  const body = line.repeat(Math.ceil(BIG_SIZE / line.length));
  await appendAll(c, folder, Array.from({ length: BIG_MESSAGES }, (_v, i) => message(i, body)));
  await c.cmd(`EXAMINE ${folder}`);
  await c.cmd('FETCH 1 BODY.PEEK[]'); // warm-up
  const before = c.bytes;
  const t0 = performance.now();
  for (let round = 0; round < 3; round++) await c.cmd(`FETCH 1:${BIG_MESSAGES} BODY.PEEK[]`);
  const mb = (c.bytes - before) / 1e6;
  c.close();
  return mb / ((performance.now() - t0) / 1000);
}

export async function idleMemory(port: number, memoryKb: () => number, connections = IDLE_CONNECTIONS): Promise<{ perConnKb: number; rssMb: number }> {
  // One session first, so code paths are loaded before the baseline.
  const warm = await loggedIn(port);
  await warm.cmd('SELECT INBOX');
  await warm.cmd('LOGOUT');
  warm.close();
  await new Promise((r) => setTimeout(r, 300));
  const before = memoryKb();
  const clients: Client[] = [];
  for (let i = 0; i < connections; i += 50) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(50, connections - i) }, async () => {
      const c = await loggedIn(port, i % 100 < 50 ? 'alice' : 'bob');
      await c.cmd('SELECT INBOX');
      return c;
    }))));
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = memoryKb();
  for (const c of clients) c.close();
  return { perConnKb: (after - before) / connections, rssMb: after / 1024 };
}

export async function activeLatency(port: number): Promise<{ p50: number; p99: number; perSecond: number; commands: number }> {
  const clients = await Promise.all(Array.from({ length: ACTIVE_CLIENTS }, async (_v, i) => {
    const c = await loggedIn(port, i % 2 ? 'alice' : 'bob');
    await c.cmd('SELECT INBOX');
    return c;
  }));
  const commands = ['NOOP', 'FETCH 1:3 (UID FLAGS ENVELOPE)', 'UID SEARCH UNSEEN', 'STATUS OUTBOX (MESSAGES UIDNEXT)', 'FETCH 2 BODY.PEEK[]', 'UID STORE 1 +FLAGS.SILENT (bench)'];
  const times: number[] = [];
  const t0 = performance.now();
  await Promise.all(clients.map(async (c, i) => {
    for (let n = 0; n < ACTIVE_COMMANDS_EACH; n++) {
      const s = performance.now();
      await c.cmd(commands[(i + n) % commands.length]!);
      times.push(performance.now() - s);
    }
  }));
  const total = performance.now() - t0;
  for (const c of clients) c.close();
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50: pct(50), p99: pct(99), perSecond: times.length / (total / 1000), commands: times.length + 2 * clients.length /* with LOGIN and SELECT */ };
}

async function measure(port: number, memoryKb: () => number, label: string): Promise<Record<string, string>> {
  // Memory first, on a fresh server: later phases leave garbage and caches behind.
  const mem = await idleMemory(port, memoryKb);
  const logins = await loginsPerSecond(port);
  const envelopes = await fetchEnvelopes(port);
  const mbps = await bodyThroughput(port);
  const lat = await activeLatency(port);
  return {
    [`${label} logins per second (LOGIN+LOGOUT, 10 concurrent)`]: logins.toFixed(0),
    [`${label} FETCH 1:1000 (UID FLAGS ENVELOPE), first run, ms`]: envelopes.first.toFixed(0),
    [`${label} FETCH 1:1000 (UID FLAGS ENVELOPE), median of 5, ms`]: envelopes.median.toFixed(0),
    [`${label} BODY[] throughput, 1 MB messages, MB/s`]: mbps.toFixed(1),
    [`${label} memory per idle connection (1,000 logged in, INBOX selected), KB`]: mem.perConnKb.toFixed(1),
    [`${label} server memory (PSS) with 1,000 idle connections, MB`]: mem.rssMb.toFixed(0),
    [`${label} command latency, 100 concurrent active clients, p50 ms`]: lat.p50.toFixed(1),
    [`${label} command latency, 100 concurrent active clients, p99 ms`]: lat.p99.toFixed(1),
    [`${label} commands per second, 100 concurrent active clients`]: lat.perSecond.toFixed(0),
  };
}

export async function run(): Promise<Record<string, string | number>> {
  const base = mkdtempSync(join(tmpdir(), 'twemu-bench-imap-'));
  const config = join(base, 'config.json');
  writeFileSync(config, JSON.stringify({ services: { imap: { maxConnections: IDLE_CONNECTIONS + ACTIVE_CLIENTS + 100 } } }));
  const { child, port } = await startServer(join(base, 'data'), config);
  let figures: Record<string, string>;
  try {
    figures = await measure(port, () => pssKb(child.pid!), 'imap');
  } finally {
    await stopServer(child);
    rmSync(base, { recursive: true, force: true });
  }
  return figures;
}
