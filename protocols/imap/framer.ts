// Bytes -> command units. A unit is one command: its line segments and the
// literals between them (`A1 LOGIN {5}\r\nalice {8}\r\nteamware\r\n` is three
// segments and two literals). Only the framer sees the socket's bytes; it
// knows nothing of commands beyond the `{n}` / `{n+}` literal markers.

export interface CommandUnit {
  /** Text segments without CRLF; segments.length === literals.length + 1. */
  segments: Buffer[];
  literals: Buffer[];
}

export interface LiteralAnnounce {
  size: number;
  /** Synchronising `{n}` (the client waits for `+`) or non-synchronising `{n+}` (LITERAL+). */
  sync: boolean;
  /** The command's first segment, to find its tag and name. */
  first: Buffer;
  /** Bytes of the literals this command already sent (a cap holds for the whole command). */
  soFar: number;
}

export type LiteralVerdict = { accept: true } | { accept: false; reply: string; close: boolean };

export interface FramerHooks {
  unit(u: CommandUnit): void;
  literal(a: LiteralAnnounce): LiteralVerdict;
  /** Send `+ ...` for a synchronising literal. */
  continueLiteral(): void;
  /** A line longer than the limit was dropped; `tag` is what it started with. */
  lineTooLong(tag: string | null): void;
  literalTimeout(): void;
  /** Write a raw line (rejections). */
  write(text: string): void;
  close(): void;
}

const LITERAL_AT_END = /\{(\d{1,12})(\+?)\}$/;

/**
 * A budget for literal bytes being received, shared by every session of a
 * site (`services.imap.maxLiteralBytesInFlight`): a literal is reserved when it
 * is accepted and released when its command has been handed out (or the
 * connection ends), so many sessions announcing big literals cannot hold more
 * than the budget in memory together.
 */
export class LiteralBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  get inFlight(): number {
    return this.used;
  }
  reserve(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

const budgets = new WeakMap<object, LiteralBudget>();
/** The one budget of a site (keyed by the site object). */
export function literalBudgetOf(site: object, limit: number): LiteralBudget {
  let b = budgets.get(site);
  if (!b) budgets.set(site, (b = new LiteralBudget(limit)));
  return b;
}

export class Framer {
  private buf: Buffer = Buffer.alloc(0);
  private segments: Buffer[] = [];
  private literals: Buffer[] = [];
  private textLength = 0;
  /** Bytes still expected for the current literal, or -1 in line mode. */
  private remaining = -1;
  private literalChunks: Buffer[] = [];
  private discarding: { tag: string | null } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private closed = false;
  /** Bytes of this command's literals reserved in the site-wide budget. */
  private reserved = 0;

  constructor(private readonly limits: { maxLineLength: number; literalTimeoutMs: number; literalBudget?: LiteralBudget }, private readonly hooks: FramerHooks) {}

  push(chunk: Buffer): void {
    if (this.closed) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.run();
  }

  get waitingForLiteral(): boolean {
    return this.remaining >= 0;
  }

  /** Bytes buffered and not yet handed out. */
  get buffered(): number {
    return this.buf.length;
  }

  /**
   * Forgets every byte received and not yet handed out (STARTTLS: commands the
   * client pipelined in plain text are not run inside TLS, RFC 3501 6.2.1).
   */
  discardBuffered(): void {
    this.buf = Buffer.alloc(0);
    this.reset();
    this.literalChunks = [];
    this.remaining = -1;
    this.discarding = null;
    this.clearTimer();
  }

  stop(): void {
    this.closed = true;
    this.clearTimer();
    this.releaseBudget();
    // Nothing received stays referenced by a closed session.
    this.buf = Buffer.alloc(0);
    this.literalChunks = [];
    this.segments = [];
    this.literals = [];
  }

  private releaseBudget(): void {
    if (this.reserved) this.limits.literalBudget?.release(this.reserved);
    this.reserved = 0;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private run(): void {
    while (!this.paused && !this.closed && this.buf.length) {
      if (this.remaining >= 0) {
        const take = Math.min(this.remaining, this.buf.length);
        this.literalChunks.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) return;
        this.clearTimer();
        this.literals.push(Buffer.concat(this.literalChunks));
        this.literalChunks = [];
        this.remaining = -1;
        continue;
      }
      const lf = this.buf.indexOf(0x0a);
      if (this.discarding) {
        if (lf < 0) {
          this.buf = Buffer.alloc(0);
          return;
        }
        this.buf = this.buf.subarray(lf + 1);
        const { tag } = this.discarding;
        this.discarding = null;
        this.reset();
        this.hooks.lineTooLong(tag);
        continue;
      }
      if (lf < 0) {
        if (this.textLength + this.buf.length > this.limits.maxLineLength) this.startDiscard();
        return;
      }
      let line = this.buf.subarray(0, lf);
      this.buf = this.buf.subarray(lf + 1);
      if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      this.textLength += line.length;
      if (this.textLength > this.limits.maxLineLength) {
        const tag = tagOf(this.segments[0] ?? line);
        this.reset();
        this.hooks.lineTooLong(tag);
        continue;
      }
      // A copy: the socket's chunk may be reused.
      this.segments.push(Buffer.from(line));
      const m = LITERAL_AT_END.exec(line.toString('latin1'));
      if (!m) {
        const unit = { segments: this.segments, literals: this.literals };
        this.reset();
        this.hooks.unit(unit);
        continue;
      }
      const size = Number(m[1]);
      const sync = m[2] !== '+';
      const soFar = this.literals.reduce((n, l) => n + l.length, 0);
      const verdict = this.hooks.literal({ size, sync, first: this.segments[0]!, soFar });
      if (!verdict.accept) {
        this.reset();
        this.hooks.write(verdict.reply);
        if (verdict.close || !sync) {
          // The client sends a non-synchronising literal regardless: the stream cannot be resynchronised.
          this.closed = true;
          this.hooks.close();
          return;
        }
        continue;
      }
      const budget = this.limits.literalBudget;
      if (budget && size > 0 && !budget.reserve(size)) {
        // Over the site-wide budget: refused, and the connection closed (a client that sent
        // {n+} sends the bytes regardless; one that waits would only ask again).
        const tag = tagOf(this.segments[0]!);
        this.reset();
        this.hooks.write(`${tag ?? '*'} NO [LIMIT] Too much literal data in flight on this server (${budget.inFlight} of ${budget.limit} bytes); try again later\r\n`);
        this.closed = true;
        this.hooks.close();
        return;
      }
      if (budget && size > 0) this.reserved += size;
      this.remaining = size;
      this.literalChunks = [];
      this.timer = setTimeout(() => {
        this.closed = true;
        this.hooks.literalTimeout();
      }, this.limits.literalTimeoutMs);
      this.timer.unref?.();
      if (sync) this.hooks.continueLiteral();
      if (size === 0) {
        this.clearTimer();
        this.literals.push(Buffer.alloc(0));
        this.remaining = -1;
      }
    }
  }

  private startDiscard(): void {
    this.discarding = { tag: tagOf(this.segments[0] ?? this.buf) };
    this.buf = Buffer.alloc(0);
  }

  private reset(): void {
    this.releaseBudget();
    this.segments = [];
    this.literals = [];
    this.textLength = 0;
  }
}

function tagOf(line: Buffer): string | null {
  const m = /^([^\s(){%*"\\\]]+) /.exec(line.subarray(0, 128).toString('latin1'));
  return m ? m[1]! : null;
}
