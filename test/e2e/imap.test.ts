// IMAP of the built package (`node dist/emulator/twemu.js serve`): a multipart message with an
// attachment and a forwarded message (message/rfc822 holding a multipart/alternative) must reach
// clients as that structure. dist/ once held a mis-compiled MIME splitter and every multipart
// message came out as a single text part; this test fails if that happens again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { Wire } from '../protocols/imap/wire.js';
import { serveBuilt, type Served } from './served.js';

const CRLF = '\r\n';
const TEXT = '本文です。See the attachment and the forwarded message.';
const INNER_PLAIN = 'inner plain text';
const INNER_HTML = '<p>inner html</p>';
const PDF_B64 = 'JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK';
const INNER = [
  'From: dave@teamware.example', 'To: carol@teamware.example', 'Subject: forwarded', 'Message-ID: <e2e-inner@teamware.example>',
  'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="inner-b"', '',
  '--inner-b', 'Content-Type: text/plain; charset=US-ASCII', '', INNER_PLAIN,
  '--inner-b', 'Content-Type: text/html; charset=US-ASCII', '', INNER_HTML,
  '--inner-b--',
].join(CRLF);
const RAW = [
  'From: carol@teamware.example', 'To: alice@teamware.example', 'Subject: e2e multipart', 'Message-ID: <e2e-outer@teamware.example>',
  'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="outer-b"', '',
  'This is a multi-part message in MIME format.',
  '--outer-b', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', '', TEXT,
  '--outer-b', 'Content-Type: message/rfc822', '', INNER,
  '--outer-b', 'Content-Type: application/pdf; name="report.pdf"', 'Content-Disposition: attachment; filename="report.pdf"',
  'Content-Transfer-Encoding: base64', '', PDF_B64,
  '--outer-b--', '',
].join(CRLF);

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const lines = (s: string) => s.split(CRLF).length;

let served: Served;
let port: number;
let uid: number;

beforeAll(async () => {
  served = await serveBuilt();
  port = served.endpoints.servers[0]!.imap!;
  const put = await served.api('POST', '/api/mail', { to: 'alice', raw: RAW });
  expect(put.status, JSON.stringify(put.body)).toBe(201);
  uid = put.body.uid;
  expect(uid).toBeGreaterThan(0);
});
afterAll(async () => served?.stop());

describe('IMAP of the built package: a multipart message is its MIME tree', () => {
  it('BODYSTRUCTURE, BODY[1], BODY[2], BODY[2.1], BODY[2.2], BODY[3] on the wire', async () => {
    const w = await Wire.open(port);
    try {
      await w.until('\r\n');
      expect((await w.cmd('a1', 'LOGIN alice teamware')).at(-1)).toMatch(/^a1 OK/);
      expect((await w.cmd('a2', 'SELECT INBOX')).at(-1)).toMatch(/^a2 OK/);
      const bs = (await w.cmd('a3', `UID FETCH ${uid} (BODYSTRUCTURE)`)).join(CRLF);
      expect(bs).toMatch(/^a3 OK/m);
      const text = `("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "8BIT" ${bytes(TEXT)} ${lines(TEXT)} NIL NIL NIL NIL)`;
      const innerPlain = `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" ${bytes(INNER_PLAIN)} 1 NIL NIL NIL NIL)`;
      const innerHtml = `("TEXT" "HTML" ("CHARSET" "US-ASCII") NIL NIL "7BIT" ${bytes(INNER_HTML)} 1 NIL NIL NIL NIL)`;
      // Part 2: type, params, id, description, encoding, size, envelope, body (the inner multipart), lines.
      expect(bs).toContain(`("MESSAGE" "RFC822" NIL NIL NIL "7BIT" ${bytes(INNER)} (`);
      expect(bs).toContain(`(${innerPlain}${innerHtml} "ALTERNATIVE" ("BOUNDARY" "inner-b") NIL NIL NIL) ${lines(INNER)} NIL NIL NIL NIL)`);
      expect(bs).toContain(`"forwarded"`);
      const pdf = `("APPLICATION" "PDF" ("NAME" "report.pdf") NIL NIL "BASE64" ${bytes(PDF_B64)} NIL ("ATTACHMENT" ("FILENAME" "report.pdf")) NIL NIL)`;
      expect(bs).toContain(`BODYSTRUCTURE (${text}("MESSAGE" "RFC822"`);
      expect(bs).toContain(`${pdf} "MIXED" ("BOUNDARY" "outer-b") NIL NIL NIL)`);

      // Each section is exactly its bytes of the message (RFC 3501 6.4.5): no more, no less.
      for (const [section, want] of [['1', TEXT], ['2', INNER], ['2.1', INNER_PLAIN], ['2.2', INNER_HTML], ['3', PDF_B64]] as const) {
        const mark = w.mark();
        w.send(`b${section} UID FETCH ${uid} (BODY.PEEK[${section}])${CRLF}`);
        const head = await w.until(new RegExp(`BODY\\[${section.replace('.', '\\.')}\\] \\{(\\d+)\\}\\r\\n`), 5000, mark);
        const n = Number(/\{(\d+)\}\r\n$/.exec(head)![1]);
        expect(n, `BODY[${section}] size`).toBe(bytes(want));
        await w.lines(`b${section}`, mark);
        const at = Buffer.from(w.text, 'latin1').indexOf(Buffer.from(head.slice(-20), 'latin1'), mark) + Buffer.from(head.slice(-20), 'latin1').length;
        const got = Buffer.from(w.text, 'latin1').subarray(at, at + n).toString('utf8');
        expect(got, `BODY[${section}]`).toBe(want);
      }
      expect((await w.cmd('a9', 'LOGOUT')).at(-1)).toMatch(/^a9 OK/);
    } finally {
      w.socket.destroy();
    }
  });

  it('a real client (imapflow) sees the text, the forwarded message and the attachment', async () => {
    // imapflow upgrades with STARTTLS when offered: it trusts the site's CA, as a user configures a client.
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, tls: { ca: readFileSync(served.endpoints.ca!) }, auth: { user: 'alice', pass: 'teamware' }, logger: false, connectionTimeout: 5000 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.mailboxOpen('INBOX');
      const m = (await c.fetchOne(String(uid), { bodyStructure: true, bodyParts: ['1', '2.1', '3'] }, { uid: true }))!;
      const s = m.bodyStructure!;
      expect(s.type).toBe('multipart/mixed');
      expect(s.childNodes!.map((p) => [p.part, p.type])).toEqual([['1', 'text/plain'], ['2', 'message/rfc822'], ['3', 'application/pdf']]);
      const fwd = s.childNodes![1]!;
      expect(fwd.envelope?.subject).toBe('forwarded');
      expect(fwd.childNodes![0]!.type).toBe('multipart/alternative');
      expect(fwd.childNodes![0]!.childNodes!.map((p) => [p.part, p.type])).toEqual([['2.1', 'text/plain'], ['2.2', 'text/html']]);
      expect(s.childNodes![2]).toMatchObject({ disposition: 'attachment', dispositionParameters: { filename: 'report.pdf' }, encoding: 'base64' });
      expect(m.bodyParts!.get('1')!.toString('utf8')).toBe(TEXT);
      expect(m.bodyParts!.get('2.1')!.toString('utf8')).toBe(INNER_PLAIN);
      expect(m.bodyParts!.get('3')!.toString('latin1')).toBe(PDF_B64);
    } finally {
      await c.logout().catch(() => c.close());
    }
  });
});

