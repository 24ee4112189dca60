// The client matrix for libraries a script uses: Python's imaplib, poplib and
// smtplib (run by the system python3), imapflow and node-pop3 (in-process),
// with their defaults plus host, port, user, password and the CA: a normal
// fetch and send, a suspended login, a session in flight when the suspension
// starts, the resume, and writes in backup mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import Pop3Command from 'node-pop3';
import type { Emulator } from '../../emulator/index.js';
import { clientEnv, trustSite } from '../helpers.js';
import { clientSite, describeClient, inBackupMode, inboxCount, recorder, resume, run, suspend, type Run } from './harness.js';

const SCRIPT = join(import.meta.dirname, 'py_client.py');

describeClient('Python imaplib, poplib, smtplib', ['python3'], () => {
  let emu: Emulator;
  const rec = recorder('python');
  beforeAll(async () => {
    emu = await clientSite();
  });
  afterAll(() => emu.stop());
  const args = (proto: 'imap' | 'pop3' | 'smtp', ...more: string[]) => {
    const s = emu.endpoints.servers[0]!;
    return [SCRIPT, emu.endpoints.ca!, proto, '127.0.0.1', String(s[proto]), 'alice', 'teamware', ...more];
  };
  const py = (phase: string, proto: 'imap' | 'pop3' | 'smtp') => run('python3', args(proto)).then((r) => rec(phase, `python3 py_client.py ${proto}`, r));

  /** Logs in, waits for READY, runs `between`, then lets the script go on; what it printed. */
  async function inflight(proto: 'imap' | 'pop3' | 'smtp', between: () => Promise<unknown>): Promise<Run> {
    const child = spawn('python3', args(proto, 'inflight'), { env: clientEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no READY: ${output}`)), 15_000);
      const on = (d: Buffer) => {
        output += d.toString();
        if (output.includes('READY')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', on);
      child.stderr.on('data', on);
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await ready;
      await between();
    } finally {
      child.stdin.end('go\n');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await closed;
    clearTimeout(timer);
    return { code, output };
  }

  it('normal: imaplib, poplib and smtplib over STARTTLS/STLS', async () => {
    const i = await py('normal: imaplib', 'imap');
    expect(i.code, i.output).toBe(0);
    expect(i.output).toContain("('OK', [b'1 2 3'])");
    const p = await py('normal: poplib', 'pop3');
    expect(p.output).toMatch(/\(3, \d+\)/);
    const before = inboxCount(emu, 'bob');
    const s = await py('normal: smtplib', 'smtp');
    expect(s.code, s.output).toBe(0);
    expect(inboxCount(emu, 'bob')).toBe(before + 1);
  });

  it('[behaviour:imap4.login] [behaviour:pop3.login] [behaviour:smtp.login] suspended: each library raises its error with the server\'s words', async () => {
    await suspend(emu);
    try {
      expect((await py('suspended login: imaplib', 'imap')).output).toContain("error: b'LOGIN failed:Server is busy'");
      expect((await py('suspended login: poplib', 'pop3')).output).toContain("error_proto: b'-ERR unable to lock maildrop (emulator detail: the server is suspended for an online backup)'");
      expect((await py('suspended login: smtplib', 'smtp')).output).toContain('SMTPAuthenticationError: (454, b\'4.7.0 Temporary authentication failure: the server is suspended for an online backup, try again later\')');
    } finally {
      await resume(emu);
    }
  });

  it('[behaviour:imap4.in-flight-store] [behaviour:pop3.retr] [behaviour:smtp.submit] in flight: sessions logged in before the suspension get the catalog answers; after the resume all works', async () => {
    const i = rec('in flight: imaplib APPEND', 'python3 py_client.py imap inflight', await inflight('imap', () => suspend(emu)));
    expect(i.output).toContain("('NO', [b'[UNAVAILABLE] Server is busy'])");
    await resume(emu);
    const p = rec('in flight: poplib RETR', 'python3 py_client.py pop3 inflight', await inflight('pop3', () => suspend(emu)));
    expect(p.output).toMatch(/error_proto: b'-ERR /);
    await resume(emu);
    const s = rec('in flight: smtplib sendmail', 'python3 py_client.py smtp inflight', await inflight('smtp', () => suspend(emu)));
    expect(s.output).toContain("SMTPSenderRefused: (451, b'4.3.2 System not accepting messages: the server is suspended for an online backup, try again later'");
    await resume(emu);
    expect((await py('after the resume: smtplib', 'smtp')).code).toBe(0);
  });

  it('backup mode: smtplib\'s delivery and imaplib\'s APPEND are staged', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      expect((await py('backup mode: smtplib', 'smtp')).code).toBe(0);
      const i = rec('backup mode: imaplib APPEND', 'python3 py_client.py imap inflight', await inflight('imap', async () => undefined));
      expect(i.output).toContain("('OK', [b'[APPENDUID");
      expect(await writes()).toBeGreaterThanOrEqual(before + 2);
    });
  });
});

describe('imapflow and node-pop3 (in-process)', () => {
  let emu: Emulator;
  const rec = recorder('imapflow-node-pop3');
  const note = (phase: string, what: string) => rec(phase, what, { code: 0, output: what });
  beforeAll(async () => {
    emu = await clientSite();
  });
  afterAll(() => emu.stop());
  const imap = () => {
    const c = new ImapFlow({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.imap!, secure: false, tls: trustSite(emu), auth: { user: 'alice', pass: 'teamware' }, logger: false });
    c.on('error', () => undefined);
    return c;
  };
  // node-pop3 has no STLS: implicit TLS on the pop3s port.
  const pop3 = () => new Pop3Command({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.pop3s!, user: 'alice', password: 'teamware', tls: true, tlsOptions: { ca: readFileSync(emu.endpoints.ca!) }, servername: 'localhost' } as never);

  it('[behaviour:imap4.in-flight-store] [behaviour:pop3.retr] normal, suspended login, in flight (imapflow APPEND, node-pop3 RETR), resume and backup mode', async () => {
    const c = imap();
    await c.connect();
    expect(c.secureConnection).toBe(true);
    const p = pop3();
    const stat = await p.STAT();
    expect(stat).toMatch(/^3 \d+$/);
    await p.QUIT();
    note('normal', `imapflow connected over STARTTLS; node-pop3 STAT: ${stat}`);

    // node-pop3 in flight: logged in (STAT) before the suspension, RETR after it.
    const early = pop3();
    expect(await early.STAT()).toMatch(/^3 \d+$/);
    await suspend(emu);
    try {
      const late = imap();
      const err = await late.connect().then(() => null, (e: Error & { responseText?: string; authenticationFailed?: boolean }) => e);
      expect(err?.authenticationFailed).toBe(true);
      expect(err?.responseText).toBe('LOGIN failed:Server is busy');
      const lp = pop3();
      const perr = await lp.STAT().then(() => null, (e: Error) => e);
      expect(perr?.message).toBe('unable to lock maildrop (emulator detail: the server is suspended for an online backup)');
      note('suspended login', `imapflow: ${err?.message} (authenticationFailed: true, responseText: ${err?.responseText}); node-pop3: ${perr?.message}`);
      const inflight = await c.append('INBOX', 'Subject: in flight\r\n\r\nx\r\n').then(() => null, (e: Error & { responseText?: string }) => e);
      expect(inflight?.responseText).toBe('Server is busy');
      const retr = await early.RETR(1).then(() => null, (e: Error) => e);
      expect(retr?.message).toBe('failed to read message');
      note('in flight', `imapflow APPEND: ${inflight?.message} (${inflight?.responseText}); node-pop3 RETR rejects: ${retr?.message}`);
    } finally {
      await resume(emu);
    }
    const ok = await c.append('INBOX', 'Subject: after resume\r\n\r\nx\r\n');
    expect(ok.uid).toBeGreaterThan(0);
    const again = await early.RETR(1);
    expect(again).toContain('Subject:');
    await early.QUIT();
    note('after the resume', `imapflow APPEND uid ${ok.uid}; node-pop3 RETR 1 on the same connection: ${again.length} octets`);
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      await c.append('INBOX', 'Subject: backup mode\r\n\r\nx\r\n');
      expect(await writes()).toBe(before + 1);
      note('backup mode', 'imapflow APPEND staged');
    });
    await c.logout();
  });
});
