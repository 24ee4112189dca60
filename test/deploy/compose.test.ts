// docker-compose.yml without a container engine: each service gets a network
// namespace of its own (its own address on a bridge the test creates, its
// host names in /etc/netns/NS/hosts, as `ip netns exec` reads them), and runs
// its `command` with the built CLI. The multi-server site then answers on each
// server's host name at the documented ports (110, 143, 80), and the
// documented behaviours reach a client through them. Needs root and iproute2
// (`ip`); under CI=true their absence fails the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLI, ROOT, stopProcess, tempDir } from '../helpers.js';

interface Service { hostname?: string; command: string[]; volumes?: string[] }
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

function can(): string | null {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (`ip`) is missing';
  }
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root';
  return null;
}
const missing = can();
if (missing && process.env.CI === 'true') throw new Error(`compose layout test: ${missing}`);

const tag = `tw${process.pid % 100000}`;
const subnet = `10.213.${20 + (process.pid % 200)}`;
const names = Object.keys(compose.services);
const ns = (svc: string) => `${tag}-${svc}`;
const address = new Map(names.map((svc, i) => [svc, `${subnet}.${10 + i}`]));
const data = tempDir('twemu-compose-');
const procs: ChildProcess[] = [];
const created: string[] = [];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Runs a service's command in its namespace and resolves when it prints `twemu ready`. */
function start(svc: string): Promise<string> {
  const args = compose.services[svc]!.command.map((a) => (a === '/data' ? data.path : a));
  const child = spawn('ip', ['netns', 'exec', ns(svc), process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${svc} did not get ready:\n${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('twemu ready')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`${svc} exited with ${code}:\n${out}`)));
  });
}

/** What a line-protocol server says: the greeting, then the replies to `lines`, one at a time. */
function talk(host: string, port: number, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    const got: string[] = [];
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply from ${host}:${port}: ${JSON.stringify(got)}`));
    }, 10_000);
    s.on('error', reject);
    s.on('data', (c) => {
      buf += c.toString();
      while (buf.includes('\r\n')) {
        const i = buf.indexOf('\r\n');
        got.push(buf.slice(0, i));
        buf = buf.slice(i + 2);
        const next = lines[got.length - 1];
        if (next !== undefined) s.write(`${next}\r\n`);
        else {
          clearTimeout(timer);
          s.destroy();
          resolve(got);
          return;
        }
      }
    });
  });
}

beforeAll(async () => {
  if (missing) return;
  // The LAN: a bridge in a namespace of its own; each service's namespace and the test's own end plugged into it.
  ip('netns', 'add', ns('lan'));
  created.push(ns('lan'));
  ip('-n', ns('lan'), 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', ns('lan'), 'link', 'set', 'br0', 'up');
  const hosts = ['127.0.0.1 localhost', ...names.map((svc) => `${address.get(svc)} ${svc}${compose.services[svc]!.hostname && compose.services[svc]!.hostname !== svc ? ` ${compose.services[svc]!.hostname}` : ''}`)].join('\n');
  names.forEach((svc, i) => {
    ip('netns', 'add', ns(svc));
    created.push(ns(svc));
    ip('link', 'add', `${tag}a${i}`, 'type', 'veth', 'peer', 'name', `${tag}b${i}`);
    ip('link', 'set', `${tag}a${i}`, 'netns', ns('lan'));
    ip('link', 'set', `${tag}b${i}`, 'netns', ns(svc));
    ip('-n', ns('lan'), 'link', 'set', `${tag}a${i}`, 'master', 'br0', 'up');
    ip('-n', ns(svc), 'addr', 'add', `${address.get(svc)}/24`, 'dev', `${tag}b${i}`);
    ip('-n', ns(svc), 'link', 'set', `${tag}b${i}`, 'up');
    ip('-n', ns(svc), 'link', 'set', 'lo', 'up');
    mkdirSync(`/etc/netns/${ns(svc)}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns(svc)}/hosts`, `${hosts}\n`);
  });
  ip('link', 'add', `${tag}h`, 'type', 'veth', 'peer', 'name', `${tag}g`);
  ip('link', 'set', `${tag}g`, 'netns', ns('lan'));
  ip('-n', ns('lan'), 'link', 'set', `${tag}g`, 'master', 'br0', 'up');
  ip('addr', 'add', `${subnet}.254/24`, 'dev', `${tag}h`);
  ip('link', 'set', `${tag}h`, 'up');
  // The site first (the others wait for it, as `depends_on: condition: service_healthy` says), then every server.
  await start('site');
  await Promise.all(names.filter((s) => s !== 'site').map(start));
}, 90_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProcess(p)));
  if (!missing) {
    try {
      ip('link', 'del', `${tag}h`);
    } catch {
      /* gone with its peer's namespace */
    }
    for (const n of created.reverse()) {
      try {
        ip('netns', 'del', n);
      } catch {
        /* already gone */
      }
      rmSync(`/etc/netns/${n}`, { recursive: true, force: true });
    }
  }
  data.remove();
});

describe('docker-compose.yml as network namespaces', { timeout: 60_000 }, () => {
  it.skipIf(missing !== null)('each server answers on its own host at the documented ports: POP3 110 and IMAP 143 on twap01 and twap02, web 80 on every server', async () => {
    for (const svc of ['twap01', 'twap02']) {
      const [pop3] = await talk(address.get(svc)!, 110, []);
      expect(pop3).toMatch(new RegExp(`^\\+OK ${svc} POP3 server ready`));
      const [imap] = await talk(address.get(svc)!, 143, []);
      expect(imap).toMatch(new RegExp(`^\\* OK \\[CAPABILITY [^\\]]*\\] ${svc} IMAP4rev1 server ready`));
    }
    for (const svc of ['twdir01', 'twap01', 'twap02']) {
      const res = await fetch(`http://${address.get(svc)}/login`);
      expect(res.status, svc).toBe(200);
      expect(await res.text()).toContain('TeamWARE');
    }
  });

  it.skipIf(missing !== null)('the procedure run on the site reaches the clients of every host: suspended, a POP3 login on twap01:110 gets the seed\'s text; resumed, it works', async () => {
    const token = readFileSync(join(data.path, 'admin-token'), 'utf8').trim();
    const control = `http://${address.get('site')}:20000`;
    const command = async (text: string) => {
      const r = await fetch(`${control}/api/commands`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ command: text }) });
      expect(r.status, await r.clone().text()).toBe(200);
    };
    await command('to tran suspend');
    const suspended = await talk(address.get('twap01')!, 110, ['USER bob', 'PASS teamware']);
    expect(suspended[2]).toMatch(/^-ERR unable to lock maildrop/);
    await command('to tran resume');
    const resumed = await talk(address.get('twap02')!, 143, ['a1 LOGIN alice teamware']);
    expect(resumed[1]).toMatch(/^a1 OK /); // alice's home server is twap02
  });
});
