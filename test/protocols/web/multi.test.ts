import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { WebClient, textOf } from './webclient.js';

const BUSY = 'サーバに負荷がかかっています。しばらくしてからアクセスしてください。';

describe('web pages on a multi-server site', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2 });
  });
  afterAll(() => emu.stop());

  const web = (name: string) => emu.endpoints.servers.find((s) => s.name === name)!.web!;

  it('[behaviour:web.busy] a page whose data lives on a suspended server is busy, whichever server serves it', async () => {
    const home = emu.site.homeServer('alice').name;
    const other = emu.site.applicationServers.find((s) => s.name !== home)!.name;
    const c = new WebClient(web(other));
    expect((await c.login('alice')).status).toBe(303);
    expect(textOf((await c.get('/mail/list')).text)).toContain('週次報告のお願い');
    await emu.command('to tran suspend', { server: home });
    try {
      const list = await c.get('/mail/list');
      expect(textOf(list.text)).toContain(BUSY);
      // The forum lives on the shared server; it is busy only if that one is the suspended one.
      const forum = await c.get('/forum/list');
      expect(textOf(forum.text).includes(BUSY)).toBe(emu.site.sharedServer.name === home);
    } finally {
      await emu.command('to tran resume', { server: home });
    }
    expect(textOf((await c.get('/mail/list')).text)).not.toContain(BUSY);
  });

  it('keeps facility reservations with the facility and personal ones at home, and lists both', async () => {
    const user = ['alice', 'bob'].find((u) => emu.site.homeServer(u).name !== emu.site.sharedServer.name)!;
    expect(user).toBeDefined();
    const home = emu.site.homeServer(user).name;
    const c = new WebClient(web(home));
    expect((await c.login(user)).status).toBe(303);
    const room = emu.site.sharedServer.store.calendar.facilities().find((f) => f.name === '第一会議室')!;
    const withRoom = await c.post('/schedule/create', { title: '会議室で打合せ', date: '2026-12-07', start: '10:00', end: '11:00', facility: String(room.id) });
    expect(withRoom.location).toContain(`server=${emu.site.sharedServer.name}`);
    const plain = await c.post('/schedule/create', { title: '個人作業', date: '2026-12-07', start: '13:00', end: '14:00', facility: '' });
    expect(plain.location).toContain(`server=${home}`);
    const week = textOf((await c.get('/schedule/list?date=2026-12-07')).text);
    expect(week).toContain('会議室で打合せ');
    expect(week).toContain('個人作業');
    // Removing the facility moves the reservation home.
    const rid = withRoom.location!.match(/id=(\d+)/)![1]!;
    const moved = await c.post('/schedule/update', { id: rid, server: emu.site.sharedServer.name, title: '会議室で打合せ', date: '2026-12-07', start: '10:00', end: '11:00', facility: '' });
    expect(moved.location).toContain(`server=${home}`);
    expect(emu.site.sharedServer.store.calendar.get(Number(rid))?.title).not.toBe('会議室で打合せ');
    expect((await c.get('/schedule/view?id=1&server=nosuch')).status).toBe(404);
  });
});
