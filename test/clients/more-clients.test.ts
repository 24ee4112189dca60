// The client matrix, continued: offlineimap (IMAP to a local Maildir), s-nail
// (IMAP and POP3 reading, SMTP sending) and getmail6 (POP3 to a Maildir), each
// with its default settings plus host, port, user, password and the CA file
// (docs/clients.md): a normal fetch and send, a suspended login, a session in
// flight (logged in, then suspended: harness suspendAfterLogin), the resume,
// writes in backup mode where the client writes, and offlineimap's daemon
// (autorefresh) giving up after three failed cycles. What each printed is
// recorded in test-artifacts/clients/ and the words a user sees are checked here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, tempDir } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';
import type { TwEvent } from '../../emulator/events.js';
import { clientSite, describeClient, inBackupMode, inFlight, inboxCount, recorder, resume, run, secret, suspend } from './harness.js';

const SUSPENDED_POP3 = '-ERR unable to lock maildrop (emulator detail: the server is suspended for an online backup)';
const SUSPENDED_SMTP = '454 4.7.0 Temporary authentication failure: the server is suspended for an online backup, try again later';
const INFLIGHT_SMTP = '451 4.3.2 System not accepting messages: the server is suspended for an online backup, try again later';

/** Files in a Maildir folder (new and cur). */
function maildirCount(folder: string): number {
  return readdirSync(join(folder, 'new')).length + readdirSync(join(folder, 'cur')).length;
}

