// Scheduled outage windows (`twemu schedule suspend at +30s for 2m`, a
// scenario's `window:` step): at the start the site runs `to tran suspend`,
// at the end `to tran resume` (on one server or, by default, all of them in
// the documented order), so a client's retry logic meets a server that goes
// away and comes back on a timeline. Kept in the site's process: the timers
// run whether or not the caller stays.

import type { FastifyPluginAsync } from 'fastify';
import type { Site } from '../site.js';
import { BadRequest, NotFound } from '../errors.js';

export interface OutageWindow {
  id: number;
  action: 'suspend';
  server: string;
  startsAt: string;
  endsAt: string;
  state: 'pending' | 'active' | 'done' | 'failed' | 'cancelled';
  /** What went wrong at the start or the end (a refused command). */
  problem?: string;
}

export const schedulePlugin: FastifyPluginAsync<{ site: Site }> = async (app, { site }) => {
  const windows: OutageWindow[] = [];
  const timers = new Map<number, NodeJS.Timeout[]>();
  let next = 1;

  const run = (w: OutageWindow, command: 'to tran suspend' | 'to tran resume') => {
    try {
      site.command(command, w.server === 'all' ? {} : { server: w.server });
      return true;
    } catch (err) {
      w.problem = `${command}: ${(err as Error).message}`;
      w.state = 'failed';
      site.events.emit({ type: 'info', operation: 'schedule', message: `outage window ${w.id}: ${w.problem}` });
      return false;
    }
  };

  app.post('/api/schedule', {
    schema: {
      description: 'Schedules an outage window: `to tran suspend` after `atMs` (default 0) and `to tran resume` `forMs` later, on `server` (default all, in the documented order). 201 with the window.',
      body: { type: 'object', required: ['action', 'forMs'], additionalProperties: false, properties: {
        action: { type: 'string', enum: ['suspend'] }, atMs: { type: 'integer', minimum: 0 }, forMs: { type: 'integer', minimum: 1 }, server: { type: 'string', minLength: 1 } } },
    },
  }, async (req, reply) => {
    const body = req.body as { action: 'suspend'; atMs?: number; forMs: number; server?: string };
    const server = !body.server || body.server.toLowerCase() === 'all' ? 'all' : site.server(body.server).name;
    const at = body.atMs ?? 0;
    if (at > 7 * 24 * 3_600_000 || body.forMs > 7 * 24 * 3_600_000) throw new BadRequest('E_BAD_REQUEST', 'a window starts and lasts at most a week');
    const now = Date.now();
    const w: OutageWindow = { id: next++, action: 'suspend', server, startsAt: new Date(now + at).toISOString(), endsAt: new Date(now + at + body.forMs).toISOString(), state: 'pending' };
    windows.push(w);
    const start = setTimeout(() => {
      if (w.state !== 'pending') return;
      if (run(w, 'to tran suspend')) {
        w.state = 'active';
        site.events.emit({ type: 'info', operation: 'schedule', message: `outage window ${w.id}: started on ${server} until ${w.endsAt}` });
      }
    }, at);
    const end = setTimeout(() => {
      if (w.state !== 'active') return;
      if (run(w, 'to tran resume')) {
        w.state = 'done';
        site.events.emit({ type: 'info', operation: 'schedule', message: `outage window ${w.id}: ended on ${server}` });
      }
    }, at + body.forMs);
    timers.set(w.id, [start, end]);
    site.events.emit({ type: 'info', operation: 'schedule', message: `outage window ${w.id}: suspend ${server} from ${w.startsAt} to ${w.endsAt}` });
    return reply.code(201).send(w);
  });

  app.get('/api/schedule', { schema: { description: 'The outage windows: pending, active, done, failed or cancelled.' } }, async () => ({ windows }));

  app.delete('/api/schedule/:id', {
    schema: { description: 'Cancels a window; an active one ends now (`to tran resume`).', params: { type: 'object', properties: { id: { type: 'integer' } } } },
  }, async (req) => {
    const id = (req.params as { id: number }).id;
    const w = windows.find((x) => x.id === id);
    if (!w) throw new NotFound('E_NOT_FOUND', `no outage window ${id}`);
    for (const t of timers.get(id) ?? []) clearTimeout(t);
    if (w.state === 'active' && run(w, 'to tran resume')) w.state = 'cancelled';
    else if (w.state === 'pending') w.state = 'cancelled';
    return w;
  });

  app.addHook('onClose', async () => {
    for (const ts of timers.values()) for (const t of ts) clearTimeout(t);
  });
};
