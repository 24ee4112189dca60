// The calendar rules (placement, facility permission, clash, ownership) on an
// in-memory store; the end-to-end tests drive the same rules through the web
// pages, AME and the desktop Calendar.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memorySite } from './memory.js';

let m: ReturnType<typeof memorySite>;
let room: number;

beforeEach(() => {
  m = memorySite();
  for (const [name, home] of [['alice', 'twap02'], ['bob', 'twap01'], ['carol', 'twap02']] as const) m.site.directory.create({ name, password: 'pw', homeServer: home });
  room = m.servers[0]!.store.calendar.createFacility({ name: '第一会議室', permitted: ['alice', 'bob'] }).id;
});
afterEach(() => m.site.close());

const slot = (start: string, end: string, extra: Record<string, unknown> = {}) => ({ title: 'meeting', start: `2026-12-07T${start}`, end: `2026-12-07T${end}`, ...extra });

describe('placement', () => {
  it('keeps a personal reservation at home and a facility reservation with the facility (the shared server)', () => {
    const personal = m.domain.calendar.create('alice', slot('09:00', '10:00'));
    const withRoom = m.domain.calendar.create('alice', slot('13:00', '14:00', { facilityId: room }));
    expect(personal).toMatchObject({ ok: true, value: { server: 'twap02', owner: 'alice', facilityId: null } });
    expect(withRoom).toMatchObject({ ok: true, value: { server: 'twap01', owner: 'alice', facilityId: room } });
    expect(m.servers[1]!.store.calendar.forFacility(room)).toEqual([]);
    expect(m.domain.calendar.list('alice').map((r) => [r.server, r.start])).toEqual([['twap02', '2026-12-07T09:00'], ['twap01', '2026-12-07T13:00']]);
  });

  it('moves a reservation between home and the shared server when its facility is added or removed', () => {
    const r = m.domain.calendar.create('alice', slot('09:00', '10:00'));
    if (!r.ok) throw new Error(r.message);
    const moved = m.domain.calendar.update('alice', { id: r.value.id, server: 'twap02' }, { facilityId: room });
    expect(moved).toMatchObject({ ok: true, value: { server: 'twap01', facilityId: room, title: 'meeting' } });
    expect(m.servers[1]!.store.calendar.get(r.value.id)).toBeNull();
    if (!moved.ok) return;
    const back = m.domain.calendar.update('alice', { id: moved.value.id, server: 'twap01' }, { facilityId: null });
    expect(back).toMatchObject({ ok: true, value: { server: 'twap02', facilityId: null } });
  });
});

describe('facility rules', () => {
  it('refuses a facility the user is not permitted to use, and one that does not exist', () => {
    expect(m.domain.calendar.create('carol', slot('13:00', '14:00', { facilityId: room }))).toMatchObject({ ok: false, refused: 'not-permitted', facility: { name: '第一会議室' } });
    expect(m.domain.calendar.create('alice', slot('13:00', '14:00', { facilityId: 99 }))).toMatchObject({ ok: false, refused: 'not-found' });
    expect(m.servers[0]!.store.calendar.forFacility(room)).toEqual([]);
  });

  it('refuses an overlapping reservation of the facility, whoever holds it; touching ones are fine', () => {
    const first = m.domain.calendar.create('alice', slot('13:00', '14:00', { facilityId: room }));
    expect(first.ok).toBe(true);
    const clash = m.domain.calendar.create('bob', slot('13:30', '14:30', { facilityId: room }));
    expect(clash).toMatchObject({ ok: false, refused: 'clash', facility: { id: room }, clash: { owner: 'alice', start: '2026-12-07T13:00', server: 'twap01' } });
    expect(m.domain.calendar.create('alice', slot('13:00:00', '13:00:30', { facilityId: room }))).toMatchObject({ refused: 'clash' });
    expect(m.domain.calendar.create('bob', slot('14:00', '15:00', { facilityId: room })).ok).toBe(true);
    expect(m.domain.calendar.create('bob', slot('12:00', '13:00', { facilityId: room })).ok).toBe(true);
    expect(m.servers[0]!.store.calendar.forFacility(room)).toHaveLength(3);
  });

  it('checks a change against the other reservations, not against itself', () => {
    const a = m.domain.calendar.create('alice', slot('13:00', '14:00', { facilityId: room }));
    m.domain.calendar.create('bob', slot('15:00', '16:00', { facilityId: room }));
    if (!a.ok) throw new Error(a.message);
    expect(m.domain.calendar.update('alice', a.value, { end: '2026-12-07T14:30' })).toMatchObject({ ok: true, value: { end: '2026-12-07T14:30' } });
    expect(m.domain.calendar.update('alice', a.value, { end: '2026-12-07T15:30' })).toMatchObject({ ok: false, refused: 'clash', clash: { owner: 'bob' } });
    expect(m.servers[0]!.store.calendar.get(a.value.id)?.end).toBe('2026-12-07T14:30');
  });

  it('counts facility reservations left on a home server by older data in the clash check', () => {
    m.servers[1]!.store.calendar.create('alice', { ...slot('10:00', '11:00'), facilityId: room });
    expect(m.domain.calendar.create('bob', slot('10:30', '11:30', { facilityId: room }))).toMatchObject({ refused: 'clash', clash: { server: 'twap02' } });
  });
});

