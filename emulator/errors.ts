// One base error class and one catalogue of error codes (after fastify's
// lib/errors.js and undici's lib/core/errors.js). Every error the emulator
// raises has a stable code from `ERRORS`; the table says, once, how each code
// looks on every wire: the HTTP status (control API, desktop-client
// operations), the IMAP response code, the POP3 response code (RFC 2449), the
// AME rc, and the CLI exit code. The wire mappings (control/app.ts,
// protocols/web/pages.ts, protocols/imap/session.ts, protocols/pop3,
// protocols/ame/plugin.ts, cli.ts) read the table; none compares code strings.

/** How one error code appears on each wire. */
export interface ErrorSpec {
  /** The condition, in a few words (the default message; throw sites usually say more). */
  readonly message: string;
  /** HTTP status (control API, desktop-client operations, web pages). */
  readonly status: number;
  /** IMAP response code of the tagged NO (RFC 5530), when there is one. */
  readonly imap?: string;
  /** POP3 response code (RFC 2449/3206), when there is one. */
  readonly pop3?: string;
  /** AME rc (protocols/ame/codes.ts); when absent, by status: 400 -> -2, 404 -> -3, else -1 (`ameRc`). */
  readonly ame?: number;
  /** CLI exit code; 1 when absent. */
  readonly exit?: number;
}

