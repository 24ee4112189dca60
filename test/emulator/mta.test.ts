// POST /api/mail as an MTA: Return-Path, Date (the site clock) and Message-ID
// added where missing; a message that has them is stored byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

describe('delivery adds what an MTA adds', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite();
  });
  afterAll(() => emu.stop());

  const stored = (user: string, uid: number) => emu.site.homeStore(user).mail.raw(user, 'INBOX', uid)!.toString('latin1');

  it('POST /api/mail without Date, Message-ID and Return-Path gets them (UTC date of the site clock, From as Return-Path)', async () => {
    const r = await api(emu, 'POST', '/api/mail', { to: 'alice', raw: 'From: "Bob B." <bob@teamware.example>\r\nSubject: hi\r\n\r\nbody\r\n' });
    expect(r.status).toBe(201);
    expect(stored('alice', r.body.uid)).toMatch(/^Return-Path: <bob@teamware\.example>\r\nFrom: "Bob B\." <bob@teamware\.example>\r\nSubject: hi\r\nDate: Mon, 15 Jun 2026 12:\d\d:\d\d \+0000\r\nMessage-ID: <[0-9a-z]+\.[0-9a-f]{16}@twsv01>\r\n\r\nbody\r\n$/);
  });

  it('bare LF messages, header-only messages and messages without From are stamped in their own line ends', async () => {
    const lf = await api(emu, 'POST', '/api/mail', { to: 'alice', raw: 'Subject: lf\n\nline\n' });
    expect(stored('alice', lf.body.uid)).toMatch(/^Return-Path: <>\nSubject: lf\nDate: [^\n]+\nMessage-ID: <[^\n]+>\n\nline\n$/);
    const headersOnly = await api(emu, 'POST', '/api/mail', { to: 'alice', raw: 'Subject: only\r\n' });
    expect(stored('alice', headersOnly.body.uid)).toMatch(/^Return-Path: <>\r\nSubject: only\r\nDate: [^\r]+\r\nMessage-ID: <[^\r]+>\r\n$/);
  });

  it('a message with all three is stored unchanged', async () => {
    const raw = 'Return-Path: <x@y>\r\nDate: Tue, 1 Dec 2026 09:00:00 +0900\r\nMessage-ID: <keep@x>\r\nSubject: as is\r\n\r\nbody\r\n';
    const r = await api(emu, 'POST', '/api/mail', { to: 'bob', raw });
    expect(stored('bob', r.body.uid)).toBe(raw);
  });
});
