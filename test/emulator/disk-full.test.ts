import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, servedSite, startServeProcess, stopProcess, tempDir } from '../helpers.js';
import { WebClient } from '../protocols/web/webclient.js';

// Issue 12 rows 5 and 9: a full disk is a clear answer everywhere and leaves
// nothing half-written; state is saved before it takes effect. The full disk
// is injected (TWEMU_FAULT), which works the same in every CI container:
//   state-enospc:<reason>  saving the lifecycle state fails with ENOSPC
//   backup-enospc          writing a backup copy fails with ENOSPC
//   db-full                the databases cannot grow (SQLite's max_page_count: a real SQLITE_FULL)
//   backup-copy            kill -9 in the middle of a backup copy

/** Whether this process may mount a small tmpfs (root with CAP_SYS_ADMIN): then one test also fills a real file system. */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = tempDir('twemu-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir.path], { stdio: 'ignore' });
    execFileSync('umount', [dir.path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    dir.remove();
  }
}
const MOUNT = canMountTmpfs();

const control = (data: string) => {
  const site = servedSite(data);
  return { call: site.call, ep: site.endpoints };
};

async function serve(data: string, fault?: string) {
  const old = process.env.TWEMU_FAULT;
  if (fault) process.env.TWEMU_FAULT = fault;
  else delete process.env.TWEMU_FAULT;
  try {
    return await startServeProcess(['--data', data, '--port-base', '0', '--log-level', 'silent']);
  } finally {
    if (old === undefined) delete process.env.TWEMU_FAULT;
    else process.env.TWEMU_FAULT = old;
  }
}

/** Steps 1 to 4 through the CLI on the site served from `data`: step 5 (the backup) may run. */
async function toStep5(data: string): Promise<void> {
  for (const c of [['to', 'tran', 'suspend'], ['to', 'backup', 'on'], ['tobkweb', 'arc'], ['to', 'tran', 'resume']]) expect((await runCli([...c, '--data', data])).code).toBe(0);
}

/** A raw IMAP exchange: login, then APPEND of `size` bytes; resolves with the tagged answer of the APPEND. */
function imapAppend(port: number, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    let stage = 0;
    const message = `Subject: big\r\n\r\n${'x'.repeat(size)}\r\n`;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`IMAP timeout: ${buf.slice(-300)}`)); }, 10_000);
    sock.on('data', (d) => {
      buf += d.toString();
      if (stage === 0 && buf.includes('* OK')) { stage = 1; sock.write('a LOGIN alice teamware\r\n'); }
      else if (stage === 1 && /a OK/.test(buf)) { stage = 2; sock.write(`b APPEND INBOX {${Buffer.byteLength(message)}}\r\n`); }
      else if (stage === 2 && buf.includes('+ ')) { stage = 3; sock.write(`${message}\r\n`); }
      else if (stage === 3) {
        const m = /\r\nb (OK|NO|BAD)[^\r\n]*/.exec(buf);
        if (m) { clearTimeout(timer); sock.end('z LOGOUT\r\n'); resolve(m[0].trim()); }
      }
    });
    sock.on('error', reject);
  });
}

