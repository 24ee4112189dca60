// The application execution module (AME) over HTTP+JSON: `POST <ame>/<function>`
// with HTTP Basic user credentials and a JSON object of arguments, answering
// `{"rc": N, ...result}`. Registered by protocols/web/index.ts at prefix /ame.
//
// Suspension (seed, administrator guide 19.3.1): a function that touches the
// server returns -9 or -10 (ame.server-call; some functions another error), a
// function that does not touch it succeeds normally (ame.local-call). A call in
// progress when the suspension starts is cut (ame.call-cut, emulator default).

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SiteServer } from '../../emulator/server.js';
import { lazyApiDocs } from '../../emulator/http/docs.js';
import type { Account } from '../../emulator/store/directory.js';
import { TwemuError, ameRc } from '../../emulator/errors.js';
import { AME_CODES, AmeError, RC, codeName, httpStatus } from './codes.js';
import { FUNCTIONS, FUNCTION_NAMES, DEFAULT_MAIL_DOMAIN, bodySchema, codesOf, describe, touchesServer, type AmeConfig, type CallContext, type FunctionSpec } from './functions.js';
import type { AmeFunctionName } from './types.js';

const REALM = 'Basic realm="TeamWARE AME", charset="UTF-8"';
/** Default of services.ame.otherErrorFunctions (emulator default: the seed says "some functions", not which). */
export const DEFAULT_OTHER_ERROR_FUNCTIONS: AmeFunctionName[] = ['library_lock', 'library_unlock'];