// Every 400 is AME -2 (bad argument) but E_LOCKED (-5, refused), every 404 AME -3
// (not found); 409 is a refusal by state or order (the procedure's rules).
export const ERRORS = {
  // Requests and input
  E_BAD_REQUEST: { status: 400, ame: -2, message: 'the request is malformed' },
  E_UNKNOWN_COMMAND: { status: 400, ame: -2, message: 'no such procedure command' },
  E_POLICY: { status: 400, ame: -2, message: 'the behaviour policy is malformed' },
  E_DEST: { status: 400, ame: -2, message: 'the backup destination is not a folder given as an absolute path' },
  E_LEVEL: { status: 400, ame: -2, message: 'the backup level is not 0, 1 or 2' },
  E_BAD_FILE: { status: 400, ame: -2, message: 'the file is outside the server\'s data directory' },
  E_CSRF: { status: 403, message: 'a cookie-authenticated state-changing request lacks the console header' },
  E_NOT_FOUND: { status: 404, ame: -3, message: 'no such route or asset' },
  E_INTERNAL: { status: 500, imap: 'SERVERBUG', pop3: 'SYS/TEMP', message: 'internal error' },
  E_HTTP: { status: 502, message: 'another site answered with an error' },
  E_UNKNOWN: { status: 500, message: 'an error reply without a code (what a scenario records then)' },
  // Authentication and rights
  E_UNAUTHORIZED: { status: 401, message: 'missing or wrong credentials' },
  E_LOGIN_AGAIN: { status: 401, message: 'the desktop-client session has ended; log in again' },
  E_FORBIDDEN: { status: 403, message: 'the operation needs an administrator' },
  E_SERVICE_UNAVAILABLE: { status: 403, ame: -6, message: 'the account may not use this service' },
  E_DELETE_SELF: { status: 400, ame: -2, message: 'an administrator cannot delete their own account' },
  E_NOT_PERMITTED: { status: 403, ame: -5, message: 'the user may not do this (another user\'s data, a facility not permitted to them)' },
  E_WRONG_SERVER: { status: 409, ame: -1, imap: 'UNAVAILABLE', message: 'the account\'s data is on another server' },
  // Directory
  E_NO_ACCOUNT: { status: 404, ame: -3, message: 'no such account' },
  E_ACCOUNT_NAME: { status: 400, ame: -2, message: 'the account name is malformed' },
  E_ACCOUNT_EXISTS: { status: 400, ame: -2, message: 'the account already exists' },
  E_PASSWORD: { status: 400, ame: -2, message: 'a password is required' },
  E_NO_TEMPLATE: { status: 404, ame: -3, message: 'no such user template' },
  E_TEMPLATE_NAME: { status: 400, ame: -2, message: 'the template name is malformed' },
  E_TEMPLATE_EXISTS: { status: 400, ame: -2, message: 'the user template already exists' },
  E_HOME_SERVER: { status: 400, ame: -2, message: 'the home server does not run the mail service' },
  // Mail
  E_NO_FOLDER: { status: 404, ame: -3, imap: 'NONEXISTENT', message: 'no such mail folder' },
  E_FOLDER_NAME: { status: 400, ame: -2, message: 'the folder name is malformed' },
  E_FOLDER_EXISTS: { status: 400, ame: -2, imap: 'ALREADYEXISTS', message: 'the folder already exists' },
  E_FOLDER_PROTECTED: { status: 400, ame: -2, imap: 'CANNOT', message: 'a default folder cannot be deleted or renamed' },
  E_SIGNATURE: { status: 400, ame: -2, message: 'the signature is too long' },
  // Calendar
  E_RESERVATION: { status: 400, ame: -2, message: 'the reservation is malformed' },
  E_NO_RESERVATION: { status: 404, ame: -3, message: 'no such reservation' },
  E_FACILITY: { status: 400, ame: -2, message: 'the facility name is malformed' },
  E_FACILITY_EXISTS: { status: 400, ame: -2, message: 'the facility already exists' },
  E_NO_FACILITY: { status: 404, ame: -3, message: 'no such facility' },
  E_CLASH: { status: 409, ame: -5, message: 'the facility is already reserved for an overlapping time' },
  E_EXISTS: { status: 409, ame: -5, message: 'a thing of that name already exists' },
  // Forum, library, memos, bookmarks
  E_FORUM: { status: 400, ame: -2, message: 'the forum name is malformed' },
  E_NO_FORUM: { status: 404, ame: -3, message: 'no such forum' },
  E_POST: { status: 400, ame: -2, message: 'the forum post is malformed' },
  E_DOCUMENT: { status: 400, ame: -2, message: 'the document is malformed' },
  E_NO_DOCUMENT: { status: 404, ame: -3, message: 'no such document' },
  E_LOCKED: { status: 400, ame: -5, message: 'the document is locked by another user' },
  E_MEMO: { status: 400, ame: -2, message: 'the memo is malformed' },
  E_NO_MEMO: { status: 404, ame: -3, message: 'no such memo' },
  E_BOOKMARK: { status: 400, ame: -2, message: 'the bookmark is malformed' },
  E_NO_BOOKMARK: { status: 404, ame: -3, message: 'no such bookmark' },
  // Site, servers, catalog
  E_NO_SERVER: { status: 404, ame: -3, message: 'no such server' },
  E_NO_SERVICE: { status: 400, ame: -2, message: 'the server does not run this service' },
  E_NO_BEHAVIOUR: { status: 404, ame: -3, message: 'no such behaviour' },
  E_NO_OPERATION: { status: 404, ame: -3, message: 'no such desktop-client operation' },
  E_NO_FILE: { status: 404, ame: -3, message: 'no such file in the server\'s data directory' },
  E_NOT_STARTED: { status: 503, message: 'the service is not running' },
  E_SEARCHPRO_BUSY: { status: 409, message: 'an index build is already in progress' },
  E_SEARCHPRO_INDEXING: { status: 409, message: 'SearchPro is building its index' },
  E_FAX_QUEUE_FULL: { status: 503, message: 'the fax queue is full' },
  // The backup procedure (procedure.ts rules)
  E_ALREADY_SUSPENDED: { status: 409, message: 'the service is already suspended' },
  E_SUSPEND_ORDER: { status: 409, message: 'suspend the application servers before the directory server' },
  E_NOT_SUSPENDED: { status: 409, message: 'the service is not suspended' },
  E_RESUME_ORDER: { status: 409, message: 'resume the directory server before the application servers' },
  E_ALREADY_BACKUP_ON: { status: 409, message: 'the server is already in backup mode' },
  E_NOT_BACKUP_ON: { status: 409, message: 'the server is not in backup mode' },
  E_BACKUP_NOT_DONE: { status: 409, message: 'not every server has been backed up' },
  E_NOT_BACKED_UP: { status: 409, message: 'the server has not been backed up yet' },
  E_NO_WEB_SERVICE: { status: 409, message: 'the server runs no web service' },
  E_ALREADY_ARCHIVED: { status: 409, message: 'the web archive is already present' },
  E_NO_ARCHIVE: { status: 409, message: 'there is no web archive' },
  E_ARC_ORDER: { status: 409, message: 'tobkweb arc is out of order' },
  E_ARC_BEFORE_RESUME: { status: 409, message: 'run tobkweb arc before resuming' },
  E_CYCLE_IN_PROGRESS: { status: 409, message: 'an online backup cycle is past step 1' },
  E_NOT_RESUMED: { status: 409, message: 'step 4 (to tran resume) is not complete on every server' },
  E_NOT_ARCHIVED: { status: 409, message: 'tobkweb arc has not run on the server in this cycle' },
  E_ARCHIVE_NOT_REMOVED: { status: 409, message: 'step 6 (tobkweb rm) is not complete on every server' },
  // Backup utility and restore
  E_LEVEL0_REQUIRED: { status: 409, message: 'the first backup after a restore must be level 0 (an emulator default)' },
  E_NO_BASE: { status: 409, message: 'no base backup to build on' },
  E_BACKUP_CHANGED: { status: 500, message: 'a file changed while it was being copied' },
  E_NO_BACKUP: { status: 400, ame: -2, message: 'no backup there' },
  E_DATA_IN_USE: { status: 400, ame: -2, message: 'the data directory already holds a site' },
  E_RESTORE_COPY: { status: 500, message: 'a restored copy does not match its checksum' },
  E_BACKUP_INVALID: { status: 409, message: 'the backup failed verification (twemu backup verify)' },
  E_BACKUP_RUNNING: { status: 409, message: 'a differential backup of the server is still running' },
  E_NO_JOB: { status: 404, ame: -3, message: 'no such backup job' },
  E_OVERLAP: { status: 400, ame: -2, message: 'two folders overlap (--from, --data, --dest)' },
  E_DATA_NOT_EMPTY: { status: 400, ame: -2, message: 'the folder is not empty and holds no site' },
  E_DATA_FOLDER: { status: 400, ame: -2, message: 'the data folder cannot be created, or is a file' },
  E_DATA_LOCKED: { status: 409, message: 'the data folder is in use by another twemu process' },
  // Resources
  E_DISK_FULL: { status: 507, imap: 'OVERQUOTA', pop3: 'SYS/TEMP', ame: -8, message: 'no space left on the disk; nothing was written' },
  // Start-up, configuration, CLI
  E_CONFIG: { status: 400, ame: -2, message: 'the configuration is invalid' },
  E_TOPOLOGY: { status: 400, ame: -2, message: 'the data directory holds another site layout' },
  E_PORT_IN_USE: { status: 500, message: 'a port is already in use' },
  E_HOST: { status: 500, message: 'the listen address is not available' },
  E_PORT_ACCESS: { status: 500, message: 'no permission for the port' },
  E_USAGE: { status: 400, ame: -2, exit: 2, message: 'the command line is malformed' },
  E_NO_TOKEN: { status: 401, message: 'no admin token' },
  E_NO_SITE: { status: 503, message: 'no running site' },
  E_SITE_TIMEOUT: { status: 504, message: 'the site did not answer in time' },
  E_WRITE: { status: 500, message: 'cannot write the file' },
  E_SCENARIO_FILE: { status: 400, ame: -2, message: 'cannot read the scenario file' },
  E_SCENARIO_INVALID: { status: 400, ame: -2, message: 'the scenario file does not validate' },
  E_SCENARIO_RUNNING: { status: 409, message: 'a scenario is already running on this site from the console' },
  E_NO_SCENARIO_RUN: { status: 404, message: 'no such scenario run' },
} as const satisfies Record<`E_${string}`, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
type CodeWithStatus<S extends number> = { [K in ErrorCode]: (typeof ERRORS)[K]['status'] extends S ? K : never }[ErrorCode];
/** Codes whose HTTP status is 404 (the `NotFound` class takes only these). */
export type NotFoundCode = CodeWithStatus<404>;
/** Codes whose HTTP status is 400 (the `BadRequest` class takes only these). */
export type BadRequestCode = CodeWithStatus<400>;
/** Codes whose HTTP status is 409 (the `CommandRefused` class takes only these). */
export type RefusalCode = CodeWithStatus<409>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The table row of a code. */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERRORS[code];
}

