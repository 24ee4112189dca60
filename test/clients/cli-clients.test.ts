// The client matrix for Debian's command-line mail clients: each run with its
// default settings plus host, port, user, password and the CA file (what
// docs/clients.md shows), through a normal fetch and send, a suspended login,
// a session in flight (logged in, then suspended: harness suspendAfterLogin),
// the resume, and writes in backup mode. What each printed is recorded in
// test-artifacts/clients/ and the words a user sees are checked here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, collectEvents, tempDir } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';
import { clientSite, describeClient, inBackupMode, inFlight, inboxCount, recorder, resume, run, secret, suspend, suspendAfterLogin, terminal } from './harness.js';

const SUSPENDED_POP3 = '-ERR unable to lock maildrop (emulator detail: the server is suspended for an online backup)';
const SUSPENDED_IMAP = 'NO LOGIN failed:Server is busy';
const SUSPENDED_SMTP = '454 4.7.0 Temporary authentication failure: the server is suspended for an online backup, try again later';
const INFLIGHT_POP3 = '-ERR failed to read message';
const INFLIGHT_IMAP = 'NO [UNAVAILABLE] Server is busy';
const INFLIGHT_SMTP = '451 4.3.2 System not accepting messages: the server is suspended for an online backup, try again later';

describeClient('mpop and msmtp', ['mpop', 'msmtp'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-mpop-');
  let mpop: string[];
  let msmtp: string[];
  const rec = recorder('mpop-msmtp');
  beforeAll(async () => {
    emu = await clientSite();
    const s = emu.endpoints.servers[0]!;
    // mpop: Debian's build has tls off by default; `tls on` uses STLS. msmtp the same with STARTTLS.
    const mpoprc = secret(join(dir.path, 'mpoprc'), `account default\nhost 127.0.0.1\nport ${s.pop3}\nuser alice\npassword teamware\ntls on\ntls_trust_file ${emu.endpoints.ca}\ndelivery mbox ${join(dir.path, 'mbox')}\nuidls_file ${join(dir.path, 'uidls')}\n`);
    const msmtprc = secret(join(dir.path, 'msmtprc'), `account default\nhost 127.0.0.1\nport ${s.smtp}\nfrom alice@teamware.example\nauth on\nuser alice\npassword teamware\ntls on\ntls_trust_file ${emu.endpoints.ca}\n`);
    mpop = ['-C', mpoprc, '--keep', '--all'];
    msmtp = ['-C', msmtprc, 'bob@teamware.example'];
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  const mail = (subject: string) => `From: alice@teamware.example\nTo: bob@teamware.example\nSubject: ${subject}\n\nsent with msmtp\n`;

  it('normal: mpop fetches over STLS, msmtp sends over STARTTLS', async () => {
    const f = rec('normal: fetch', 'mpop --keep --all', await run('mpop', mpop));
    expect(f.code, f.output).toBe(0);
    expect(f.output).toMatch(/new: 3 messages/);
    const before = inboxCount(emu, 'bob');
    const s = rec('normal: send', 'msmtp bob@teamware.example', await run('msmtp', msmtp, { input: mail('normal') }));
    expect(s.code, s.output).toBe(0);
    expect(inboxCount(emu, 'bob')).toBe(before + 1);
  });

  it('[behaviour:pop3.login] [behaviour:smtp.login] suspended: mpop shows an authentication failure with the server\'s line; msmtp too (exit 77, not a temporary failure)', async () => {
    await suspend(emu);
    try {
      const f = rec('suspended login: fetch', 'mpop --keep --all', await run('mpop', mpop));
      expect(f.code).toBe(77);
      expect(f.output).toContain('mpop: authentication failed (method APOP)');
      expect(f.output).toContain(`mpop: POP3 server message: ${SUSPENDED_POP3}`);
      const s = rec('suspended login: send', 'msmtp bob@teamware.example', await run('msmtp', msmtp, { input: mail('suspended') }));
      expect(s.code).toBe(77);
      expect(s.output).toContain('msmtp: authentication failed (method PLAIN)');
      expect(s.output).toContain(`msmtp: server message: ${SUSPENDED_SMTP}`);
    } finally {
      await resume(emu);
    }
  });

  it('[behaviour:pop3.retr] [behaviour:smtp.submit] in flight (logged in, then suspended): mpop\'s RETR gets "failed to read message", msmtp\'s MAIL FROM gets 451 4.3.2 (exit 69)', async () => {
    // --only-new=off: the messages fetched before (its uidls file) are fetched again, so there is a RETR.
    const f = rec('in flight: fetch (RETR after the login)', 'mpop --keep --all --only-new=off', await inFlight(emu, 'pop3', () => run('mpop', [...mpop, '--only-new=off'])));
    expect(f.fired).toContain('pop3.retr');
    expect(f.output).toContain('mpop: command RETR 1 failed');
    expect(f.output).toContain(`mpop: POP3 server message: ${INFLIGHT_POP3}`);
    expect(f.code).toBe(76); // EX_PROTOCOL
    const before = inboxCount(emu, 'bob');
    const s = rec('in flight: send (MAIL FROM after AUTH)', 'msmtp bob@teamware.example', await inFlight(emu, 'smtp', () => run('msmtp', msmtp, { input: mail('in flight') })));
    expect(s.fired).toContain('smtp.submit');
    expect(s.output).toContain('msmtp: envelope from address alice@teamware.example not accepted by the server');
    expect(s.output).toContain(`msmtp: server message: ${INFLIGHT_SMTP}`);
    expect(s.code).toBe(69); // EX_UNAVAILABLE (not 75, EX_TEMPFAIL)
    expect(inboxCount(emu, 'bob')).toBe(before);
  });

  it('resume: both work again; in backup mode msmtp\'s delivery is staged', async () => {
    const f = rec('after the resume: fetch', 'mpop --keep --all', await run('mpop', mpop));
    expect(f.code, f.output).toBe(0);
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      const s = rec('backup mode: send', 'msmtp bob@teamware.example', await run('msmtp', msmtp, { input: mail('backup mode') }));
      expect(s.code, s.output).toBe(0);
      expect(await writes()).toBeGreaterThan(before);
    });
  });
});

