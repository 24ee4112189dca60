// A Dovecot from Debian (`apt-get install dovecot-imapd dovecot-pop3d`) run by the
// bench as a foreground process on its own free ports, with one of the two
// set-ups kept in bench/dovecot/ (`default.conf`: Debian's defaults; `tuned.conf`:
// tuned for speed). Its users and their passwords are a passwd-file written here;
// its mail is whatever the bench then APPENDs over IMAP, as it does to twemu.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CONFIGS = resolve(import.meta.dirname, '..', '..', 'bench', 'dovecot');
const DOVECOT = '/usr/sbin/dovecot';
const WAIT_MS = 20_000;

export type DovecotSetup = 'default' | 'tuned';

export interface Dovecot {
  setup: DovecotSetup;
  imap: number;
  pop3: number;
  /** PSS of the master and every process under it, KB. */
  memoryKb(): number;
  /** CPU time used so far by the master and every process under it, ended ones included, ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** A port the kernel says is free now (it is handed to Dovecot right after). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

function uidOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no ${user} user: install Dovecot with apt-get install dovecot-imapd dovecot-pop3d`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Why Dovecot cannot be run here, or null when it can. */
export function dovecotMissing(): string | null {
  if (!existsSync(DOVECOT)) return `${DOVECOT} not found: apt-get install dovecot-imapd dovecot-pop3d`;
  if (!existsSync('/usr/lib/dovecot/pop3')) return 'Dovecot has no POP3 server: apt-get install dovecot-pop3d';
  if (process.getuid?.() !== 0) return 'Dovecot switches to its own users for mail and logins: run the bench as root';
  return null;
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]);
  } catch {
    return 0; // the process ended
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time of a process and its descendants, ms: user and system time of each, plus
 * the time of the children each has reaped (a login process that served one connection
 * and ended counts in its parent's cutime/cstime).
 */
export function treeCpuMs(root: number): number {
  let ticks = 0;
  for (const pid of treeOf(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
    } catch {
      // ended meanwhile: its time is in its parent's cutime now
    }
  }
  return ticks * TICK_MS;
}

/** A process and all its descendants (Dovecot forks one process per login or session). */
export function treeOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat = '';
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(d));
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

function greeted(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => { s.destroy(); res(ok); };
    s.setTimeout(1000, () => done(false));
    s.once('data', (c: Buffer) => done(c.toString().startsWith('* OK') || c.toString().startsWith('+OK')));
    s.once('error', () => done(false));
  });
}

/** Starts a Dovecot with `users` (all with `password`); resolves once both its IMAP and POP3 ports greet. */
export async function startDovecot(setup: DovecotSetup, users: string[], password: string): Promise<Dovecot> {
  const missing = dovecotMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), `twemu-bench-dovecot-${setup}-`));
  chmodSync(dir, 0o755); // its auth and mail processes run as the dovecot user
  const [imap, pop3] = [await freePort(), await freePort()];
  const fill = (text: string) => text.replaceAll('@DIR@', dir).replaceAll('@IMAP_PORT@', String(imap))
    .replaceAll('@POP3_PORT@', String(pop3)).replaceAll('@NAME@', `twemu-bench-${setup}-${process.pid}`);
  for (const f of ['common.conf', `${setup}.conf`]) writeFileSync(join(dir, f), fill(readFileSync(join(CONFIGS, f), 'utf8')));
  writeFileSync(join(dir, 'users'), users.map((u) => `${u}:{PLAIN}${password}::::::\n`).join(''));
  const mail = join(dir, 'mail');
  mkdirSync(mail);
  const { uid, gid } = uidOf('dovecot');
  chownSync(mail, uid, gid);
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', join(dir, `${setup}.conf`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((res) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => { clearTimeout(t); res(); });
        child.kill('SIGTERM');
      });
    }
    // Its children (log, auth, anvil) may still be writing under base_dir for a moment after the master ends.
    for (let i = 0; i < 20; i++) {
      rmSync(dir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(dir)) break;
    }
  };
  const t0 = performance.now();
  while (!(await greeted(imap) && await greeted(pop3))) {
    if (child.exitCode !== null || performance.now() - t0 > WAIT_MS) {
      const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8').slice(-2000) : '';
      await stop();
      throw new Error(`Dovecot (${setup}) did not start:\n${out}${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    setup, imap, pop3, stop,
    memoryKb: () => treeOf(child.pid!).reduce((sum, p) => sum + pssKb(p), 0),
    cpuMs: () => treeCpuMs(child.pid!),
  };
}
