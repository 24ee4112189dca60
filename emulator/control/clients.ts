import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Site } from '../site.js';
import type { Account } from '../store/directory.js';
import { TwemuError } from '../errors.js';
import { sendError } from './app.js';
import { clientOperations, runClientOperation } from '../services/clients.js';

// The desktop clients' operations: `POST /api/client/{service}/{operation}`,
// authenticated as the user with HTTP Basic (not the admin token; app.ts lets
// /api/client/* through its bearer check). The answer is 200 with what the
// desktop client would show ({ok: true, ...} or {ok: false, behaviour, dialog,
// effect}); bad input is 4xx.

const REALM = 'Basic realm="TeamWARE Office", charset="UTF-8"';

/** The account named by the request's HTTP Basic credentials (the site's one login), or null (the reply is then sent: 401). */
async function authenticate(site: Site, req: FastifyRequest, reply: FastifyReply): Promise<Account | null> {
  const header = req.headers.authorization;
  let user: string | undefined;
  let password = '';
  if (header && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      user = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  // The desktop clients log on through the Directory service: the directory server is where they arrive.
  const login = await site.domain.access.login({ client: 'desktop', server: site.directoryServer, operation: req.url.split('?')[0]!.slice(0, 200), user, password });
  if (login.ok) return login.value;
  void reply.status(401).header('www-authenticate', REALM).send({
    error: 'E_UNAUTHORIZED', message: 'the desktop-client operations need a TeamWARE user\'s name and password',
    hint: 'send Authorization: Basic base64(user:password), e.g. alice:teamware',
  });
  return null;
}

export const clientsPlugin: FastifyPluginAsync<{ site: Site }> = async (app, { site }) => {
  app.get('/api/client/operations', {
    schema: { description: 'Lists the desktop-client operations (HTTP Basic as any user).' },
  }, async (req, reply) => {
    if (!(await authenticate(site, req, reply))) return reply;
    return {
      operations: [...clientOperations.values()].map((o) => ({ path: `/api/client/${o.service}/${o.operation}`, client: o.client, admin: o.admin, description: o.description })),
    };
  });

  app.post('/api/client/:service/:operation', {
    schema: {
      description: 'A desktop client\'s operation (TeamWARE Admin, Directory, Mail, Calendar, Forum, Library, Simple MAPI, the client level-up tool), authenticated as the user with HTTP Basic. ' +
        'Answers 200 with {"ok": true, ...} or {"ok": false, "behaviour": ID, "behaviours": [...], "dialog": [exact texts], "effect": ...}. admin/* and directory/* need an administrator (403 otherwise). GET /api/client/operations lists them.',
      params: { type: 'object', properties: { service: { type: 'string', maxLength: 40 }, operation: { type: 'string', maxLength: 60 } } },
    },
  }, async (req, reply) => {
    const user = await authenticate(site, req, reply);
    if (!user) return reply;
    const { service, operation } = req.params as { service: string; operation: string };
    return runClientOperation(site, user, service, operation, req.body);
  });
};

