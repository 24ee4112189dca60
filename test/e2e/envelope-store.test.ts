// The store keeps each message's ENVELOPE (the octets a FETCH sends) beside the message, computed
// when it is written; messages of an older data folder get theirs on first need. Through the built
// package (`node dist/emulator/twemu.js serve`) and a raw socket: the ENVELOPE of every message is the
// same octets before and after a restart, after the stored envelopes are gone (an older data
// folder), in backup mode and after a restart in it, and the same as a FETCH that parses the
// message's MIME structure. Encoded words, 8-bit headers (a literal), groups, source routes,
// comments and missing headers included. Also: a FETCH that outruns a slow reader waits for the
// socket to drain many times without leaving a listener behind each time (Node's
// MaxListenersExceededWarning on the server's output, and a leak, before).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { controlApi, startServeProcess, stopProcess, tempDir } from '../helpers.js';
import { loggedIn } from '../protocols/imap/wire.js';
import type { ServedEndpoints } from './served.js';

const CRLF = '\r\n';
const MESSAGES: Array<{ name: string; raw: string; envelope?: string }> = [
  {
    name: 'encoded words',
    raw: [
      'From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@teamware.example>',
      'To: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= <hanako@teamware.example>, bob@teamware.example (Bob Comment)',
      'Subject: =?UTF-8?Q?caf=C3=A9?= and', ' =?UTF-8?B?44OG44K544OI?=',
      'Date: Mon, 23 Nov 2026 10:00:00 +0900', 'Message-ID: <m1@teamware.example>', 'In-Reply-To: <m0@teamware.example>', '', 'body', '',
    ].join(CRLF),
    envelope: '("Mon, 23 Nov 2026 10:00:00 +0900" "=?UTF-8?Q?caf=C3=A9?= and =?UTF-8?B?44OG44K544OI?="'
      + ' (("=?UTF-8?B?5bGx55Sw5aSq6YOO?=" NIL "taro" "teamware.example")) (("=?UTF-8?B?5bGx55Sw5aSq6YOO?=" NIL "taro" "teamware.example"))'
      + ' (("=?UTF-8?B?5bGx55Sw5aSq6YOO?=" NIL "taro" "teamware.example"))'
      + ' (("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=" NIL "hanako" "teamware.example")("Bob Comment" NIL "bob" "teamware.example"))'
      + ' NIL NIL "<m0@teamware.example>" "<m1@teamware.example>")',
  },
  {
    name: 'groups, a source route, a bare word, Sender and Reply-To',
    raw: [
      'From: "Quoted \\"Name\\"" <q@teamware.example>', 'Sender: sender@teamware.example',
      'Reply-To: team: a@teamware.example, "B" <b@teamware.example>;', 'To: undisclosed-recipients:;',
      'Cc: <@route.example:routed@teamware.example>', 'Bcc: bare', 'Subject: groups', '', 'body', '',
    ].join(CRLF),
    envelope: '(NIL "groups" (("Quoted \\"Name\\"" NIL "q" "teamware.example")) ((NIL NIL "sender" "teamware.example"))'
      + ' ((NIL NIL "team" NIL)(NIL NIL "a" "teamware.example")("B" NIL "b" "teamware.example")(NIL NIL NIL NIL))'
      + ' ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ((NIL "@route.example" "routed" "teamware.example")) ((NIL NIL "bare" NIL)) NIL NIL)',
  },
  { name: 'no header ENVELOPE reads', raw: `X-Note: nothing else${CRLF}${CRLF}body${CRLF}`, envelope: '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)' },
  {
    name: '8-bit UTF-8 in the header (a literal)',
    raw: ['From: 山田 <yamada@teamware.example>', 'Subject: 会議の件', 'To: alice@teamware.example', '', '本文', ''].join(CRLF),
  },
  {
    name: 'multipart, LF line ends',
    raw: ['From: lf@teamware.example', 'Subject: lf only', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'x', '--b--', ''].join('\n'),
  },
];

const dir = tempDir('twemu-envstore-');
let proc: Awaited<ReturnType<typeof startServeProcess>> | null = null;
let endpoints: ServedEndpoints;
let token: string;

