import type { FastifyPluginAsync } from 'fastify';
import { isAbsolute } from 'node:path';
import type { Site } from '../site.js';
import type { SiteServer } from '../server.js';
import { runBackup, readBackups, backupPreflight, type Manifest, type Preflight } from '../backup.js';
import { BadRequest, NotFound, TwemuError } from '../errors.js';

// Step 5 as a job: POST /api/backups checks what it can at once (409 for a
// refused backup), then answers 202 with a job id while the copy runs in the
// site's process; GET /api/backups/jobs/:id shows its progress (bytes, files,
// rate) and, at the end, its manifests or its error. A server holds at most one
// running backup (`SiteServer.backupJob`); the procedure's `backup-running`
// rule refuses what would conflict with it.

export interface BackupJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  level: number;
  dest: string;
  servers: string[];
  startedAt: string;
  finishedAt: string | null;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Bytes per second so far (all servers). */
  rate: number;
  current: { server: string; file: string } | null;
  /** One line per file handled, oldest first (what the CLI prints without a terminal). */
  log: Array<{ server: string; file: string; bytes: number; copied: boolean }>;
  /** The manifests written, each with the step-5 rules broken on purpose (lenient mode). */
  manifests: Array<Manifest & { warnings: string[] }>;
  error: { error: string; message: string; hint?: string; status: number } | null;
}

/** How many finished jobs GET still shows. */
const KEEP_FINISHED = 20;

class BackupJobs {
  private readonly jobs = new Map<string, BackupJob>();
  private readonly waiters = new Map<string, Promise<void>>();
  private next = 0;

  constructor(private readonly site: Site) {}

  get(id: string): BackupJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFound('E_NO_JOB', `no backup job ${JSON.stringify(id)}`, 'GET /api/backups/jobs lists the jobs this site remembers');
    return job;
  }

  list(): BackupJob[] {
    return [...this.jobs.values()];
  }

  finished(id: string): Promise<void> {
    return this.waiters.get(id) ?? Promise.resolve();
  }

  start(servers: SiteServer[], level: number, dest: string, lenient?: boolean): BackupJob {
    // Everything that can be refused is refused now, before a job exists: the utility's checks and step 5's
    // rules (procedure.ts), among them backup-running (one backup of a server at a time).
    const preflights = new Map(servers.map((s) => [s, backupPreflight(this.site, s, { level, dest, lenient })]));
    const id = `job-${++this.next}-${Date.now().toString(36)}`;
    const job: BackupJob = {
      id, state: 'running', level, dest, servers: servers.map((s) => s.name), startedAt: new Date(this.site.clock.now()).toISOString(), finishedAt: null,
      bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0, rate: 0, current: null, log: [], manifests: [], error: null,
    };
    this.jobs.set(id, job);
    for (const s of servers) s.backupJob = id;
    this.site.events.emit({ type: 'backup', operation: 'job started', message: `backup job ${id}: level ${level} of ${job.servers.join(', ')} into ${dest}`, data: { job: id } });
    this.waiters.set(id, this.run(job, servers, preflights).finally(() => {
      for (const s of servers) if (s.backupJob === id) s.backupJob = null;
      this.waiters.delete(id);
      this.prune();
    }));
    return job;
  }

  private async run(job: BackupJob, servers: SiteServer[], preflights: Map<SiteServer, Preflight>): Promise<void> {
    const t0 = performance.now();
    let before = { bytes: 0, files: 0 };
    try {
      for (const s of servers) {
        let last = 0;
        let prevDone = 0;
        const manifest = await runBackup(this.site, s, {
          level: job.level, dest: job.dest, preflight: preflights.get(s),
          onProgress: (p) => {
            job.bytesDone = before.bytes + p.bytesDone;
            job.filesDone = before.files + p.filesDone;
            job.bytesTotal = Math.max(job.bytesTotal, before.bytes + p.bytesTotal);
            job.filesTotal = Math.max(job.filesTotal, before.files + p.filesTotal);
            job.current = { server: p.server, file: p.file };
            job.rate = Math.round(job.bytesDone / Math.max(0.001, (performance.now() - t0) / 1000));
            job.log.push({ server: p.server, file: p.file, bytes: p.bytesDone - prevDone, copied: p.copied });
            prevDone = p.bytesDone;
            const pct = Math.floor((p.bytesDone / Math.max(1, p.bytesTotal)) * 100);
            if (pct >= last + 10 || p.bytesDone === p.bytesTotal) {
              last = pct;
              this.site.events.emit({ type: 'backup', server: s.name, operation: 'progress', message: `${p.file} ${pct}%`, data: { ...p, job: job.id } });
            }
          },
        });
        job.manifests.push(manifest);
        before = { bytes: job.bytesDone, files: job.filesDone };
      }
      job.state = 'done';
    } catch (err) {
      job.state = 'failed';
      job.error = err instanceof TwemuError ? { ...err.toJSON(), status: err.status } : { error: 'E_INTERNAL', message: `the backup failed: ${(err as Error).message}`, status: 500 };
      if (!(err instanceof TwemuError)) this.site.log.error({ err }, 'backup job failed');
      this.site.events.emit({ type: 'backup', operation: 'job failed', code: job.error.error, message: `backup job ${job.id} failed: ${job.error.message}`, data: { job: job.id } });
    } finally {
      job.current = null;
      job.finishedAt = new Date(this.site.clock.now()).toISOString();
      job.rate = Math.round(job.bytesDone / Math.max(0.001, (performance.now() - t0) / 1000));
    }
  }

  private prune(): void {
    const done = this.list().filter((j) => j.state !== 'running');
    for (const j of done.slice(0, Math.max(0, done.length - KEEP_FINISHED))) this.jobs.delete(j.id);
  }
}

