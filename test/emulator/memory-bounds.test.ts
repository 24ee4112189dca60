// Robustness against memory attacks (issue 12 row 8): huge command texts, an
// event history fed with big texts, many IMAP sessions holding big literals
// half-sent. Each is refused or bounded by a documented limit; the budget
// comes back when the sockets close. (`npm run bench memory` reports RSS.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { api, startTestSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';
import { EVENT_HISTORY_MAX_BYTES, EVENT_HISTORY_MAX_EVENTS, EVENT_TEXT_MAX } from '../../emulator/events.js';
import { literalBudgetOf } from '../../protocols/imap/framer.js';

let emu: Emulator;
const BUDGET = 1024 * 1024;

beforeAll(async () => {
  emu = await startTestSite({ services: { imap: { maxLiteralBytesInFlight: BUDGET } } });
});
afterAll(() => emu.stop());

/** Waits (bounded) until the site's literal budget holds what `ok` wants: the server has read what was sent. */
async function budgetIs(ok: (inFlight: number) => boolean): Promise<void> {
  const budget = literalBudgetOf(emu.site, BUDGET);
  for (let i = 0; i < 200 && !ok(budget.inFlight); i++) await new Promise((r) => setTimeout(r, 25));
  expect(ok(budget.inFlight), `literal bytes in flight: ${budget.inFlight}`).toBe(true);
}

/** A raw IMAP connection that logs in and then sends what it is told; collects every byte it receives. */
async function imapSession(): Promise<{ sock: Socket; text: () => string; wait: (re: RegExp) => Promise<string>; closed: Promise<void> }> {
  const sock = connect(emu.endpoints.servers[0]!.imap!, '127.0.0.1');
  let buf = '';
  const waiters: Array<{ re: RegExp; resolve: (s: string) => void }> = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    for (const w of [...waiters]) {
      const m = w.re.exec(buf);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  });
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  const wait = (re: RegExp) => new Promise<string>((resolve, reject) => {
    const m = re.exec(buf);
    if (m) return resolve(m[0]);
    const timer = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(buf.slice(-300))}`)), 10_000);
    waiters.push({ re, resolve: (s) => { clearTimeout(timer); resolve(s); } });
  });
  await wait(/^\* OK[^\r\n]*\r\n/);
  sock.write('a LOGIN alice teamware\r\n');
  await wait(/\r\na OK[^\r\n]*\r\n/);
  return { sock, text: () => buf, wait, closed };
}

describe('bounded memory under hostile input', () => {
  it('POST /api/commands with a 20 MB command text is refused before it is read (413); a long text by the schema (400); neither reaches the history', async () => {
    const big = await api(emu, 'POST', '/api/commands', { command: 'x'.repeat(20 * 1024 * 1024) });
    expect(big.status).toBe(413);
    const long = await api(emu, 'POST', '/api/commands', { command: 'to tran '.repeat(100) });
    expect(long.status).toBe(400);
    const events = await api(emu, 'GET', '/api/events?format=json');
    expect(events.status).toBe(200);
    expect(JSON.stringify(events.body)).not.toContain('x'.repeat(1000));
  }, 30_000);

  it('the event history keeps at most its documented count and bytes; long texts in events are cut', async () => {
    // Unknown commands are refused and recorded (a `refused` event with the text): 200 characters each at most.
    const text = 'y'.repeat(199);
    for (let i = 0; i < 50; i++) expect((await api(emu, 'POST', '/api/commands', { command: text })).status).toBe(400);
    // Events from inside with big texts (as a gateway log line could be): cut, and the history stays bounded.
    for (let i = 0; i < EVENT_HISTORY_MAX_EVENTS + 500; i++) emu.site.events.emit({ type: 'info', message: 'z'.repeat(EVENT_TEXT_MAX * 3) });
    const r = await api(emu, 'GET', '/api/events?format=json');
    expect(r.status).toBe(200);
    const list = (Array.isArray(r.body) ? r.body : r.body.events) as Array<{ message?: string }>;
    expect(list.length).toBeLessThanOrEqual(EVENT_HISTORY_MAX_EVENTS);
    expect(JSON.stringify(list).length).toBeLessThanOrEqual(EVENT_HISTORY_MAX_BYTES + 64 * 1024);
    expect(list.at(-1)!.message!.length).toBeLessThan(EVENT_TEXT_MAX + 100);
    expect(list.at(-1)!.message).toContain('more characters cut');
  }, 60_000);

  it('IMAP: literals being received share a site-wide budget; over it NO [LIMIT] and the connection is closed; the budget returns when the sockets close', async () => {
    const size = Math.floor(BUDGET * 0.6);
    // The first session announces a big literal and sends only part of it: it holds its share of the budget.
    const first = await imapSession();
    first.sock.write(`b APPEND INBOX {${size}+}\r\n`);
    first.sock.write(Buffer.alloc(1000, 0x61));
    await budgetIs((n) => n === size);
    // A second one announcing as much is over the budget.
    const second = await imapSession();
    second.sock.write(`c APPEND INBOX {${size}+}\r\n`);
    expect(await second.wait(/c NO \[LIMIT\][^\r\n]*/)).toMatch(/^c NO \[LIMIT\] Too much literal data in flight/);
    await second.closed;
    // A synchronising literal over the budget: the same, before any byte of it is sent.
    const third = await imapSession();
    third.sock.write(`d APPEND INBOX {${size}}\r\n`);
    expect(await third.wait(/d NO \[LIMIT\][^\r\n]*/)).toContain('NO [LIMIT]');
    await third.closed;
    // Other sessions keep working meanwhile.
    const other = await imapSession();
    other.sock.write('e NOOP\r\n');
    await other.wait(/e OK[^\r\n]*/);
    // The first one goes away mid-literal: its share is released.
    first.sock.destroy();
    await first.closed;
    await budgetIs((n) => n === 0);
    const msg = `Subject: fits\r\n\r\n${'b'.repeat(size - 19)}`;
    other.sock.write(`f APPEND INBOX {${Buffer.byteLength(msg)}+}\r\n${msg}\r\n`);
    expect(await other.wait(/f (OK|NO|BAD)[^\r\n]*/)).toMatch(/^f OK/);
    other.sock.end('z LOGOUT\r\n');
  }, 30_000);
});
