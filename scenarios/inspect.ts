// Read-only control API routes the scenario runner's data checks use, so they
// work the same against a site the runner started and one it targets with
// --url: the listeners' endpoints and the SHA-256 of a file in a server's data
// directory (folder counts come from the core's GET /api/users/{name}/folders).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { NotFound, BadRequest } from '../emulator/errors.js';
import type { Site } from '../emulator/site.js';

export const inspectPlugin: FastifyPluginAsync<{ site: Site }> = async (app, { site }) => {
  app.get('/api/inspect/endpoints', { schema: { description: 'The endpoints of the running site (as endpoints.json).' } }, async () => site.endpoints);

  app.get('/api/inspect/hash/:server', {
    schema: { description: 'SHA-256 of a file in a server\'s data directory (`?file=twoffice.db`, the default).' },
  }, async (req) => {
    const { server } = req.params as { server: string };
    const file = (req.query as { file?: string }).file ?? 'twoffice.db';
    const s = site.server(server);
    const path = resolve(s.dir, file);
    if (!path.startsWith(resolve(s.dir) + sep)) throw new BadRequest('E_BAD_FILE', `${file} is outside ${s.name}'s data directory`);
    // A folder (`?file=ini`) is not a file either: 404, not a 500 from readFileSync.
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new NotFound('E_NO_FILE', `${s.name} has no file ${file}`);
    return { server: s.name, file, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
  });
};

