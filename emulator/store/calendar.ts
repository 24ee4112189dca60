import type { ServerDatabase } from './database.js';
import { BadRequest, NotFound } from '../errors.js';

export interface Reservation {
  id: number;
  owner: string;
  title: string;
  /** ISO 8601 local date-time, e.g. 2026-11-26T10:00. */
  start: string;
  end: string;
  facilityId: number | null;
  note: string;
}

export interface Facility {
  id: number;
  name: string;
  department: string;
  /** Users permitted to reserve it (利用許可). */
  permitted: string[];
}

interface ResRow { id: number; owner: string; title: string; start: string; end: string; facility_id: number | null; note: string }
const toRes = (r: ResRow): Reservation => ({ id: r.id, owner: r.owner, title: r.title, start: r.start, end: r.end, facilityId: r.facility_id, note: r.note });
interface FacRow { id: number; name: string; department: string; permitted: string }
const toFac = (r: FacRow): Facility => ({ id: r.id, name: r.name, department: r.department, permitted: JSON.parse(r.permitted) });

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

export type ReservationInput = Pick<Reservation, 'title' | 'start' | 'end'> & Partial<Pick<Reservation, 'facilityId' | 'note'>>;

/** A local date-time like 2026-11-26T10:00 (seconds optional) that exists on the calendar (no 2026-02-31, no 25:00). */
export function isDateTime(text: string): boolean {
  if (!DATETIME.test(text)) return false;
  const [y, mo, d, h, mi, s] = text.split(/[-T:]/).map(Number) as [number, number, number, number, number, number | undefined];
  const day = new Date(0);
  day.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it reads years 0-99 as 1900-1999
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h <= 23 && mi <= 59 && (s ?? 0) <= 59;
}

function checkReservation(r: ReservationInput): void {
  if (typeof r.title !== 'string' || !r.title.trim() || r.title.length > 200) throw new BadRequest('E_RESERVATION', 'title must be 1-200 characters');
  if (!isDateTime(r.start) || !isDateTime(r.end)) throw new BadRequest('E_RESERVATION', 'start and end must be date-times like 2026-11-26T10:00');
  if (r.end < r.start) throw new BadRequest('E_RESERVATION', 'end must not be before start');
}

/** Reservations (personal schedule) and facility calendars (設備予約). */
export class CalendarRepo {
  constructor(private readonly sdb: ServerDatabase) {}

  list(owner: string, range?: { from?: string; to?: string }): Reservation[] {
    const rows = this.sdb.prepare('SELECT * FROM reservations WHERE owner = ? AND (? IS NULL OR end >= ?) AND (? IS NULL OR start < ?) ORDER BY start, id')
      .all(owner, range?.from ?? null, range?.from ?? null, range?.to ?? null, range?.to ?? null) as ResRow[];
    return rows.map(toRes);
  }

  get(id: number): Reservation | null {
    const row = this.sdb.prepare('SELECT * FROM reservations WHERE id = ?').get(id) as ResRow | undefined;
    return row ? toRes(row) : null;
  }

  forFacility(facilityId: number): Reservation[] {
    return (this.sdb.prepare('SELECT * FROM reservations WHERE facility_id = ? ORDER BY start').all(facilityId) as ResRow[]).map(toRes);
  }

  create(owner: string, input: ReservationInput): Reservation {
    checkReservation(input);
    const id = this.sdb.write({ service: 'calendar', operation: 'reservation-create', object: `${owner}: ${input.title}` }, () =>
      Number(this.sdb.prepare('INSERT INTO reservations (owner, title, start, end, facility_id, note) VALUES (?, ?, ?, ?, ?, ?)')
        .run(owner, input.title, input.start, input.end, input.facilityId ?? null, input.note ?? '').lastInsertRowid));
    return this.get(id)!;
  }

  update(id: number, patch: Partial<ReservationInput>): Reservation {
    const current = this.get(id);
    if (!current) throw new NotFound('E_NO_RESERVATION', `no reservation ${id}`);
    const next = { ...current, ...patch };
    checkReservation(next);
    this.sdb.write({ service: 'calendar', operation: 'reservation-update', object: `${current.owner}#${id}` }, () => {
      this.sdb.prepare('UPDATE reservations SET title = ?, start = ?, end = ?, facility_id = ?, note = ? WHERE id = ?')
        .run(next.title, next.start, next.end, next.facilityId ?? null, next.note ?? '', id);
    });
    return this.get(id)!;
  }

  delete(id: number): void {
    const current = this.get(id);
    if (!current) throw new NotFound('E_NO_RESERVATION', `no reservation ${id}`);
    this.sdb.write({ service: 'calendar', operation: 'reservation-delete', object: `${current.owner}#${id}` }, () => {
      this.sdb.prepare('DELETE FROM reservations WHERE id = ?').run(id);
    });
  }

  facilities(): Facility[] {
    return (this.sdb.prepare('SELECT * FROM facilities ORDER BY name').all() as FacRow[]).map(toFac);
  }

  facility(id: number): Facility | null {
    const row = this.sdb.prepare('SELECT * FROM facilities WHERE id = ?').get(id) as FacRow | undefined;
    return row ? toFac(row) : null;
  }

  searchFacilities(text: string): Facility[] {
    return (this.sdb.prepare("SELECT * FROM facilities WHERE instr(name, ?) > 0 OR instr(department, ?) > 0 ORDER BY name").all(text, text) as FacRow[]).map(toFac);
  }

  createFacility(input: { name: string; department?: string; permitted?: string[] }): Facility {
    if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 100) throw new BadRequest('E_FACILITY', 'facility name must be 1-100 characters');
    if (this.sdb.prepare('SELECT 1 FROM facilities WHERE name = ?').get(input.name)) throw new BadRequest('E_FACILITY_EXISTS', `facility ${input.name} already exists`);
    const id = this.sdb.write({ service: 'calendar', operation: 'facility-create', object: input.name }, () =>
      Number(this.sdb.prepare('INSERT INTO facilities (name, department, permitted) VALUES (?, ?, ?)')
        .run(input.name, input.department ?? '', JSON.stringify(input.permitted ?? [])).lastInsertRowid));
    return this.facility(id)!;
  }

  /** 利用許可: who may reserve the facility. */
  setPermitted(id: number, users: string[]): Facility {
    const f = this.facility(id);
    if (!f) throw new NotFound('E_NO_FACILITY', `no facility ${id}`);
    this.sdb.write({ service: 'calendar', operation: 'facility-permit', object: f.name }, () => {
      this.sdb.prepare('UPDATE facilities SET permitted = ? WHERE id = ?').run(JSON.stringify([...new Set(users)]), id);
    });
    return this.facility(id)!;
  }
}
