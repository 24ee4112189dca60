import { TwemuError } from '../../emulator/errors.js';

/** Options of the IMAP service (`services.imap` in the config file). */
export interface ImapOptions {
  /** Idle sessions are logged out after this many ms (product default: 30 minutes). */
  autologoutMs: number;
  /** Largest literal accepted (APPEND and every other command), bytes. */
  maxLiteralSize: number;
  /** Largest literal accepted before login (LOGIN / AUTHENTICATE arguments), bytes. */
  maxPreauthLiteralSize: number;
  /** Longest command line, bytes (without literals). */
  maxLineLength: number;
  /** Simultaneous connections per server; more are refused with `* BYE`. */
  maxConnections: number;
  /** How long a client may take to send an announced literal, ms. */
  literalTimeoutMs: number;
  /** BAD answers in a row after which the session is closed with `* BYE`. */
  maxBadCommands: number;
  /** Which capabilities are offered (capabilities.ts): `standard`, or `imap4rev1` alone. */
  capabilities: CapabilityProfile;
  /** Literal bytes being received at once by all sessions of the site; a literal over it gets `NO [LIMIT]` and the connection is closed. */
  maxLiteralBytesInFlight: number;
}

export const CAPABILITY_PROFILES = ['standard', 'imap4rev1'] as const;
export type CapabilityProfile = (typeof CAPABILITY_PROFILES)[number];

export const IMAP_DEFAULTS: ImapOptions = {
  autologoutMs: 30 * 60_000,
  maxLiteralSize: 25 * 1024 * 1024,
  maxPreauthLiteralSize: 8 * 1024,
  maxLineLength: 64 * 1024,
  maxConnections: 2000,
  literalTimeoutMs: 60_000,
  maxBadCommands: 20,
  capabilities: 'standard',
  maxLiteralBytesInFlight: 100 * 1024 * 1024,
};

/** Reads `site.config.services.imap`; every mistake is one clear error. */
export function imapOptions(raw: Record<string, unknown> | undefined): ImapOptions {
  const out: ImapOptions = { ...IMAP_DEFAULTS };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TwemuError('E_CONFIG', 'services.imap must be a mapping of options');
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in IMAP_DEFAULTS)) {
      throw new TwemuError('E_CONFIG', `services.imap: unknown option "${key}" (known: ${Object.keys(IMAP_DEFAULTS).join(', ')})`);
    }
    if (key === 'capabilities') {
      if (!CAPABILITY_PROFILES.includes(value as CapabilityProfile)) {
        throw new TwemuError('E_CONFIG', `services.imap.capabilities must be one of ${CAPABILITY_PROFILES.join(', ')}`);
      }
      out.capabilities = value as CapabilityProfile;
      continue;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new TwemuError('E_CONFIG', `services.imap.${key} must be a positive integer`);
    }
    (out as unknown as Record<string, number>)[key] = value;
  }
  return out;
}
