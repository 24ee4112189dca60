import { afterEach, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { join } from 'node:path';
import { api, startTestSite, tempDir, trustSite } from '../../helpers.js';
import { restore } from '../../../emulator/backup.js';
import { startEmulator, type Emulator } from '../../../emulator/index.js';

const message = (subject: string) => `From: qa@teamware.example\r\nTo: alice@teamware.example\r\nSubject: ${subject}\r\n\r\nbody\r\n`;

async function envelopeSubject(emu: Emulator, uid: number): Promise<string | undefined> {
  const client = new ImapFlow({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.imap!, secure: false, tls: trustSite(emu), auth: { user: 'alice', pass: 'teamware' }, logger: false });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const msg = await client.fetchOne(String(uid), { envelope: true }, { uid: true });
    return msg ? msg.envelope?.subject : undefined;
  } finally {
    await client.logout();
  }
}

describe('IMAP caches do not mix a site and its restored copy in one process', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('the same folder, UIDVALIDITY and UID in the restored copy show the copy\'s own message', async () => {
    const original = await startTestSite();
    cleanups.push(() => original.stop());
    const dest = join(original.dataDir, 'bk');
    for (const c of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await api(original, 'POST', '/api/commands', { command: c })).status).toBe(200);
    expect((await api(original, 'POST', '/api/backups?wait=true', { level: 0, dest })).status).toBe(200);
    const first = await api(original, 'POST', '/api/mail', { to: 'alice', raw: message('in the original') });
    expect(await envelopeSubject(original, first.body.uid)).toBe('in the original');

    const copyDir = tempDir();
    cleanups.push(() => copyDir.remove());
    await restore({ from: dest, dataDir: copyDir.path });
    const copy = await startEmulator({ dataDir: copyDir.path, portBase: 0 });
    cleanups.push(() => copy.stop());
    const second = await api(copy, 'POST', '/api/mail', { to: 'alice', raw: message('in the restored copy') });
    expect(second.body.uid).toBe(first.body.uid);
    expect(await envelopeSubject(copy, second.body.uid)).toBe('in the restored copy');
  });
});
