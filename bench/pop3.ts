// POP3 figures: sessions per second (connect, USER, PASS, STAT, RETR all, QUIT)
// with 1 and 50 concurrent clients, RETR throughput for 1 MB messages, and the
// server's memory per idle connection with 1,000 idle connections.
// The server runs as its own process (`twemu serve`), so the clients here do
// not share its event loop and its memory can be read from /proc.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serveSite, stopSite } from './serve.js';

const SESSION_RUN_MS = 3000;
const WAIT_MS = 10_000;
const IDLE_CONNECTIONS = 1000;
const BIG_MESSAGES = 8;
const BIG_SIZE = 1_000_000;
const RETR_ROUNDS = 10;

/** A bare-bones POP3 client: lines and multi-line bodies, every wait bounded. */
class BenchClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.buffered += c.length;
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static open(port: number): Promise<BenchClient> {
    return new Promise((res, rej) => {
      const s = connect({ host: '127.0.0.1', port });
      s.setNoDelay(true);
      s.once('connect', () => res(new BenchClient(s)));
      s.once('error', rej);
    });
  }

  private async wait(): Promise<void> {
    if (this.closed) throw new Error('connection closed');
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error('bench client: timed out')), WAIT_MS);
      this.wake = () => { clearTimeout(t); this.wake = null; res(); };
    });
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  async line(): Promise<string> {
    for (;;) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.chunks = all.length ? [all] : [];
      const i = all.indexOf('\r\n');
      if (i >= 0) return this.take(i + 2).subarray(0, i).toString('latin1');
      await this.wait();
    }
  }

  /** A multi-line body up to its terminator; returns its length in octets (still stuffed). Scans each chunk once. */
  async body(): Promise<number> {
    const TERM = Buffer.from('\r\n.\r\n');
    let total = 0;
    let tail = Buffer.alloc(0); // the last 4 octets already scanned, for a terminator split across chunks
    let first = true;
    for (;;) {
      while (this.chunks.length) {
        const chunk = this.chunks.shift()!;
        this.buffered -= chunk.length;
        if (first && chunk.length >= 3 && chunk[0] === 0x2e && chunk[1] === 0x0d && chunk[2] === 0x0a) {
          this.putBack(chunk.subarray(3));
          return 0;
        }
        first = false;
        const window = tail.length ? Buffer.concat([tail, chunk]) : chunk;
        const i = window.indexOf(TERM);
        if (i >= 0) {
          const endInChunk = i + 5 - tail.length;
          this.putBack(chunk.subarray(endInChunk));
          return total + endInChunk - 3;
        }
        total += chunk.length;
        tail = Buffer.from(window.subarray(Math.max(0, window.length - 4)));
      }
      await this.wait();
    }
  }

  private putBack(rest: Buffer): void {
    if (rest.length) {
      this.chunks.unshift(rest);
      this.buffered += rest.length;
    }
  }

  async cmd(line: string, expectOk = true): Promise<string> {
    this.socket.write(`${line}\r\n`);
    const reply = await this.line();
    if (expectOk && !reply.startsWith('+OK')) throw new Error(`${line.split(' ')[0]}: ${reply}`);
    return reply;
  }

  async closedByServer(): Promise<void> {
    while (!this.closed) await this.wait();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** One full session; returns the octets retrieved. */
export async function session(port: number, user: string, pass: string): Promise<number> {
  const c = await BenchClient.open(port);
  try {
    await c.line();
    await c.cmd(`USER ${user}`);
    await c.cmd(`PASS ${pass}`);
    const count = Number((await c.cmd('STAT')).split(' ')[1]);
    let octets = 0;
    for (let i = 1; i <= count; i++) {
      await c.cmd(`RETR ${i}`);
      octets += await c.body();
    }
    await c.cmd('QUIT');
    await c.closedByServer();
    return octets;
  } finally {
    c.destroy();
  }
}

export async function sessionsPerSecond(port: number, concurrency: number, user = 'alice', pass = 'teamware', runMs = SESSION_RUN_MS): Promise<number> {
  const end = performance.now() + runMs;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await session(port, user, pass);
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

async function startServer(data: string, config: string): Promise<{ child: ChildProcess; port: number; control: string; token: string }> {
  const site = await serveSite(data, ['--config', config]);
  return { child: site.child, port: site.endpoints.servers[0]!.pop3!, control: site.control, token: site.token };
}

/** A server process with an IPC channel that reports its memory after a full GC. */
const MEMORY_SERVER = `
import { startEmulator } from ${JSON.stringify(resolve(import.meta.dirname, '..', 'emulator', 'index.js'))};
const [dataDir, maxConnections] = process.argv.slice(-2);
const emu = await startEmulator({ dataDir, portBase: 0, host: '127.0.0.1', logLevel: 'silent',
  services: { pop3: { failedLoginDelayMs: 0, maxConnections: Number(maxConnections) } } });
process.send({ port: emu.endpoints.servers[0].pop3 });
process.on('message', async (m) => {
  if (m === 'measure') { globalThis.gc(); globalThis.gc(); process.send({ memory: process.memoryUsage() }); }
  if (m === 'stop') { await emu.stop(); process.exit(0); }
});`;

type Memory = NodeJS.MemoryUsage;

/**
 * Memory per idle connection, on a fresh server process: heap (after a full
 * GC) and RSS before and after 1,000 greeted, silent connections.
 */
async function idleMemory(data: string): Promise<Record<string, string>> {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', MEMORY_SERVER, data, String(IDLE_CONNECTIONS + 100)],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = <T>(key: string): Promise<T> => new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`memory server: no ${key}`)), 20_000);
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      clearTimeout(t);
      child.off('message', on);
      res(m[key] as T);
    };
    child.on('message', on);
  });
  const idle: BenchClient[] = [];
  try {
    const port = await next<number>('port');
    for (let i = 0; i < 20; i++) await session(port, 'alice', 'teamware');
    child.send('measure');
    const before = await next<Memory>('memory');
    for (let i = 0; i < IDLE_CONNECTIONS; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => BenchClient.open(port)));
      idle.push(...batch);
      await Promise.all(batch.map((b) => b.line()));
    }
    child.send('measure');
    const after = await next<Memory>('memory');
    const per = (k: keyof Memory) => `${((after[k] - before[k]) / 1024 / IDLE_CONNECTIONS).toFixed(1)} kB`;
    return {
      'pop3 memory per idle connection (JS heap + external, after GC)': `${(((after.heapUsed + after.external) - (before.heapUsed + before.external)) / 1024 / IDLE_CONNECTIONS).toFixed(1)} kB`,
      'pop3 memory per idle connection (RSS)': per('rss'),
      'pop3 server RSS with 1,000 idle connections': `${(after.rss / 1048576).toFixed(1)} MB (${(before.rss / 1048576).toFixed(1)} MB before them)`,
    };
  } finally {
    for (const b of idle) b.destroy();
    if (child.connected) child.send('stop');
    await stopSite(child);
  }
}

