import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { CLI } from './serve.js';
import { treeCpuMs } from './dovecot.js';

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const median = (v: number[]) => percentile(v, 50);
const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Wall time from spawn to the `twemu ready` line, and the CPU time (user + system) the process had used by then. */
function serveToReady(data: string): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolveReady, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port-base', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('serve did not get ready')); }, 20_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('twemu ready ')) {
        const t = performance.now() - t0;
        const cpuMs = treeCpuMs(child.pid!);
        clearTimeout(timer);
        child.once('exit', () => resolveReady({ ms: t, cpuMs }));
        child.kill('SIGTERM');
      }
    });
  });
}

export async function run(): Promise<Record<string, string | number>> {
  const base = mkdtempSync(join(tmpdir(), 'twemu-bench-'));
  try {
    const fresh: number[] = [];
    const warm: number[] = [];
    const freshCpu: number[] = [];
    const warmCpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const data = join(base, `serve-${i}`);
      const f = await serveToReady(data);
      const w = await serveToReady(data);
      fresh.push(f.ms);
      freshCpu.push(f.cpuMs);
      warm.push(w.ms);
      warmCpu.push(w.cpuMs);
    }
    const inproc: number[] = [];
    const inprocDemo: number[] = [];
    for (let i = 0; i < 10; i++) {
      let t0 = performance.now();
      let emu = await startEmulator({ demo: false, portBase: 0 });
      await emu.stop();
      inproc.push(performance.now() - t0);
      t0 = performance.now();
      emu = await startEmulator({ portBase: 0 });
      await emu.stop();
      inprocDemo.push(performance.now() - t0);
    }
    const emu = await startEmulator({ demo: false, portBase: 0 });
    const lat: number[] = [];
    try {
      const call = (command: string) => fetch(`${emu.endpoints.control}/api/commands`, {
        method: 'POST', headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ command }),
      }).then((r) => r.arrayBuffer());
      for (let i = 0; i < 30; i++) { await call('to tran suspend'); await call('to tran resume'); }
      for (let i = 0; i < 300; i++) {
        const t0 = performance.now();
        await call('to tran suspend');
        lat.push(performance.now() - t0);
        await call('to tran resume');
      }
    } finally {
      await emu.stop();
    }
    return {
      'twemu serve cold start to ready, fresh data dir with demo seeding (median of 5)': ms(median(fresh)),
      'twemu serve cold start to ready, existing data dir (median of 5; target < 300 ms)': ms(median(warm)),
      // The CPU the process used until ready (its threads included): unlike the wall times, the machine's load does not skew it much.
      'twemu serve to ready, CPU time (user + system), fresh data dir (median of 5)': ms(median(freshCpu)),
      'twemu serve to ready, CPU time (user + system), existing data dir (median of 5)': ms(median(warmCpu)),
      'in-process startEmulator+stop, no demo data (median of 10; target < 50 ms)': ms(median(inproc)),
      'in-process startEmulator+stop, with demo data (median of 10)': ms(median(inprocDemo)),
      'to tran suspend through the API, p50 (300 calls)': ms(percentile(lat, 50)),
      'to tran suspend through the API, p99 (300 calls)': ms(percentile(lat, 99)),
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
