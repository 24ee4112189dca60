// The client matrix: real mail clients from Debian run as subprocesses with
// their default settings plus host, port, user, password and the CA file.
// Every run is recorded (test-artifacts/clients/<client>.txt: the command and
// everything the client printed) for docs/clients.md. A missing client skips
// its tests on a developer's machine and fails them under CI=true.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { ROOT, api, clientEnv, collectEvents, startTestSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

export const ARTIFACTS = join(ROOT, 'test-artifacts', 'clients');

export function which(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** describe() when every program is installed; else skipped, or (CI=true) one failing test that names them. */
export function describeClient(name: string, programs: string[], body: () => void): void {
  const missing = programs.filter((p) => !which(p));
  if (!missing.length) return describe(name, body);
  if (process.env.CI === 'true') {
    return describe(name, () => {
      it(`needs ${missing.join(', ')}`, () => {
        throw new Error(`${missing.join(', ')} not installed: .ci/run installs the client matrix's Debian packages`);
      });
    });
  }
  return describe.skip(name, body);
}

/** Inside a test: fails under CI=true when a program is missing; skips the test (visibly) otherwise. */
export function needs(t: { skip: () => void }, ...programs: string[]): void {
  const missing = programs.filter((p) => !which(p));
  if (!missing.length) return;
  if (process.env.CI === 'true') throw new Error(`${missing.join(', ')} missing: .ci/run installs them`);
  t.skip();
}

export interface Run {
  code: number | null;
  /** stdout and stderr as the user's terminal shows them (interleaved by arrival). */
  output: string;
}

/** Runs a client; bounded in time (killed after timeoutMs). `started` gets the process (e.g. to signal it). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; started?: (child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // Clients run on the machine's real clock (never under the suite's faketime: test/helpers.ts clientEnv).
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...clientEnv(), ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    opts.started?.(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n(killed after ${opts.timeoutMs ?? 30_000} ms)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => (output += `\n(${err.message})`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.on('error', () => undefined); // a client that exits before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * A terminal for a full-screen client (neomutt), 120x20: a tmux server of its own (`-L`), so test
 * files running at the same time never share one. `start` opens a new session before it closes the
 * previous one, so the server never empties and exits while a command is connecting to it
 * ("server exited unexpectedly"); `close` ends the server.
 */
export function terminal(name: string) {
  const socket = `twemu-${name}-${process.pid}`;
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
  let current = '';
  let n = 0;
  return {
    async start(command: string): Promise<Run> {
      const previous = current;
      current = `s${++n}`;
      const r = await tmux('new-session', '-d', '-s', current, '-x', '120', '-y', '20', command);
      if (previous) await tmux('kill-session', '-t', previous);
      return r;
    },
    keys: (...keys: string[]) => tmux('send-keys', '-t', current, ...keys),
    screen: async () => (await tmux('capture-pane', '-p', '-t', current)).output,
    close: () => tmux('kill-server'),
  };
}

/** A recorder of one client's runs: the artifact file starts afresh for each test file. */
export function recorder(client: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${client}.txt`);
  writeFileSync(file, `# ${client}: what the client printed, per behaviour\n`);
  return <R extends Run>(phase: string, command: string, r: R): R => {
    appendFileSync(file, `\n## ${phase}\n$ ${command}\n${r.output.trimEnd()}\n(exit ${r.code})\n`);
    return r;
  };
}

/** The site the clients talk to; failed logins answered at once (the clients' own retries stay fast). */
export function clientSite(): Promise<Emulator> {
  return startTestSite({ services: { access: { failedLoginDelayMs: 0 }, pop3: { failedLoginDelayMs: 0 } } });
}

export const suspend = (emu: Emulator) => emu.command('to tran suspend', { lenient: true });
export const resume = (emu: Emulator) => emu.command('to tran resume', { lenient: true });

/**
 * Puts a one-shot client in flight, deterministically: the server is suspended
 * (`to tran suspend`) right after `user`'s next login over `client` has been
 * answered and before the client's next command can arrive. The site's `login`
 * event is emitted while the login is handled, before its answer is written;
 * the suspension runs from setImmediate, i.e. after that handler's
 * continuation has written the answer (same event-loop turn) and before the
 * turn in which the client's next command can be read. No sleeps, no latency:
 * the client's next command always meets a suspended server. `landed` settles
 * once the suspension ran (it rejects when there was no such login within
 * `ms`); `off()` stops watching.
 */
export function suspendAfterLogin(emu: Emulator, client: 'pop3' | 'imap' | 'smtp', user: string, ms = 20_000): { landed: Promise<void>; off(): void } {
  let off = () => undefined as void;
  const landed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${client} login of ${user} within ${ms} ms`));
    }, ms);
    const unsubscribe = emu.site.events.subscribe((e) => {
      if (e.type !== 'login' || e.client !== client || e.user !== user) return;
      off();
      setImmediate(() => {
        try {
          emu.site.command('to tran suspend', { lenient: true });
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    off = () => {
      clearTimeout(timer);
      unsubscribe();
    };
  });
  landed.catch(() => undefined); // the caller awaits it after the client's run
  return { landed, off: () => off() };
}

/**
 * Runs a one-shot client in flight: the server is suspended right after the
 * client's login (`suspendAfterLogin`), so its next command meets the
 * suspension; then resumed. Returns what the client printed and the
 * behaviours that fired meanwhile.
 */
export async function inFlight(emu: Emulator, client: 'pop3' | 'imap' | 'smtp', go: () => Promise<Run>, user = 'alice'): Promise<Run & { fired: string[] }> {
  const ev = collectEvents(emu);
  const watch = suspendAfterLogin(emu, client, user);
  try {
    const r = await go();
    await watch.landed;
    return { ...r, fired: ev.events.filter((e) => e.type === 'behaviour').map((e) => e.behaviour!) };
  } finally {
    watch.off();
    ev.off();
    if (emu.site.servers.some((x) => x.suspended)) await resume(emu);
  }
}

/** A client's configuration file holding a password (0600: some clients refuse others). */
export function secret(file: string, text: string): string {
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return file;
}

/** Backup mode and available (the short way: no web archive, no backup run), for `fn`; then back out of it. */
export async function inBackupMode<T>(emu: Emulator, fn: (writes: () => Promise<number>) => Promise<T>): Promise<T> {
  const lenient = { lenient: true };
  await emu.command('to tran suspend', lenient);
  await emu.command('to backup on', lenient);
  await emu.command('to tran resume', lenient);
  const server = emu.endpoints.servers[0]!.name;
  try {
    return await fn(async () => (await api(emu, 'GET', `/api/servers/${server}/staging`)).body.writes as number);
  } finally {
    await emu.command('to tran suspend', lenient);
    await emu.command('to backup off', lenient);
    await emu.command('to tran resume', lenient);
  }
}

/** Messages in a user's INBOX (the store, not a client). */
export function inboxCount(emu: Emulator, user: string): number {
  return emu.site.homeStore(user).mail.count(user, 'INBOX');
}
