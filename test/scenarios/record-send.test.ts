// The library's recorded sessions of clients that send mail (SMTP), and of a
// client that reads and sends (IMAP and SMTP in one file): each client is run
// through `twemu record` (the built CLI, holding the site's certificate) with
// its defaults plus host, port, user, password and the CA (docs/clients.md);
// the file has the password masked (AUTH PLAIN computed from ${password}),
// nothing left out, the bundled file's steps, and it replays green against a
// fresh site.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, record, runCli, startTestSite, tempDir } from '../helpers.js';
import { needs, run, terminal } from '../clients/harness.js';
import type { Emulator } from '../../emulator/index.js';

const sites: Emulator[] = [];
const dirs: Array<{ remove(): void }> = [];
const recorders: Array<Awaited<ReturnType<typeof record>>> = [];
afterEach(async () => {
  // A recorder still waiting for its sessions (a client failed first) is stopped as Ctrl-C does.
  for (const r of recorders.splice(0)) r.stop();
  await Promise.all(sites.splice(0).map((e) => e.stop()));
  for (const d of dirs.splice(0)) d.remove();
});

/** `twemu record ARGS`, stopped after the test if it is still running. */
async function recording(args: string[]): ReturnType<typeof record> {
  const r = await record(args);
  recorders.push(r);
  return r;
}

/** A fresh demo site (each recording starts from the INBOXes the replay's fresh site has) and a folder. */
async function fresh(): Promise<{ emu: Emulator; dir: string }> {
  const emu = await startTestSite();
  sites.push(emu);
  const d = tempDir('twemu-record-send-');
  dirs.push(d);
  return { emu, dir: d.path };
}

type Steps = Array<Record<string, unknown>>;

/**
 * The steps with what the client itself varies from machine to machine left out: the name it gives in EHLO, a
 * SIZE it declares, and the message it sends or stores (its Date, Message-ID, the user's real name): DATA's step is
 * kept as `DATA`, an APPEND as its command without the literal, and their expectations.
 */
function shape(steps: Steps): Steps {
  return steps.map((st) => {
    const send = st.send;
    if (typeof send !== 'string') return st;
    const s = send.replace(/^(EHLO|HELO) .*/i, '$1 *').replace(/ SIZE=\d+/i, ' SIZE=n').replace(/^(DATA)\r\n[\s\S]*/i, '$1 (message)')
      .replace(/ \{\d+(\+?)\}\r\n[\s\S]*/, ' {n$1} (message)').replace(/"\d{1,2}-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"/, '"(date)"');
    return { ...st, send: s };
  });
}
const stepsOf = (file: string): Steps => (parse(readFileSync(file, 'utf8')) as { steps: Steps }).steps;

/** The recording is complete, masks the password, is the bundled file's session step for step, and replays green. */
async function checkRecording(out: string, done: Awaited<ReturnType<typeof record>>['done'], bundled: string, sessions: number): Promise<string> {
  const r = await done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`step(s) from ${sessions} session(s) written to `);
  const text = readFileSync(out, 'utf8');
  expect(text).not.toContain('INCOMPLETE');
  expect(text).not.toMatch(/teamware(?!\.example)/); // the password (the mail domain is teamware.example)
  expect(shape(stepsOf(out)), `the client's session differs from scenarios/library/${bundled}.yaml: record it again (how is in the file's header)`)
    .toEqual(shape(stepsOf(join(ROOT, 'scenarios', 'library', `${bundled}.yaml`))));
  const replay = await runCli(['scenario', 'run', out, '--password', 'teamware']);
  expect(replay.stdout.trim().split('\n').at(-1), replay.stdout).toBe('1 passed, 0 failed');
  return text;
}

/** bob's INBOX has the message once: the recorded client really sent it. */
async function bobHas(emu: Emulator, subject: string): Promise<void> {
  const r = await fetch(`${emu.endpoints.control}/api/users/bob/folders/INBOX/messages`, { headers: { authorization: `Bearer ${emu.token}` } });
  const body = (await r.json()) as { messages: Array<{ subject: string }> };
  expect(body.messages.filter((m) => m.subject === subject)).toHaveLength(1);
}

