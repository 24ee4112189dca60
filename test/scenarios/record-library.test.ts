// The library's recorded client sessions (scenarios/library/clients.*.yaml)
// are what `twemu record` (the built CLI, holding the site's certificate)
// writes for each real client today: each client is run through the proxy
// with its defaults plus host, port, user, password and the CA (what
// docs/clients.md shows), the file has the password masked and nothing left
// out, its steps are the bundled file's, and it replays green.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import Pop3Command from 'node-pop3';
import { ImapFlow } from 'imapflow';
import { ROOT, record, runCli, startTestSite, tempDir } from '../helpers.js';
import { run, which } from '../clients/harness.js';
import type { Emulator } from '../../emulator/index.js';

const dir = tempDir('twemu-record-library-');
let emu: Emulator;
beforeAll(async () => {
  emu = await startTestSite();
});
afterAll(async () => {
  await emu.stop();
  dir.remove();
});

type Steps = Array<Record<string, unknown>>;
const stepsOf = (file: string): Steps => (parse(readFileSync(file, 'utf8')) as { steps: Steps }).steps;

/** The recording is complete, masks the password, is the bundled file's session step for step, and replays green. */
async function checkRecording(out: string, done: Awaited<ReturnType<typeof record>>['done'], bundled: string): Promise<string> {
  const r = await done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/step\(s\) from 1 session\(s\) written to /);
  const text = readFileSync(out, 'utf8');
  expect(text).not.toContain('INCOMPLETE');
  expect(text, 'the password in the file').not.toMatch(/teamware(?!\\?\.example)/); // the demo domain is teamware.example (escaped in a pattern)
  expect(stepsOf(out), `the client's session differs from scenarios/library/${bundled}.yaml: record it again (how is in the file's header)`)
    .toEqual(stepsOf(join(ROOT, 'scenarios', 'library', `${bundled}.yaml`)));
  const replay = await runCli(['scenario', 'run', out, '--password', 'teamware']);
  expect(replay.stdout.trim().split('\n').at(-1), replay.stdout).toBe('1 passed, 0 failed');
  return text;
}