const jobsOf = new WeakMap<Site, BackupJobs>();

export const backupRoutes: FastifyPluginAsync<{ site: Site }> = async (app, { site }) => {
  const jobs = new BackupJobs(site);
  jobsOf.set(site, jobs);

  app.post('/api/backups', {
    schema: {
      description: 'Starts the differential backup utility (step 5) on one server or all (`server`, default all) as a job and answers 202 at once with the job (`GET /api/backups/jobs/{id}` follows it). Level 0 = everything, 1 = changes since the last level 0, 2 = changes since the latest level 0 or 1 (levels and the level-0-after-restore rule are emulator defaults: 19.3.1 points to 19.7.2 for the utility). `dest` is an absolute folder outside the site\'s own folders. Refused (409) outside backup mode, while a backup of the same server runs (rule backup-running), for level 1/2 without an intact base or after a restore. `?wait=true` answers when the job ends (200 with its manifests, or its error).',
      querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'boolean' } } },
      body: { type: 'object', required: ['level', 'dest'], additionalProperties: false, properties: {
        level: { type: 'integer', enum: [0, 1, 2] }, dest: { type: 'string', minLength: 1, maxLength: 4096 }, server: { type: 'string', maxLength: 64 }, lenient: { type: 'boolean' } } },
    },
  }, async (req, reply) => {
    const body = req.body as { level: number; dest: string; server?: string; lenient?: boolean };
    if (!isAbsolute(body.dest)) throw new BadRequest('E_DEST', '"dest" must be an absolute path');
    const servers = !body.server || body.server.toLowerCase() === 'all' ? site.servers : [site.server(body.server)];
    const job = jobs.start(servers, body.level, body.dest, body.lenient);
    if (!(req.query as { wait?: boolean }).wait) return reply.status(202).header('location', `/api/backups/jobs/${job.id}`).send({ job });
    await jobs.finished(job.id);
    if (job.error) return reply.status(job.error.status).send({ ...job.error, job });
    return { job, manifests: job.manifests };
  });

  app.get('/api/backups/jobs', { schema: { description: 'The backup jobs this site remembers (running ones and the last 20 finished).' } },
    async () => ({ jobs: jobs.list() }));

  app.get('/api/backups/jobs/:id', { schema: { description: 'One backup job: state (running, done, failed), bytes and files done of the total, rate (bytes/s), the file being copied, a line per file, and at the end its manifests or its error.' } },
    async (req) => ({ job: jobs.get((req.params as { id: string }).id) }));

  app.get('/api/backups', {
    schema: { description: 'Lists the intact backups of every server under `dest` (query parameter, an absolute folder), and in `problems` every backup folder whose manifest is missing, unreadable or fails its checksum (never skipped in silence). `twemu backup verify` checks the files too.' },
  }, async (req) => {
    const { dest } = req.query as { dest?: string };
    if (!dest || !isAbsolute(dest)) throw new BadRequest('E_DEST', 'query parameter "dest" must be an absolute path');
    const read = site.servers.map((s) => readBackups(dest, s.name));
    return { backups: read.flatMap((r) => r.manifests), problems: read.flatMap((r) => r.problems) };
  });
};

/** The jobs of a site (tests, bench). */
export function backupJobs(site: Site): BackupJobs | undefined {
  return jobsOf.get(site);
}

