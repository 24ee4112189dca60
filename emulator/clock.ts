import { TwemuError } from './errors.js';

/**
 * The site's clock: where every domain time comes from (demo reservations,
 * "today" in the calendars, the web client's autologout, backup and staging
 * times, event times, dates of mail the site writes). Timeouts that only
 * measure how long something took (socket deadlines, scenario waits) use the
 * machine's clock, not this one.
 */
export interface Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  now(): number;
}

/** The machine's clock (the default). */
export const systemClock: Clock = { now: () => Date.now() };

/** What a config file (or `TWEMU_NOW`) can say: the site's time starts at `start` and runs from there. */
export interface ClockSetting {
  start: string;
}

/** A clock that reads `start` when it is created and then runs at the machine's pace. */
export function startingAt(start: number): Clock {
  const origin = performance.now();
  return { now: () => start + Math.floor(performance.now() - origin) };
}

/** A clock that stands still until a test moves it. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(to: number | string | Date): void {
    this.ms = typeof to === 'number' ? to : new Date(to).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

function isClock(value: unknown): value is Clock {
  return typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function';
}

/** Checks a `clock` setting; the message says what is wrong. */
export function checkClockSetting(value: unknown, where: string): void {
  if (isClock(value)) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TwemuError('E_CONFIG', `${where}: clock must be a mapping like {start: "2027-12-31T23:59:30+09:00"}`);
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'start' || typeof (value as ClockSetting).start !== 'string' || !Number.isFinite(Date.parse((value as ClockSetting).start))) {
    throw new TwemuError('E_CONFIG', `${where}: clock must be {start: <ISO 8601 date-time>}, e.g. {start: "2027-12-31T23:59:30+09:00"}`);
  }
}

/** The clock a site runs on: the given one, one that starts at a set time, or the machine's. */
export function resolveClock(setting: Clock | ClockSetting | undefined): Clock {
  if (setting === undefined) return systemClock;
  if (isClock(setting)) return setting;
  return startingAt(Date.parse(setting.start));
}

/** `YYYY-MM-DD` of `ms` in the process's time zone, `offsetDays` later. */
export function localDate(ms: number, offsetDays = 0): string {
  const d = new Date(ms);
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