describe('ownership', () => {
  it('another user\'s reservation is not-permitted, a missing one not-found; neither changes anything', () => {
    const r = m.domain.calendar.create('alice', slot('09:00', '10:00'));
    if (!r.ok) throw new Error(r.message);
    expect(m.domain.calendar.update('carol', { id: r.value.id }, { title: 'mine now' })).toMatchObject({ ok: false, refused: 'not-permitted' });
    expect(m.domain.calendar.delete('carol', { id: r.value.id })).toMatchObject({ ok: false, refused: 'not-permitted' });
    expect(m.domain.calendar.delete('alice', { id: 999 })).toMatchObject({ ok: false, refused: 'not-found' });
    expect(m.servers[1]!.store.calendar.get(r.value.id)?.title).toBe('meeting');
  });

  it('an id the user holds on two servers needs the server; with it, the right one is changed', () => {
    const personal = m.domain.calendar.create('alice', slot('09:00', '10:00'));
    const facility = m.domain.calendar.create('alice', slot('13:00', '14:00', { facilityId: room }));
    if (!personal.ok || !facility.ok) throw new Error('setup');
    expect(personal.value.id).toBe(facility.value.id);
    expect(m.domain.calendar.delete('alice', { id: personal.value.id })).toMatchObject({ ok: false, refused: 'bad-input', message: expect.stringContaining('name the server') });
    expect(m.domain.calendar.delete('alice', { id: personal.value.id, server: 'twap01' })).toMatchObject({ ok: true, value: { server: 'twap01', facilityId: room } });
    expect(m.domain.calendar.own('alice', { id: personal.value.id })).toMatchObject({ ok: true, value: { server: 'twap02' } });
  });

  it('refuses values the calendar does not have', () => {
    expect(m.domain.calendar.create('alice', slot('10:00', '09:00'))).toMatchObject({ refused: 'bad-input' });
    expect(m.domain.calendar.create('alice', { title: '', start: '2026-12-07T10:00', end: '2026-12-07T11:00' })).toMatchObject({ refused: 'bad-input' });
    expect(m.domain.calendar.create('alice', { title: 'x', start: '2026-02-30T10:00', end: '2026-02-30T11:00' })).toMatchObject({ refused: 'bad-input' });
  });
});

describe('facility permission (利用許可)', () => {
  it('sets who may reserve; unknown users and facilities are not-found', () => {
    expect(m.domain.calendar.setPermitted(room, ['carol'])).toMatchObject({ ok: true, value: { permitted: ['carol'] } });
    expect(m.domain.calendar.create('carol', slot('13:00', '14:00', { facilityId: room })).ok).toBe(true);
    expect(m.domain.calendar.setPermitted(room, ['nobody'])).toMatchObject({ refused: 'not-found' });
    expect(m.domain.calendar.setPermitted(99, ['alice'])).toMatchObject({ refused: 'not-found' });
  });
});
