import type { FastifyPluginAsync } from 'fastify';
import type { Site } from '../site.js';
import { gatewaysOf } from '../services/gateways.js';
import { searchProOf } from '../services/searchpro.js';

// Control API routes of the X.400 and Fax gateways and SearchPro (behind the
// bearer token like every /api/ route). Each operation answers 200 with
// {ok, behaviour?, logged: [lines]}; what the gateway logs is also on
// GET /api/events as `gateway-log` events.

const obj = { type: 'object' } as const;

export const gatewaysPlugin: FastifyPluginAsync<{ site: Site }> = async (app, { site }) => {
  app.get('/api/gateways', { schema: { description: 'The X.400 and Fax gateways: server, state, counters, pending faxes.' } },
    async () => ({ server: site.gatewayServer.name, ...(gatewaysOf(site).status(site.gatewayServer) ?? {}) }));

  app.post('/api/gateways/x400/receive', {
    schema: { description: 'An inbound X.400 message: {"from": sender (a user of the site gets any non-delivery notice in INBOX), "to": user, "subject"?, "body"?}. Suspended gateway server: x400.receive.', body: obj },
  }, async (req) => gatewaysOf(site).x400Receive(req.body));

  app.post('/api/gateways/x400/reload', {
    schema: { description: 'Reloads the X.400 gateway\'s environment. Suspended: x400.reload (error logged, restart loop until resume).' },
  }, async () => gatewaysOf(site).x400Reload());

  app.post('/api/gateways/x400/change-details', {
    schema: { description: '詳細情報の変更: {"details": {"name": "value", ...}}. Suspended: x400.change-details (restart loop until resume; the details apply when the gateway starts).', body: obj },
  }, async (req) => gatewaysOf(site).x400ChangeDetails(req.body));

  app.post('/api/gateways/fax/receive', {
    schema: { description: 'A received fax: {"from": fax number, "to": user, "pages"?}. Directory server suspended: fax.receive logged at every attempt until resume, then delivered.', body: obj },
  }, async (req) => gatewaysOf(site).faxReceive(req.body));

  app.post('/api/gateways/fax/reload', {
    schema: { description: 'Reloads the Fax gateway\'s environment. Suspended: fax.reload.' },
  }, async () => gatewaysOf(site).faxReload());

  app.post('/api/gateways/fax/report', {
    schema: { description: 'Issues a report for a user: {"user": name}. Suspended: fax.report.', body: obj },
  }, async (req) => gatewaysOf(site).faxReport(req.body));

  app.get('/api/searchpro', { schema: { description: 'SearchPro: state, progress of the running build, last build.' } },
    async () => ({ server: site.gatewayServer.name, ...searchProOf(site).view() }));

  app.post('/api/searchpro/index', {
    schema: { description: 'Starts an index build over the library ({"durationMs"?: N}); progress on the event stream. While it runs, `to backup on` is refused (searchpro.backup-blocked); suspended meanwhile: searchpro.index-error.' },
  }, async (req) => searchProOf(site).startBuild(req.body));

  app.get('/api/searchpro/search', {
    schema: { description: 'Searches the last completed index: ?q=TEXT.', querystring: { type: 'object', properties: { q: { type: 'string' } } } },
  }, async (req) => searchProOf(site).search((req.query as { q?: string }).q ?? ''));
};

