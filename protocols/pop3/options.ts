import { TwemuError } from '../../emulator/errors.js';
import { integerSetting } from '../../emulator/settings.js';

/** RFC 1939 section 3: the autologout timer must be at least 10 minutes. */
export const DEFAULT_AUTOLOGOUT_MS = 10 * 60_000;
/** RFC 2449 section 4 limits a command line to 255 octets; we accept more but stay bounded. */
export const DEFAULT_MAX_LINE = 1024;
export const MIN_MAX_LINE = 255;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_MAX_BAD_COMMANDS = 10;
/** Emulator default: what follows the seed's `-ERR unable to lock maildrop` (the seed elides it). */
export const DEFAULT_LOGIN_DETAIL = ' (emulator detail: the server is suspended for an online backup)';
/** Lines read ahead of the command being answered (pipelining) before reading from the socket pauses. */
export const MAX_PENDING_LINES = 64;

export interface Pop3Options {
  /** Appended to the catalog's `-ERR unable to lock maildrop` line (pop3.login). */
  loginDetail: string;
  /** Idle time after which a session is closed (no UPDATE state: nothing is deleted). */
  autologoutMs: number;
  /** Connections per server beyond which a new one gets `-ERR` and is closed. */
  maxConnections: number;
  /** Unknown commands, bad arguments, wrong-state commands and over-long lines a session may send before it is closed. */
  maxBadCommands: number;
  /** POP3's own delay before the reply to a failed USER/PASS or APOP; absent: services.access.failedLoginDelayMs (every protocol's). */
  failedLoginDelayMs: number | undefined;
  /** Longest command line accepted, in octets with its CRLF. */
  maxLineLength: number;
  /** Which emulator text QUIT answers with when pop3.quit-after-dele fires. */
  quitAfterDeleVariant: 'plain' | 'coded';
}

const KEYS = ['loginDetail', 'autologoutMs', 'maxConnections', 'maxBadCommands', 'failedLoginDelayMs', 'maxLineLength', 'quitAfterDeleVariant'];

const integer = (raw: Record<string, unknown>, key: string, fallback: number, min: number, max: number) => integerSetting(raw, 'services.pop3', key, fallback, min, max);

/** Reads and checks `services.pop3` of the site configuration; throws E_CONFIG with the reason. */
export function pop3Options(input: unknown): Pop3Options {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new TwemuError('E_CONFIG', 'services.pop3 must be a mapping');
  const raw = input as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !KEYS.includes(k));
  if (unknown.length) {
    throw new TwemuError('E_CONFIG', `services.pop3: unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, { hint: `the options are ${KEYS.join(', ')}` });
  }
  const detail = raw.loginDetail ?? DEFAULT_LOGIN_DETAIL;
  // eslint-disable-next-line no-control-regex
  if (typeof detail !== 'string' || /[\x00-\x1f\x7f]/.test(detail) || Buffer.byteLength(detail) > 200) {
    throw new TwemuError('E_CONFIG', 'services.pop3.loginDetail must be a string of at most 200 octets without control characters (CR, LF)');
  }
  const variant = raw.quitAfterDeleVariant ?? 'plain';
  if (variant !== 'plain' && variant !== 'coded') {
    throw new TwemuError('E_CONFIG', `services.pop3.quitAfterDeleVariant must be "plain" or "coded", not ${JSON.stringify(variant)}`);
  }
  return {
    loginDetail: detail,
    autologoutMs: integer(raw, 'autologoutMs', DEFAULT_AUTOLOGOUT_MS, 10, 24 * 3600_000),
    maxConnections: integer(raw, 'maxConnections', DEFAULT_MAX_CONNECTIONS, 1, 100_000),
    maxBadCommands: integer(raw, 'maxBadCommands', DEFAULT_MAX_BAD_COMMANDS, 1, 1000),
    failedLoginDelayMs: raw.failedLoginDelayMs === undefined ? undefined : integer(raw, 'failedLoginDelayMs', 0, 0, 60_000),
    maxLineLength: integer(raw, 'maxLineLength', DEFAULT_MAX_LINE, MIN_MAX_LINE, 65_536),
    quitAfterDeleVariant: variant,
  };
}
