// `npm run bench web`: the web pages' throughput and latency, on an in-process site.
import { startEmulator } from '../emulator/index.js';

/** Frames a browser loads for the top page: the frameset, the menu, the inner frameset, the mail and schedule frames. */
const TOP_PAGE = ['/top', '/menu', '/home', '/mail/list', '/schedule/today'];
const TOP_LOADS_MAX = 400;
const TOP_LOADS_SECONDS = 8;
const USERS = 50;
const REQUESTS_PER_USER = 20;

async function login(base: string, user: string): Promise<string> {
  const res = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=${user}&password=teamware` });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  await res.arrayBuffer();
  if (res.status !== 303 || !cookie) throw new Error(`login as ${user} failed: HTTP ${res.status}`);
  return cookie;
}

async function get(base: string, path: string, cookie: string): Promise<void> {
  const res = await fetch(`${base}${path}`, { headers: { cookie } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(): Promise<Record<string, string | number>> {
  const emu = await startEmulator({ portBase: 0, host: '127.0.0.1' });
  try {
    const base = emu.endpoints.servers[0]!.web!;
    const cookie = await login(base, 'alice');
    for (let i = 0; i < 20; i++) await Promise.all(TOP_PAGE.map((p) => get(base, p, cookie))); // warm-up

    // Top page loads per second: every frame of the frameset, the frames in parallel as a browser does.
    let loads = 0;
    const t0 = performance.now();
    while (loads < TOP_LOADS_MAX && performance.now() - t0 < TOP_LOADS_SECONDS * 1000) {
      await Promise.all(TOP_PAGE.map((p) => get(base, p, cookie)));
      loads++;
    }
    const topSeconds = (performance.now() - t0) / 1000;

    // 50 concurrent users, each with its own session, each loading its mail frame, schedule frame and forum list in turn.
    const cookies = await Promise.all(Array.from({ length: USERS }, (_, i) => login(base, i % 2 ? 'bob' : 'alice')));
    const pages = ['/mail/list', '/schedule/today', '/forum/list', '/memo/list'];
    const latencies: number[] = [];
    const t1 = performance.now();
    await Promise.all(cookies.map(async (c, u) => {
      for (let i = 0; i < REQUESTS_PER_USER; i++) {
        const s = performance.now();
        await get(base, pages[(u + i) % pages.length]!, c);
        latencies.push(performance.now() - s);
      }
    }));
    const concurrentSeconds = (performance.now() - t1) / 1000;
    latencies.sort((a, b) => a - b);

    return {
      'web top page (frameset + 4 frames) loads/s': (loads / topSeconds).toFixed(1),
      'web top page documents/s': ((loads * TOP_PAGE.length) / topSeconds).toFixed(1),
      'web top page loads measured': loads,
      [`web ${USERS} concurrent users: requests`]: latencies.length,
      [`web ${USERS} concurrent users: requests/s`]: (latencies.length / concurrentSeconds).toFixed(1),
      [`web ${USERS} concurrent users: p50 ms`]: percentile(latencies, 50).toFixed(1),
      [`web ${USERS} concurrent users: p99 ms`]: percentile(latencies, 99).toFixed(1),
    };
  } finally {
    await emu.stop();
  }
}
