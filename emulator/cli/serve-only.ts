// `twemu serve --only SERVER --site URL`: one server of a multi-server site on
// this host, at the documented ports (POP3 110, IMAP 143, SMTP 587, web and AME 80;
// POP3S 995 and IMAPS 993 where the site runs them), for a layout with each
// server on its own host name (containers, see Dockerfile and
// docker-compose.yml). The servers of a site share one state (the directory,
// the procedure's order across servers, the staging areas), which the site
// process holds; this process serves its server's ports on its host and
// carries every connection to that server's listener in the site process.

import { parseArgs } from 'node:util';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { TwemuError } from '../errors.js';
import type { Endpoints } from '../site.js';
import { callApi, findSite } from './client.js';

const USAGE = 'twemu serve --only SERVER (--site URL [--token T] | --data DIR) [--host 0.0.0.0] [--port-base P]';
const DOCUMENTED: Record<string, number> = { pop3: 110, imap: 143, web: 80, pop3s: 995, imaps: 993, smtp: 587 };

export async function serveOnly(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      only: { type: 'string' }, site: { type: 'string' }, token: { type: 'string' }, data: { type: 'string' }, host: { type: 'string' }, 'port-base': { type: 'string' },
    } }));
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: `usage: ${USAGE}` });
  }
  const name = values.only;
  if (!name) throw new TwemuError('E_USAGE', '--only needs the server\'s name', { hint: `usage: ${USAGE}` });
  let base: number | null = null;
  if (values['port-base'] !== undefined) {
    base = Number(values['port-base']);
    if (!Number.isInteger(base) || base < 0 || base > 64000) throw new TwemuError('E_USAGE', `--port-base must be 0 (ephemeral ports) or a port offset up to 64000, not ${JSON.stringify(values['port-base'])}`);
  }
  const target = findSite({ url: values.site, token: values.token, data: values.data });
  const endpoints = target.endpoints ?? (await callApi<Endpoints>(target, 'GET', '/api/inspect/endpoints'));
  const server = endpoints.servers.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!server) throw new TwemuError('E_USAGE', `the site has no server ${JSON.stringify(name)}; its servers: ${endpoints.servers.map((s) => s.name).join(', ')}`);
  // The site's listeners are on the control address's host (the site serves every listener on one --host).
  const siteHost = new URL(target.url).hostname;
  const host = values.host ?? '127.0.0.1';
  const upstream: Record<string, number> = {};
  for (const svc of Object.keys(DOCUMENTED)) {
    const v = (server as unknown as Record<string, unknown>)[svc];
    if (typeof v === 'number') upstream[svc] = v;
    else if (typeof v === 'string' && svc === 'web') upstream[svc] = Number(new URL(v).port || 80);
  }
  const listening: Array<{ svc: string; port: number; server: Server }> = [];
  const sockets = new Set<Socket>();
  try {
    for (const [svc, to] of Object.entries(upstream)) {
      const port = base === null ? DOCUMENTED[svc]! : base === 0 ? 0 : base + DOCUMENTED[svc]!;
      const relay = createServer((client) => {
        const up = connect(to, siteHost);
        for (const s of [client, up]) {
          sockets.add(s);
          s.once('close', () => sockets.delete(s));
          s.on('error', () => (s === client ? up : client).destroy());
        }
        client.pipe(up);
        up.pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        relay.once('error', reject);
        relay.listen(port, host, () => resolve());
      });
      listening.push({ svc, port: (relay.address() as { port: number }).port, server: relay });
    }
  } catch (err) {
    for (const l of listening) l.server.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES') throw new TwemuError('E_PORT_ACCESS', `cannot listen on ${host}: permission denied for a port below 1024`, { hint: 'run as root (as in the container) or give --port-base' });
    if (e.code === 'EADDRINUSE') throw new TwemuError('E_PORT_IN_USE', `cannot listen on ${host}: a port is already in use`, { hint: 'stop the other program, or give --port-base' });
    throw err;
  }
  const stop = (signal: string) => {
    process.stdout.write(`twemu stopping (${signal})\n`);
    for (const s of sockets) s.destroy();
    for (const l of listening) l.server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.stdout.on('error', () => undefined);
  process.stdout.write(`twemu ${server.name} (${server.role}) on ${host}: ${listening.map((l) => `${l.svc} ${l.port}`).join(' ')}; the site at ${target.url}\n`);
  process.stdout.write(`twemu ready ${server.name}\n`);
  await new Promise(() => undefined);
  return 0;
}
