import type { FastifyPluginAsync } from 'fastify';
import { isAbsolute } from 'node:path';
import type { Site } from '../site.js';
import { runBackup, listBackups, type Manifest } from '../backup.js';
import { BadRequest } from '../errors.js';

/** Step 5 through the control API: the differential backup runs in the site's process, which records that it ran. */
export const backupRoutes: FastifyPluginAsync<{ site: Site }> = async (app, { site }) => {
  app.post('/api/backups', {
    schema: {
      description: 'Runs the differential backup utility (step 5) on one server or all (`server`, default all): level 0 = everything, 1 = changes since the last level 0, 2 = changes since the latest level 0 or 1 (levels and the level-0-after-restore rule are emulator defaults: 19.3.1 points to 19.7.2 for the utility). `dest` is an absolute folder. Refused (409) outside backup mode, before step 4 (`to tran resume`) and step 3 (`tobkweb arc`) are complete (strict mode; `lenient: true` runs it with a warning per broken rule), and for level 1/2 without a base or after a restore.',
      body: { type: 'object', required: ['level', 'dest'], additionalProperties: false, properties: {
        level: { type: 'integer', enum: [0, 1, 2] }, dest: { type: 'string', minLength: 1 }, server: { type: 'string' }, lenient: { type: 'boolean' } } },
    },
  }, async (req) => {
    const body = req.body as { level: number; dest: string; server?: string; lenient?: boolean };
    if (!isAbsolute(body.dest)) throw new BadRequest('E_DEST', '"dest" must be an absolute path');
    const servers = !body.server || body.server.toLowerCase() === 'all' ? site.servers : [site.server(body.server)];
    const manifests: Array<Manifest & { warnings: string[] }> = [];
    for (const s of servers) {
      let last = 0;
      manifests.push(await runBackup(site, s, {
        level: body.level, dest: body.dest, lenient: body.lenient,
        onProgress: (p) => {
          const pct = Math.floor((p.bytesDone / Math.max(1, p.bytesTotal)) * 100);
          if (pct >= last + 10 || p.bytesDone === p.bytesTotal) {
            last = pct;
            site.events.emit({ type: 'backup', server: s.name, operation: 'progress', message: `${p.file} ${pct}%`, data: { ...p } });
          }
        },
      }));
    }
    return { manifests };
  });

  app.get('/api/backups', {
    schema: { description: 'Lists the complete backups of every server under `dest` (query parameter, an absolute folder).' },
  }, async (req) => {
    const { dest } = req.query as { dest?: string };
    if (!dest || !isAbsolute(dest)) throw new BadRequest('E_DEST', 'query parameter "dest" must be an absolute path');
    return { backups: site.servers.flatMap((s) => listBackups(dest, s.name)) };
  });
};

