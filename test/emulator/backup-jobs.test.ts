import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { CLI, runCli, servedSite, startServeProcess, stopProcess, tempDir } from '../helpers.js';

// Issue 12 rows 4 and 7: a backup is a job; what would change the files it
// copies is refused (rule backup-running) while it runs; the CLI follows the
// job as long as it runs, whatever one request's time limit.

const control = (data: string) => servedSite(data).call;

async function serveSlow(data: string, msPerFile: number) {
  const old = process.env.TWEMU_FAULT;
  process.env.TWEMU_FAULT = `backup-slow:${msPerFile}`;
  try {
    return await startServeProcess(['--data', data, '--port-base', '0', '--log-level', 'silent']);
  } finally {
    if (old === undefined) delete process.env.TWEMU_FAULT;
    else process.env.TWEMU_FAULT = old;
  }
}

describe('backups are jobs (issue 12 rows 4 and 7)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('POST /api/backups answers 202 at once; to backup off, tobkweb rm and a second backup are refused (backup-running) until the job ends', async () => {
    const dir = tempDir();
    const bk = tempDir();
    cleanups.push(() => dir.remove(), () => bk.remove());
    const p = await serveSlow(dir.path, 700);
    cleanups.push(() => stopProcess(p.child));
    const call = control(dir.path);
    for (const c of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await call('POST', '/api/commands', { command: c })).status).toBe(200);

    const started = await call('POST', '/api/backups', { level: 0, dest: bk.path });
    expect(started.status).toBe(202);
    const id = started.body.job.id as string;
    expect(started.body.job).toMatchObject({ state: 'running', servers: ['twsv01'], level: 0 });

    for (const command of ['to backup off', 'tobkweb rm']) {
      const r = await call('POST', '/api/commands', { command });
      expect(r.status, command).toBe(409);
      expect(r.body).toMatchObject({ error: 'E_BACKUP_RUNNING' });
      expect(r.body.message).toContain(id);
    }
    const again = await call('POST', '/api/backups', { level: 0, dest: bk.path });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('E_BACKUP_RUNNING');
    const refused = (await call('GET', '/api/events?format=json&type=refused')).body;
    const rules = (Array.isArray(refused) ? refused : refused.events).map((e: { rule?: string }) => e.rule);
    expect(rules.filter((r: string) => r === 'backup-running').length).toBeGreaterThanOrEqual(2);

    // Progress while it runs, then the end.
    let job = (await call('GET', `/api/backups/jobs/${id}`)).body.job;
    expect(job.filesTotal).toBeGreaterThan(1);
    for (let i = 0; i < 100 && job.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call('GET', `/api/backups/jobs/${id}`)).body.job;
    }
    expect(job.state).toBe('done');
    expect(job.filesDone).toBe(job.filesTotal);
    expect(job.bytesDone).toBe(job.bytesTotal);
    expect(job.rate).toBeGreaterThan(0);
    expect(job.manifests).toHaveLength(1);
    expect((await call('POST', '/api/commands', { command: 'tobkweb rm' })).status).toBe(200);
    expect((await call('POST', '/api/commands', { command: 'to backup off' })).status).toBe(200);
    const v = await runCli(['backup', 'verify', '--from', bk.path]);
    expect(v.code, v.stderr).toBe(0);
    expect((await call('GET', '/api/backups/jobs/nosuch')).status).toBe(404);
  }, 60_000);

  it('the CLI follows the job past one request\'s time limit, a plain line per file without a terminal, a progress bar on one', async () => {
    const dir = tempDir();
    const bk = tempDir();
    cleanups.push(() => dir.remove(), () => bk.remove());
    const p = await serveSlow(dir.path, 400);
    cleanups.push(() => stopProcess(p.child));
    for (const c of [['to', 'tran', 'suspend'], ['to', 'backup', 'on'], ['tobkweb', 'arc'], ['to', 'tran', 'resume']]) expect((await runCli([...c, '--data', dir.path])).code).toBe(0);
    // Every request may take at most 1 s; the whole backup takes about 2 s (5 files x 400 ms).
    const r = await runCli(['backup', '--level', '0', '--dest', bk.path, '--data', dir.path], { env: { TWEMU_HTTP_TIMEOUT_MS: '1000' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/twsv01: level 0 backup \S+-L0: 5 of 5 file\(s\) copied/);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^twsv01: twoffice\.db copied \(\d+ bytes\)$/);

    // On a terminal (script(1) gives the CLI a pty): a progress bar, redrawn in place.
    const level1 = await new Promise<string>((resolve) => {
      execFile('script', ['-qec', `${process.execPath} ${CLI} backup --level 1 --dest ${bk.path} --data ${dir.path}`, '/dev/null'], { timeout: 30_000 }, (_err, stdout) => resolve(String(stdout)));
    });
    expect(level1).toMatch(/\[#+\.*\] +\d+% [\d.]+ MB\/[\d.]+ MB, \d\/5 file\(s\)/);
    expect(level1).toMatch(/twsv01: level 1 backup \S+-L1 \(based on \S+-L0\)/);
  }, 60_000);
});