describeClient('offlineimap', ['offlineimap'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-offlineimap-');
  const rec = recorder('offlineimap');
  const mail = join(dir.path, 'mail');
  let rc: string;
  let daemonRc: string;
  beforeAll(async () => {
    emu = await clientSite();
    // Its defaults: ssl = yes (TLS from the first byte, so the imaps port), every folder, metadata in ~/.offlineimap.
    const conf = (account: string) => [
      '[general]', 'accounts = main', '',
      '[Account main]', 'localrepository = local', 'remoterepository = remote', account, '',
      '[Repository local]', 'type = Maildir', `localfolders = ${mail}`, '',
      '[Repository remote]', 'type = IMAP', 'remotehost = 127.0.0.1', `remoteport = ${emu.endpoints.servers[0]!.imaps}`,
      'remoteuser = alice', 'remotepass = teamware', `sslcacertfile = ${emu.endpoints.ca}`, '',
    ].join('\n');
    rc = secret(join(dir.path, 'offlineimaprc'), conf(''));
    // The daemon: a sync every 5 minutes (autorefresh is in minutes).
    daemonRc = secret(join(dir.path, 'offlineimaprc-daemon'), conf('autorefresh = 5'));
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  const env = () => ({ HOME: dir.path });
  const sync = (phase: string) => run('offlineimap', ['-c', rc], { env: env(), timeoutMs: 20_000 }).then((r) => rec(phase, 'offlineimap', r));

  it('normal: syncs the INBOX (IMAPS) to a local Maildir', async () => {
    const r = await sync('normal: sync');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('Copy message UID 3 (3/3) remote:INBOX -> local:INBOX');
    expect(r.output).toContain("*** Finished account 'main'");
    expect(maildirCount(join(mail, 'INBOX'))).toBe(3);
  });

  it('[behaviour:imap4.login] suspended: "All authentication types failed" with the server\'s NO for PLAIN and LOGIN, exit 1; after the resume it syncs', async () => {
    await suspend(emu);
    try {
      const r = await sync('suspended login: sync');
      expect(r.code).toBe(1);
      expect(r.output).toContain("PLAIN authentication failed: b'LOGIN failed:Server is busy'");
      expect(r.output).toContain("LOGIN authentication failed: b'LOGIN failed:Server is busy'");
      expect(r.output).toContain('ERROR: All authentication types failed:');
      expect(r.output).toContain('ERROR: Exceptions occurred during the run!');
    } finally {
      await resume(emu);
    }
    const r = await sync('after the resume: sync');
    expect(r.code, r.output).toBe(0);
    expect(maildirCount(join(mail, 'INBOX'))).toBe(3);
  });

  it('[behaviour:imap4.in-flight-store] in flight (logged in, then suspended): "While attempting to sync account \'main\'" / "too many values to unpack (expected 2)", exit 1; after the resume it syncs', async () => {
    const r = rec('in flight: sync (after the login)', 'offlineimap', await inFlight(emu, 'imap', () => run('offlineimap', ['-c', rc], { env: env(), timeoutMs: 20_000 })));
    expect(r.fired).toContain('imap4.in-flight-store');
    // Its first command after the login, LIST "" "" (the hierarchy delimiter), gets NO [UNAVAILABLE]; offlineimap does not
    // check the status and fails on the reply's text: a Python error, no server text.
    expect(r.output).toContain("ERROR: While attempting to sync account 'main'");
    expect(r.output).toContain('too many values to unpack (expected 2)');
    expect(r.code).toBe(1);
    const again = await sync('in flight, after the resume: sync');
    expect(again.code, again.output).toBe(0);
    expect(maildirCount(join(mail, 'INBOX'))).toBe(3);
  });

  it('backup mode: a message filed in the local Maildir is APPENDed by offlineimap and lands in the staging area', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      writeFileSync(join(mail, 'INBOX', 'new', `${Date.now()}.1.twemu`), 'From: alice@teamware.example\nSubject: filed locally\n\nbody\n');
      const r = await sync('backup mode: sync (APPEND)');
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/Copy message UID -?\d+ \(1\/1\) local:INBOX -> remote:INBOX/);
      expect(await writes()).toBeGreaterThan(before);
      expect(inboxCount(emu, 'alice')).toBe(4);
    });
  });

  /**
   * offlineimap as a daemon (autorefresh = 5); `on` sees each of alice's
   * events (refused logins, logins, behaviours) with the process. The tests
   * send SIGUSR1 ("sync now", offlineimap's own signal) while a cycle still
   * runs, so that the next cycle starts as soon as this one ends instead of
   * after its refresh period (a SIGUSR1 during the sleep acts only after its
   * current 10-second step). Bounded (20 s).
   */
  function daemon(phase: string, on: (child: ChildProcess, e: TwEvent) => void) {
    let child: ChildProcess | undefined;
    const off = emu.site.events.subscribe((e) => child && e.user === 'alice' && on(child, e));
    return run('offlineimap', ['-c', daemonRc], { env: env(), timeoutMs: 20_000, started: (c) => (child = c) })
      .then((r) => rec(phase, 'offlineimap (autorefresh = 5; SIGUSR1 during each cycle)', r))
      .finally(off);
  }
  /** Counts its refused logins: PLAIN, then LOGIN, two a cycle (1, 2 for the first cycle, ...). */
  const refused = () => {
    let n = 0;
    return (e: TwEvent) => (e.type === 'behaviour' && e.behaviour === 'imap4.login' ? ++n : 0);
  };
  const loggedIn = (e: TwEvent) => e.type === 'login' && e.client === 'imap';
  /** Runs `command` once the answer being handled now is written (as suspendAfterLogin suspends). */
  const afterAnswer = (command: string) => setImmediate(() => emu.site.command(command, { lenient: true }));

  const cycles = (output: string) => output.split('*** Processing account main').length - 1;

  it('[behaviour:imap4.login] daemon (autorefresh): after 3 failed cycles in a row the account stops syncing and offlineimap exits 1', async () => {
    await suspend(emu);
    try {
      const count = refused();
      const r = await daemon('daemon, suspended: three cycles', (child, e) => count(e) % 2 === 1 && child.kill('SIGUSR1'));
      expect(r.output).not.toContain('(killed after'); // it ended by itself
      expect(r.code).toBe(1);
      expect(cycles(r.output)).toBe(3);
      expect(r.output.split('ERROR: All authentication types failed:').length - 1).toBeGreaterThanOrEqual(3);
    } finally {
      await resume(emu);
    }
  });

  it('[behaviour:imap4.login] daemon (autorefresh): two failed cycles, the resume, then the third cycle syncs and the daemon goes on (SIGUSR2 ends it after that sync; exit 1 for the earlier failures)', async () => {
    await suspend(emu);
    const count = refused();
    const r = await daemon('daemon, two failed cycles, then the resume', (child, e) => {
      const n = count(e);
      if (n % 2 === 1) child.kill('SIGUSR1');
      if (n === 4) afterAnswer('to tran resume'); // the second cycle's last refused login
      if (loggedIn(e)) child.kill('SIGUSR2'); // the third cycle logged in: end after this sync
    });
    if (emu.site.servers.some((x) => x.suspended)) await resume(emu);
    expect(r.output).not.toContain('(killed after');
    expect(cycles(r.output)).toBe(3);
    const third = r.output.split('*** Processing account main')[3]!.split("*** Finished account 'main'")[0]!;
    expect(third).toContain('Terminating after this sync...');
    expect(third).toContain('Syncing INBOX: IMAP -> Maildir'); // the third cycle synced
    expect(third).not.toContain('All authentication types failed');
    expect(r.code).toBe(1); // the failed cycles earlier in the run: "Exceptions occurred during the run!"
    expect(r.output).toContain('ERROR: Exceptions occurred during the run!');
  });

  it('[behaviour:imap4.in-flight-store] daemon (autorefresh): three cycles in a row cut in flight (logged in, then suspended) do not count; the fourth syncs', async () => {
    let logins = 0;
    const r = await daemon('daemon, three cycles in flight, then a sync', (child, e) => {
      if (loggedIn(e)) {
        if (++logins <= 3) {
          child.kill('SIGUSR1');
          afterAnswer('to tran suspend');
        } else child.kill('SIGUSR2'); // the fourth cycle: end after this sync
      }
      if (e.type === 'behaviour' && e.behaviour === 'imap4.in-flight-store') afterAnswer('to tran resume');
    });
    if (emu.site.servers.some((x) => x.suspended)) await resume(emu);
    expect(r.output).not.toContain('(killed after');
    expect(cycles(r.output)).toBe(4);
    expect(r.output.split('too many values to unpack (expected 2)').length - 1).toBeGreaterThanOrEqual(3);
    const fourth = r.output.split('*** Processing account main')[4]!.split("*** Finished account 'main'")[0]!;
    expect(fourth).toContain('Syncing INBOX: IMAP -> Maildir');
    expect(fourth).not.toContain('too many values');
    expect(r.code).toBe(1);
  });
});

