// One rule for facility reservations (設備予約) on a multi-server site: AME,
// the web pages and the desktop Calendar refuse a double booking alike, and a
// facility reservation lands with the facility (the shared server), not on
// the caller's home server. Through AME HTTP, the web pages and the control
// API's desktop-client operations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { ameHttp } from './util.js';
import { WebClient } from '../web/webclient.js';
import { client } from '../../emulator/services/util.js';

let emu: Emulator;
let shared: string;
const endpoint = (name: string) => emu.endpoints.servers.find((s) => s.name === name)!;
const homeOf = async (user: string) => (await ameHttp(endpoint('twdir01').ame!, 'directory_lookup', { name: user })).body.user.homeServer as string;

beforeAll(async () => {
  emu = await startTestSite({ topology: 'multi', appServers: 2, services: { access: { failedLoginDelayMs: 0 } } });
  shared = emu.site.sharedServer.name;
});
afterAll(() => emu.stop());

describe('facility reservations on a multi-server site', () => {
  it('AME refuses a double booking over the demo booking (rc -5, the web\'s rule) for both users, and lands a free one with the facility', async () => {
    const alice = await homeOf('alice');
    const bob = await homeOf('bob');
    expect(alice).not.toBe(bob);
    // The demo's booking of 第一会議室 (alice's), as AME lists it: on the shared server.
    const listed = (await ameHttp(endpoint(alice).ame!, 'calendar_list', {}, { user: 'alice' })).body;
    const existing = listed.reservations.find((r: { facilityId: number | null }) => r.facilityId !== null);
    expect(existing).toMatchObject({ title: '会議室予約', server: shared });
    const booking = { title: 'AME 会議', start: existing.start, end: existing.end, facilityId: existing.facilityId };
    for (const user of ['alice', 'bob']) {
      for (const s of emu.endpoints.servers) {
        const r = await ameHttp(s.ame!, 'calendar_create', booking, { user });
        expect(r.body, `${user} via ${s.name}`).toMatchObject({ rc: -5, error: 'E_REFUSED', message: expect.stringContaining('already reserved') });
      }
    }
    expect(emu.site.sharedServer.store.calendar.forFacility(existing.facilityId)).toHaveLength(1);
    for (const s of emu.site.mailServers) if (s.name !== shared) expect(s.store.calendar.forFacility(existing.facilityId)).toEqual([]);

    // A free time: accepted once, on the shared server, whichever endpoint and whoever's home.
    const free = { title: 'AME 会議', start: '2026-12-07T13:00', end: '2026-12-07T14:00', facilityId: existing.facilityId };
    const first = await ameHttp(endpoint(alice).ame!, 'calendar_create', free, { user: 'alice' });
    expect(first.body).toMatchObject({ rc: 0, reservation: { owner: 'alice', server: shared, facilityId: existing.facilityId } });
    expect(emu.site.sharedServer.store.calendar.get(first.body.reservation.id)).toMatchObject({ owner: 'alice', title: 'AME 会議' });
    expect((await ameHttp(endpoint(bob).ame!, 'calendar_create', { ...free, start: '2026-12-07T13:30' }, { user: 'bob' })).body).toMatchObject({ rc: -5 });
    // The web pages refuse the same booking with the same rule.
    const web = new WebClient(endpoint(bob).web!);
    expect((await web.login('bob')).status).toBe(303);
    const page = await web.post('/schedule/create', { title: 'web', date: '2026-12-07', start: '13:30', end: '14:30', facility: String(existing.facilityId), note: '' });
    expect(page.status).toBe(409);
    expect(page.text).toContain('はその時間帯に予約されています。(13:00-14:00)');
    // Moving it through AME checks the others, not itself; a clash is refused and nothing changes.
    const id = first.body.reservation.id as number;
    expect((await ameHttp(endpoint(alice).ame!, 'calendar_update', { id, server: shared, end: '2026-12-07T14:30' }, { user: 'alice' })).body)
      .toMatchObject({ rc: 0, reservation: { end: '2026-12-07T14:30', server: shared } });
    const bobs = await ameHttp(endpoint(bob).ame!, 'calendar_create', { ...free, start: '2026-12-07T15:00', end: '2026-12-07T16:00' }, { user: 'bob' });
    expect(bobs.body).toMatchObject({ rc: 0, reservation: { server: shared } });
    expect((await ameHttp(endpoint(alice).ame!, 'calendar_update', { id, server: shared, end: '2026-12-07T15:30' }, { user: 'alice' })).body).toMatchObject({ rc: -5 });
    // The desktop Calendar: the same rule (409) for the same change.
    const desktop = await client(emu, 'alice', 'calendar/update-reservation', { id, server: shared, end: '2026-12-07T15:30' });
    expect(desktop.status).toBe(409);
    expect(desktop.body).toMatchObject({ error: 'E_CLASH', message: expect.stringContaining('already reserved') });
    expect(emu.site.sharedServer.store.calendar.get(id)?.end).toBe('2026-12-07T14:30');
    // And delete through AME with the server named.
    expect((await ameHttp(endpoint(alice).ame!, 'calendar_delete', { id, server: shared }, { user: 'alice' })).body).toEqual({ rc: 0, id });
    expect(emu.site.sharedServer.store.calendar.get(id)).toBeNull();
  });

  it('a user without the facility\'s permission is refused through AME and the desktop Calendar alike', async () => {
    const projector = emu.site.domain.calendar.facilities().find((f) => f.name === 'プロジェクタ')!;
    expect(projector.permitted).toEqual(['alice']);
    const r = await ameHttp(endpoint(shared).ame!, 'calendar_create', { title: 'x', start: '2026-12-08T10:00', end: '2026-12-08T11:00', facilityId: projector.id }, { user: 'bob' });
    expect(r.body).toMatchObject({ rc: -5, message: expect.stringContaining('not permitted') });
    expect(emu.site.domain.calendar.facilityReservations(projector.id)).toEqual([]);
  });
});
