import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js';

export const ROOT = resolve(import.meta.dirname, '..');
/** The CLI users run (package.json's `bin`): the bundle `npm run build` makes (scripts/bundle.mjs). */
export const CLI = join(ROOT, 'dist', 'emulator', 'twemu.js');
/** tsc's unbundled output of the same CLI (`node dist/emulator/cli.js` keeps working). */
export const CLI_UNBUNDLED = join(ROOT, 'dist', 'emulator', 'cli.js');

/**
 * Where a test site's clock starts (it runs on from there): the demo reservations, "today" in the
 * calendars and every time the site writes follow it, so no test depends on the day, hour or time zone
 * it runs in (noon UTC is the same date from UTC-11 to UTC+11, Tokyo included).
 */
export const TEST_NOW = '2026-06-15T12:00:00Z';

/** A site on ephemeral ports in a temp dir, on a clock starting at TEST_NOW; call `stop()` in afterEach/afterAll. */
export async function startTestSite(opts: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ portBase: 0, host: '127.0.0.1', clock: { start: TEST_NOW }, ...opts });
}

export function tempDir(prefix = 'twemu-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true, maxRetries: 3 }) };
}

export interface HttpReply<T = any> {
  status: number;
  headers: Headers;
  /** The body as text. */
  text: string;
  /** The body parsed as JSON, or the text when it is not JSON. */
  body: T;
  /** The body parsed as JSON, or null. */
  json: T | null;
}

/**
 * The one HTTP helper of the tests (fetch; nothing followed unless asked): a
 * `body` that is not a string is sent as JSON, a string as it is; the reply's
 * body is parsed as JSON when it is JSON.
 */
export async function http<T = any>(url: string, opts: { method?: string; headers?: Record<string, string>; body?: unknown; basic?: { user: string; password: string }; redirect?: RequestRedirect } = {}): Promise<HttpReply<T>> {
  const json = opts.body !== undefined && typeof opts.body !== 'string';
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    redirect: opts.redirect ?? 'manual',
    headers: {
      ...(opts.basic ? { authorization: `Basic ${Buffer.from(`${opts.basic.user}:${opts.basic.password}`).toString('base64')}` } : {}),
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : json ? JSON.stringify(opts.body) : (opts.body as string),
  });
  const text = await res.text();
  let parsed: { value: T } | null = null;
  try {
    parsed = { value: JSON.parse(text) as T };
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, body: parsed ? parsed.value : (text as T), json: parsed ? parsed.value : null };
}

/** Calls a control API at `url` with a token (null: none); a body is sent as JSON. */
export async function controlApi<T = any>(url: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await http<T>(`${url}${path}`, { method, redirect: 'follow', body: body === undefined ? undefined : JSON.stringify(body), headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) } });
  return { status: r.status, body: r.body };
}

/** Calls the control API with the site's token (or `token: null` for none). */
export async function api<T = any>(emu: Emulator, method: string, path: string, body?: unknown, opts: { token?: string | null } = {}): Promise<{ status: number; body: T }> {
  return controlApi<T>(emu.endpoints.control, opts.token === undefined ? emu.token : opts.token, method, path, body);
}

/** The control API of a site served (by another process) from `data`: its endpoints.json, and calls with its admin token. */
export function servedSite(data: string): { endpoints: any; call: <T = any>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }> } {
  const endpoints = JSON.parse(readFileSync(join(data, 'endpoints.json'), 'utf8'));
  const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
  return { endpoints, call: (method, path, body) => controlApi(endpoints.control, token, method, path, body) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `twemu ARGS` as a process and waits for it. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolveResult) => {
    execFile(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolveResult({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Starts `twemu record ARGS` (the built CLI) and resolves with its listening port once it says so (`ports`: one per
 * `--upstream`, in their order); `done` resolves with its exit, `stop()` ends it as Ctrl-C does.
 */
export function record(args: string[]): Promise<{ port: number; ports: number[]; done: Promise<{ code: number | null; stdout: string; stderr: string }>; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'record', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((d) => child.once('exit', (code) => d({ code, stdout, stderr })));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`twemu record did not start: ${stdout}${stderr}`));
    }, 15_000);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const ports = [...stdout.matchAll(/^twemu recording [\d.]+:(\d+)(?: \(TLS\))? -> .*\n/gm)].map((m) => Number(m[1]));
      if (ports.length >= args.filter((a) => a === '--upstream').length) {
        clearTimeout(timer);
        resolve({ port: ports[0]!, ports, done, stop: () => void child.kill('SIGINT') });
      }
    });
  });
}