describeClient('fetchmail', ['fetchmail'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-fetchmail-');
  let args: string[];
  const rec = recorder('fetchmail');
  beforeAll(async () => {
    emu = await clientSite();
    const s = emu.endpoints.servers[0]!;
    // Default TLS (STLS when offered); `sslcertfile` is the CA; `mda` because there is no local MTA; `keep` so runs repeat.
    const rc = secret(join(dir.path, 'fetchmailrc'), `poll 127.0.0.1 protocol pop3 port ${s.pop3} user alice password teamware sslcertfile ${emu.endpoints.ca} keep mda "/bin/sh -c 'cat >> ${join(dir.path, 'mbox')}'"\n`);
    args = ['-f', rc, '--nosyslog', '--all', '--pidfile', join(dir.path, 'pid')];
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  const env = () => ({ HOME: dir.path, FETCHMAILHOME: dir.path });

  it('normal: fetches the INBOX over STLS', async () => {
    const r = rec('normal: fetch', 'fetchmail', await run('fetchmail', args, { env: env() }));
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/3 messages for alice at 127\.0\.0\.1/);
  });

  it('[behaviour:pop3.login] suspended: fetchmail shows the server line, then "lock busy! Is another session active?" (status 9, LOCKBUSY)', async () => {
    await suspend(emu);
    try {
      const r = rec('suspended login: fetch', 'fetchmail', await run('fetchmail', args, { env: env() }));
      expect(r.code).toBe(9);
      expect(r.output).toContain('fetchmail: unable to lock maildrop (emulator detail: the server is suspended for an online backup)');
      expect(r.output).toContain('fetchmail: lock busy!  Is another session active?');
    } finally {
      await resume(emu);
    }
    const r = rec('after the resume: fetch', 'fetchmail', await run('fetchmail', args, { env: env() }));
    expect(r.code, r.output).toBe(0);
  });

  it('[behaviour:pop3.retr] in flight (logged in, then suspended): fetchmail says "couldn\'t fetch headers" for each message and exits 1 (as if there were no mail)', async () => {
    const r = rec('in flight: fetch (RETR after the login)', 'fetchmail', await inFlight(emu, 'pop3', () => run('fetchmail', args, { env: env() })));
    expect(r.fired).toContain('pop3.retr');
    expect(r.output).toContain('3 messages for alice at 127.0.0.1');
    expect(r.output).toMatch(/fetchmail: couldn't fetch headers, message alice@127\.0\.0\.1:1 \(\d+ octets\)/);
    expect(r.code).toBe(1);
    const again = rec('in flight, after the resume: fetch', 'fetchmail', await run('fetchmail', args, { env: env() }));
    expect(again.code, again.output).toBe(0);
  });

  it('backup mode: fetchmail without keep deletes what it fetched (DELE, QUIT): the deletions are staged and the INBOX is empty', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      const r = rec('backup mode: fetch and delete', 'fetchmail --nokeep', await run('fetchmail', [...args, '--nokeep'], { env: env() }));
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/3 messages for alice at 127\.0\.0\.1/);
      expect(await writes()).toBeGreaterThan(before);
      expect(inboxCount(emu, 'alice')).toBe(0);
    });
  });
});

