// Calendar: personal schedules and facility reservations (設備予約), one set
// of rules for the web pages, the application execution module and the
// desktop Calendar client.
//
// Placement (one place on a multi-server site): a personal reservation lives
// on the owner's home server; a reservation with a facility lives with the
// facility, on the shared server (`site.sharedServer`, the first application
// server), so every reservation of a facility is in one database and the
// clash check and the insert are one step. Reservation ids are per server: a
// reservation is named by {id, server}; where a client gives only the id, the
// caller's reservation with that id on their servers is meant.
//
// A reservation with a facility needs the facility's permission (利用許可,
// the users the department administrator permitted) and a free slot (no other
// reservation of the facility overlaps it).

import { isDateTime, type Facility, type Reservation, type ReservationInput } from '../store/calendar.js';
import { ok, refuse, type Outcome } from './outcome.js';
import type { DomainServer, DomainSite } from './ports.js';

/** A reservation and the server holding it. */
export type Located = Reservation & { server: string };

/** How a client names a reservation: its id, and the server when the client knows it. */
export interface ReservationRef {
  id: number;
  server?: string;
}

export type ReservationPatch = Partial<Pick<Reservation, 'title' | 'start' | 'end' | 'note' | 'facilityId'>>;

/** What a refused reservation carries for the front ends' messages. */
export interface CalendarDetail {
  facility?: Facility;
  /** The reservation a clash is with. */
  clash?: Located;
}

export type CalendarRefusal = 'not-found' | 'not-permitted' | 'clash' | 'bad-input';
export type CalendarOutcome<T> = Outcome<T, CalendarRefusal, CalendarDetail>;

/** 2026-11-26T10:00 and 2026-11-26T10:00:00 compare equal. */
const instant = (t: string) => (t.length === 16 ? `${t}:00` : t);
const overlaps = (a: { start: string; end: string }, b: { start: string; end: string }) =>
  instant(a.start) < instant(b.end) && instant(b.start) < instant(a.end);