describe('a full disk (issue 12 rows 5 and 9)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('row 5: `to backup on` whose state cannot be saved is a 507 naming the folder; memory and disk still say off; a retry is not 409', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    let p = await serve(dir.path, 'state-enospc:to backup on');
    cleanups.push(() => stopProcess(p.child));
    let { call } = control(dir.path);
    expect((await call('POST', '/api/commands', { command: 'to tran suspend' })).status).toBe(200);
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await call('POST', '/api/commands', { command: 'to backup on' });
      expect(r.status).toBe(507);
      expect(r.body.error).toBe('E_DISK_FULL');
      expect(r.body.message).toMatch(new RegExp(`no space left in ${join(dir.path, 'twsv01')}: \\d+ bytes needed`));
      const st = (await call('GET', '/api/status')).body.servers[0];
      expect(st).toMatchObject({ backupMode: 'off', staging: null });
      expect(JSON.parse(readFileSync(join(dir.path, 'twsv01', 'state.json'), 'utf8')).backupMode).toBe('off');
    }
    const cli = await runCli(['to', 'backup', 'on', '--data', dir.path]);
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toContain('no space left in');
    expect(cli.stderr).not.toContain('internal error');
    // The database was not left pinned: writes are checkpointed as usual.
    expect((await call('POST', '/api/mail', { to: 'alice', raw: 'Subject: after\r\n\r\nx\r\n' })).status).toBe(201);
    await stopProcess(p.child);
    p = await serve(dir.path);
    ({ call } = control(dir.path));
    expect((await call('GET', '/api/status')).body.servers[0]).toMatchObject({ service: 'suspended', backupMode: 'off' });
    expect((await call('POST', '/api/commands', { command: 'to backup on' })).status).toBe(200);
  }, 60_000);

  it('row 9: a backup destination that fills up: the CLI and the job name the folder and the bytes needed; no .partial remains; a .partial left by kill -9 is removed at the next start', async () => {
    const dir = tempDir();
    const bk = tempDir();
    cleanups.push(() => dir.remove(), () => bk.remove());
    let p = await serve(dir.path, 'backup-enospc');
    cleanups.push(() => stopProcess(p.child, 'SIGKILL'));
    await toStep5(dir.path);
    const r = await runCli(['backup', '--level', '0', '--dest', bk.path, '--data', dir.path]);
    expect(r.code).toBe(1);
    const line = r.stderr.trim().split('\n').at(-1)!;
    expect(line).toMatch(new RegExp(`^twemu: no space left in ${join(bk.path, 'twsv01')}: \\d+ bytes needed, \\d+ bytes free; free space there`));
    expect(readdirSync(join(bk.path, 'twsv01'))).toEqual([]);
    expect(existsSync(join(dir.path, 'twsv01', 'backup-in-progress'))).toBe(false);
    const { call } = control(dir.path);
    const jobs = (await call('GET', '/api/backups/jobs')).body.jobs;
    expect(jobs.at(-1)).toMatchObject({ state: 'failed', error: { error: 'E_DISK_FULL', status: 507 } });
    const wait = await call('POST', '/api/backups?wait=true', { level: 0, dest: bk.path });
    expect(wait.status).toBe(507);
    expect(wait.body.error).toBe('E_DISK_FULL');

    // kill -9 in the middle of a copy leaves a .partial; the next start removes it.
    await stopProcess(p.child, 'SIGKILL');
    p = await serve(dir.path, 'backup-copy');
    await control(dir.path).call('POST', '/api/backups', { level: 0, dest: bk.path }).catch(() => undefined);
    await new Promise<void>((res) => (p.child.exitCode !== null || p.child.signalCode !== null ? res() : p.child.once('exit', () => res())));
    expect(readdirSync(join(bk.path, 'twsv01')).some((n) => n.endsWith('.partial'))).toBe(true);
    p = await serve(dir.path);
    expect(readdirSync(join(bk.path, 'twsv01'))).toEqual([]);
    expect((await control(dir.path).call('POST', '/api/backups?wait=true', { level: 0, dest: bk.path })).status).toBe(200);
  }, 60_000);

  it.skipIf(!MOUNT)('row 9 on a real full file system (a 48 KB tmpfs as the destination; needs root and mount, skipped without): the CLI names the folder and the bytes, nothing is left', async () => {
    const dir = tempDir();
    const bk = tempDir();
    cleanups.push(() => dir.remove(), () => bk.remove());
    const p = await serve(dir.path);
    cleanups.push(() => stopProcess(p.child));
    await toStep5(dir.path);
    const small = join(bk.path, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', small]);
    cleanups.push(() => execFileSync('umount', ['-l', small]));
    expect(statSync(join(dir.path, 'twsv01', 'twoffice.db')).size).toBeGreaterThan(48 * 1024);
    const r = await runCli(['backup', '--level', '0', '--dest', small, '--data', dir.path]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^twemu: no space left in ${join(small, 'twsv01')}: \\d+ bytes needed, \\d+ bytes free`));
    expect(readdirSync(join(small, 'twsv01'))).toEqual([]);
  }, 60_000);

  it.skipIf(!MOUNT)('row 9: a restore onto a full file system (a 48 KB tmpfs; needs root and mount, skipped without) names the --data folder and the bytes needed; nothing is left', async () => {
    const dir = tempDir();
    const bk = tempDir();
    cleanups.push(() => dir.remove(), () => bk.remove());
    const p = await serve(dir.path);
    cleanups.push(() => stopProcess(p.child));
    await toStep5(dir.path);
    expect((await runCli(['backup', '--level', '0', '--dest', bk.path, '--data', dir.path])).code).toBe(0);
    const small = join(dir.path, '..', `${dir.path.split('/').at(-1)}-small`);
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', small]);
    cleanups.push(() => { execFileSync('umount', ['-l', small]); execFileSync('rmdir', [small]); });
    const target = join(small, 'data');
    const r = await runCli(['restore', '--from', bk.path, '--data', target]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^twemu: no space left in ${target}: \\d+ bytes needed, \\d+ bytes free`));
    expect(readdirSync(small)).toEqual(['data']);
    expect(readdirSync(target)).toEqual([]);
  }, 60_000);

  it('row 9: a full data disk: control API 507, IMAP NO [OVERQUOTA], AME rc -8, the web a 507 page that keeps what was typed; the site keeps serving', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    let p = await serve(dir.path);
    await stopProcess(p.child);
    p = await serve(dir.path, 'db-full');
    cleanups.push(() => stopProcess(p.child));
    const { call, ep } = control(dir.path);
    const big = 'y'.repeat(300_000);
    const mail = await call('POST', '/api/mail', { to: 'alice', raw: `Subject: big\r\n\r\n${big}\r\n` });
    expect(mail.status).toBe(507);
    expect(mail.body.error).toBe('E_DISK_FULL');
    expect(mail.body.message).toMatch(new RegExp(`^no space left in ${join(dir.path, 'twsv01')}: at least \\d+ bytes needed, \\d+ bytes free$`));

    const imap = await imapAppend(ep.servers[0].imap, 300_000);
    expect(imap).toMatch(/^b NO \[OVERQUOTA\] no space left in /);

    const ame = await fetch(`${ep.servers[0].ame}/mail_send`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:teamware').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'bob', subject: 'big', body: big }),
    });
    expect(ame.status).toBe(200);
    expect(await ame.json()).toMatchObject({ rc: -8, error: 'E_NO_SPACE' });

    const web = new WebClient(ep.servers[0].web);
    expect((await web.login('alice')).status).toBe(303);
    await web.get('/mail/compose');
    const sent = await web.post('/mail/send', { to: 'bob', subject: 'keep this subject', body: big.slice(0, 90_000) });
    expect(sent.status).toBe(507);
    expect(sent.text).toContain('ディスクの空き容量が不足');
    expect(sent.text).toContain('value="keep this subject"');

    // Reads go on; nothing half-written: the messages are not there.
    const inbox = (await call('GET', '/api/users/alice/folders/INBOX/messages')).body.messages;
    expect(inbox.some((m: { subject: string }) => m.subject === 'big')).toBe(false);
    expect((await call('GET', '/api/status')).status).toBe(200);
  }, 60_000);
});
