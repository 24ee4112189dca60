// `npm run bench -- --against dovecot`: twemu side by side with a Dovecot from Debian in its
// default set-up and tuned for speed (bench/dovecot/*.conf), the same users and mail in each,
// every figure measured on the three servers in turn, round after round (A B C A B C ...), so
// that a machine whose load changes over the run weighs on all three alike. Prints per figure
// the median of the rounds, every round's value, the ratio twemu ÷ tuned Dovecot against its
// target, and the load average while the figure was measured.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { activeLatency, appendAll, bodyThroughput, fetchEnvelopes, idleMemory, loggedIn, loginsPerSecond, message, pssKb } from './imap.js';
import { sessionsPerSecond } from './pop3.js';
import { startDovecot, treeCpuMs, type Dovecot } from './dovecot.js';

import { CLI } from './serve.js';
const PASSWORD = 'teamware';
const IMAPTEST_USERS = 100;
const IMAPTEST_SECS = Number(process.env.IMAPTEST_SECS ?? 20);
const POP3_USER = 'popbench';
const POP3_CLIENTS = 10;
const POP3_RUN_MS = 4000;
const IDLE = 500;

interface Target {
  name: string;
  imap: number;
  pop3: number;
  memoryKb(): number;
  cpuMs(): number;
  stop(): Promise<void>;
}

/** twemu as a user runs it: its own process, `twemu serve`, demo data, one site. */
async function startTwemu(dir: string): Promise<Target> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ services: { imap: { maxConnections: 2000 }, pop3: { maxConnections: 2000, failedLoginDelayMs: 0 } } }));
  const data = join(dir, 'data');
  const child: ChildProcess = spawn(process.execPath, [...(process.env.TWEMU_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, 'serve', '--data', data, '--port-base', '0', '--log-level', 'silent', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`twemu serve did not start:\n${out}`)); }, 30_000);
    const on = (c: Buffer) => {
      out += c.toString();
      if (out.includes('twemu ready ')) { clearTimeout(t); res(); }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => { clearTimeout(t); rej(new Error(`twemu serve exited (${code}):\n${out}`)); });
  });
  const endpoints = JSON.parse(readFileSync(join(data, 'endpoints.json'), 'utf8')) as { control: string; servers: Array<{ imap: number; pop3: number }> };
  const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
  const api = async (path: string, body: unknown) => {
    const r = await fetch(`${endpoints.control}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  };
  for (let i = 1; i <= IMAPTEST_USERS; i++) await api('/api/users', { name: `testuser${i}`, password: PASSWORD });
  await api('/api/users', { name: POP3_USER, password: PASSWORD });
  for (const m of pop3Mail()) await api('/api/mail', { to: POP3_USER, raw: m.toString('latin1') });
  return {
    name: 'twemu', imap: endpoints.servers[0]!.imap, pop3: endpoints.servers[0]!.pop3,
    memoryKb: () => pssKb(child.pid!),
    cpuMs: () => treeCpuMs(child.pid!),
    stop: () => new Promise<void>((res) => {
      if (child.exitCode !== null) return res();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(t); res(); });
      child.kill('SIGTERM');
    }),
  };
}

/** The POP3 user's mailbox: three small messages, the same in every server. */
function pop3Mail(): Buffer[] {
  return [1, 2, 3].map((i) => message(i, `${'pop3 bench line\r\n'.repeat(20 * i)}`));
}

async function startDovecotTarget(setup: 'default' | 'tuned'): Promise<Target> {
  const users = ['alice', 'bob', POP3_USER, ...Array.from({ length: IMAPTEST_USERS }, (_v, i) => `testuser${i + 1}`)];
  const d: Dovecot = await startDovecot(setup, users, PASSWORD);
  try {
    // What twemu's demo data gives alice and bob that the figures use: three messages in INBOX and an OUTBOX.
    for (const user of ['alice', 'bob']) {
      const c = await loggedIn(d.imap, user);
      await c.cmd('CREATE OUTBOX');
      await appendAll(c, 'INBOX', [1, 2, 3].map((i) => message(i, `seed ${i}`)));
      c.close();
    }
    const c = await loggedIn(d.imap, POP3_USER);
    await appendAll(c, 'INBOX', pop3Mail());
    c.close();
  } catch (err) {
    await d.stop();
    throw err;
  }
  return { name: `Dovecot ${setup}`, imap: d.imap, pop3: d.pop3, memoryKb: d.memoryKb, cpuMs: d.cpuMs, stop: d.stop };
}

/** imaptest's stress profile (its default states) for IMAPTEST_SECS seconds; commands/s and logins/s from its totals. */
async function imaptest(bin: string, mbox: string, port: number): Promise<{ commands: number; logins: number }> {
  const args = [`host=127.0.0.1`, `port=${port}`, 'user=testuser%d', `pass=${PASSWORD}`, `users=${IMAPTEST_USERS}`, 'clients=10', `secs=${IMAPTEST_SECS}`, `mbox=${mbox}`];
  const out = await new Promise<string>((res, rej) => {
    execFile(bin, args, { env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/dovecot' }, timeout: (IMAPTEST_SECS + 60) * 1000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && !stdout.includes('Totals:')) rej(new Error(`imaptest failed: ${err.message}\n${stderr.slice(-1000)}`));
      else res(stdout);
    });
  });
  const lines = out.slice(out.lastIndexOf('Totals:')).split('\n');
  const names = lines[1]!.trim().split(/\s+/);
  const totals = lines.slice(2).find((l) => /^\s*\d+(\s+\d+)+\s*$/.test(l))!.trim().split(/\s+/).map(Number);
  const sum = totals.reduce((a, b) => a + b, 0);
  return { commands: sum / IMAPTEST_SECS, logins: totals[names.indexOf('Logi')]! / IMAPTEST_SECS };
}

/** An mbox of 200 varied messages (plain, multipart/alternative, nested message/rfc822, ISO-2022-JP), as imaptest appends them. */
function stressMbox(path: string): void {
  let seed = 13;
  const rand = (lo: number, hi: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return lo + (seed % (hi - lo + 1)); };
  const out: string[] = [];
  for (let i = 0; i < 200; i++) {
    const hdr = `From: User ${i} <user${i}@example.org>\nTo: Dest <dest${i % 7}@example.org>\nCc: cc${i % 5}@example.org\nSubject: message ${i} ${i % 3 === 0 ? 're: thread' : 'topic'}\n`
      + `Date: ${String(1 + (i % 28)).padStart(2, '0')} Mar 2026 ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 +0900\nMessage-ID: <m${i}@example.org>\n`;
    let body: string;
    switch (i % 4) {
      case 0: body = `${hdr}\n${Array.from({ length: rand(1, 40) }, (_v, j) => `line ${j} of message ${i}\n`).join('')}`; break;
      case 1: body = `${hdr}MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b${i}"\n\npreamble\n--b${i}\nContent-Type: text/plain\n\nplain ${i}\n--b${i}\nContent-Type: text/html\n\n<p>html ${i}</p>\n--b${i}--\n`; break;
      case 2: body = `${hdr}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m${i}"\n\n--m${i}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n5pel5pys6Kqe\n--m${i}\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: inner ${i}\n\ninner body\n--m${i}--\n`; break;
      default: body = `${hdr}Content-Type: text/plain; charset=iso-2022-jp\n\n${'x'.repeat(rand(10, 3000))}\n`;
    }
    out.push(`From user@example.org  Mon Mar  2 10:00:00 2026\n${body}\n`);
  }
  writeFileSync(path, out.join(''));
}