describe('the bundled recordings of clients that send, recorded again', { timeout: 30_000 }, () => {
  it('Python\'s smtplib (STARTTLS with the site CA, login: AUTH PLAIN, sendmail) through the proxy: EHLO, STARTTLS, AUTH PLAIN ${base64:...}, MAIL, RCPT, DATA with the message, QUIT; clients.python-smtplib', async (t) => {
    needs(t, 'python3');
    const { emu, dir } = await fresh();
    const out = join(dir, 'python-smtplib.yaml');
    const rec = await recording(['--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.smtp}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const py = await run('python3', [join(ROOT, 'test', 'clients', 'py_client.py'), emu.endpoints.ca!, 'smtp', '127.0.0.1', String(rec.port), 'alice', 'teamware']);
    expect(py.code, py.output).toBe(0);
    expect(py.output).toContain("(235, b'Authentication successful')");
    const text = await checkRecording(out, rec.done, 'clients.python-smtplib', 1);
    expect(text).toMatch(/send: STARTTLS\n\s+expect:\n\s+lines:\n\s+- 220 Ready to start TLS\n/);
    expect(text).toContain('send: AUTH PLAIN ${base64:\\0alice\\0${password}}');
    expect(text).toMatch(/send: "data\\r\\nFrom: alice@teamware\.example\\r\\n[^"]*\\r\\n\."\n\s+expect:\n\s+lines:\n\s+- 354 .*\n\s+- 250 Message accepted, delivered to 1 recipient\n/);
    await bobHas(emu, 'from python');
  });

  it('msmtp (auth on, tls on, tls_trust_file the site CA: docs/clients.md) sending a message through the proxy; clients.msmtp', async (t) => {
    needs(t, 'msmtp');
    const { emu, dir } = await fresh();
    const out = join(dir, 'msmtp.yaml');
    const rec = await recording(['--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.smtp}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const rc = join(dir, 'msmtprc');
    writeFileSync(rc, ['account default', 'host 127.0.0.1', `port ${rec.port}`, 'from alice@teamware.example', 'auth on', 'user alice', 'password teamware', 'tls on', `tls_trust_file ${emu.endpoints.ca}`, ''].join('\n'), { mode: 0o600 });
    const m = await run('msmtp', ['-C', rc, 'bob@teamware.example'], { input: 'From: alice@teamware.example\nTo: bob@teamware.example\nSubject: from msmtp\n\nsent with msmtp\n' });
    expect(m.code, m.output).toBe(0);
    const text = await checkRecording(out, rec.done, 'clients.msmtp', 1);
    expect(text).toContain('send: AUTH PLAIN ${base64:\\0alice\\0${password}}');
    await bobHas(emu, 'from msmtp');
  });

  it('curl (--ssl-reqd, --cacert the site CA, -u alice:teamware) fetching a message over IMAP and sending one over SMTP, both through one recording (two --upstream): AUTHENTICATE PLAIN with SASL-IR, AUTH PLAIN after the server\'s 334; clients.curl', async (t) => {
    needs(t, 'curl');
    const { emu, dir } = await fresh();
    const s = emu.endpoints.servers[0]!;
    const out = join(dir, 'curl.yaml');
    const rec = await recording(['--upstream', `127.0.0.1:${s.imap}`, '--upstream', `127.0.0.1:${s.smtp}`, '--data', emu.dataDir, '--out', out, '--sessions', '2']);
    expect(rec.ports).toHaveLength(2);
    const tls = ['-sS', '--ssl-reqd', '--cacert', emu.endpoints.ca!, '-u', 'alice:teamware'];
    const fetched = await run('curl', [...tls, `imap://127.0.0.1:${rec.ports[0]}/INBOX;UID=1`]);
    expect(fetched.code, fetched.output).toBe(0);
    expect(fetched.output).toMatch(/^Subject: /m);
    const mail = join(dir, 'mail.txt');
    writeFileSync(mail, 'From: alice@teamware.example\r\nTo: bob@teamware.example\r\nSubject: from curl\r\n\r\nsent with curl\r\n');
    const sent = await run('curl', [...tls, '--mail-from', 'alice@teamware.example', '--mail-rcpt', 'bob@teamware.example', '-T', mail, `smtp://127.0.0.1:${rec.ports[1]}`]);
    expect(sent.code, sent.output).toBe(0);
    const text = await checkRecording(out, rec.done, 'clients.curl', 2);
    expect(text).toMatch(/send: A\d+ AUTHENTICATE PLAIN \$\{base64:\\0alice\\0\$\{password\}\}\n/);
    expect(text).toMatch(/send: AUTH PLAIN\n\s+expect:\n\s+lines:\n\s+- "334 "\n\s+- smtp: smtp1\n\s+send: \$\{base64:\\0alice\\0\$\{password\}\}\n/);
    await bobHas(emu, 'from curl');
  });

  it('SASL LOGIN (curl --login-options AUTH=LOGIN): the user and password answers to the server\'s 334 prompts are ${base64:alice} and ${base64:${password}}, each its own step; replays green', async (t) => {
    needs(t, 'curl');
    const { emu, dir } = await fresh();
    const out = join(dir, 'auth-login.yaml');
    const rec = await recording(['--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.smtp}`, '--data', emu.dataDir, '--out', out, '--sessions', '1']);
    const mail = join(dir, 'mail.txt');
    writeFileSync(mail, 'From: alice@teamware.example\r\nTo: bob@teamware.example\r\nSubject: AUTH LOGIN\r\n\r\nsent with curl\r\n');
    const sent = await run('curl', ['-sS', '--ssl-reqd', '--cacert', emu.endpoints.ca!, '-u', 'alice:teamware', '--login-options', 'AUTH=LOGIN',
      '--mail-from', 'alice@teamware.example', '--mail-rcpt', 'bob@teamware.example', '-T', mail, `smtp://127.0.0.1:${rec.port}`]);
    expect(sent.code, sent.output).toBe(0);
    expect((await rec.done).code).toBe(0);
    const steps = stepsOf(out);
    const i = steps.findIndex((st) => /^AUTH LOGIN\b/.test(String(st.send ?? '')));
    // curl sends the user with the command (an initial response) or after the first prompt.
    const sends = steps.slice(i, i + 3).map((st) => st.send);
    expect(sends[0] === 'AUTH LOGIN ${base64:alice}' ? sends.slice(0, 2) : sends).toEqual(sends[0] === 'AUTH LOGIN ${base64:alice}'
      ? ['AUTH LOGIN ${base64:alice}', '${base64:${password}}'] : ['AUTH LOGIN', '${base64:alice}', '${base64:${password}}']);
    expect(readFileSync(out, 'utf8')).not.toMatch(/teamware(?!\.example)/);
    const replay = await runCli(['scenario', 'run', out, '--password', 'teamware']);
    expect(replay.stdout.trim().split('\n').at(-1), replay.stdout).toBe('1 passed, 0 failed');
    const wrong = await runCli(['scenario', 'run', out, '--password', 'wrong']);
    expect(wrong.stdout).toMatch(/FAIL \d+ smtp smtp1: send \$\{base64:\$\{password\}\}/);
    await bobHas(emu, 'AUTH LOGIN');
  });

  it('s-nail (docs/clients.md: v15-compat, tls-ca-file the site CA; reading over IMAPS, sending with smtp-use-starttls) in batch mode: the index and message 2 read from alice\'s INBOX, then a message to bob; the IMAPS client\'s TLS answered by the proxy without --listen-tls (it holds the site\'s certificate), both in one recording; clients.s-nail', async (t) => {
    needs(t, 's-nail');
    const { emu, dir } = await fresh();
    const s = emu.endpoints.servers[0]!;
    const out = join(dir, 's-nail.yaml');
    const rec = await recording(['--upstream', `127.0.0.1:${s.imaps}`, '--upstream', `127.0.0.1:${s.smtp}`, '--data', emu.dataDir, '--out', out, '--sessions', '2']);
    const env = { HOME: dir, MAILRC: '/dev/null', DEAD: join(dir, 'dead.letter') };
    const common = (port: number) => ['-#', '-S', 'v15-compat', '-S', `tls-ca-file=${emu.endpoints.ca}`, '-S', `password-alice@127.0.0.1:${port}=teamware`];
    const read = await run('s-nail', [...common(rec.ports[0]!), '-f', `imaps://alice@127.0.0.1:${rec.ports[0]}/INBOX`], { env, input: 'headers\nprint 2\nquit\n' });
    expect(read.code, read.output).toBe(0);
    expect(read.output).toContain('Subject: Quarterly figures');
    const sent = await run('s-nail', [...common(rec.ports[1]!), '-S', `mta=smtp://alice@127.0.0.1:${rec.ports[1]}`, '-S', 'smtp-use-starttls', '-S', 'from=alice@teamware.example',
      '-s', 'from s-nail', 'bob@teamware.example'], { env, input: 'sent with s-nail\n' });
    expect(sent.code, sent.output).toBe(0);
    const text = await checkRecording(out, rec.done, 'clients.s-nail', 2);
    expect(text).toMatch(/- imap: imap1\n\s+open: true\n\s+tls: true\n[\s\S]*send: T2 LOGIN "alice" "\$\{password\}"\n/);
    expect(text).toMatch(/send: AUTH PLAIN\n[\s\S]*send: \$\{base64:\\0alice\\0\$\{password\}\}\n/);
    await bobHas(emu, 'from s-nail');
  });

  it('neomutt in tmux (its defaults: STARTTLS for IMAP and SMTP, the site CA) opening alice\'s INBOX, reading a message and sending one (record=+OUTBOX: its copy APPENDed): IMAP and SMTP in one recording; clients.neomutt', { timeout: 45_000 }, async (t) => {
    needs(t, 'neomutt', 'tmux');
    const { emu, dir } = await fresh();
    const s = emu.endpoints.servers[0]!;
    const out = join(dir, 'neomutt.yaml');
    const rec = await recording(['--upstream', `127.0.0.1:${s.imap}`, '--upstream', `127.0.0.1:${s.smtp}`, '--data', emu.dataDir, '--out', out, '--sessions', '2']);
    const home = join(dir, 'home');
    mkdirSync(home);
    const muttrc = join(home, 'muttrc');
    writeFileSync(muttrc, [
      `set folder="imap://alice@127.0.0.1:${rec.ports[0]}/"`, 'set spoolfile="+INBOX"', 'set imap_pass="teamware"', `set ssl_ca_certificates_file="${emu.endpoints.ca}"`,
      `set smtp_url="smtp://alice@127.0.0.1:${rec.ports[1]}/"`, 'set smtp_pass="teamware"', 'set from="alice@teamware.example"',
      // docs/clients.md: a copy of each sent message kept on the server (IMAP APPEND to OUTBOX).
      'set record="+OUTBOX"', '',
    ].join('\n'), { mode: 0o600 });
    // The user typing the body: an editor that adds a line.
    const editor = join(home, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\necho "sent with neomutt" >> "$1"\n', { mode: 0o755 });
    const term = terminal('record-neomutt');
    const screen = async (until: RegExp): Promise<string> => {
      let text = '';
      for (let i = 0; i < 60; i++) {
        text = await term.screen();
        if (until.test(text)) return text;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`neomutt's screen never showed ${until}:\n${text}`);
    };
    const press = async (keys: string[], until: RegExp) => {
      expect((await term.keys(...keys)).code).toBe(0);
      return screen(until);
    };
    try {
      const start = await term.start(`HOME=${home} EDITOR=${editor} neomutt -n -F ${muttrc}`);
      expect(start.code, start.output).toBe(0);
      await screen(/\+INBOX \[Msgs:3/);
      await press(['Enter'], /-N \+- \d\/3: /); // the pager: the message under the cursor
      await press(['q'], /\+INBOX \[Msgs:3/);
      await press(['m'], /^To:/m);
      await press(['bob@teamware.example', 'Enter'], /^Subject:/m);
      await press(['from neomutt', 'Enter'], /y:Send/);
      await press(['y'], /Mail sent/);
      await term.keys('q');
      const text = await checkRecording(out, rec.done, 'clients.neomutt', 2);
      expect(text).toMatch(/send: a\d+ STARTTLS\n[\s\S]*send: a\d+ AUTHENTICATE PLAIN \$\{base64:alice\\0alice\\0\$\{password\}\}\n[\s\S]*send: a\d+ UID FETCH \d BODY\.PEEK\[\]\n/);
      expect(text).toMatch(/- smtp: smtp1\n\s+send: STARTTLS\n[\s\S]*send: AUTH PLAIN \$\{base64:alice\\0alice\\0\$\{password\}\}\n/);
      expect(text).toMatch(/send: "a\d+ APPEND \\"OUTBOX\\" \(\\\\Seen\) \\"[^"]+\\" \{\d+\}\\r\\nDate: /);
      await bobHas(emu, 'from neomutt');
    } finally {
      await term.close();
    }
  });
});