describe('the bundled client recordings, recorded again', { timeout: 30_000 }, () => {
  it('fetchmail (STLS: its default, sslcertfile the site CA, keep) through the proxy holding the site\'s certificate: CAPA, STLS, USER/PASS, STAT, LAST, UIDL, LIST n and RETR n per message, QUIT; clients.fetchmail', async (t) => {
    if (!which('fetchmail')) {
      if (process.env.CI === 'true') throw new Error('fetchmail (Debian package fetchmail) is missing: .ci/run installs it');
      t.skip();
    }
    const out = join(dir.path, 'fetchmail.yaml');
    const rec = await record(['--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.pop3}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const home = join(dir.path, 'fetchmail');
    mkdirSync(home);
    const rc = join(home, 'fetchmailrc');
    writeFileSync(rc, `poll 127.0.0.1 protocol pop3 port ${rec.port} user alice password teamware sslcertfile ${emu.endpoints.ca} keep mda "/bin/sh -c 'cat >> ${join(home, 'mbox')}'"\n`);
    chmodSync(rc, 0o600);
    const f = await run('fetchmail', ['-f', rc, '--nosyslog', '--pidfile', join(home, 'pid')], { env: { HOME: home, FETCHMAILHOME: home } });
    expect(f.code, f.output).toBe(0);
    expect(f.output).toMatch(/3 messages for alice at 127\.0\.0\.1/);
    const text = await checkRecording(out, rec.done, 'clients.fetchmail');
    expect(text).toMatch(/send: STLS\n[\s\S]*send: PASS \$\{password\}\n[\s\S]*send: UIDL\n[\s\S]*send: RETR 3\n/);
  });

  it('node-pop3 (pop3s: it has no STLS; tlsOptions.ca the site CA) through --listen-tls: STAT, LIST, UIDL, RETR 1, QUIT; clients.node-pop3', async () => {
    const out = join(dir.path, 'node-pop3.yaml');
    const rec = await record(['--listen-tls', '--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.pop3s}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const pop3 = new Pop3Command({ host: '127.0.0.1', port: rec.port, user: 'bob', password: 'teamware', tls: true, tlsOptions: { ca: readFileSync(emu.endpoints.ca!) }, servername: 'localhost', timeout: 5000 } as never);
    expect(await pop3.STAT()).toMatch(/^3 \d+$/);
    expect(await pop3.LIST()).toHaveLength(3);
    expect(await pop3.UIDL()).toHaveLength(3);
    expect(await pop3.RETR(1)).toContain('Subject:');
    await pop3.QUIT();
    const text = await checkRecording(out, rec.done, 'clients.node-pop3');
    expect(text).toMatch(/- pop3: pop31\n\s+open: true\n\s+tls: true\n/);
  });

  it('imapflow (its defaults: STARTTLS trusting the site CA, AUTHENTICATE PLAIN) through the proxy holding the site\'s certificate: SELECT INBOX, FETCH envelopes, a body, APPEND to OUTBOX, LOGOUT; the SASL answer is not the password in clear nor in base64; clients.imapflow', async () => {
    const out = join(dir.path, 'imapflow.yaml');
    const rec = await record(['--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.imap}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const client = new ImapFlow({ host: '127.0.0.1', port: rec.port, secure: false, logger: false, auth: { user: 'alice', pass: 'teamware' }, tls: { ca: readFileSync(emu.endpoints.ca!) } });
    await client.connect();
    expect(client.secureConnection, 'imapflow upgraded with STARTTLS').toBe(true);
    const lock = await client.getMailboxLock('INBOX');
    try {
      const subjects: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true })) subjects.push(m.envelope!.subject ?? '');
      expect(subjects).toHaveLength(3);
      expect((await client.fetchOne('1', { source: true }))).toMatchObject({ source: expect.any(Buffer) });
    } finally {
      lock.release();
    }
    const sent = 'From: alice@teamware.example\r\nTo: bob@teamware.example\r\nSubject: sent from imapflow\r\n\r\na copy of a sent message\r\n';
    expect(await client.append('OUTBOX', sent, ['\\Seen'])).toMatchObject({ destination: 'OUTBOX', uid: 1 });
    await client.logout();
    const text = await checkRecording(out, rec.done, 'clients.imapflow');
    expect(text).not.toContain(Buffer.from('\0alice\0teamware').toString('base64'));
    expect(text).toMatch(/send: \S+ STARTTLS\n[\s\S]*send: \S+ AUTHENTICATE PLAIN\n[\s\S]*send: \S+ SELECT INBOX\n[\s\S]*send: "?\S+ APPEND OUTBOX /);
  });
  it('getmail6 (SimplePOP3SSLRetriever: it has no STLS, so the pop3s port; ca_certs the site CA; its defaults: read_all, keep) through --listen-tls: USER/PASS, UIDL and LIST twice, RETR each message, QUIT; clients.getmail', async (t) => {
    if (!which('getmail')) {
      if (process.env.CI === 'true') throw new Error('getmail (Debian package getmail6) is missing: .ci/run installs it');
      t.skip();
    }
    const out = join(dir.path, 'getmail.yaml');
    const rec = await record(['--listen-tls', '--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.pop3s}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const home = join(dir.path, 'getmail');
    const maildir = join(home, 'Maildir');
    for (const sub of ['', 'new', 'cur', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    // getmail refuses to deliver as root: when the tests run as root, it delivers as nobody (its `user` setting).
    const root = process.getuid?.() === 0;
    if (root) {
      chmodSync(dir.path, 0o755);
      chmodSync(home, 0o755);
      for (const sub of ['', 'new', 'cur', 'tmp']) chmodSync(join(maildir, sub), 0o777);
    }
    const rc = join(home, 'getmailrc');
    writeFileSync(rc, ['[retriever]', 'type = SimplePOP3SSLRetriever', 'server = 127.0.0.1', `port = ${rec.port}`, 'username = alice', 'password = teamware', `ca_certs = ${emu.endpoints.ca}`, '',
      '[destination]', 'type = Maildir', `path = ${maildir}/`, ...(root ? ['user = nobody'] : []), ''].join('\n'));
    chmodSync(rc, 0o600);
    const g = await run('getmail', ['--getmaildir', home, '--rcfile', 'getmailrc'], { env: { HOME: home } });
    expect(g.code, g.output).toBe(0);
    expect(g.output).toMatch(/3 messages \(\d+ bytes\) retrieved/);
    const text = await checkRecording(out, rec.done, 'clients.getmail');
    expect(text).toMatch(/- pop3: pop31\n\s+open: true\n\s+tls: true\n[\s\S]*send: PASS \$\{password\}\n[\s\S]*send: RETR 3\n/);
  });
  it('offlineimap (its defaults: ssl = yes on the imaps port, sslcacertfile the site CA, every folder, one sync) through the proxy holding the site\'s certificate: AUTHENTICATE PLAIN answered after the server\'s +, each folder selected and examined, each message fetched; clients.offlineimap', async (t) => {
    if (!which('offlineimap')) {
      if (process.env.CI === 'true') throw new Error('offlineimap (Debian package offlineimap3) is missing: .ci/run installs it');
      t.skip();
    }
    // A site of its own: the tests above leave a message in alice's OUTBOX, which a replay's fresh site has not.
    const site = await startTestSite();
    let rec: Awaited<ReturnType<typeof record>> | undefined;
    try {
      const out = join(dir.path, 'offlineimap.yaml');
      rec = await record(['--upstream', `127.0.0.1:${site.endpoints.servers[0]!.imaps}`, '--data', site.dataDir, '--out', out, '--sessions', '1']);
      const home = join(dir.path, 'offlineimap');
      mkdirSync(join(home, 'mail'), { recursive: true });
      const rc = join(home, 'offlineimaprc');
      writeFileSync(rc, ['[general]', 'accounts = main', '', '[Account main]', 'localrepository = local', 'remoterepository = remote', '',
        '[Repository local]', 'type = Maildir', `localfolders = ${join(home, 'mail')}`, '',
        '[Repository remote]', 'type = IMAP', 'remotehost = 127.0.0.1', `remoteport = ${rec.port}`, 'remoteuser = alice', 'remotepass = teamware', `sslcacertfile = ${site.endpoints.ca}`, ''].join('\n'));
      chmodSync(rc, 0o600);
      const o = await run('offlineimap', ['-c', rc], { env: { HOME: home }, timeoutMs: 20_000 });
      expect(o.code, o.output).toBe(0);
      expect(o.output).toContain('Copy message UID 3 (3/3) remote:INBOX -> local:INBOX');
      const r = await rec.done;
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toContain('INCOMPLETE');
      expect(text).not.toMatch(/teamware(?!\.example)/);
      expect(text).toMatch(/- imap: imap1\n\s+open: true\n\s+tls: true\n[\s\S]*send: \S+ AUTHENTICATE PLAIN\n[\s\S]*send: \$\{base64:\\0alice\\0\$\{password\}\}\n/);
      // imaplib tags each session with a random prefix, and offlineimap's threads order a folder's copies among the
      // next folders' commands as they run (re-selecting INBOX as often as they need): the same steps, tags aside, in
      // any order and number.
      const untagged = (v: unknown) => (typeof v === 'string' ? v.replace(/(^|\^|\\n|\n)[A-Z]{4}\d+(?= )/g, '$1TAG') : v);
      const same = (f: string) => [...new Set(stepsOf(f).map((st) => JSON.stringify(st, (_k, v: unknown) => untagged(v))))].sort();
      expect(same(out), 'offlineimap\'s session differs from scenarios/library/clients.offlineimap.yaml: record it again (how is in the file\'s header)')
        .toEqual(same(join(ROOT, 'scenarios', 'library', 'clients.offlineimap.yaml')));
      const replay = await runCli(['scenario', 'run', out, '--password', 'teamware']);
      expect(replay.stdout.trim().split('\n').at(-1), replay.stdout).toBe('1 passed, 0 failed');
    } finally {
      rec?.stop(); // still waiting for its session when the client failed
      await site.stop();
    }
  });
});