interface Figure {
  name: string;
  unit: string;
  /** The ratio twemu ÷ tuned Dovecot must be at least (`>=`) or at most (`<=`) this. */
  target?: ['>=' | '<=', number];
  values: Map<string, number[]>;
  loads: number[];
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The figures' groups, in the order they run; `--figures` names some of them. */
export const FIGURE_GROUPS = ['memory', 'imaptest', 'pop3', 'logins', 'envelope', 'body', 'active'] as const;
export type FigureGroup = (typeof FIGURE_GROUPS)[number];

export async function against(rounds: number, only: readonly FigureGroup[] = FIGURE_GROUPS): Promise<string> {
  const want = (g: FigureGroup) => only.includes(g);
  const base = mkdtempSync(join(tmpdir(), 'twemu-bench-vs-'));
  const bin = process.env.IMAPTEST;
  const mbox = process.env.IMAPTEST_MBOX ?? join(base, 'stress.mbox');
  if (!process.env.IMAPTEST_MBOX) stressMbox(mbox);
  const targets: Target[] = [];
  const figures = new Map<string, Figure>();
  const record = (name: string, unit: string, target: Figure['target'], server: string, value: number) => {
    if (!figures.has(name)) figures.set(name, { name, unit, target, values: new Map(), loads: [] });
    const f = figures.get(name)!;
    if (!f.values.has(server)) f.values.set(server, []);
    f.values.get(server)!.push(value);
    f.loads.push(loadavg()[0]!);
    console.log(`  ${server}: ${name}: ${fmt(value)} ${unit} (load ${loadavg()[0]!.toFixed(1)})`);
  };
  const startLoad = loadavg();
  const started = new Date();
  try {
    targets.push(await startTwemu(join(base, 'twemu')));
    targets.push(await startDovecotTarget('default'));
    targets.push(await startDovecotTarget('tuned'));
    for (let round = 1; round <= rounds; round++) {
      console.log(`round ${round} of ${rounds} (load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
      // In the order of the issue's table; each figure on the three servers in turn, the order rotating each round.
      const order = targets.map((_t, i) => targets[(i + round - 1) % targets.length]!);
      // Memory on fresh servers only (round 1): afterwards twemu's heap and Dovecot's warm processes are already there.
      if (round === 1 && want('memory')) {
        for (const t of order) {
          const mem = await idleMemory(t.imap, t.memoryKb, IDLE);
          record(`memory per idle IMAP connection (${IDLE} logged in, INBOX selected; fresh servers, round 1)`, 'KB', ['<=', 0.1], t.name, mem.perConnKb);
        }
      }
      if (bin && want('imaptest')) {
        for (const t of order) {
          const cpu0 = t.cpuMs();
          const r = await imaptest(bin, mbox, t.imap);
          record(`imaptest stress, users=${IMAPTEST_USERS} clients=10 secs=${IMAPTEST_SECS}: commands/s`, '/s', ['>=', 1.0], t.name, r.commands);
          record(`imaptest stress: logins/s`, '/s', undefined, t.name, r.logins);
          record('imaptest stress: server CPU per command', 'ms', undefined, t.name, (t.cpuMs() - cpu0) / (r.commands * IMAPTEST_SECS));
        }
      }
      for (const t of want('pop3') ? order : []) {
        const cpu0 = t.cpuMs();
        const perSecond = await sessionsPerSecond(t.pop3, POP3_CLIENTS, POP3_USER, PASSWORD, POP3_RUN_MS);
        record(`POP3 sessions/s (USER PASS STAT RETR x3 QUIT, ${POP3_CLIENTS} clients)`, '/s', ['>=', 1.5], t.name, perSecond);
        record('POP3: server CPU per session', 'ms', undefined, t.name, (t.cpuMs() - cpu0) / (perSecond * POP3_RUN_MS / 1000));
      }
      for (const t of want('logins') ? order : []) record('IMAP LOGIN+LOGOUT/s (10 clients)', '/s', undefined, t.name, await loginsPerSecond(t.imap));
      for (const t of want('envelope') ? order : []) {
        const env = await fetchEnvelopes(t.imap, `env${round}`);
        record('FETCH 1:1000 (UID FLAGS ENVELOPE), first (cold)', 'ms', ['<=', 2.0], t.name, env.first);
        record('FETCH 1:1000 (UID FLAGS ENVELOPE), warm (median of 5)', 'ms', ['<=', 1.0], t.name, env.median);
      }
      for (const t of want('body') ? order : []) record('BODY[] of 1 MB messages', 'MB/s', ['>=', 0.9], t.name, await bodyThroughput(t.imap, `big${round}`));
      for (const t of want('active') ? order : []) {
        const cpu0 = t.cpuMs();
        const lat = await activeLatency(t.imap);
        record('100 active clients: server CPU per command (LOGIN and SELECT included)', 'ms', undefined, t.name, (t.cpuMs() - cpu0) / lat.commands);
        record('commands/s, 100 active clients', '/s', ['>=', 1.0], t.name, lat.perSecond);
        record('command latency p50, 100 active clients', 'ms', undefined, t.name, lat.p50);
        record('command latency p99, 100 active clients', 'ms', ['<=', 1.0], t.name, lat.p99);
      }
    }
  } finally {
    for (const t of targets) await t.stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  }
  const names = ['twemu', 'Dovecot default', 'Dovecot tuned'];
  const rows = [...figures.values()].map((f) => {
    const m = names.map((n) => median(f.values.get(n) ?? [NaN]));
    const ratio = m[0]! / m[2]!;
    const met = f.target ? (f.target[0] === '>=' ? ratio >= f.target[1] : ratio <= f.target[1]) : undefined;
    const cells = names.map((n, i) => `${fmt(m[i]!)} (${(f.values.get(n) ?? []).map(fmt).join(', ')})`);
    return `| ${f.name}, ${f.unit} | ${cells.join(' | ')} | **${fmt(ratio)}×** | ${f.target ? `${f.target[0]} ${f.target[1]}× ${met ? 'met' : 'NOT met'}` : '—'} | ${fmt(Math.min(...f.loads))}–${fmt(Math.max(...f.loads))} |`;
  });
  const lines = [
    `twemu against Dovecot ${await dovecotVersion()} (Debian), ${rounds} rounds alternated; ${new Date().toISOString().slice(0, 16)}Z (started ${started.toISOString().slice(11, 16)}Z)`,
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}; load average at start ${startLoad.map((l) => l.toFixed(1)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    'Each cell: median (every round). Ratio: twemu ÷ tuned Dovecot, medians.',
    '',
    '| figure | twemu | Dovecot, Debian defaults | Dovecot tuned | ratio | target | load (1 min) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ];
  if (!bin && want('imaptest')) lines.push('', '(imaptest not run: give IMAPTEST=/path/to/imaptest)');
  if (only.length < FIGURE_GROUPS.length) lines.push('', `(only the figures ${only.join(', ')}: --figures)`);
  return lines.join('\n');
}

function dovecotVersion(): Promise<string> {
  return new Promise((res) => execFile('/usr/sbin/dovecot', ['--version'], (err, out) => res(err ? '?' : out.trim().split(' ')[0]!)));
}
