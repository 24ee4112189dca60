import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { packageRoot } from '../../package-root.js';
import type { Site } from '../../site.js';
import type { SiteServer } from '../../server.js';
import { BadRequest, TwemuError } from '../../errors.js';
import { TOKEN_COOKIE, csrfRefused, isAuthorized, sendCsrfRefusal, sendError } from '../app.js';
import { checklist, nextSiteStep, STEPS } from './checklist.js';
import { allowedNow } from '../../procedure.js';
import { timeline } from './timeline.js';
import type { ConsoleScenarios, ConsoleSite } from './scenarios.js';
import { resetSite } from '../../reset.js';
import { siteTimeZone } from '../../config.js';
import { consolePage, loginPage } from './pages.js';
import { ameCall, ameFunctions, imapLogin, pop3Login, smtpLogin, webPage, type ClientResult } from './demo-clients.js';

// The training console (`/console` on the control endpoint): an instructor's
// view of the site for a projector. Pages and assets here; the console's JS
// drives the procedure through /api/commands and /api/backups and follows
// /api/events, all authenticated by the HttpOnly cookie the login form sets.

export const ASSETS_DIR = join(packageRoot(), 'emulator', 'control', 'console', 'assets');
const ASSET_TYPES: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const DEMO_KINDS = ['pop3-login', 'imap-login', 'smtp-login', 'web-page', 'api-call'] as const;
type DemoKind = (typeof DEMO_KINDS)[number];

interface DemoBody {
  server: string;
  user?: string;
  password?: string;
  path?: string;
  function?: string;
  args?: Record<string, unknown>;
  feed?: boolean;
}

const demoSchema = {
  type: 'object',
  required: ['server'],
  additionalProperties: false,
  properties: {
    server: { type: 'string', minLength: 1, maxLength: 64 },
    user: { type: 'string', pattern: '^[A-Za-z0-9._@-]{1,64}$' },
    password: { type: 'string', pattern: '^[\\x20-\\x7e]{0,128}$' },
    path: { type: 'string', pattern: '^/[\\x21-\\x7e]{0,200}$' },
    function: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    args: { type: 'object' },
    /** false: the console's automatic re-run after a state change (the behaviours it meets are on the feed anyway). */
    feed: { type: 'boolean' },
  },
} as const;

