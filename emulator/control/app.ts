import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { timingSafeEqual } from 'node:crypto';
import type { Site } from '../site.js';
import type { Listener, ListenOptions } from '../listeners.js';
import { DiskFull, isDiskFull } from '../disk.js';
import { TwemuError } from '../errors.js';
import type { ControlPlugin } from './plugins.js';
import { lazyValidation } from '../http/validators.js';
import { lazyApiDocs } from '../http/docs.js';
import type { TwEvent } from '../events.js';

export const TOKEN_COOKIE = 'twemu_token';

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' }, rule: { type: 'string' }, next: { type: 'string' } },
  required: ['error', 'message'],
} as const;

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The header the console's own JS sends on state-changing calls; a cross-site form cannot set it (custom headers need a CORS preflight, which this app never grants). */
export const CONSOLE_HEADER = 'x-twemu-console';

/** How the request carries the admin token: bearer header, the console's HttpOnly cookie, or not at all. */
export function authorizedBy(req: FastifyRequest, site: Site): 'bearer' | 'cookie' | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') && tokenMatches(header.slice(7).trim(), site.token)) return 'bearer';
  return tokenMatches(req.cookies?.[TOKEN_COOKIE], site.token) ? 'cookie' : null;
}

/** True when the request carries the admin token (bearer header, or the console's HttpOnly cookie). */
export function isAuthorized(req: FastifyRequest, site: Site): boolean {
  return authorizedBy(req, site) !== null;
}

/** CSRF: a cookie-authenticated request that changes state must carry the console header. */
export function csrfRefused(req: FastifyRequest, site: Site): boolean {
  return authorizedBy(req, site) === 'cookie' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method) && req.headers[CONSOLE_HEADER] !== '1';
}

/** The one JSON error reply of the control API: status and body from the error catalogue. */
export function sendError(reply: FastifyReply, err: TwemuError) {
  return reply.status(err.status).send(err.toJSON());
}

export function sendCsrfRefusal(reply: FastifyReply) {
  return sendError(reply, new TwemuError('E_CSRF', `a cookie-authenticated state-changing request needs the header ${CONSOLE_HEADER}: 1`, { hint: 'use the console, or send Authorization: Bearer <token>' }));
}