describeClient('mbsync (isync)', ['mbsync'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-mbsync-');
  let args: string[];
  const rec = recorder('mbsync');
  beforeAll(async () => {
    emu = await clientSite();
    const s = emu.endpoints.servers[0]!;
    mkdirSync(join(dir.path, 'mail'), { recursive: true });
    // Default TLS (STARTTLS); `CertificateFile` is the CA.
    const rc = secret(join(dir.path, 'mbsyncrc'), [
      'IMAPAccount teamware', 'Host 127.0.0.1', `Port ${s.imap}`, 'User alice', 'Pass teamware', `CertificateFile ${emu.endpoints.ca}`, '',
      'IMAPStore remote', 'Account teamware', '', 'MaildirStore local', `Path ${join(dir.path, 'mail')}/`, `Inbox ${join(dir.path, 'mail', 'INBOX')}`, '',
      'Channel inbox', 'Far :remote:', 'Near :local:', 'Patterns INBOX', 'Create Near', '',
    ].join('\n'));
    args = ['-c', rc, '-a'];
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });

  it('normal: syncs the INBOX over STARTTLS', async () => {
    const r = rec('normal: sync', 'mbsync -a', await run('mbsync', args, { env: { HOME: dir.path } }));
    expect(r.code, r.output).toBe(0);
    expect(readdirSync(join(dir.path, 'mail', 'INBOX', 'new')).length + readdirSync(join(dir.path, 'mail', 'INBOX', 'cur')).length).toBe(3);
  });

  it('[behaviour:imap4.login] suspended: mbsync prints the server\'s NO and exits 1; after the resume it syncs', async () => {
    await suspend(emu);
    try {
      const r = rec('suspended login: sync', 'mbsync -a', await run('mbsync', args, { env: { HOME: dir.path } }));
      expect(r.code).toBe(1);
      expect(r.output).toContain(`IMAP command 'AUTHENTICATE PLAIN <authdata>' returned an error: ${SUSPENDED_IMAP}`);
    } finally {
      await resume(emu);
    }
    const r = rec('after the resume: sync', 'mbsync -a', await run('mbsync', args, { env: { HOME: dir.path } }));
    expect(r.code, r.output).toBe(0);
  });

  it('[behaviour:imap4.in-flight-store] in flight (logged in, then suspended): mbsync\'s next command gets NO [UNAVAILABLE] Server is busy', async () => {
    const r = rec('in flight: sync (after the login)', 'mbsync -a', await inFlight(emu, 'imap', () => run('mbsync', args, { env: { HOME: dir.path } })));
    expect(r.fired).toContain('imap4.in-flight-store');
    expect(r.output).toContain(`IMAP command 'LIST "" "*"' returned an error: ${INFLIGHT_IMAP}`);
    expect(r.code).toBe(1);
    const again = rec('in flight, after the resume: sync', 'mbsync -a', await run('mbsync', args, { env: { HOME: dir.path } }));
    expect(again.code, again.output).toBe(0);
  });

  it('backup mode: a message filed locally is APPENDed by mbsync and lands in the staging area', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      writeFileSync(join(dir.path, 'mail', 'INBOX', 'new', `${Date.now()}.1.twemu`), 'From: alice@teamware.example\nSubject: filed locally\n\nbody\n');
      const r = rec('backup mode: sync (append)', 'mbsync -a', await run('mbsync', args, { env: { HOME: dir.path } }));
      expect(r.code, r.output).toBe(0);
      expect(await writes()).toBeGreaterThan(before);
      expect(inboxCount(emu, 'alice')).toBe(4);
    });
  });
});