export async function run(): Promise<Record<string, string | number>> {
  const base = mkdtempSync(join(tmpdir(), 'twemu-bench-pop3-'));
  const config = join(base, 'config.json');
  writeFileSync(config, JSON.stringify({ services: { pop3: { failedLoginDelayMs: 0, maxConnections: IDLE_CONNECTIONS + 100 } } }));
  const server = await startServer(join(base, 'data'), config);
  const call = async (path: string, body: unknown) => {
    const r = await fetch(`${server.control}${path}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  };
  const figures: Record<string, string | number> = {};
  try {
    // Warm-up (JIT, the size cache), then the two runs.
    for (let i = 0; i < 20; i++) await session(server.port, 'alice', 'teamware');
    figures['pop3 sessions/s, 1 client (connect USER PASS STAT RETR x3 QUIT)'] = Math.round(await sessionsPerSecond(server.port, 1));
    figures['pop3 sessions/s, 50 concurrent clients'] = Math.round(await sessionsPerSecond(server.port, 50));

    // RETR throughput: 1 MB messages (78-column text lines, some starting with a dot).
    await call('/api/users', { name: 'bigmail', password: 'pw' });
    const line = 'x'.repeat(76);
    const lines: string[] = ['From: bench@example.com', 'Subject: 1 MB', ''];
    let size = lines.join('\r\n').length + 2;
    for (let i = 0; size < BIG_SIZE - 80; i++) {
      const l = i % 100 === 0 ? `.${line.slice(1)}` : line;
      lines.push(l);
      size += l.length + 2;
    }
    const raw = `${lines.join('\r\n')}\r\n`;
    for (let i = 0; i < BIG_MESSAGES; i++) await call('/api/mail', { to: 'bigmail', raw });
    await session(server.port, 'bigmail', 'pw'); // warm-up (sizes computed once)
    const c = await BenchClient.open(server.port);
    await c.line();
    await c.cmd('USER bigmail');
    await c.cmd('PASS pw');
    let octets = 0;
    const t0 = performance.now();
    for (let round = 0; round < RETR_ROUNDS; round++) {
      for (let i = 1; i <= BIG_MESSAGES; i++) {
        await c.cmd(`RETR ${i}`);
        octets += await c.body();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    await c.cmd('QUIT');
    c.destroy();
    figures['pop3 RETR throughput, 1 MB messages, 1 client'] = `${(octets / 1e6 / seconds).toFixed(1)} MB/s (${(octets / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s)`;

  } finally {
    await stopSite(server.child);
  }
  try {
    Object.assign(figures, await idleMemory(join(base, 'idle')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return figures;
}
