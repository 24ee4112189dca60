import { randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../../emulator/clock.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'TWSESSION';
/** Idle time after which a session ends (emulator default: 30 minutes, like the IMAP auto-logout). */
export const SESSION_IDLE_MS = 30 * 60_000;
/** Most sessions kept per server; the least recently used goes first. */
export const MAX_SESSIONS = 10_000;

export interface WebSession {
  id: string;
  user: string;
  displayName: string;
  isAdmin: boolean;
  /** The synchronizer token every state-changing form must send back (`_csrf`). */
  csrf: string;
  lastSeen: number;
}

/** Sessions of one server's web service, in memory (a restart logs everyone out, as a real server restart would). */
export class SessionStore {
  private readonly sessions = new Map<string, WebSession>();

  /** The idle time is measured on the site's clock (a test moves it to see the autologout). */
  constructor(private readonly clock: Clock = systemClock) {}

  create(account: { name: string; displayName: string; isAdmin: boolean }): WebSession {
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const s: WebSession = {
      id: randomBytes(24).toString('base64url'), user: account.name, displayName: account.displayName, isAdmin: account.isAdmin,
      csrf: randomBytes(24).toString('base64url'), lastSeen: this.clock.now(),
    };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined): WebSession | null {
    if (!id || id.length > 100) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (this.clock.now() - s.lastSeen > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return null;
    }
    s.lastSeen = this.clock.now();
    // Keep the map in least-recently-used order.
    this.sessions.delete(id);
    this.sessions.set(id, s);
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Sessions not idle past the autologout (what `twemu status` counts as web sessions). */
  alive(): number {
    const now = this.clock.now();
    let n = 0;
    for (const s of this.sessions.values()) if (now - s.lastSeen <= SESSION_IDLE_MS) n++;
    return n;
  }
}

/** Constant-time comparison of the submitted CSRF token with the session's. */
export function csrfMatches(session: WebSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