describeClient('s-nail', ['s-nail'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-s-nail-');
  const rec = recorder('s-nail');
  const dead = join(dir.path, 'dead.letter');
  beforeAll(async () => {
    emu = await clientSite();
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  const s = () => emu.endpoints.servers[0]!;
  // v15-compat: URLs with the user (mta=smtp://USER@HOST:PORT) and password-USER@HOST:PORT, as its manual's examples;
  // tls-ca-file: the CA. Batch mode (-#): commands from stdin. No ~/.mailrc; DEAD: where a message not sent is kept.
  const common = (port: number) => ['-#', '-S', 'v15-compat', '-S', `tls-ca-file=${emu.endpoints.ca}`, '-S', `password-alice@127.0.0.1:${port}=teamware`];
  const env = () => ({ HOME: dir.path, MAILRC: '/dev/null', DEAD: dead });
  const url = (proto: 'imaps' | 'pop3s') => `${proto}://alice@127.0.0.1:${s()[proto]!}${proto === 'imaps' ? '/INBOX' : ''}`;
  /** Reads the mailbox: the index, message 2, quit. */
  const runRead = (proto: 'imaps' | 'pop3s') => run('s-nail', [...common(s()[proto]!), '-f', url(proto)], { env: env(), input: 'headers\nprint 2\nquit\n' });
  /** Sends a message to bob: mta, smtp-use-starttls (its default is plain text), from. */
  const runSend = (subject: string) => run('s-nail', [...common(s().smtp!), '-S', `mta=smtp://alice@127.0.0.1:${s().smtp!}`, '-S', 'smtp-use-starttls',
    '-S', 'from=alice@teamware.example', '-s', subject, 'bob@teamware.example'], { env: env(), input: 'sent with s-nail\n' });
  const readCmd = (proto: 'imaps' | 'pop3s') => `s-nail -# -f ${url(proto).replace(String(s()[proto]), 'PORT')} <<< 'headers; print 2; quit'`;
  const sendCmd = (subject: string) => `s-nail -# -S mta=smtp://alice@127.0.0.1:PORT -S smtp-use-starttls -s '${subject}' bob@teamware.example`;
  const read = async (phase: string, proto: 'imaps' | 'pop3s') => rec(phase, readCmd(proto), await runRead(proto));
  const send = async (phase: string, subject: string) => rec(phase, sendCmd(subject), await runSend(subject));
  async function bobHas(subject: string): Promise<number> {
    const r = await api(emu, 'GET', '/api/users/bob/folders/INBOX/messages');
    return r.body.messages.filter((m: { subject: string }) => m.subject === subject).length;
  }

  it('normal: reads the INBOX over IMAPS and POP3S, sends over SMTP with STARTTLS', async () => {
    for (const proto of ['imaps', 'pop3s'] as const) {
      const r = await read(`normal: read (${proto})`, proto);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/ 3 bob@teamware\.examp/);
      expect(r.output).toContain('Subject: Quarterly figures');
    }
    expect(inboxCount(emu, 'alice')).toBe(3); // read, not moved (-f: not its system mailbox)
    const m = await send('normal: send', 's-nail normal');
    expect(m.code, m.output).toBe(0);
    expect(await bobHas('s-nail normal')).toBe(1);
  });

  it('[behaviour:imap4.login] [behaviour:pop3.login] [behaviour:smtp.login] suspended: "IMAP error: LOGIN failed:Server is busy", "POP3 APOP authentication failed!" with the server\'s line, "SMTP server: 454 4.7.0 …" and "… message not sent" (kept in dead.letter)', async () => {
    await suspend(emu);
    try {
      const i = await read('suspended login: read (imaps)', 'imaps');
      expect(i.output).toContain('s-nail: IMAP error: LOGIN failed:Server is busy');
      expect(i.code).toBe(1);
      // It logs in with APOP (the greeting offers it), and suggests plain authentication instead; batch mode goes on, exit 0.
      const p = await read('suspended login: read (pop3s)', 'pop3s');
      expect(p.output).toContain(`s-nail: POP3 error: ${SUSPENDED_POP3}`);
      expect(p.output).toContain('s-nail: POP3 APOP authentication failed!');
      expect(p.output).toContain('s-nail: headers: needs an active mailbox');
      expect(p.code).toBe(0);
      const m = await send('suspended login: send', 's-nail suspended');
      expect(m.code).toBe(4);
      expect(m.output).toContain(`s-nail: SMTP server: ${SUSPENDED_SMTP}`);
      expect(m.output).toContain('s-nail: ... message not sent');
      expect(readFileSync(dead, 'utf8')).toContain('Subject: s-nail suspended');
      expect(await bobHas('s-nail suspended')).toBe(0);
    } finally {
      await resume(emu);
    }
    expect((await read('after the resume: read (imaps)', 'imaps')).output).toMatch(/ 3 bob@teamware\.examp/);
    const m = await send('after the resume: send', 's-nail resumed');
    expect(m.code, m.output).toBe(0);
    expect(await bobHas('s-nail resumed')).toBe(1);
  });

  it('[behaviour:imap4.in-flight-store] [behaviour:pop3.retr] [behaviour:smtp.submit] in flight (logged in, then suspended): "IMAP error: [UNAVAILABLE] Server is busy"; POP3 a run of "POP3 error: -ERR failed to read message"; "SMTP server: 451 4.3.2 …", "… message not sent"', async () => {
    const i = rec('in flight: read (imaps)', readCmd('imaps'), await inFlight(emu, 'imap', () => runRead('imaps')));
    expect(i.fired).toContain('imap4.in-flight-store');
    expect(i.output).toContain('s-nail: IMAP error: [UNAVAILABLE] Server is busy'); // its SELECT
    expect(i.code).toBe(1);
    // Each header (TOP n 0) and body (RETR n) refused, several times; the index shows sizes but no sender or subject,
    // `print 2` an empty message. Nothing is deleted.
    const p = rec('in flight: read (pop3s)', readCmd('pop3s'), await inFlight(emu, 'pop3', () => runRead('pop3s')));
    expect(p.fired).toContain('pop3.retr');
    expect(p.output).toContain('s-nail: POP3 error: -ERR failed to read message');
    expect(p.output).toContain('[-- Message  2 -- 0 lines, 0 bytes --]');
    expect(p.code).toBe(0);
    expect(inboxCount(emu, 'alice')).toBe(3);
    const m = rec('in flight: send', sendCmd('s-nail in flight'), await inFlight(emu, 'smtp', () => runSend('s-nail in flight')));
    expect(m.fired).toContain('smtp.submit');
    expect(m.output).toContain(`s-nail: SMTP server: ${INFLIGHT_SMTP}`);
    expect(m.output).toContain('s-nail: ... message not sent');
    expect(m.code).toBe(4);
    expect(await bobHas('s-nail in flight')).toBe(0);
  });

  it('backup mode: s-nail\'s SMTP delivery is staged and in bob\'s INBOX', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      const m = await send('backup mode: send', 's-nail backup mode');
      expect(m.code, m.output).toBe(0);
      expect(await writes()).toBeGreaterThan(before);
      expect(await bobHas('s-nail backup mode')).toBe(1);
    });
  });
});