describeClient('curl', ['curl'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-curl-');
  const rec = recorder('curl');
  beforeAll(async () => {
    emu = await clientSite();
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  // --ssl-reqd: STLS/STARTTLS or fail (curl's default is plain text); --cacert: the CA.
  const tls = () => ['-sS', '--ssl-reqd', '--cacert', emu.endpoints.ca!, '-u', 'alice:teamware'];
  const s = () => emu.endpoints.servers[0]!;
  const send = () => {
    const file = join(dir.path, 'mail.txt');
    writeFileSync(file, 'From: alice@teamware.example\r\nTo: bob@teamware.example\r\nSubject: from curl\r\n\r\nsent with curl\r\n');
    return ['--mail-from', 'alice@teamware.example', '--mail-rcpt', 'bob@teamware.example', '-T', file, `smtp://127.0.0.1:${s().smtp}`];
  };

  it('normal: lists POP3 and IMAP, sends by SMTP', async () => {
    const p = rec('normal: POP3 list', 'curl --ssl-reqd pop3://127.0.0.1:PORT/', await run('curl', [...tls(), `pop3://127.0.0.1:${s().pop3}/`]));
    expect(p.code, p.output).toBe(0);
    expect(p.output.trim().split('\n')).toHaveLength(3);
    const i = rec('normal: IMAP search', "curl --ssl-reqd imap://127.0.0.1:PORT/INBOX -X 'SEARCH ALL'", await run('curl', [...tls(), `imap://127.0.0.1:${s().imap}/INBOX`, '-X', 'SEARCH ALL']));
    expect(i.output).toContain('* SEARCH 1 2 3');
    const m = rec('normal: SMTP send', 'curl --ssl-reqd smtp://127.0.0.1:PORT --mail-rcpt ...', await run('curl', [...tls(), ...send()]));
    expect(m.code, m.output).toBe(0);
  });

  it('[behaviour:pop3.login] [behaviour:imap4.login] [behaviour:smtp.login] suspended: curl says "Authentication failed: 45" for POP3 (the first octet of -ERR), "Login denied" for IMAP and SMTP, exit 67; the server\'s words only with --verbose', async () => {
    await suspend(emu);
    try {
      const p = rec('suspended login: POP3', 'curl --ssl-reqd pop3://127.0.0.1:PORT/', await run('curl', [...tls(), `pop3://127.0.0.1:${s().pop3}/`]));
      expect(p.code).toBe(67);
      // curl prints the first octet of "-ERR" as the code (45 is "-").
      expect(p.output).toContain('curl: (67) Authentication failed: 45');
      const i = rec('suspended login: IMAP', 'curl --ssl-reqd imap://127.0.0.1:PORT/INBOX', await run('curl', [...tls(), `imap://127.0.0.1:${s().imap}/INBOX`, '-X', 'SEARCH ALL']));
      expect(i.code).toBe(67);
      expect(i.output).toContain('curl: (67) Login denied');
      const m = rec('suspended login: SMTP', 'curl --ssl-reqd smtp://127.0.0.1:PORT', await run('curl', [...tls(), ...send()]));
      expect(m.code).toBe(67);
      expect(m.output).toContain('curl: (67) Login denied');
      const v = rec('suspended login: POP3, --verbose', 'curl -v --ssl-reqd pop3://127.0.0.1:PORT/', await run('curl', ['-v', ...tls(), `pop3://127.0.0.1:${s().pop3}/`]));
      expect(v.output).toContain(`< ${SUSPENDED_POP3}`);
    } finally {
      await resume(emu);
    }
    const p = rec('after the resume: POP3', 'curl --ssl-reqd pop3://127.0.0.1:PORT/', await run('curl', [...tls(), `pop3://127.0.0.1:${s().pop3}/`]));
    expect(p.code, p.output).toBe(0);
  });

  it('[behaviour:pop3.retr] [behaviour:imap4.in-flight-store] [behaviour:smtp.submit] in flight (logged in, then suspended): curl says "Weird server reply" (POP3 RETR), "Select failed" (IMAP), "MAIL failed: 451" (SMTP); the server\'s words only with --verbose', async () => {
    const p = rec('in flight: POP3 RETR 1', 'curl --ssl-reqd pop3://127.0.0.1:PORT/1', await inFlight(emu, 'pop3', () => run('curl', [...tls(), `pop3://127.0.0.1:${s().pop3}/1`])));
    expect(p.fired).toContain('pop3.retr');
    expect(p.output).toContain('curl: (8) Weird server reply');
    const i = rec('in flight: IMAP fetch UID 1', "curl --ssl-reqd 'imap://127.0.0.1:PORT/INBOX;UID=1'", await inFlight(emu, 'imap', () => run('curl', [...tls(), `imap://127.0.0.1:${s().imap}/INBOX;UID=1`])));
    expect(i.fired).toContain('imap4.in-flight-store');
    expect(i.output).toContain('curl: (67) Select failed');
    const m = rec('in flight: SMTP send', 'curl --ssl-reqd smtp://127.0.0.1:PORT', await inFlight(emu, 'smtp', () => run('curl', [...tls(), ...send()])));
    expect(m.fired).toContain('smtp.submit');
    expect(m.output).toContain('curl: (55) MAIL failed: 451');
    const v = rec('in flight: POP3 RETR 1, --verbose', 'curl -v --ssl-reqd pop3://127.0.0.1:PORT/1', await inFlight(emu, 'pop3', () => run('curl', ['-v', ...tls(), `pop3://127.0.0.1:${s().pop3}/1`])));
    expect(v.output).toContain(`< ${INFLIGHT_POP3}`);
  });

  it('backup mode: curl\'s SMTP delivery is staged', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      const m = rec('backup mode: SMTP send', 'curl --ssl-reqd smtp://127.0.0.1:PORT', await run('curl', [...tls(), ...send()]));
      expect(m.code, m.output).toBe(0);
      expect(await writes()).toBeGreaterThan(before);
    });
  });
});