/** Starts `twemu serve ARGS` and resolves when it prints `twemu ready`. */
export function startServeProcess(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ReturnType<typeof spawn>; output: () => string; readyMs: number }> {
  return new Promise((resolveStart, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`twemu serve did not get ready:\n${out}`));
    }, opts.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('twemu ready ')) {
        clearTimeout(timer);
        resolveStart({ child, output: () => out, readyMs: performance.now() - t0 });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('twemu ready ')) reject(new Error(`twemu serve exited with ${code}:\n${out}`));
    });
  });
}

/** Stops a serve process (SIGTERM, then SIGKILL after 5 s). */
export function stopProcess(child: ReturnType<typeof spawn>, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

/** Collects the site's events from now on (in-process). */
export function collectEvents(emu: Emulator) {
  const events: import('../emulator/events.js').TwEvent[] = [];
  const off = emu.site.events.subscribe((e) => events.push(e));
  return { events, off, fired: (id: string) => events.filter((e) => e.type === 'behaviour' && e.behaviour === id) };
}

/** Subscribes to the control API's SSE stream (a real HTTP client); `close()` when done. */
export async function sseEvents(emu: Emulator) {
  const controller = new AbortController();
  const res = await fetch(`${emu.endpoints.control}/api/events`, { headers: { authorization: `Bearer ${emu.token}` }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`SSE: HTTP ${res.status}`);
  const events: import('../emulator/events.js').TwEvent[] = [];
  const waiters: Array<{ match: (e: import('../emulator/events.js').TwEvent) => boolean; resolve: (e: import('../emulator/events.js').TwEvent) => void }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          const e = JSON.parse(data);
          events.push(e);
          for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    events,
    /** Resolves with the first event (already received or coming) that matches; rejects after ms. */
    waitFor(match: (e: import('../emulator/events.js').TwEvent) => boolean, ms = 5000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<import('../emulator/events.js').TwEvent>((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error('no matching event on the SSE stream')), ms);
        waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolveWait(e); } });
      });
    },
    behaviour(id: string, ms = 5000) {
      return this.waitFor((e) => e.type === 'behaviour' && e.behaviour === id, ms);
    },
    close: () => controller.abort(),
  };
}

/** TLS options that trust the site's certificate (endpoints.json `ca`), as a user gives a client the CA file. */
export function trustSite(emu: Emulator): { ca: Buffer } {
  if (!emu.endpoints.ca) throw new Error('the site runs with tls: off');
  return { ca: readFileSync(emu.endpoints.ca) };
}

/**
 * The environment for a client program a test starts (a browser, a mail client): the tests' own,
 * without libfaketime. CI's second run fakes the date for the emulator and the tests (`faketime`,
 * docs/contributing.md); a client's own date does not matter to the emulator, and chromium
 * hangs at start under libfaketime.
 */
export function clientEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FAKETIME')) env[k] = v;
  if (env.LD_PRELOAD?.includes('faketime')) {
    const rest = env.LD_PRELOAD.split(/[:\s]+/).filter((lib) => lib && !lib.includes('faketime'));
    if (rest.length) env.LD_PRELOAD = rest.join(':');
    else delete env.LD_PRELOAD;
  }
  return env;
}


/** Debian's Chromium, which the browser tests drive (TWEMU_CHROMIUM overrides the path). */
export const CHROMIUM = process.env.TWEMU_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Headless Chromium through playwright-core, outside libfaketime, with this machine's closed-network flags. */
export async function launchChromium(opts: { timeout?: number } = {}): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    env: clientEnv(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
  });
}