async function start(): Promise<void> {
  proc = await startServeProcess(['--port-base', '0', '--data', dir.path], { timeoutMs: 30_000 });
  const ready = /^twemu ready (.+)$/m.exec(proc.output());
  endpoints = JSON.parse(readFileSync(ready![1]!.trim(), 'utf8')) as ServedEndpoints;
  token = readFileSync(join(dir.path, 'admin-token'), 'utf8').trim();
}
async function stop(): Promise<void> {
  if (proc) await stopProcess(proc.child, 'SIGTERM');
  proc = null;
}
const api = (method: string, path: string, body?: unknown) => controlApi(endpoints.control, token, method, path, body);
const port = () => endpoints.servers[0]!.imap!;
const dbFile = () => join(dir.path, endpoints.servers[0]!.name, 'twoffice.db');

/** Each message's ENVELOPE in `folder` as the octets on the wire, by UID (literals included). */
async function envelopes(folder: string, items = 'ENVELOPE'): Promise<Map<number, string>> {
  const w = await loggedIn(port());
  try {
    expect((await w.cmd('e1', `EXAMINE ${folder}`)).at(-1)).toMatch(/^e1 OK/);
    const from = w.mark();
    w.send(`e2 UID FETCH 1:* (${items})\r\n`);
    const text = await w.until(/\r\ne2 OK[^\r]*\r\n/, 10_000, from);
    const out = new Map<number, string>();
    // `* n FETCH (UID u ENVELOPE (...) [BODYSTRUCTURE ...])`: the ENVELOPE runs to the matching parenthesis, literals skipped.
    for (const m of text.matchAll(/\* \d+ FETCH \(UID (\d+) ENVELOPE /g)) {
      let i = m.index! + m[0].length;
      const start = i;
      let depth = 0;
      let quoted = false;
      for (; i < text.length; i++) {
        const c = text[i]!;
        if (quoted) {
          if (c === '\\') i++;
          else if (c === '"') quoted = false;
        } else if (c === '"') quoted = true;
        else if (c === '{') {
          const lit = /^\{(\d+)\}\r\n/.exec(text.slice(i))!;
          i += lit[0].length + Number(lit[1]) - 1;
        } else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      out.set(Number(m[1]), text.slice(start, i + 1));
    }
    return out;
  } finally {
    w.close();
  }
}

async function inbox(): Promise<Map<number, string>> {
  return envelopes('INBOX');
}

let before: Map<number, string>;
const uids: number[] = [];

beforeAll(async () => {
  await start();
  const w = await loggedIn(port());
  try {
    for (const [i, m] of MESSAGES.entries()) {
      const bytes = Buffer.from(m.raw, 'utf8');
      const r = await w.cmd(`a${i}`, `APPEND INBOX {${bytes.length}+}\r\n${m.raw}`);
      const uid = /APPENDUID \d+ (\d+)/.exec(r.at(-1)!);
      expect(uid, r.join('\n')).not.toBeNull();
      uids.push(Number(uid![1]));
    }
    expect((await w.cmd('c0', 'CREATE Copies')).at(-1)).toMatch(/^c0 OK/);
    expect((await w.cmd('c1', 'SELECT INBOX')).at(-1)).toMatch(/^c1 OK/);
    expect((await w.cmd('c2', `UID COPY ${uids.join(',')} Copies`)).at(-1)).toMatch(/^c2 OK/);
  } finally {
    w.close();
  }
  // The delivery path (stamped with Date and Message-ID by the site's MTA rule).
  expect((await api('POST', '/api/mail', { to: 'alice', raw: MESSAGES[0]!.raw })).status).toBe(201);
  before = await inbox();
}, 60_000);
afterAll(async () => {
  await stop();
  dir.remove();
});

describe('ENVELOPE kept by the store: the same octets in every process', () => {
  it('is RFC 3501\'s ENVELOPE of each message, byte for byte', () => {
    for (const [i, m] of MESSAGES.entries()) {
      const got = before.get(uids[i]!);
      expect(got, m.name).toBeDefined();
      if (m.envelope) expect(got, m.name).toBe(m.envelope);
    }
    // 8-bit text goes out as a literal with its UTF-8 bytes.
    expect(before.get(uids[3]!)).toContain(`{${Buffer.byteLength('会議の件')}}\r\n${Buffer.from('会議の件').toString('latin1')}`);
    expect(before.get(uids[4]!)).toContain('"lf only"');
    expect(before.size).toBeGreaterThan(MESSAGES.length); // demo mail and the delivered one too
  });

  it('is the same when the FETCH also parses the MIME structure, and in a copy', async () => {
    expect(await envelopes('INBOX', 'ENVELOPE BODYSTRUCTURE')).toEqual(before);
    const copies = await envelopes('Copies');
    expect([...copies.values()]).toEqual(uids.map((u) => before.get(u)));
  });

  it('is the same after a restart', async () => {
    await stop();
    await start();
    expect(await inbox()).toEqual(before);
    await stop();
    const db = new Database(dbFile(), { readonly: true });
    try {
      // Every message got its envelope when it was written, whatever the path (demo data, APPEND, COPY, delivery).
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(count('envelopes')).toBe(count('messages'));
    } finally {
      db.close();
    }
  }, 60_000);

  it('a data folder from before the store kept envelopes: computed on first need, in backup mode too, never a staged change', async () => {
    const old = new Database(dbFile());
    old.exec('DROP TABLE envelopes');
    old.close();
    await start();
    for (const c of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) {
      const r = await api('POST', '/api/commands', { command: c });
      expect(r.status, `${c}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    const server = endpoints.servers[0]!.name;
    const staging = async () => (await api('GET', `/api/servers/${server}/staging`)).body as { writes: number; changes: Array<{ operation: string }> };
    expect(await inbox()).toEqual(before);
    expect(await envelopes('Copies')).toEqual(new Map(uids.map((u, i) => [i + 1, before.get(u)!])));
    // What the FETCHes computed and kept is derived data, not a change the staging area lists.
    expect((await staging()).writes).toBe(0);

    // Expunged messages go with their envelopes; a new one has its own.
    const w = await loggedIn(port());
    let newUid: number;
    try {
      expect((await w.cmd('b1', 'SELECT INBOX')).at(-1)).toMatch(/^b1 OK/);
      expect((await w.cmd('b2', `UID STORE ${uids[1]} +FLAGS.SILENT (\\Deleted)`)).at(-1)).toMatch(/^b2 OK/);
      expect((await w.cmd('b3', 'EXPUNGE')).at(-1)).toMatch(/^b3 OK/);
      const raw = MESSAGES[1]!.raw.replace('Subject: groups', 'Subject: groups again');
      const r = await w.cmd('b4', `APPEND INBOX {${Buffer.byteLength(raw)}+}\r\n${raw}`);
      newUid = Number(/APPENDUID \d+ (\d+)/.exec(r.at(-1)!)![1]);
    } finally {
      w.close();
    }
    expect((await staging()).changes.map((c) => c.operation)).toEqual(['flags-add', 'expunge', 'append']);
    const expected = new Map(before);
    expected.delete(uids[1]!);
    expected.set(newUid, MESSAGES[1]!.envelope!.replace('"groups"', '"groups again"'));
    expect(await inbox()).toEqual(expected);

    // A restart in backup mode: the staging area (the WAL) holds the kept envelopes and the new message's.
    await stop();
    const db = new Database(dbFile(), { readonly: true });
    try {
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(count('envelopes')).toBe(before.size - 1 + 1 + uids.length);
    } finally {
      db.close();
    }
    await start();
    expect(await inbox()).toEqual(expected);
    for (const c of ['to backup off --abort']) {
      const r = await api('POST', '/api/commands', { command: c });
      expect(r.status, `${c}: ${JSON.stringify(r.body)}`).toBe(200);
    }
    expect(await inbox()).toEqual(expected);
  }, 60_000);

  it('a session whose reader is slow waits for it many times and leaves no listener behind', async () => {
    const big = `From: big@teamware.example${CRLF}Subject: big${CRLF}${CRLF}${'0123456789abcdef'.repeat(16_384)}${CRLF}`;
    const sock = connect(port(), '127.0.0.1');
    let text = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => {
      text = text.length > 4096 ? text.slice(-4096) + c : text + c;
    });
    const done = async (tag: string) => {
      for (let i = 0; i < 600 && !new RegExp(`(^|\r\n)${tag} (OK|NO|BAD)`).test(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(text).toMatch(new RegExp(`(^|\r\n)${tag} OK`));
    };
    try {
      sock.write('s0 LOGIN alice teamware\r\ns1 CREATE Big\r\n');
      await done('s1');
      for (let i = 0; i < 8; i++) sock.write(`s2 APPEND Big {${big.length}+}\r\n${big}\r\n`);
      sock.write('s3 EXAMINE Big\r\n');
      await done('s3');
      // Each FETCH of 2 MB fills the socket while the reader sleeps: the server waits for 'drain' again and again.
      for (let i = 0; i < 15; i++) {
        sock.pause();
        sock.write(`f${i} FETCH 1:* BODY.PEEK[]\r\n`);
        await new Promise((r) => setTimeout(r, 30));
        sock.resume();
        await done(`f${i}`);
      }
    } finally {
      sock.destroy();
    }
    expect(proc!.output()).not.toMatch(/MaxListenersExceededWarning/);
  }, 60_000);
});
