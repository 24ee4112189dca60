// One base error class; one stable code per condition (after undici/fastify).
// The mapping to a wire reply is written once per protocol; the CLI prints
// `message` (one line) and exits non-zero.

export class TwemuError extends Error {
  readonly code: string;
  /** What the user should do next, one short sentence. */
  readonly hint?: string;
  /** HTTP status the control API answers with. */
  readonly status: number;
  constructor(code: string, message: string, opts: { hint?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TwemuError';
    this.code = code;
    this.hint = opts.hint;
    this.status = opts.status ?? 400;
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
  /** The ordering rule broken, when the refusal is about order. */
  readonly rule?: string;
  constructor(code: string, message: string, hint: string, rule?: string) {
    super(code, message, { hint, status: 409 });
    this.name = 'CommandRefused';
    this.rule = rule;
  }
}

export class NotFound extends TwemuError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, { hint, status: 404 });
    this.name = 'NotFound';
  }
}

export class BadRequest extends TwemuError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, { hint, status: 400 });
    this.name = 'BadRequest';
  }
}
