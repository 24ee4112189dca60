// Thunderbird, the desktop client trainers' users have, in the client matrix:
// the states a class sees during the backup, driven and photographed
// (docs/what-users-see.md shows the pictures; `npm run screenshots` copies
// them there). Bounded: every wait has a limit, the whole file about a minute.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';
import { ARTIFACTS, clientSite, describeClient, inboxCount, resume, suspend } from './harness.js';
import { PROGRAMS, Thunderbird } from './thunderbird.js';

export const SHOTS = join(ARTIFACTS, 'thunderbird');

// Under faketime (CI's second run) the pictures would be the same; the minute they take is spent once.
const describeThunderbird = process.env.FAKETIME ? (name: string, body: () => void) => describe.skip(`${name} (not under faketime: the first run takes the pictures)`, body) : (name: string, body: () => void) => describeClient(name, PROGRAMS, body);

describeThunderbird('Thunderbird', () => {
  let emu: Emulator;
  const dir = tempDir('twemu-tb-');
  let tb: Thunderbird;
  const shot = (name: string) => tb.screenshot(join(SHOTS, `${name}.png`));
  beforeAll(async () => {
    emu = await clientSite();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await tb?.stop();
    await emu.stop();
    dir.remove();
  });
  afterEach(async () => {
    await tb?.stop();
    if (emu.site.servers[0]!.suspended) await resume(emu);
  });

  it('[behaviour:imap4.in-flight-store] [behaviour:imap4.login] [behaviour:smtp.login] IMAP: inbox, a refresh while suspended (two alerts), a login while suspended (Retry dialog), Retry after the resume; a send while suspended (the same dialog), Retry after the resume sends', { timeout: 180_000 }, async () => {
    tb = new Thunderbird(emu, dir.path, { kind: 'imap', user: 'alice' });
    tb.writeProfile();
    await tb.startX();
    tb.start();
    // First start: Thunderbird asks for the password; it is typed and kept in its password manager.
    const prompt = await tb.waitWindow(/^Enter your password/);
    tb.type(prompt, 'teamware');
    tb.keys(prompt, 'Tab', 'space', 'Return');
    const main = await tb.waitWindow(/^Inbox - alice@teamware\.example - Mozilla Thunderbird$/);
    await new Promise((r) => setTimeout(r, 1500));
    shot('01-imap-inbox');

    await suspend(emu);
    // Get Messages (F5) until the first alert shows (a key sent while Thunderbird is still busy can be lost).
    let alert1 = '';
    for (let i = 0; i < 6 && !alert1; i++) {
      tb.keys(main, 'F5');
      alert1 = await tb.waitWindow(/^Alert$/, 5000).catch(() => '');
    }
    if (!alert1) alert1 = await tb.waitWindow(/^Alert$/, 1000);
    await new Promise((r) => setTimeout(r, 500));
    shot('02-imap-refresh-suspended-alert-1');
    tb.keys(alert1, 'Return');
    await tb.waitGone(/^Alert$/);
    // The session that logged in before the suspension: its next store command gets NO [UNAVAILABLE] (a second alert).
    let alert2 = '';
    for (let i = 0; i < 4 && !alert2; i++) {
      alert2 = await tb.waitWindow(/^Alert$/, 4000).catch(() => '');
      if (!alert2) tb.keys(main, 'F5');
    }
    expect(alert2, 'the second alert (in-flight store command)').not.toBe('');
    await new Promise((r) => setTimeout(r, 500));
    shot('03-imap-refresh-suspended-alert-2');
    tb.keys(alert2, 'Return');
    await tb.waitGone(/^Alert$/).catch(() => undefined);

    // A new login while suspended: Thunderbird started again (the saved password is used).
    await tb.stopThunderbird();
    tb.start();
    const failed = await tb.waitWindow(/^Login to account "alice@teamware\.example" failed$/);
    await new Promise((r) => setTimeout(r, 800));
    shot('04-imap-login-suspended');

    await resume(emu);
    tb.keys(failed, 'Return'); // Retry, the default button
    await tb.waitGone(/^Login to account/);
    await tb.waitWindow(/^Inbox - alice@teamware\.example - Mozilla Thunderbird$/);
    await new Promise((r) => setTimeout(r, 1500));
    shot('05-imap-retry-after-resume');
    expect(tb.windows().some((w) => /failed|Alert/.test(w))).toBe(false);

    // [behaviour:smtp.login] Sending while suspended: Write (Ctrl+N), Send (Ctrl+Enter), the SMTP password once.
    const bobBefore = inboxCount(emu, 'bob');
    await suspend(emu);
    tb.keys(main, 'ctrl+n');
    const compose = await tb.waitWindow(/^Write: /);
    await new Promise((r) => setTimeout(r, 2500));
    tb.type(compose, 'bob@teamware.example');
    await new Promise((r) => setTimeout(r, 800));
    tb.keys(compose, 'alt+s');
    await new Promise((r) => setTimeout(r, 300));
    tb.type(compose, 'Minutes');
    tb.keys(compose, 'Tab');
    await new Promise((r) => setTimeout(r, 300));
    tb.type(compose, 'See you at ten.');
    tb.keys(compose, 'ctrl+Return');
    const confirm = await tb.waitWindow(/^Send Message$/, 5000).catch(() => '');
    if (confirm) tb.keys(confirm, 'Return');
    const smtpPassword = await tb.waitWindow(/^Password Required for Outgoing \(SMTP\) Server/);
    tb.type(smtpPassword, 'teamware');
    tb.keys(smtpPassword, 'Tab', 'space', 'Return');
    const sendFailed = await tb.waitWindow(/^Login to account "127\.0\.0\.1" failed$/);
    await new Promise((r) => setTimeout(r, 800));
    shot('08-smtp-send-suspended');
    expect(inboxCount(emu, 'bob')).toBe(bobBefore);
    await resume(emu);
    tb.keys(sendFailed, 'Return'); // Retry
    await tb.waitGone(/^Write: /, 30_000);
    expect(inboxCount(emu, 'bob')).toBe(bobBefore + 1);
    await tb.stop();
  });

  it('[behaviour:pop3.login] POP3: a login while suspended (the same dialog, no server text), Retry after the resume downloads', { timeout: 120_000 }, async () => {
    const before = inboxCount(emu, 'bob');
    tb = new Thunderbird(emu, dir.path, { kind: 'pop3', user: 'bob' });
    tb.writeProfile();
    await tb.startX();
    await suspend(emu);
    tb.start();
    const prompt = await tb.waitWindow(/^Enter your password/);
    tb.type(prompt, 'teamware');
    tb.keys(prompt, 'Tab', 'space', 'Return');
    const failed = await tb.waitWindow(/^Login to account "bob@teamware\.example" failed$/);
    await new Promise((r) => setTimeout(r, 800));
    shot('06-pop3-login-suspended');
    await resume(emu);
    tb.keys(failed, 'Return');
    await tb.waitGone(/^Login to account/);
    await new Promise((r) => setTimeout(r, 2500));
    shot('07-pop3-retry-after-resume');
    expect(inboxCount(emu, 'bob')).toBe(before); // leave_on_server: nothing removed
    await tb.stop();
  });
});