/** The control API (HTTP+JSON), built without listening so tests can use `inject`. */
export async function buildControlApp(site: Site, plugins: readonly ControlPlugin[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 25 * 1024 * 1024, ...lazyValidation });
  await app.register(cookie);
  const notFound = (req: FastifyRequest, reply: FastifyReply) => sendError(reply, new TwemuError('E_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  lazyApiDocs(app, {
    routePrefix: '/docs',
    notFound,
    openapi: {
      info: { title: 'twemu control API', version: '0.1.0', description: 'Drive an emulated TeamWARE Office 200X V2.0 site: the online backup procedure, the behaviour catalog, seeding, events. Every call but GET /health needs `Authorization: Bearer TOKEN` (the token is in DIR/admin-token).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    if (err instanceof TwemuError) return sendError(reply, err);
    if (isDiskFull(err)) return sendError(reply, new DiskFull(site.config.dataDir, null, err));
    if (err.validation) return sendError(reply, new TwemuError('E_BAD_REQUEST', err.message));
    // fastify's own 4xx (FST_ERR_*) keep their code and status.
    if (err.statusCode && err.statusCode < 500) return reply.status(err.statusCode).send({ error: err.code ?? 'E_BAD_REQUEST', message: err.message });
    site.log.error({ err, url: req.url }, 'control API error');
    return sendError(reply, new TwemuError('E_INTERNAL', 'internal error (see the server log)'));
  });
  app.setNotFoundHandler(notFound);

  app.addHook('onRequest', async (req, reply) => {
    // Decide on the route the router matched, not only the raw URL: the router
    // decodes percent-escapes (`/%61pi/commands` is `/api/commands`).
    const route = req.routeOptions.url ?? '';
    if (!route.startsWith('/api/') && !req.url.startsWith('/api/')) return;
    // The desktop clients' operations authenticate as the user (HTTP Basic), not with the admin token.
    if (route.startsWith('/api/client/')) return;
    if (!isAuthorized(req, site)) {
      return sendError(reply.header('www-authenticate', 'Bearer'), new TwemuError('E_UNAUTHORIZED', 'missing or wrong admin token', { hint: 'send Authorization: Bearer <token from DIR/admin-token>' }));
    }
    if (csrfRefused(req, site)) return sendCsrfRefusal(reply);
  });

  app.get('/health', { schema: { security: [], response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, topology: { type: 'string' } } } } } },
    async () => ({ ok: true, topology: site.topology }));

  app.post('/api/commands', {
    // A command is a few words: a big body is refused before it is read (413), a long text by the schema (400).
    bodyLimit: 16 * 1024,
    schema: {
      description: 'Runs a procedure command: `to tran suspend`, `to backup on`, `tobkweb arc`, `to tran resume`, `tobkweb rm`, `to backup off`. `server` is a server name or `all` (the default: documented order). Strict mode refuses (409) a step whose preconditions over the site do not hold, naming the rule and the next allowed command (`rule`, `next`); `lenient: true` runs it with a warning per broken rule. `abort: true` with `to backup off` stops the backup cycle part-way (19.3.4) and says what the backup lacks.',
      body: { type: 'object', required: ['command'], additionalProperties: false, properties: {
        command: { type: 'string', maxLength: 200 }, server: { type: 'string', maxLength: 64 }, lenient: { type: 'boolean' }, abort: { type: 'boolean' } } },
      response: { 409: errorSchema },
    },
  }, async (req) => {
    const body = req.body as { command: string; server?: string; lenient?: boolean; abort?: boolean };
    return site.command(body.command, { server: body.server, lenient: body.lenient, abort: body.abort });
  });

  app.get('/api/status', { schema: { description: 'Every server\'s state: service, backup mode, staging size, web archive, backup done, SearchPro; the backup cycle (which step ran on which server) and the next step strict mode allows.' } },
    async () => ({ topology: site.topology, lenient: site.config.lenient, seed: site.catalog.seed, servers: site.status(), procedure: site.procedureStatus() }));

  app.get('/api/catalog', { schema: { description: 'The behaviour catalog: id, source (seed or emulator), exact messages, current policy.' } },
    async () => ({ seed: site.catalog.seed, behaviours: site.catalog.list() }));

  app.get('/api/catalog/:id', async (req) => {
    const { id } = req.params as { id: string };
    return { ...site.catalog.spec(id), policy: site.catalog.policy(id) };
  });

  app.put('/api/catalog/:id/policy', {
    schema: {
      description: 'Sets a behaviour\'s policy: {"mode":"always"}, {"mode":"never"}, {"mode":"probability","probability":0.25,"seed":7}, plus "variant": N where the behaviour has alternatives.',
      body: { type: 'object' },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const policy = site.catalog.setPolicy(id, req.body);
    site.events.emit({ type: 'info', behaviour: id, operation: 'policy', message: `policy of ${id} set to ${JSON.stringify(policy)}` });
    return { id, policy };
  });

  app.post('/api/catalog/reset', { schema: { description: 'Puts every policy back to its configured default and restarts every sequence of draws; optional {"seed": N} sets the site seed.' } },
    async (req) => {
      const body = (req.body ?? {}) as { seed?: unknown };
      site.catalog.resetPolicies();
      if (body.seed !== undefined) {
        if (typeof body.seed !== 'number' || !Number.isInteger(body.seed)) throw new TwemuError('E_BAD_REQUEST', '"seed" must be an integer');
        site.catalog.setSeed(body.seed);
      }
      return { seed: site.catalog.seed };
    });

  app.get('/api/events', {
    schema: { description: 'Server-sent events: every behaviour fired, state change, refused command, warning and gateway log line. `?since=SEQ` (or Last-Event-ID) replays what is still in memory. `?format=json` answers the history as one JSON document instead.' },
  }, async (req, reply) => streamEvents(site, req, reply));

  app.get('/api/servers/:name/staging', {
    schema: { description: 'The staging area of a server: writes held, bytes, and the captured changes in order, paged (`offset`, `limit` up to 1000).' },
  }, async (req) => {
    const { name } = req.params as { name: string };
    const q = req.query as { offset?: string; limit?: string };
    const offset = Math.max(0, Number.parseInt(q.offset ?? '0', 10) || 0);
    const limit = Math.min(1000, Math.max(1, Number.parseInt(q.limit ?? '100', 10) || 100));
    const s = site.server(name);
    const db = s.store.database;
    return { server: s.name, backupMode: s.state.backupMode, writes: db.stagedCount(), bytes: db.stagingBytes(), offset, limit, changes: db.stagedChanges(offset, limit) };
  });

  app.post('/api/users', {
    schema: {
      description: 'Creates a user account (and its mail folders on its home server).',
      body: { type: 'object', required: ['name', 'password'], additionalProperties: false, properties: {
        name: { type: 'string' }, password: { type: 'string' }, displayName: { type: 'string' }, department: { type: 'string' },
        homeServer: { type: 'string' }, isAdmin: { type: 'boolean' }, template: { type: 'string' },
        services: { type: 'object', additionalProperties: { type: 'boolean' } } } },
    },
  }, async (req, reply) => {
    const account = site.createUser(req.body as Parameters<Site['createUser']>[0]);
    const { password: _password, ...visible } = account;
    return reply.status(201).send(visible);
  });

  app.post('/api/mail', {
    schema: {
      description: 'Delivers a message (RFC 5322 text) to a user\'s INBOX, adding Return-Path (the From address), Date (the site clock) and Message-ID where missing, as an MTA does.',
      body: { type: 'object', required: ['to', 'raw'], additionalProperties: false, properties: { to: { type: 'string' }, raw: { type: 'string', minLength: 1 } } },
    },
  }, async (req, reply) => {
    const body = req.body as { to: string; raw: string };
    return reply.status(201).send(site.deliver(body.to, body.raw));
  });

  app.get('/api/users', { schema: { description: 'Lists the accounts (without passwords).' } }, async () => ({
    users: site.domain.directory.accounts(),
  }));

  app.get('/api/users/:name/folders', { schema: { description: 'A user\'s mail folders with their message counts (read through the store, staging area included).' } }, async (req) => {
    const { name } = req.params as { name: string };
    const account = site.domain.access.account(name);
    if (!account) throw new TwemuError('E_NO_ACCOUNT', `no account ${JSON.stringify(name)}`);
    const mail = site.domain.mail.mailbox(account);
    return { user: account.name, server: account.homeServer, folders: mail.folders(account.name).map((f) => ({ name: f.name, uidValidity: f.uidValidity, uidNext: f.uidNext, messages: mail.count(account.name, f.name) })) };
  });

  app.get('/api/users/:name/folders/:folder/messages', { schema: { description: 'The messages of a user\'s folder: uid, size, flags, internal date, subject.' } }, async (req) => {
    const { name, folder } = req.params as { name: string; folder: string };
    const account = site.domain.access.account(name);
    if (!account) throw new TwemuError('E_NO_ACCOUNT', `no account ${JSON.stringify(name)}`);
    const mail = site.domain.mail.mailbox(account);
    const messages = mail.messages(account.name, folder).map((m) => {
      const head = mail.raw(account.name, folder, m.uid)!.subarray(0, 8192).toString('latin1');
      const subject = /^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
      return { ...m, subject };
    });
    return { user: account.name, folder, messages };
  });

  for (const plugin of plugins) await app.register(plugin, { site });
  return app;
}

async function streamEvents(site: Site, req: FastifyRequest, reply: FastifyReply) {
  const q = req.query as { since?: string; format?: string; type?: string };
  const since = Number.parseInt((req.headers['last-event-id'] as string | undefined) ?? q.since ?? '', 10);
  const types = q.type ? new Set(q.type.split(',')) : null;
  const filter = (e: TwEvent) => !types || types.has(e.type);
  if (q.format === 'json') return { lastSeq: site.events.lastSeq, events: site.events.since(Number.isNaN(since) ? 0 : since, filter) };
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const send = (e: TwEvent) => {
    if (filter(e)) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  };
  res.write(`: twemu events\n\n`);
  if (!Number.isNaN(since)) for (const e of site.events.since(since)) send(e);
  const off = site.events.subscribe(send);
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  ping.unref();
  const close = () => {
    clearInterval(ping);
    off();
  };
  req.raw.on('close', close);
  res.on('close', close);
}

export async function startControl(site: Site, opts: ListenOptions, plugins: readonly ControlPlugin[]): Promise<Listener> {
  const app = await buildControlApp(site, plugins);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    close: async () => {
      app.server.closeAllConnections?.();
      await app.close();
    },
  };
}