function tokenMatches(given: unknown, token: string): boolean {
  if (typeof given !== 'string' || !given) return false;
  const a = Buffer.from(given.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The address a client on this machine uses to reach the site's listeners. */
function clientHost(host: string): string {
  if (!host || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function webBase(site: Site, server: SiteServer): string {
  const port = server.ports.web;
  if (!server.runs('web') || !port) throw new BadRequest('E_NO_SERVICE', `${server.name} has no web service`, 'pick a server that runs it');
  const host = clientHost(site.config.host);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function tcpPort(server: SiteServer, service: 'pop3' | 'imap' | 'smtp'): number {
  const port = server.ports[service];
  if (!server.runs(service === 'smtp' ? 'pop3' : service) || !port) {
    throw new BadRequest('E_NO_SERVICE', `${server.name} does not run ${service.toUpperCase()}`, `pick an application server (${server.site.servers.filter((s) => s.runs('pop3')).map((s) => s.name).join(', ')})`);
  }
  return port;
}

async function runDemo(site: Site, kind: DemoKind, body: DemoBody): Promise<{ client: string; operation: string; result: ClientResult }> {
  const server = site.server(body.server);
  const user = body.user ?? 'alice';
  const password = body.password ?? 'teamware';
  const host = clientHost(site.config.host);
  switch (kind) {
    case 'pop3-login':
      return { client: 'pop3', operation: 'login', result: await pop3Login({ host, port: tcpPort(server, 'pop3'), user, password }) };
    case 'imap-login':
      return { client: 'imap', operation: 'login', result: await imapLogin({ host, port: tcpPort(server, 'imap'), user, password }) };
    case 'smtp-login':
      return { client: 'smtp', operation: 'login', result: await smtpLogin({ host, port: tcpPort(server, 'smtp'), user, password }) };
    case 'web-page': {
      const path = body.path ?? '/';
      return { client: 'web', operation: `GET ${path}`, result: await webPage({ base: webBase(site, server), path, user, password }) };
    }
    case 'api-call': {
      if (!server.runs('ame')) throw new BadRequest('E_NO_SERVICE', `${server.name} has no application execution module`);
      const result = await ameCall({ ame: `${webBase(site, server)}/ame`, fn: body.function, args: body.args ?? {}, user, password });
      return { client: 'ame', operation: body.function ?? 'call', result };
    }
  }
}

export const consolePlugin: FastifyPluginAsync<{ site: Site; scenarios?: ConsoleScenarios }> = async (app, { site, scenarios }) => {
  await app.register(formbody, { bodyLimit: 4096 });
  const assets = new Map(Object.keys(ASSET_TYPES).map((name) => [name, readFileSync(join(ASSETS_DIR, name), 'utf8')]));

  // Public routes, by the route the router matched (it decodes percent-escapes: `/%63onsole/state` is `/console/state`).
  const isPublic = (method: string, route: string) =>
    (method === 'GET' && (route === '/console' || route === '/console/' || route === '/console/assets/:file')) ||
    (method === 'POST' && (route === '/console/login' || route === '/console/logout'));

  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url ?? '';
    if (!route.startsWith('/console') && !req.url.startsWith('/console')) return;
    if (isPublic(req.method, route)) return;
    if (!isAuthorized(req, site)) return sendError(reply, new TwemuError('E_UNAUTHORIZED', 'log in to the console first', { hint: 'open /console and enter the admin token' }));
    if (csrfRefused(req, site)) return sendCsrfRefusal(reply);
  });

  const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).headers(HTML_HEADERS).send(body);

  app.get('/console', { schema: { hide: true } }, async (req, reply) =>
    isAuthorized(req, site) ? html(reply, 200, consolePage()) : html(reply, 401, loginPage()));
  app.get('/console/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console', 302));

  app.get('/console/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const body = assets.get(file);
    if (body === undefined) return sendError(reply, new TwemuError('E_NOT_FOUND', `no console asset ${JSON.stringify(file)}`));
    return reply.headers({ 'content-type': ASSET_TYPES[file]!, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(body);
  });

  app.post('/console/login', { schema: { hide: true }, bodyLimit: 4096 }, async (req, reply) => {
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !token.trim()) return html(reply, 400, loginPage('Enter the admin token.'));
    if (!tokenMatches(token, site.token)) {
      site.events.emit({ type: 'login-failed', client: 'console', operation: 'console login', message: 'console login with a wrong admin token' });
      return html(reply, 401, loginPage('Wrong admin token.'));
    }
    reply.setCookie(TOKEN_COOKIE, site.token, { httpOnly: true, sameSite: 'strict', path: '/' });
    return reply.redirect('/console', 303);
  });

  app.post('/console/logout', { schema: { hide: true }, bodyLimit: 4096 }, async (_req, reply) => {
    reply.clearCookie(TOKEN_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/' });
    return reply.redirect('/console', 303);
  });

  app.get('/console/state', {
    schema: { description: 'The console\'s view: every server\'s status with its ports and its procedure checklist (steps done, the next valid step, why it waits).' },
  }, async () => {
    const allowed = allowedNow(site);
    return {
    topology: site.topology,
    lenient: site.config.lenient,
    backupsApi: app.hasRoute({ method: 'POST', url: '/api/backups' }),
    /** Where the console's step-5 button writes backups (the command box takes `--dest DIR`). */
    backupDest: join(site.config.dataDir, 'console-backups'),
    steps: STEPS,
    lastSeq: site.events.lastSeq,
    /** The time zone the console shows times in (config `timeZone`, default the machine's). */
    timeZone: siteTimeZone(site.config),
    /** The site's next step ("next step" button): run on every server it names, in the documented order. */
    next: nextSiteStep(site, allowed),
    /** The backup cycle and the next step strict mode allows on the site (the procedure module's answer, as refusals give it). */
    procedure: { cycle: site.cycle.view(), next: allowed[0] ?? null, activity: site.clientActivity() },
    /** The directory's users and their home servers (the client pickers). */
    users: site.domain.directory.list().map((a) => ({ name: a.name, homeServer: a.homeServer, isAdmin: a.isAdmin })),
    servers: site.servers.map((s) => ({ ...site.serverStatus(s), ports: { ...s.ports }, checklist: checklist(s, site, allowed) })),
    };
  });

  app.get('/console/timeline', {
    schema: { description: 'One lane per server: the steps run (and refused), the suspended and backup-mode windows, the clients that met a behaviour; from the event history in memory. `?download=1` answers it as a file.' },
  }, async (req, reply) => {
    const body = timeline(site, site.events.since(0), siteTimeZone(site.config), new Date(site.clock.now()).toISOString());
    if ((req.query as { download?: string }).download) reply.header('content-disposition', 'attachment; filename="twemu-timeline.json"');
    return body;
  });

  // ---- scenarios run from the console (against this site) ----
  const consoleSite = (): ConsoleSite => ({
    control: site.endpoints.control, token: site.token,
    emit: (e) => site.events.emit({ type: 'scenario', operation: e.operation, message: e.message, data: e.data }),
  });
  const needScenarios = (): ConsoleScenarios => {
    if (!scenarios) throw new TwemuError('E_NOT_FOUND', 'this console was started without the scenario runner', { hint: 'start the site with twemu serve or startEmulator' });
    return scenarios;
  };
  if (scenarios) app.addHook('onClose', async () => scenarios.stopAll());

  app.get('/console/scenarios', {
    schema: { description: 'The bundled scenarios the console can run against this site (name, file, description, the topology each needs).' },
  }, async () => ({ topology: site.topology, appServers: site.applicationServers.length, scenarios: await needScenarios().list() }));

  app.post('/console/scenarios/run', {
    schema: {
      description: 'Runs a scenario against this site: `file` (a bundled one) or `yaml` (an uploaded file, with its `name`), `mode` `run` (straight through) or `step` (paused before each step). Each step\'s expectation and outcome are `scenario` events on the feed.',
      body: { type: 'object', additionalProperties: false, required: ['mode'], properties: {
        file: { type: 'string', maxLength: 200 }, yaml: { type: 'string', maxLength: 262_144 }, name: { type: 'string', maxLength: 200 }, mode: { type: 'string', enum: ['run', 'step'] } } },
    },
    bodyLimit: 300 * 1024,
  }, async (req, reply) => {
    const body = req.body as { file?: string; yaml?: string; name?: string; mode: 'run' | 'step' };
    if ((body.file === undefined) === (body.yaml === undefined)) throw new BadRequest('E_BAD_REQUEST', 'give either "file" (a bundled scenario) or "yaml" (an uploaded one)');
    return reply.status(202).send(await needScenarios().start(consoleSite(), body));
  });

  app.get('/console/scenarios/runs/:id', { schema: { description: 'A console scenario run: its state, the step waiting or running, each step run with its expectation and outcome.' } }, async (req) => {
    const run = needScenarios().run((req.params as { id: string }).id);
    if (!run) throw new TwemuError('E_NO_SCENARIO_RUN', 'no such scenario run', { hint: 'start one with POST /console/scenarios/run' });
    return run;
  });

  app.post('/console/scenarios/runs/:id/:action', {
    schema: { description: '`pause`, `resume` (run on), `step` (run one step, then pause) or `stop` a console scenario run.', params: { type: 'object', properties: { id: { type: 'string' }, action: { type: 'string', enum: ['pause', 'resume', 'step', 'stop'] } } } },
  }, async (req) => {
    const { id, action } = req.params as { id: string; action: 'pause' | 'resume' | 'step' | 'stop' };
    const run = needScenarios().control(id, action);
    if (!run) throw new TwemuError('E_NO_SCENARIO_RUN', 'no such scenario run', { hint: 'start one with POST /console/scenarios/run' });
    return run;
  });

  app.post('/console/reset', {
    schema: { description: 'Resets the site to its demo state: every server available and out of backup mode (what was staged is merged, the web archive removed), the demo data in place of whatever was there, every policy back to its configured default.' },
  }, async () => {
    const result = resetSite(site);
    return { ...result, status: site.status() };
  });

  app.get('/console/demo/ame-functions', {
    schema: { description: 'The functions the application execution module of a server lists.', querystring: { type: 'object', required: ['server'], properties: { server: { type: 'string', minLength: 1, maxLength: 64 } } } },
  }, async (req) => {
    const server = site.server((req.query as { server: string }).server);
    if (!server.runs('ame')) return { server: server.name, functions: [] };
    try {
      return { server: server.name, functions: await ameFunctions(`${webBase(site, server)}/ame`) };
    } catch (err) {
      return { server: server.name, functions: [], error: (err as Error).message };
    }
  });

  app.post('/console/demo/:kind', {
    schema: {
      description: `Makes a demo client act against a server of the site and answers what the client saw (every line). Kinds: ${DEMO_KINDS.join(', ')}.`,
      params: { type: 'object', properties: { kind: { type: 'string', enum: [...DEMO_KINDS] } } },
      body: demoSchema,
    },
    bodyLimit: 16 * 1024,
  }, async (req) => {
    const { kind } = req.params as { kind: DemoKind };
    const body = req.body as DemoBody;
    const before = site.events.lastSeq;
    const { client, operation, result } = await runDemo(site, kind, body);
    // The catalog behaviours this client met (what makes its answer the documented one, not a plain failure).
    const behaviours = [...new Set(site.events.since(before, (e) => e.type === 'behaviour' && e.client === client && e.user === (body.user ?? 'alice')).map((e) => e.behaviour!))];
    const server = site.server(body.server).name;
    const user = body.user ?? 'alice';
    if (body.feed !== false) site.events.emit({ type: 'client', server, client, operation, user, message: result.summary, data: { ok: result.ok, transcript: result.lines } });
    return { kind, server, client, operation, user, behaviours, ...result };
  });
};