/** Reads and checks `services.ame` of the site config; a mistake is one clear error at start. */
export function ameConfig(raw: Record<string, unknown> | undefined): AmeConfig {
  const c = raw ?? {};
  const known = ['otherErrorFunctions', 'mailDomain'];
  const extra = Object.keys(c).filter((k) => !known.includes(k));
  if (extra.length) throw new TwemuError('E_CONFIG', `services.ame: unknown setting ${extra.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
  const other = c.otherErrorFunctions ?? DEFAULT_OTHER_ERROR_FUNCTIONS;
  if (!Array.isArray(other) || other.some((f) => typeof f !== 'string' || !(FUNCTION_NAMES as string[]).includes(f))) {
    throw new TwemuError('E_CONFIG', 'services.ame.otherErrorFunctions must be a list of AME function names', { hint: `the functions are: ${FUNCTION_NAMES.join(', ')}` });
  }
  const domain = c.mailDomain ?? DEFAULT_MAIL_DOMAIN;
  if (typeof domain !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(domain)) throw new TwemuError('E_CONFIG', 'services.ame.mailDomain must be a domain name');
  return { otherErrorFunctions: other as string[], mailDomain: domain };
}

type Failure = { rc: number; error: string; message: string };

function send(reply: FastifyReply, body: { rc: number; [key: string]: unknown }): FastifyReply {
  if (body.rc === RC.AUTH) reply.header('www-authenticate', REALM);
  return reply.status(httpStatus(body.rc)).send(body);
}

const failure = (rc: number, message: string): Failure => ({ rc, error: codeName(rc), message });

/** The rc of an error a repository threw (the store speaks TwemuError). */
function failureOf(err: unknown): Failure | null {
  if (err instanceof AmeError) return failure(err.rc, err.message);
  if (err instanceof TwemuError) return failure(ameRc(err.code), err.message);
  return null;
}

function suspendedMessage(rc: number, s: SiteServer, cut: boolean): string {
  if (rc === RC.SUSPENDED) return `the service of ${s.name} is suspended (online backup); try again after it resumes`;
  if (rc === RC.CUT) return cut ? `the server access was cut: ${s.name} was suspended during the call (online backup)` : `the server access to ${s.name} was cut (service suspended for an online backup)`;
  return `server error on ${s.name} (service suspended for an online backup)`;
}

function credentials(req: FastifyRequest): { user: string; password: string } | null {
  const header = req.headers.authorization;
  if (!header || !/^Basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

const OPENAPI_DESCRIPTION = [
  'The application execution module of TeamWARE Office 200X V2.0, emulated by twemu: the API custom applications call. ',
  '**The function names, arguments and every code but -9 and -10 are the emulator\'s**: the product\'s own C function names are not in our sources.',
  '',
  'Call `POST <ame>/<function>` with HTTP Basic user credentials and a JSON object of arguments; the answer is `{"rc": 0, ...result}` or `{"rc": N, "error": NAME, "message": ...}`. ',
  'The HTTP status is 200 whenever the request itself was well formed (read `rc`); 400 for -2, 401 for -4, 404 for -7.',
  '',
  'While the server is suspended (`to tran suspend`), a function that touches the server returns -9 (ame.server-call), a call in progress when the suspension starts returns -10 (ame.call-cut, emulator default), ',
  'the functions in `services.ame.otherErrorFunctions` return -1; functions that do not touch the server succeed (ame.local-call).',
  '',
  '| rc | name | meaning |', '|---|---|---|',
  ...AME_CODES.map((c) => `| ${c.rc} | ${c.name} | ${c.meaning} |`),
].join('\n');

export const amePlugin: FastifyPluginAsync<{ server: SiteServer }> = async (app, { server }) => {
  const site = server.site;
  const config = ameConfig(site.config.services?.ame as Record<string, unknown> | undefined);
  const accounts = new WeakMap<FastifyRequest, Account>();
  /** Calls holding their server access (holdMs): released when the listener closes. */
  const holds = new Set<() => void>();

  const notFound = (req: FastifyRequest, reply: FastifyReply) => reply.status(404).send(failure(RC.NO_FUNCTION, `no function ${req.method} ${req.url.split('?')[0]}; GET ${req.url.startsWith('/ame') ? '/ame' : ''}/functions lists them`));
  lazyApiDocs(app, {
    routePrefix: '/docs',
    notFound,
    openapi: {
      info: { title: `twemu application execution module (${server.name})`, version: '2.0', description: OPENAPI_DESCRIPTION },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    },
  });

  app.addHook('preClose', async () => {
    for (const release of [...holds]) release();
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err.validation) return reply.status(400).send(failure(RC.ARGUMENT, `bad argument: ${err.message}`));
    if (err.statusCode && err.statusCode < 500) return reply.status(err.statusCode).send(failure(RC.ARGUMENT, err.message));
    site.log.error({ err, url: req.url }, 'AME error');
    return reply.status(500).send(failure(RC.SERVER, 'internal error (see the server log)'));
  });
  app.setNotFoundHandler(notFound);

  app.get('/functions', {
    schema: { summary: 'The AME functions', description: 'Every function: name, service, whether it touches the server, arguments, the rcs it can return. The names are the emulator\'s.', tags: ['discovery'] },
  }, async () => FUNCTION_NAMES.map((name) => describe(FUNCTIONS[name] as FunctionSpec<AmeFunctionName>)));

  app.get('/codes', {
    schema: { summary: 'The AME return codes', description: 'Every rc with its name, HTTP status and meaning (-9 and -10 from the seed; the others the emulator\'s).', tags: ['discovery'] },
  }, async () => AME_CODES);

  async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    const given = credentials(req);
    const operation = req.url.split('?')[0]!;
    // With the site's rule at before-password (access.login-order), a suspended server answers -9
    // (ame.server-call) whatever the credentials; by default the credentials first, and each call gates itself.
    let rc: number = RC.SUSPENDED;
    const busy = (order: 'before-password' | 'after-password') => {
      if (order === 'after-password' || !given) return null;
      const gate = server.gate('ame.server-call', { operation, client: 'ame', user: given.user });
      if (gate.allowed) return null;
      rc = gate.decision.rc ?? RC.SUSPENDED;
      return suspendedMessage(rc, server, false);
    };
    const login = await site.domain.access.login({ client: 'ame', server, operation, user: given?.user, password: given?.password ?? '', busy });
    if (!login.ok && login.refused === 'busy') return send(reply, failure(rc, login.message));
    if (!login.ok) return send(reply, failure(RC.AUTH, given ? 'wrong user name or password' : 'HTTP Basic credentials required'));
    accounts.set(req, login.value);
  }

  /** Waits up to ms; resolves with the touched server whose suspension cut the wait, or null. */
  function hold(servers: SiteServer[], ms: number, ctx: { operation: string; user: string }): Promise<SiteServer | null> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (by: SiteServer | null) => {
        if (timer) clearTimeout(timer);
        off();
        holds.delete(release);
        resolve(by);
      };
      const release = () => done(null);
      const off = site.events.subscribe((e) => {
        if (e.type !== 'state') return;
        const s = servers.find((x) => x.name === e.server);
        if (s?.suspended) done(s);
      });
      holds.add(release);
      timer = setTimeout(release, ms);
      site.events.emit({ type: 'client', server: server.name, client: 'ame', operation: ctx.operation, user: ctx.user,
        message: `call in progress: holding server access for up to ${ms} ms (holdMs, emulator test aid)`, data: { holdMs: ms, servers: servers.map((s) => s.name) } });
    });
  }

  async function call(name: AmeFunctionName, spec: FunctionSpec<AmeFunctionName>, req: FastifyRequest, reply: FastifyReply) {
    const account = accounts.get(req)!;
    const args = req.body as Record<string, unknown>;
    const allowed = new Set(Object.keys(bodySchema(spec).properties as object));
    const unknown = Object.keys(args).filter((k) => !allowed.has(k));
    if (unknown.length) return send(reply, failure(RC.ARGUMENT, `unknown argument ${unknown.map((k) => JSON.stringify(k)).join(', ')} (${name} takes ${[...allowed].join(', ') || 'none'})`));
    const ctx: CallContext = { site, endpoint: server, account, config };
    const op = { operation: name, client: 'ame', user: account.name };
    try {
      if (!touchesServer(spec)) {
        // ame.local-call: succeeds normally; gate only puts it on the event stream (policy never: behaviour-suppressed).
        if (server.suspended) server.gate('ame.local-call', op);
        return send(reply, { rc: RC.OK, ...spec.run(ctx, args as never) });
      }
      if (spec.service !== 'directory' && spec.service !== 'local' && !site.domain.access.mayUse(account, spec.service).ok) {
        return send(reply, failure(RC.SERVICE_NOT_PERMITTED, `account ${account.name} may not use the ${spec.service} service`));
      }
      const servers = [...new Set([server, ...spec.servers!(ctx, args as never)])];
      const preferred = config.otherErrorFunctions.includes(name) ? 2 : 0;
      for (const s of servers) {
        const gate = s.gate('ame.server-call', op, preferred);
        if (!gate.allowed) {
          const rc = gate.decision.rc ?? RC.SUSPENDED;
          return send(reply, failure(rc, suspendedMessage(rc, s, false)));
        }
      }
      const holdMs = typeof args.holdMs === 'number' ? args.holdMs : 0;
      if (holdMs > 0) {
        const cutBy = await hold(servers, holdMs, op);
        if (cutBy) {
          const decision = cutBy.fire('ame.call-cut', op, preferred);
          if (decision.fires) {
            const rc = decision.rc ?? RC.CUT;
            return send(reply, failure(rc, suspendedMessage(rc, cutBy, true)));
          }
        }
      }
      return send(reply, { rc: RC.OK, ...spec.run(ctx, args as never) });
    } catch (err) {
      const f = failureOf(err);
      if (f) return send(reply, f);
      throw err;
    }
  }

  for (const name of FUNCTION_NAMES) {
    const spec = FUNCTIONS[name] as FunctionSpec<AmeFunctionName>;
    app.post(`/${name}`, {
      onRequest: authenticate,
      // A call without a body is a call without arguments.
      preValidation: async (req) => {
        if (req.body === undefined) req.body = {};
      },
      schema: {
        summary: `${name}${touchesServer(spec) ? '' : ' (local: does not touch the server)'}`,
        description: `${spec.description}\n\nReturn codes: ${codesOf(spec).join(', ')}. Touches the server: ${touchesServer(spec) ? 'yes' : 'no'}. The name is the emulator's.`,
        tags: [spec.service],
        security: [{ basic: [] }],
        body: bodySchema(spec),
      },
    }, (req, reply) => call(name, spec, req, reply));
  }
};
