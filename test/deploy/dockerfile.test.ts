// The Dockerfile without a container engine: parsed, and each instruction's
// equivalent run on the host: the base image is Node 20 on Debian, what it
// copies exists (and .dockerignore keeps the host's build out), `npm ci`
// agrees with the lock file, and the image's command (ENTRYPOINT + CMD) starts
// a site whose HEALTHCHECK passes.
import { describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT, stopProcess, tempDir } from '../helpers.js';

interface Instruction { op: string; args: string; line: number }

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (!line || line.startsWith('#'))) return;
    if (!pending) start = i + 1;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) return;
    const m = /^(\w+)\s+(.*)$/.exec(pending)!;
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
    pending = '';
  });
  return out;
}

const dockerfile = instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const exec = (op: string) => dockerfile.filter((i) => i.op === op);
const json = (i: Instruction) => JSON.parse(i.args) as string[];

describe('Dockerfile', { timeout: 120_000 }, () => {
  it('is Node 20 on Debian, copies what exists, and .dockerignore keeps node_modules, dist and data out', () => {
    expect(exec('FROM').map((i) => i.args)).toEqual([expect.stringMatching(/^node:20-(bookworm|bullseye|trixie)(-slim)?$/)]);
    for (const copy of exec('COPY')) {
      const parts = copy.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) expect(existsSync(join(ROOT, src)), `COPY ${src} (line ${copy.line})`).toBe(true);
    }
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', 'data']) expect(ignored).toContain(p);
    // What `npm ci`'s `prepare` compiles is copied: every folder tsconfig includes.
    const copied = exec('COPY').flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    const include = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] }).include;
    for (const dir of include) expect(copied, `tsconfig includes ${dir}`).toContain(dir);
  });

  it('its RUN steps: npm ci agrees with the lock file (dry run), and the build has what the image runs', async () => {
    const runs = exec('RUN').map((r) => r.args);
    expect(runs).toEqual(['npm ci && npm prune --omit=dev']);
    const r = await promisify(execFile)('npm', ['ci', '--dry-run', '--ignore-scripts'], { cwd: ROOT, timeout: 100_000 });
    expect(r.stderr).not.toMatch(/EBADENGINE|ERR!/);
    // `prepare` (tsc) wrote what ENTRYPOINT runs.
    const entry = json(exec('ENTRYPOINT')[0]!);
    expect(entry[0]).toBe('node');
    expect(existsSync(join(ROOT, entry[1]!))).toBe(true);
  });

  it('the image\'s command starts a site (--host and the ports made local for the test) whose HEALTHCHECK passes', async () => {
    const data = tempDir('twemu-docker-');
    const [node, cli] = json(exec('ENTRYPOINT')[0]!);
    const cmd = json(exec('CMD')[0]!).map((a) => (a === '/data' ? data.path : a === '0.0.0.0' ? '127.0.0.1' : a));
    expect(cmd.slice(0, 1)).toEqual(['serve']);
    const child = spawn(node === 'node' ? process.execPath : node!, [join(ROOT, cli!), ...cmd, '--port-base', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(out)), 30_000);
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('twemu ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const control = new URL((JSON.parse(readFileSync(join(data.path, 'endpoints.json'), 'utf8')) as { control: string }).control);
      const health = exec('HEALTHCHECK')[0]!.args.replace(/^.*?CMD\s+/, '');
      const [hnode, flag, script] = JSON.parse(health) as string[];
      expect([hnode, flag]).toEqual(['node', '-e']);
      const r = await promisify(execFile)(process.execPath, ['-e', script!], { env: { ...process.env, TWEMU_CONTROL_PORT: control.port }, timeout: 10_000 }).then(() => 0, (e: { code: number }) => e.code);
      expect(r).toBe(0);
    } finally {
      await stopProcess(child);
      data.remove();
    }
  });

  it('docker-compose.yml builds this image and runs one site and one container per server of a multi-server site', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { build?: string; image: string; hostname: string; command: string[] }> };
    const services = Object.entries(compose.services);
    expect(services.find(([, s]) => s.build === '.')?.[1].image).toBe('twemu');
    expect(services.every(([, s]) => s.image === 'twemu')).toBe(true);
    const only = services.filter(([, s]) => s.command.includes('--only')).map(([, s]) => [s.hostname, s.command[s.command.indexOf('--only') + 1]]);
    expect(only).toEqual([['twdir01', 'twdir01'], ['twap01', 'twap01'], ['twap02', 'twap02']]);
  });
});
