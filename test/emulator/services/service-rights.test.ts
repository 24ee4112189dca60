import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSite } from '../../helpers.js';
import { client } from './util.js';
import type { Emulator } from '../../../emulator/index.js';

describe('desktop clients follow the Directory: an account without a service cannot use its client', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite();
  });
  afterAll(async () => emu.stop());

  it('Mail turned off: TeamWARE Mail and Simple MAPI are refused with 403, the mails stay; Calendar still works', async () => {
    const off = await client(emu, 'ADMIN', 'directory/account-update', { name: 'alice', services: { mail: false } });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const del = await client(emu, 'alice', 'mail/delete-multiple', { uids: [1, 2] });
    expect(del.status).toBe(403);
    expect(del.body).toMatchObject({ error: 'E_SERVICE_UNAVAILABLE' });
    expect(del.body.message).toContain('mail service');
    expect(emu.site.homeStore('alice').mail.count('alice', 'INBOX')).toBe(3);
    const send = await client(emu, 'alice', 'mapi/send', { to: ['bob'], subject: 'x', body: 'y' });
    expect(send.status).toBe(403);
    const open = await client(emu, 'alice', 'calendar/open-reservation', { id: emu.site.homeStore('alice').calendar.list('alice')[0]!.id });
    expect(open.status).toBe(200);
    expect((await client(emu, 'ADMIN', 'directory/account-update', { name: 'alice', services: { mail: true } })).status).toBe(200);
    expect((await client(emu, 'alice', 'mail/delete-multiple', { uids: [1] })).status).toBe(200);
  });
});
