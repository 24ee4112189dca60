// The typed answer of every domain operation. A front end never re-checks a
// rule: it translates the refusal into its wire form (-ERR, NO, an AME rc, an
// HTTP status, a page).

import { TwemuError, type ErrorCode } from '../errors.js';

/** Why the domain said no. */
export type Refusal =
  | 'not-found' // no such thing (or not the caller's, where that must not be told)
  | 'not-permitted' // it exists, the caller may not do this (another user's reservation, facility not permitted, a document locked by another)
  | 'clash' // the facility is already reserved for that time
  | 'exists' // a thing of that name already exists (a facility)
  | 'bad-input' // the values break a rule of the data (title length, date-time)
  | 'bad-credentials' // wrong user name or password
  | 'service-unavailable' // the Directory has the service turned off for the account
  | 'wrong-server'; // the account's data is on another server (POP3, IMAP connect to the home server)

export interface Refused<R extends Refusal = Refusal> {
  ok: false;
  refused: R;
  /** One line for logs and for front ends that show the domain's words (AME, the control API). */
  message: string;
}

export type Outcome<T, R extends Refusal = Refusal, D = unknown> = { ok: true; value: T } | (Refused<R> & D);

/** The error-catalogue code of each refusal (emulator/errors.ts says how it looks on every wire). */
export const REFUSAL_CODE = {
  'not-found': 'E_NOT_FOUND', 'not-permitted': 'E_NOT_PERMITTED', clash: 'E_CLASH', exists: 'E_EXISTS', 'bad-input': 'E_BAD_REQUEST',
  'bad-credentials': 'E_UNAUTHORIZED', 'service-unavailable': 'E_SERVICE_UNAVAILABLE', 'wrong-server': 'E_WRONG_SERVER',
} as const satisfies Record<Refusal, ErrorCode>;

/** A refusal as the catalogue's error (for front ends that answer with an error code: the control API, AME). */
export function refusalError(r: Refused): TwemuError {
  return new TwemuError(REFUSAL_CODE[r.refused], r.message);
}

/** The value, or the refusal thrown as the catalogue's error. */
export function valueOrThrow<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw refusalError(outcome);
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export function refuse<R extends Refusal, D extends object = object>(refused: R, message: string, detail?: D): Refused<R> & D {
  return { ok: false, refused, message, ...(detail ?? ({} as D)) };
}