/** The AME rc of a code: its `ame`, else by status (bad argument -2, not found -3, server error -1). */
export function ameRc(code: ErrorCode): number {
  const spec: ErrorSpec = ERRORS[code];
  return spec.ame ?? (spec.status === 400 ? -2 : spec.status === 404 ? -3 : -1);
}

export class TwemuError extends Error {
  readonly code: ErrorCode;
  /** What the user should do next, one short sentence. */
  readonly hint?: string;
  /** HTTP status the control API answers with (from `ERRORS`). */
  readonly status: number;
  constructor(code: ErrorCode, message: string = ERRORS[code].message, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TwemuError';
    this.code = code;
    this.hint = opts.hint;
    this.status = ERRORS[code].status;
  }
  /** The one line a CLI user sees. */
  line(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
  toJSON(): { error: string; message: string; hint?: string } {
    return { error: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** A procedure command refused: wrong state or wrong order (HTTP 409). */
export class CommandRefused extends TwemuError {
  declare readonly code: RefusalCode;
  /** The ordering rule broken, when the refusal is about order. */
  readonly rule?: string;
  /** The next command the procedure allows (strict mode), when there is one. */
  readonly next?: string;
  constructor(code: RefusalCode, message: string, hint: string, rule?: string, next?: string) {
    super(code, message, { hint });
    this.name = 'CommandRefused';
    this.rule = rule;
    this.next = next;
  }
  /** The one line a CLI user sees, naming the rule. */
  override line(): string {
    const head = this.rule ? `${this.message} (rule ${this.rule})` : this.message;
    return this.hint ? `${head}; ${this.hint}` : head;
  }
  override toJSON(): { error: string; message: string; hint?: string; rule?: string; next?: string } {
    return { ...super.toJSON(), ...(this.rule ? { rule: this.rule } : {}), ...(this.next ? { next: this.next } : {}) };
  }
}

export class NotFound extends TwemuError {
  constructor(code: NotFoundCode, message: string, hint?: string) {
    super(code, message, { hint });
    this.name = 'NotFound';
  }
}

export class BadRequest extends TwemuError {
  constructor(code: BadRequestCode, message: string, hint?: string) {
    super(code, message, { hint });
    this.name = 'BadRequest';
  }
}

/**
 * An error another twemu site answered with (the CLI's client of a running
 * site): `code` is the remote code when this build knows it, else E_HTTP;
 * `status` is the remote HTTP status.
 */
export class RemoteError extends TwemuError {
  override readonly status: number;
  readonly remoteCode: string;
  constructor(remoteCode: string, message: string, status: number, hint?: string) {
    super(isErrorCode(remoteCode) ? remoteCode : 'E_HTTP', message, { hint });
    this.name = 'RemoteError';
    this.remoteCode = remoteCode;
    this.status = status;
  }
  override toJSON(): { error: string; message: string; hint?: string } {
    return { ...super.toJSON(), error: this.remoteCode };
  }
}