export class CalendarService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  // ---- placement ---------------------------------------------------------

  /** The server a reservation belongs on: with its facility (shared server), else at the owner's home. */
  placement(owner: string, facilityId: number | null | undefined): S {
    return facilityId ? this.facilityServer : this.site.homeServer(owner);
  }

  /** Where the facilities and their reservations live. */
  get facilityServer(): S {
    return this.site.sharedServer;
  }

  /** Every server that may hold the user's reservations (home, shared; one on a single-server site). */
  serversOf(user: string): S[] {
    return [...new Set([this.site.homeServer(user), this.facilityServer])];
  }

  private located(server: S, r: Reservation): Located {
    return { ...r, server: server.name };
  }

  // ---- reading -----------------------------------------------------------

  /** The user's reservations on all their servers, by start. */
  list(user: string, range: { from?: string; to?: string } = {}): Located[] {
    return this.serversOf(user)
      .flatMap((s) => s.store.calendar.list(user, range).map((r) => this.located(s, r)))
      .sort((a, b) => instant(a.start).localeCompare(instant(b.start)) || a.id - b.id || a.server.localeCompare(b.server));
  }

  /**
   * The user's own reservation. Another user's is `not-permitted` (front ends
   * that must not tell it exists answer "not found"); an id on two of the
   * user's servers without a server named is `bad-input`.
   */
  own(user: string, ref: ReservationRef): CalendarOutcome<Located> {
    const servers = this.serversOf(user).filter((s) => ref.server === undefined || s.name.toLowerCase() === ref.server.toLowerCase());
    const found = servers.flatMap((s) => {
      const r = s.store.calendar.get(ref.id);
      return r ? [this.located(s, r)] : [];
    });
    const mine = found.filter((r) => r.owner === user);
    if (mine.length === 1) return ok(mine[0]!);
    if (mine.length > 1) return refuse('bad-input', `reservation ${ref.id} exists on ${mine.map((r) => r.server).join(' and ')}; name the server`);
    if (found.length) return refuse('not-permitted', `reservation ${ref.id} belongs to another user`);
    return refuse('not-found', `no reservation ${ref.id}${ref.server ? ` on ${ref.server}` : ''}`);
  }

  facilities(): Facility[] {
    return this.facilityServer.store.calendar.facilities();
  }

  facility(id: number): Facility | null {
    return this.facilityServer.store.calendar.facility(id);
  }

  /** Facility permission (利用許可). */
  mayReserve(user: string, facility: Facility): boolean {
    return facility.permitted.includes(user);
  }

  /** Every reservation of a facility, wherever it is (older data may hold some on home servers). */
  facilityReservations(facilityId: number): Located[] {
    return this.site.mailServers.flatMap((s) => s.store.calendar.forFacility(facilityId).map((r) => this.located(s, r)))
      .sort((a, b) => instant(a.start).localeCompare(instant(b.start)));
  }

  // ---- rules ---------------------------------------------------------------

  private checkValues(r: { title: string; start: string; end: string; note?: string }): CalendarOutcome<true> {
    if (typeof r.title !== 'string' || !r.title.trim() || r.title.length > 200) return refuse('bad-input', 'title must be 1-200 characters');
    if (!isDateTime(r.start) || !isDateTime(r.end)) return refuse('bad-input', 'start and end must be date-times like 2026-11-26T10:00');
    if (instant(r.end) < instant(r.start)) return refuse('bad-input', 'end must not be before start');
    if (r.note !== undefined && (typeof r.note !== 'string' || r.note.length > 2000)) return refuse('bad-input', 'note must be at most 2000 characters');
    return ok(true);
  }

  /** A facility must exist, be permitted to the user, and be free for the time (`except`: the reservation being changed). */
  private checkFacility(user: string, facilityId: number, slot: { start: string; end: string }, except?: Located): CalendarOutcome<Facility> {
    const facility = this.facility(facilityId);
    if (!facility) return refuse('not-found', `no facility ${facilityId}`);
    if (!this.mayReserve(user, facility)) return refuse('not-permitted', `${user} is not permitted to use facility ${facilityId} (${facility.name})`, { facility });
    const clash = this.facilityReservations(facilityId).find((r) => !(except && r.id === except.id && r.server === except.server) && overlaps(r, slot));
    if (clash) return refuse('clash', `facility ${facility.name} is already reserved ${clash.start.replace('T', ' ')}-${clash.end.slice(11)} (reservation ${clash.id} on ${clash.server})`, { facility, clash });
    return ok(facility);
  }

  // ---- writing -------------------------------------------------------------

  create(user: string, input: ReservationInput): CalendarOutcome<Located> {
    const values = this.checkValues(input);
    if (!values.ok) return values;
    const facilityId = input.facilityId ?? null;
    if (facilityId) {
      const fac = this.checkFacility(user, facilityId, input);
      if (!fac.ok) return fac;
    }
    const server = this.placement(user, facilityId);
    return ok(this.located(server, server.store.calendar.create(user, { ...input, facilityId })));
  }

  /** Changes the user's reservation; adding or removing the facility moves it between the home and the shared server. */
  update(user: string, ref: ReservationRef, patch: ReservationPatch): CalendarOutcome<Located> {
    const current = this.own(user, ref);
    if (!current.ok) return current;
    const r = current.value;
    const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as ReservationPatch;
    const next = { title: r.title, start: r.start, end: r.end, note: r.note, facilityId: r.facilityId, ...given };
    const values = this.checkValues(next);
    if (!values.ok) return values;
    if (next.facilityId) {
      const fac = this.checkFacility(user, next.facilityId, next, r);
      if (!fac.ok) return fac;
    }
    const target = this.placement(user, next.facilityId);
    const input = { title: next.title, start: next.start, end: next.end, note: next.note, facilityId: next.facilityId ?? null };
    if (target.name === r.server) return ok(this.located(target, target.store.calendar.update(r.id, input)));
    const moved = target.store.calendar.create(user, input);
    this.serverNamed(r.server).store.calendar.delete(r.id);
    return ok(this.located(target, moved));
  }

  delete(user: string, ref: ReservationRef): CalendarOutcome<Located> {
    const current = this.own(user, ref);
    if (!current.ok) return current;
    this.serverNamed(current.value.server).store.calendar.delete(current.value.id);
    return current;
  }

  /** 利用許可: who may reserve a facility (the administrator's operation); names as the Directory spells them. */
  setPermitted(facilityId: number, users: string[]): Outcome<Facility, 'not-found', { account?: string }> {
    const calendar = this.facilityServer.store.calendar;
    const accounts = users.map((u) => this.site.directory.get(u));
    const unknown = users.find((_, i) => !accounts[i]);
    if (unknown !== undefined) return refuse('not-found', `no account ${JSON.stringify(unknown)}`, { account: unknown });
    if (!calendar.facility(facilityId)) return refuse('not-found', `no facility ${facilityId}`);
    return ok(calendar.setPermitted(facilityId, accounts.map((a) => a!.name)));
  }

  /** A new facility calendar (設備の追加); names are unique. */
  addFacility(input: { name: string; department?: string }): Outcome<Facility, 'bad-input' | 'exists'> {
    if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 100) return refuse('bad-input', 'facility name must be 1-100 characters');
    if (this.facilities().some((f) => f.name === input.name)) return refuse('exists', `facility ${input.name} already exists`);
    return ok(this.facilityServer.store.calendar.createFacility(input));
  }

  /** Facilities whose name or department contains the text (設備の検索). */
  searchFacilities(text: string): Facility[] {
    return this.facilityServer.store.calendar.searchFacilities(text);
  }

  private serverNamed(name: string): S {
    return this.site.mailServers.find((s) => s.name === name)!;
  }
}