describe('IMAP of the built package: what Dovecot\'s imaptest found (issue 13)', () => {
  it('BODY[TEXT] keeps the epilogue, BODY[1] of a message/rfc822 message, the hierarchy, strict names, * FLAGS for a new keyword', async () => {
    const inner = `From: sub@x.example${CRLF}Subject: submsg${CRLF}${CRLF}Hello${CRLF}`;
    const mixed = `From: a@x.example${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed; boundary="b"${CRLF}${CRLF}` +
      `prologue${CRLF}--b${CRLF}Content-Type: text/plain${CRLF}${CRLF}one${CRLF}--b--${CRLF}epilogue${CRLF}`;
    const wrapped = `From: a@x.example${CRLF}MIME-Version: 1.0${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}${inner}`;
    expect((await served.api('POST', '/api/users', { name: 'e2e1', password: 'teamware' })).status).toBe(201);
    expect((await served.api('POST', '/api/mail', { to: 'e2e1', raw: mixed })).status).toBe(201);
    expect((await served.api('POST', '/api/mail', { to: 'e2e1', raw: wrapped })).status).toBe(201);
    const w = await Wire.open(port);
    try {
      await w.until('\r\n');
      expect((await w.cmd('a1', 'LOGIN e2e1 teamware')).at(-1)).toMatch(/^a1 OK/);
      const flags = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';
      expect(await w.cmd('a2', 'SELECT INBOX')).toContain(`* FLAGS (${flags})`);
      const text = mixed.slice(mixed.indexOf(CRLF + CRLF) + 4);
      expect((await w.cmd('a3', 'FETCH 1 BODY.PEEK[TEXT]')).join(CRLF)).toBe(`* 1 FETCH (BODY[TEXT] {${bytes(text)}}${CRLF}${text})${CRLF}a3 OK FETCH completed`);
      expect((await w.cmd('a4', 'FETCH 2 BODY.PEEK[1]')).join(CRLF)).toBe(`* 2 FETCH (BODY[1] {${bytes(inner)}}${CRLF}${inner})${CRLF}a4 OK FETCH completed`);
      expect(await w.cmd('a5', 'STORE 1 +FLAGS.SILENT ($Later)')).toEqual([
        `* FLAGS (${flags} $Later)`, `* OK [PERMANENTFLAGS (${flags} $Later \\*)] Flags permitted`, 'a5 OK STORE completed']);
      expect(await w.cmd('a6', 'CREATE &iao-/&W1A-')).toEqual(['a6 OK CREATE completed']);
      expect(await w.cmd('a7', 'DELETE &iao-')).toEqual(['a7 OK DELETE completed']);
      expect(await w.cmd('a8', 'LIST "" &iao-%')).toEqual(['* LIST (\\Noselect \\HasChildren) "/" &iao-', 'a8 OK LIST completed']);
      expect(await w.cmd('a9', 'CREATE "&2AA-"')).toEqual(['a9 NO [CANNOT] Mailbox name is not valid modified UTF-7']);
      expect(await w.cmd('b1', 'SELECT &MNcw7TC4MKcwrzDI-')).toEqual(['b1 NO [NONEXISTENT] Mailbox does not exist: &MNcw7TC4MKcwrzDI-']);
    } finally {
      w.socket.destroy();
    }
  });
});
