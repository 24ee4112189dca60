import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { TwemuError } from '../errors.js';
import { restore } from '../backup.js';
import type { Manifest } from '../backup.js';
import { callApi, findSite, type SiteTarget } from './client.js';

/** Runs parseArgs with every mistake turned into one clear line. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!, { hint: 'see `twemu --help`' });
  }
}

/** Prints backup progress from the event stream while the backup runs (terminals only). */
async function showProgress(target: SiteTarget, signal: AbortSignal): Promise<void> {
  try {
    const res = await fetch(`${target.url}/api/events?type=backup`, { headers: { authorization: `Bearer ${target.token}` }, signal });
    if (!res.body) return;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const line of decoder.decode(chunk).split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const e = JSON.parse(line.slice(6)) as { server?: string; operation?: string; message?: string };
        if (e.operation === 'progress') process.stderr.write(`\r${e.server}: ${e.message}        `);
      }
    }
  } catch {
    /* aborted when the backup is done */
  }
}

/** `twemu backup --level 0|1|2 --dest DIR ...`: asks the running site to back up. */
export async function backupCommand(argv: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args: argv, strict: true, options: {
    level: { type: 'string' }, dest: { type: 'string' }, server: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' },
    token: { type: 'string' }, json: { type: 'boolean' }, lenient: { type: 'boolean' } } }));
  if (values.level === undefined || !['0', '1', '2'].includes(values.level)) throw new TwemuError('E_USAGE', '--level must be 0, 1 or 2', { hint: 'e.g. `twemu backup --level 0 --dest ./backups`' });
  if (!values.dest) throw new TwemuError('E_USAGE', '--dest DIR is required', { hint: 'e.g. `twemu backup --level 0 --dest ./backups`' });
  const target = findSite(values);
  const progress = new AbortController();
  if (process.stderr.isTTY) void showProgress(target, progress.signal);
  try {
    const result = await callApi<{ manifests: Array<Manifest & { warnings?: string[] }> }>(target, 'POST', '/api/backups', { level: Number(values.level), dest: resolve(values.dest), server: values.server ?? 'all', ...(values.lenient ? { lenient: true } : {}) });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else for (const m of result.manifests) {
      process.stdout.write(`${m.server}: level ${m.level} backup ${m.id}${m.basedOn ? ` (based on ${m.basedOn})` : ''}: ${m.files.filter((f) => f.copied).length} of ${m.files.length} file(s) copied, ${m.bytesCopied} bytes${m.warnings?.length ? ` (lenient: rule(s) broken: ${m.warnings.join(', ')})` : ''}\n`);
    }
  } finally {
    progress.abort();
  }
  return 0;
}

/** `twemu restore --from DIR --data DIR`: restores a stopped site. */
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
