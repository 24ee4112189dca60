import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { RemoteError, TwemuError } from '../errors.js';
import { restore, verifyBackups } from '../backup.js';
import type { BackupJob } from '../control/backups.js';
import { callApi, findSite, type SiteTarget } from './client.js';

/** Runs parseArgs with every mistake turned into one clear line. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!, { hint: 'see `twemu --help`' });
  }
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

/** One progress line for a terminal: a bar, bytes, files, rate, the file being copied. */
function bar(job: BackupJob): string {
  const frac = job.bytesTotal ? job.bytesDone / job.bytesTotal : 0;
  const width = 24;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${mb(job.bytesDone)}/${mb(job.bytesTotal)}, ${job.filesDone}/${job.filesTotal} file(s), ${mb(job.rate)}/s${job.current ? ` ${job.current.server} ${job.current.file}` : ''}`;
}

/**
 * Follows a backup job until it ends, however long it runs (each poll is a
 * short request): a progress bar on a terminal, else a plain line per file.
 */
async function follow(target: SiteTarget, started: BackupJob, tty: boolean): Promise<BackupJob> {
  let job = started;
  let printed = 0;
  for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
    if (tty) process.stderr.write(`\r${bar(job)}\x1b[K`);
    else for (const l of job.log.slice(printed)) process.stderr.write(`${l.server}: ${l.file} ${l.copied ? `copied (${l.bytes} bytes)` : 'unchanged, listed'}\n`);
    printed = job.log.length;
    if (job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, delay));
    job = (await callApi<{ job: BackupJob }>(target, 'GET', `/api/backups/jobs/${encodeURIComponent(job.id)}`)).job;
  }
  if (tty) process.stderr.write('\n');
  return job;
}

/** `twemu backup verify --from DIR [--server NAME]`: exit 0 only when every check holds, else one line per problem. */
async function verify(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args: argv, strict: true, options: { from: { type: 'string' }, server: { type: 'string' }, json: { type: 'boolean' } } }));
  if (!values.from) throw new TwemuError('E_USAGE', '--from DIR is required (the --dest folder of `twemu backup`)', { hint: 'e.g. `twemu backup verify --from ./backups`' });
  const result = await verifyBackups(values.from, { server: values.server });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const p of result.problems) process.stderr.write(`twemu: ${p}\n`);
    for (const s of result.servers) process.stdout.write(`${s.server}: ${s.backups} backup(s), ${s.files} file reference(s) checked (${s.bytes} bytes)${s.latest ? `, latest ${s.latest}` : ''}\n`);
    process.stdout.write(result.problems.length ? `${result.problems.length} problem(s) in ${result.from}\n` : `${result.from}: every manifest, chain, path, size and SHA-256 checked out\n`);
  }
  return result.problems.length ? 1 : 0;
}

/** `twemu backup --level 0|1|2 --dest DIR ...` (a job of the running site), or `twemu backup verify --from DIR`. */
export async function backupCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'verify') return verify(argv.slice(1));
  const { values } = usage(() => parseArgs({ args: argv, strict: true, options: {
    level: { type: 'string' }, dest: { type: 'string' }, server: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' },
    token: { type: 'string' }, json: { type: 'boolean' }, lenient: { type: 'boolean' } } }));
  if (values.level === undefined || !['0', '1', '2'].includes(values.level)) throw new TwemuError('E_USAGE', '--level must be 0, 1 or 2', { hint: 'e.g. `twemu backup --level 0 --dest ./backups`' });
  if (!values.dest) throw new TwemuError('E_USAGE', '--dest DIR is required', { hint: 'e.g. `twemu backup --level 0 --dest ./backups`' });
  const target = findSite(values);
  const started = await callApi<{ job: BackupJob }>(target, 'POST', '/api/backups', { level: Number(values.level), dest: resolve(values.dest), server: values.server ?? 'all', ...(values.lenient ? { lenient: true } : {}) });
  const job = await follow(target, started.job, Boolean(process.stderr.isTTY) && !values.json);
  if (job.error) throw new RemoteError(job.error.error, job.error.message, job.error.status, job.error.hint);
  if (values.json) process.stdout.write(`${JSON.stringify({ job, manifests: job.manifests }, null, 2)}\n`);
  else {
    for (const m of job.manifests) {
      process.stdout.write(`${m.server}: level ${m.level} backup ${m.id}${m.basedOn ? ` (based on ${m.basedOn})` : ''}: ${m.files.filter((f) => f.copied).length} of ${m.files.length} file(s) copied, ${m.bytesCopied} bytes${m.warnings?.length ? ` (lenient: rule(s) broken: ${m.warnings.join(', ')})` : ''}\n`);
    }
  }
  return 0;
}

/** `twemu restore --from DIR --data DIR [--force]`: verifies, then restores into a stopped site's (or a new) folder. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args: argv, strict: true, options: { from: { type: 'string' }, data: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } } }));
  if (!values.from) throw new TwemuError('E_USAGE', '--from DIR is required (the --dest folder of `twemu backup`)');
  if (!values.data) throw new TwemuError('E_USAGE', '--data DIR is required (where to restore the site)');
  const result = await restore({ from: values.from, dataDir: values.data, force: values.force });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const s of result.servers) process.stdout.write(`${s.server}: restored ${s.backup} (level ${s.level}; chain ${s.chain.join(' -> ')}), ${s.files} file(s) verified\n`);
    process.stdout.write(`restored into ${result.dataDir}; the next backup must be level 0\n`);
  }
  return 0;
}
