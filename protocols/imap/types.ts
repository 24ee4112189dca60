import type { Session } from './session.js';

/** The protocol states of RFC 3501 3 (logout is handled by closing). */
export type ImapState = 'not-authenticated' | 'authenticated' | 'selected';

/** A value in a response: atom, number, NIL, quoted string, literal, or parenthesised list. */
export type Value = string | number | null | Quoted | Literal | Value[] | Run | Verbatim;
/** Octets already serialised, written as they are (a cached ENVELOPE): no string to encode again per response. */
export interface Verbatim { verbatim: Buffer }
export interface Quoted { quoted: string }
export interface Literal { literal: Buffer }
/** Values written one after the other with no space between (`1*address`, `1*body`, RFC 3501 9). */
export interface Run { run: Value[] }

export const quoted = (s: string): Quoted => ({ quoted: s });
export const literal = (b: Buffer | string): Literal => ({ literal: Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8') });
/** A string value: quoted when it is plain 7-bit text, a literal otherwise (CR, LF, 8-bit, long). */
export function str(s: string | Buffer | null | undefined): Value {
  if (s === null || s === undefined) return null;
  const text = Buffer.isBuffer(s) ? s.toString('latin1') : s;
  // eslint-disable-next-line no-control-regex
  if (text.length < 1024 && !/[^\x20-\x7e]/.test(text)) return quoted(text);
  return literal(Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
}

export type StatusWord = 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH';

/** `* OK [CODE] text` and friends. */
export interface UntaggedStatus { kind: 'status'; status: StatusWord; code?: string; text: string }
/** `* <values...>` (`* 3 EXISTS`, `* LIST (...) "/" INBOX`, `* 1 FETCH (...)`). */
export interface UntaggedData { kind: 'data'; values: Value[] }
export type Untagged = UntaggedStatus | UntaggedData;

/** The tagged completion: a status, or a catalog text sent as is after the tag. */
export type Tagged = { status: 'OK' | 'NO' | 'BAD'; code?: string; text: string } | { exact: string };

export interface Reply {
  untagged?: Iterable<Untagged> | AsyncIterable<Untagged>;
  /** null: no completion yet (IDLE, AUTHENTICATE waiting for the client). */
  tagged: Tagged | null;
  /** A continuation request (`+ text`) written first (IDLE, AUTHENTICATE). */
  continuation?: string;
  /** Close the connection after the tagged reply (LOGOUT). */
  close?: boolean;
  /** STARTTLS: the TLS handshake starts once the tagged OK is written. */
  startTls?: boolean;
}

export const ok = (text: string, code?: string, untagged?: Reply['untagged']): Reply => ({ tagged: { status: 'OK', code, text }, untagged });
export const no = (text: string, code?: string): Reply => ({ tagged: { status: 'NO', code, text } });
export const bad = (text: string, code?: string): Reply => ({ tagged: { status: 'BAD', code, text } });
export const data = (...values: Value[]): UntaggedData => ({ kind: 'data', values });
export const status = (s: StatusWord, text: string, code?: string): UntaggedStatus => ({ kind: 'status', status: s, code, text });

/** A token of a parsed command line (RFC 3501 9). */
export type Token =
  | { type: 'atom'; value: string }
  | { type: 'string'; value: Buffer; literal: boolean }
  | { type: 'list'; items: Token[] }
  | { type: 'nil' };

export interface ParsedCommand {
  tag: string;
  /** Upper-case command name; `UID FETCH` etc. keep the UID prefix separate. */
  name: string;
  uid: boolean;
  args: Token[];
}

/** Whether the store must be asked (in-flight gate) before the command runs. */
export type StoreUse = 'none' | 'store';

/**
 * What one argument must be (RFC 3501 9), checked once in dispatch before the
 * handler runs (as wildduck's validateCommand does):
 * - `astring`: atom, quoted string or literal; `NIL` is the text "NIL" here;
 * - `mailbox`: an astring naming a mailbox: valid modified UTF-7 (RFC 3501 5.1.3)
 *   or 8-bit UTF-8, else the command is refused with NO;
 * - `pattern`: a mailbox pattern (LIST/LSUB), may hold `%` and `*`;
 * - `atom`, `sequence-set` (`1,3:5,7:*`), `list` (parenthesised), `literal`;
 * - `any`: the handler parses it (SEARCH keys, FETCH items, flags, LIST options).
 */
export type ArgKind = 'astring' | 'mailbox' | 'pattern' | 'atom' | 'sequence-set' | 'list' | 'literal' | 'any';
export interface ArgSpec {
  name: string;
  kind: ArgKind;
  /** May be left out (only trailing arguments). */
  optional?: boolean;
  /** Takes every remaining argument (at least one unless optional). */
  rest?: boolean;
}

/** One command, as data: its name, the states it is valid in, its arguments and a handler returning a reply. */
export interface CommandSpec {
  name: string;
  states: readonly ImapState[];
  /** The arguments, checked in dispatch; a mismatch is BAD (a bad mailbox name NO) and the handler never runs. */
  args: readonly ArgSpec[];
  /** The arguments of the UID variant, when they differ (UID EXPUNGE takes a UID set). */
  uidArgs?: readonly ArgSpec[];
  /** `store`: touches the mail store (answered with the in-flight behaviour while suspended). */
  store: StoreUse;
  /** Has a UID variant (`UID FETCH`, ...). */
  uid?: boolean;
  /** The capability that brings the command (`MOVE`, `IDLE`); where the profile does not offer it, it is unknown. */
  capability?: string;
  /** The UID variant needs this capability (UID EXPUNGE: UIDPLUS). */
  uidCapability?: string;
  handle(session: Session, cmd: ParsedCommand): Reply | Promise<Reply>;
}

/** An error in the arguments of a command: answered with BAD. */
export class ImapSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImapSyntaxError';
  }
}

/** An argument that parses but cannot be used (a mailbox name that is not valid modified UTF-7): answered with NO. */
export class ArgumentRefused extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'ImapArgumentRefused';
  }
}
