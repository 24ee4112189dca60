// The application execution module's return codes (rc). The product's own C
// API and its codes are not in our sources: -9 and -10 (and "another error")
// come from the seed (administrator guide 19.3.1); every other code and every
// function name is the emulator's.

/** Every rc an AME function can return, with its meaning and HTTP status. */
export const AME_CODES = [
  { rc: 0, name: 'OK', http: 200, meaning: 'success' },
  { rc: -1, name: 'E_SERVER', http: 200, meaning: 'server error: the "another error" some functions return while the service is suspended (services.ame.otherErrorFunctions), or an unexpected failure (then HTTP 500)' },
  { rc: -2, name: 'E_ARGUMENT', http: 400, meaning: 'bad argument: body not a JSON object, a required argument missing, a value of the wrong type or out of range, an unknown argument' },
  { rc: -3, name: 'E_NOT_FOUND', http: 200, meaning: 'not found: user, folder, message, reservation, forum, post or document' },
  { rc: -4, name: 'E_AUTH', http: 401, meaning: 'authentication failed: HTTP Basic credentials missing or wrong' },
  { rc: -5, name: 'E_REFUSED', http: 200, meaning: 'refused: the document is locked by another user, the reservation belongs to another user, the caller is not permitted to use the facility, or the facility is already reserved for an overlapping time' },
  { rc: -6, name: 'E_SERVICE_NOT_PERMITTED', http: 200, meaning: 'the caller\'s account may not use this service (Directory: services)' },
  { rc: -7, name: 'E_NO_FUNCTION', http: 404, meaning: 'no such function' },
  { rc: -8, name: 'E_NO_SPACE', http: 200, meaning: 'the server\'s disk is full: nothing was written; try again when space has been freed (a temporary failure)' },
  { rc: -9, name: 'E_SUSPENDED', http: 200, meaning: 'the service is suspended (online backup): the call found the service suspended when it started (seed: ame.server-call)' },
  { rc: -10, name: 'E_CUT', http: 200, meaning: 'the call\'s server access was cut by the suspension (seed: ame.server-call; emulator default ame.call-cut for a call in progress)' },
] as const;

export type AmeCode = (typeof AME_CODES)[number]['rc'];
export type AmeErrorCode = Exclude<AmeCode, 0>;

export const RC = {
  OK: 0, SERVER: -1, ARGUMENT: -2, NOT_FOUND: -3, AUTH: -4, REFUSED: -5, SERVICE_NOT_PERMITTED: -6, NO_FUNCTION: -7, NO_SPACE: -8, SUSPENDED: -9, CUT: -10,
} as const satisfies Record<string, AmeCode>;

/** HTTP status of a reply: 200 whenever the request itself was well formed (the application reads rc). */
export function httpStatus(rc: number): number {
  return AME_CODES.find((c) => c.rc === rc)?.http ?? 200;
}

export function codeName(rc: number): string {
  return AME_CODES.find((c) => c.rc === rc)?.name ?? 'E_SERVER';
}

/** A function's failure with its documented rc; the plugin turns it into `{rc, error, message}`. */
export class AmeError extends Error {
  constructor(readonly rc: AmeErrorCode, message: string) {
    super(message);
    this.name = 'AmeError';
  }
}