describeClient('getmail6', ['getmail'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-getmail-');
  const rec = recorder('getmail');
  const maildir = join(dir.path, 'Maildir');
  beforeAll(async () => {
    emu = await clientSite();
    for (const sub of ['', 'new', 'cur', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    // getmail refuses to deliver as root: when the tests run as root, it delivers as nobody (its `user` setting).
    const root = process.getuid?.() === 0;
    if (root) {
      chmodSync(dir.path, 0o755);
      for (const sub of ['', 'new', 'cur', 'tmp']) chmodSync(join(maildir, sub), 0o777);
    }
    // SimplePOP3SSLRetriever: getmail6 has no STLS, so POP3S (the pop3s port); ca_certs: the CA. Its defaults: read_all, keep.
    secret(join(dir.path, 'getmailrc'), [
      '[retriever]', 'type = SimplePOP3SSLRetriever', 'server = 127.0.0.1', `port = ${emu.endpoints.servers[0]!.pop3s}`,
      'username = alice', 'password = teamware', `ca_certs = ${emu.endpoints.ca}`, '',
      '[destination]', 'type = Maildir', `path = ${maildir}/`, ...(root ? ['user = nobody'] : []), '',
    ].join('\n'));
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  // -vv: the log line per message with its sender (the Return-Path), as in getmail's message_log.
  const args = () => ['--getmaildir', dir.path, '--rcfile', 'getmailrc', '-vv'];
  const get = (phase: string) => run('getmail', args(), { env: { HOME: dir.path } }).then((r) => rec(phase, 'getmail -vv', r));

  it('normal: fetches the INBOX over POP3S; a message the site delivered has its Return-Path (getmail logs "from <bob@teamware.example>"), the demo messages (seeded as stored) none: "from <unknown>"', async () => {
    const posted = await api(emu, 'POST', '/api/mail', { to: 'alice', raw: 'From: bob@teamware.example\r\nTo: alice@teamware.example\r\nSubject: posted\r\n\r\nbody\r\n' });
    expect(posted.status).toBe(201);
    const r = await get('normal: fetch');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/msg 1\/4 \(387 bytes\) from <unknown> delivered to Maildir/);
    expect(r.output).toMatch(/msg 4\/4 \(\d+ bytes\) from <bob@teamware\.example> delivered to Maildir/);
    expect(r.output).toContain('4 messages');
    expect(maildirCount(maildir)).toBe(4);
    const files = readdirSync(join(maildir, 'new')).map((f) => readFileSync(join(maildir, 'new', f), 'utf8'));
    expect(files.filter((t) => t.startsWith('Return-Path: <bob@teamware.example>'))).toHaveLength(1);
  });

  it('[behaviour:pop3.login] suspended: "operation error (POP error (b\'-ERR unable to lock maildrop …\'))", exit 127; after the resume it fetches', async () => {
    await suspend(emu);
    try {
      const r = await get('suspended login: fetch');
      expect(r.output).toContain(`getmailrc: operation error (POP error (b'${SUSPENDED_POP3}'))`);
      expect(r.output).toContain('0 messages (0 bytes) retrieved, 0 skipped');
      expect(r.code).toBe(127);
    } finally {
      await resume(emu);
    }
    const r = await get('after the resume: fetch');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('4 messages');
  });

  it('[behaviour:pop3.retr] in flight (logged in, then suspended): "Retrieval error: … server said b\'-ERR failed to read message\'" and "Server for … is broken", exit 127; after the resume it fetches', async () => {
    const r = rec('in flight: fetch (RETR after the login)', 'getmail -vv', await inFlight(emu, 'pop3', () => run('getmail', args(), { env: { HOME: dir.path } })));
    expect(r.fired).toContain('pop3.retr');
    expect(r.output).toMatch(/Retrieval error: failed to retrieve msgid \S+; server said b'-ERR failed to read message'/);
    expect(r.output).toMatch(/Server for SimplePOP3SSLRetriever:alice@127\.0\.0\.1:\d+ is broken; offered message \S+ but failed to provide it\./);
    expect(r.output).toContain('0 messages (0 bytes) retrieved, 0 skipped');
    expect(r.code).toBe(127);
    const again = await get('in flight, after the resume: fetch');
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('4 messages');
  });
});