describeClient('neomutt (in tmux)', ['neomutt', 'tmux'], () => {
  let emu: Emulator;
  const dir = tempDir('twemu-neomutt-');
  const rec = recorder('neomutt');
  const term = terminal('neomutt');
  let muttrc: string;
  beforeAll(async () => {
    emu = await clientSite();
    // folder, spoolfile, imap_pass, ssl_ca_certificates_file: the rest is neomutt's defaults (STARTTLS when offered).
    muttrc = secret(join(dir.path, 'muttrc'), [
      `set folder="imap://alice@127.0.0.1:${emu.endpoints.servers[0]!.imap}/"`, 'set spoolfile="+INBOX"', 'set imap_pass="teamware"',
      `set ssl_ca_certificates_file="${emu.endpoints.ca}"`,
      // sending: smtp_url (STARTTLS when offered, its default), smtp_pass, from.
      `set smtp_url="smtp://alice@127.0.0.1:${emu.endpoints.servers[0]!.smtp}/"`, 'set smtp_pass="teamware"', 'set from="alice@teamware.example"',
      // a copy of each sent message kept on the server (IMAP APPEND to OUTBOX); neomutt's default is the local ~/sent.
      'set record="+OUTBOX"', '',
    ].join('\n'));
  });
  afterAll(async () => {
    await term.close();
    await emu.stop();
    dir.remove();
  });

  /** Starts neomutt (with `args`) in a fresh tmux session and returns the screen once it matches (bounded).
   *  EDITOR=true stands in for the user typing the body: a draft's body (-H) is kept as it is. */
  async function screen(phase: string, until: RegExp, args = ''): Promise<string> {
    const start = await term.start(`HOME=${dir.path} EDITOR=true VISUAL=true neomutt -n -F ${muttrc} ${args}`);
    expect(start.code, start.output).toBe(0);
    return watch(phase, until);
  }

  /** Types `keys` (tmux key names) into the running neomutt, then the screen once it matches (bounded). */
  async function press(phase: string, keys: string[], until: RegExp): Promise<string> {
    const k = await term.keys(...keys);
    expect(k.code, k.output).toBe(0);
    return watch(phase, until);
  }

  /** The screen once it matches `until` (at most 15 s), recorded for docs/clients.md. */
  async function watch(phase: string, until: RegExp): Promise<string> {
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = await term.screen();
      if (until.test(text)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    rec(phase, 'neomutt (tmux capture-pane)', { code: 0, output: text.split('\n').filter((l) => l.trim()).join('\n') });
    return text;
  }

  it('normal: the index of INBOX over STARTTLS', async () => {
    expect(await screen('normal: open INBOX', /Msgs:3/)).toMatch(/NeoMutt: \+INBOX \[Msgs:3/);
  });

  it('[behaviour:imap4.login] suspended: "Unable to open mailbox"; after the resume it opens', async () => {
    await suspend(emu);
    try {
      expect(await screen('suspended login: open INBOX', /Unable to open mailbox/)).toContain(`Unable to open mailbox imap://alice@127.0.0.1:${emu.endpoints.servers[0]!.imap}/INBOX`);
    } finally {
      await resume(emu);
    }
    expect(await screen('after the resume: open INBOX', /Msgs:3/)).toMatch(/\+INBOX \[Msgs:3/);
  });

  it('[behaviour:imap4.in-flight-store] in flight (index open, then suspended): opening a message says "IMAP command failed: … NO [UNAVAILABLE] Server is busy" and the index stays; after the resume it opens', async () => {
    expect(await screen('in flight: index open before the suspension', /Msgs:3/)).toMatch(/\+INBOX \[Msgs:3/);
    const ev = collectEvents(emu);
    await suspend(emu);
    try {
      const t = await press('in flight: open message 1 (Enter)', ['Enter'], /Server is busy/);
      expect(t).toMatch(/IMAP command failed: a\d+ NO \[UNAVAILABLE\] Server is busy/);
      expect(t).toMatch(/NeoMutt: \+INBOX \[Msgs:3/); // still the index, nothing lost
      expect(ev.fired('imap4.in-flight-store').length).toBeGreaterThan(0);
    } finally {
      ev.off();
      await resume(emu);
    }
    const t = await press('in flight, after the resume: open message 1 (Enter)', ['Enter'], /From: bob@teamware\.example/);
    expect(t).toContain('From: bob@teamware.example');
  });

  /** A message to bob, as the user would type it: a draft file (-H) skips the editor. */
  function draft(subject: string): string {
    const file = join(dir.path, `draft-${subject.replace(/\W+/g, '-')}`);
    writeFileSync(file, `From: alice@teamware.example\nTo: bob@teamware.example\nSubject: ${subject}\n\nsent with neomutt\n`);
    return `-H ${file}`;
  }

  /** neomutt's compose screen for a message to bob, from a draft file (-H): To and Subject confirmed with Enter. */
  async function compose(phase: string, subject: string): Promise<void> {
    await screen(`${phase}: To`, /To: bob@teamware\.example/, draft(subject));
    await press(`${phase}: Subject`, ['Enter'], /Subject: /);
    expect(await press(`${phase}: compose`, ['Enter'], /y:Send/)).toContain(`Subject: ${subject}`);
  }

  async function bobHas(subject: string): Promise<number> {
    const r = await api(emu, 'GET', '/api/users/bob/folders/INBOX/messages');
    expect(r.status).toBe(200);
    return r.body.messages.filter((m: { subject: string }) => m.subject === subject).length;
  }

  it('send: SMTP submission with AUTH (STARTTLS when offered: its default); the message is in bob\'s INBOX', async () => {
    await compose('send', 'neomutt normal');
    expect(await press('send: y', ['y'], /Mail sent/)).toContain('Mail sent');
    expect(await bobHas('neomutt normal')).toBe(1);
  });

  it('backup mode: a message sent (SMTP) and its copy (record: IMAP APPEND to OUTBOX) land in the staging area and in the mailboxes', async () => {
    await inBackupMode(emu, async (writes) => {
      const before = await writes();
      await compose('backup mode: send', 'neomutt backup mode');
      expect(await press('backup mode: send: y', ['y'], /Mail sent/)).toContain('Mail sent');
      expect(await bobHas('neomutt backup mode')).toBe(1);
      const outbox = await api(emu, 'GET', '/api/users/alice/folders/OUTBOX/messages');
      expect(outbox.body.messages.filter((m: { subject: string }) => m.subject === 'neomutt backup mode')).toHaveLength(1);
      const staging = await api(emu, 'GET', `/api/servers/${emu.endpoints.servers[0]!.name}/staging`);
      expect(await writes()).toBeGreaterThanOrEqual(before + 2);
      rec('backup mode: staging area', 'GET /api/servers/NAME/staging', { code: 0, output: JSON.stringify(staging.body).slice(0, 2000) });
    });
  });

  it('[behaviour:smtp.login] suspended send (454 4.7.0): "SASL authentication failed", the message stays in the compose screen; y after the resume sends it', async () => {
    await suspendedSend('suspended send', 'smtp.login', () => undefined, 'neomutt suspended', 'SASL authentication failed');
  });

  /** A suspended send under one policy: what neomutt's last line says; after the resume, y in the same compose screen sends it. */
  async function suspendedSend(phase: string, behaviour: string, policy: () => void, subject: string, says: string): Promise<void> {
    const ev = collectEvents(emu);
    await suspend(emu);
    try {
      policy();
      await compose(phase, subject);
      const t = await press(`${phase}: y`, ['y'], new RegExp(says.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      expect(t).toContain(says);
      expect(t).toContain('y:Send'); // still in the compose screen: nothing lost
      expect(ev.fired(behaviour).length).toBeGreaterThan(0);
      expect(await bobHas(subject)).toBe(0);
    } finally {
      emu.site.catalog.resetPolicies();
      await resume(emu);
      ev.off();
    }
    expect(await press(`${phase}, after the resume: y again`, ['y'], /Mail sent/)).toContain('Mail sent');
    expect(await bobHas(subject)).toBe(1);
  }

  it('[behaviour:smtp.submit] in flight (AUTH done, then suspended before MAIL FROM): "SMTP session failed: 451 4.3.2 …" (the server\'s words), the message stays in the compose screen; y after the resume sends it', async () => {
    const ev = collectEvents(emu);
    await compose('send in flight', 'neomutt in flight');
    const watch = suspendAfterLogin(emu, 'smtp', 'alice');
    try {
      const t = await press('send in flight: y', ['y'], /SMTP session failed|Mail sent/);
      await watch.landed;
      expect(ev.fired('smtp.submit').length).toBeGreaterThan(0);
      // the last line, cut at the 120-column terminal's edge
      expect(t).toContain('SMTP session failed: 451 4.3.2 System not accepting messages: the server is suspended for an online backup, try again');
      expect(t).toContain('y:Send'); // still in the compose screen: nothing lost
      expect(await bobHas('neomutt in flight')).toBe(0);
    } finally {
      watch.off();
      ev.off();
      await resume(emu);
    }
    expect(await press('send in flight, after the resume: y again', ['y'], /Mail sent/)).toContain('Mail sent');
    expect(await bobHas('neomutt in flight')).toBe(1);
  });

  it('[behaviour:smtp.login] variant closing (421 4.3.2 and the connection closed): also only "SASL authentication failed"; y after the resume sends it', async () => {
    await suspendedSend('suspended send, smtp.login variant closing', 'smtp.login', () => emu.setPolicy('smtp.login', { mode: 'always', variant: 1 }),
      'neomutt closing', 'SASL authentication failed');
  });

  it('[behaviour:smtp.greeting] policy always: "SMTP session failed: 421 4.3.2 ..." (the server\'s words); y after the resume sends it', async () => {
    await suspendedSend('suspended send, smtp.greeting always', 'smtp.greeting', () => emu.setPolicy('smtp.greeting', 'always'),
      'neomutt greeting', 'SMTP session failed: 421 4.3.2 Service not available: the server is suspended for an online backup, closing connection');
  });
});
