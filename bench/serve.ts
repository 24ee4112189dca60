// A `twemu serve` process for the benchmarks: started from the built CLI on
// ephemeral ports, ready when it prints `twemu ready`, stopped with SIGTERM
// (SIGKILL after 5 s); its RSS from /proc.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The CLI users run (the bundle, dist/emulator/twemu.js); TWEMU_BENCH_CLI=/path/to/dist/emulator/twemu.js (or cli.js) serves another build (an A/B against the build before a change). */
export const CLI = process.env.TWEMU_BENCH_CLI ? resolve(process.env.TWEMU_BENCH_CLI) : resolve(import.meta.dirname, '..', 'emulator', 'twemu.js');

export interface ServedSite {
  child: ChildProcess;
  /** endpoints.json of the site. */
  endpoints: { control: string; servers: Array<{ pop3?: number; imap?: number; web?: number }> };
  control: string;
  token: string;
}

/** Starts `twemu serve --data DATA --port-base 0 --log-level silent ARGS...` and waits (20 s at most) until it is ready. */
export function serveSite(data: string, args: string[] = []): Promise<ServedSite> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port-base', '0', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`twemu serve did not get ready:\n${out}`)); }, 20_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (!out.includes('twemu ready ')) return;
      clearTimeout(timer);
      const endpoints = JSON.parse(readFileSync(join(data, 'endpoints.json'), 'utf8')) as ServedSite['endpoints'];
      res({ child, endpoints, control: endpoints.control, token: readFileSync(join(data, 'admin-token'), 'utf8').trim() });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); if (!out.includes('twemu ready ')) rej(new Error(`twemu serve exited with ${code}:\n${out}`)); });
  });
}

/** Stops a served site: SIGTERM, SIGKILL after 5 s. */
export function stopSite(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(t); res(); });
    child.kill('SIGTERM');
  });
}

/** Resident set size of a process in MB (NaN once it has ended). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
