// `npm run bench web`: the web pages' throughput and latency as users see them. The site is a
// `twemu serve` process of its own (bench/serve.ts), each user a browser-like client with its
// own keep-alive connections (node:http, up to 6 as a browser opens). Until issue 18 the site
// ran in the bench's process and its users were fetch() calls there: the client (undici) took
// more of that one thread than the server did, and the 50-user p99 measured the client's own
// queue (the server's own time per request was p50 0.3 ms, p99 29 ms in that run).
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveSite, stopSite } from './serve.js';
import { treeCpuMs } from './dovecot.js';

/** Frames a browser loads for the top page: the frameset, the menu, the inner frameset, the mail and schedule frames. */
const TOP_PAGE = ['/top', '/menu', '/home', '/mail/list', '/schedule/today'];
const TOP_LOADS_MAX = 400;
const TOP_LOADS_SECONDS = 8;
const USERS = 50;
const REQUESTS_PER_USER = 20;
/** Rounds of the 50 users (the figures are the rounds' medians). */
const ROUNDS = 3;

interface Browser { agent: Agent; cookie: string }

function send(base: URL, agent: Agent, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; setCookie?: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, agent, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function login(base: URL, user: string): Promise<Browser> {
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  const res = await send(base, agent, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded' }, `user=${user}&password=teamware`);
  const cookie = res.setCookie?.[0]?.split(';')[0];
  if (res.status !== 303 || !cookie) throw new Error(`login as ${user} failed: HTTP ${res.status}`);
  return { agent, cookie };
}

async function get(base: URL, b: Browser, path: string): Promise<void> {
  const res = await send(base, b.agent, 'GET', path, { cookie: b.cookie });
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const median = (v: number[]) => percentile([...v].sort((a, b) => a - b), 50);

export async function run(): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(join(tmpdir(), 'twemu-bench-web-'));
  const site = await serveSite(join(dir, 'data'));
  const browsers: Browser[] = [];
  try {
    const base = new URL(String(site.endpoints.servers[0]!.web));
    const alice = await login(base, 'alice');
    browsers.push(alice);
    for (let i = 0; i < 20; i++) await Promise.all(TOP_PAGE.map((p) => get(base, alice, p))); // warm-up

    // Top page loads per second: every frame of the frameset, the frames in parallel as a browser does.
    let loads = 0;
    const t0 = performance.now();
    while (loads < TOP_LOADS_MAX && performance.now() - t0 < TOP_LOADS_SECONDS * 1000) {
      await Promise.all(TOP_PAGE.map((p) => get(base, alice, p)));
      loads++;
    }
    const topSeconds = (performance.now() - t0) / 1000;

    // 50 concurrent users, each with its own session, each loading its mail frame, schedule frame, forum list and memo list in turn.
    const users = await Promise.all(Array.from({ length: USERS }, (_, i) => login(base, i % 2 ? 'bob' : 'alice')));
    browsers.push(...users);
    const pages = ['/mail/list', '/schedule/today', '/forum/list', '/memo/list'];
    for (let i = 0; i < pages.length; i++) await Promise.all(users.map((u, n) => get(base, u, pages[(n + i) % pages.length]!))); // each user's connection open and warm
    const rates: number[] = [];
    const p50s: number[] = [];
    const p99s: number[] = [];
    const cpuPerRequest: number[] = [];
    const clientCpuPerRequest: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const latencies: number[] = [];
      const cpu0 = treeCpuMs(site.child.pid!);
      const client0 = process.cpuUsage();
      const t1 = performance.now();
      await Promise.all(users.map(async (u, n) => {
        for (let i = 0; i < REQUESTS_PER_USER; i++) {
          const s = performance.now();
          await get(base, u, pages[(n + i) % pages.length]!);
          latencies.push(performance.now() - s);
        }
      }));
      const seconds = (performance.now() - t1) / 1000;
      cpuPerRequest.push((treeCpuMs(site.child.pid!) - cpu0) / latencies.length);
      const client = process.cpuUsage(client0);
      clientCpuPerRequest.push((client.user + client.system) / 1000 / latencies.length);
      latencies.sort((a, b) => a - b);
      rates.push(latencies.length / seconds);
      p50s.push(percentile(latencies, 50));
      p99s.push(percentile(latencies, 99));
    }
    const each = (v: number[], digits: number) => `${median(v).toFixed(digits)} (${v.map((x) => x.toFixed(digits)).join(', ')})`;

    return {
      'web top page (frameset + 4 frames) loads/s': (loads / topSeconds).toFixed(1),
      'web top page documents/s': ((loads * TOP_PAGE.length) / topSeconds).toFixed(1),
      'web top page loads measured': loads,
      [`web ${USERS} concurrent users: requests per round (median of ${ROUNDS} rounds, then each)`]: USERS * REQUESTS_PER_USER,
      [`web ${USERS} concurrent users: requests/s`]: each(rates, 1),
      [`web ${USERS} concurrent users: p50 ms`]: each(p50s, 1),
      [`web ${USERS} concurrent users: p99 ms (target <= 100)`]: each(p99s, 1),
      [`web ${USERS} concurrent users: server CPU per request, ms`]: each(cpuPerRequest, 2),
      [`web ${USERS} concurrent users: the bench's clients' CPU per request, ms`]: each(clientCpuPerRequest, 2),
    };
  } finally {
    for (const b of browsers) b.agent.destroy();
    await stopSite(site.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
