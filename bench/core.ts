import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { CLI } from './serve.js';

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const median = (v: number[]) => percentile(v, 50);
const ms = (n: number) => `${n.toFixed(1)} ms`;

function serveToReady(data: string): Promise<number> {
  return new Promise((resolveReady, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port-base', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('serve did not get ready')); }, 20_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('twemu ready ')) {
        const t = performance.now() - t0;
        clearTimeout(timer);
        child.once('exit', () => resolveReady(t));
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
    for (let i = 0; i < 5; i++) {
      const data = join(base, `serve-${i}`);
      fresh.push(await serveToReady(data));
      warm.push(await serveToReady(data));
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
      'in-process startEmulator+stop, no demo data (median of 10; target < 50 ms)': ms(median(inproc)),
      'in-process startEmulator+stop, with demo data (median of 10)': ms(median(inprocDemo)),
      'to tran suspend through the API, p50 (300 calls)': ms(percentile(lat, 50)),
      'to tran suspend through the API, p99 (300 calls)': ms(percentile(lat, 99)),
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
