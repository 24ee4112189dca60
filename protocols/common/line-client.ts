// The one client side of a line protocol (POP3, IMAP) over TCP or TLS, for
// everything that talks to the listeners without a library: the console's demo
// clients, the scenario runner's raw sessions, the wire tests. It keeps what
// the server sent, hands out lines (CRLF-framed; for IMAP a line ending in a
// literal `{n}` runs on through the literal) and bounds every wait in time.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export const DEFAULT_TIMEOUT_MS = 5000;

export interface LineSocketOptions {
  /** Bound of the connection set-up (and the default of every wait). */
  timeoutMs?: number;
  /** Implicit TLS (POP3S, IMAPS): options of `tls.connect`. */
  tls?: ConnectionOptions;
  /** Keep every byte received (wire tests read `text` and `textFrom(mark)`); otherwise what is taken is dropped. */
  keepAll?: boolean;
}

export interface ReadLineOptions {
  timeoutMs?: number;
  /** Frame IMAP literals: a line ending in `{n}` goes on through n bytes to the next CRLF. */
  imap?: boolean;
  /** How the line's bytes are decoded (default utf8). */
  encoding?: BufferEncoding;
  /** A longer unterminated line is handed out cut at this many bytes, followed by `...`. */
  maxLength?: number;
}

/**
 * The first complete line of a buffer, without its CRLF, and how many bytes it
 * used; null while it is incomplete. For IMAP a line ending in a literal `{n}`
 * goes on through the literal's n bytes to the next CRLF (one line for
 * `* 1 FETCH (BODY[] {342}...)`), as the server's framing says.
 */
export function splitLine(buffer: Buffer, protocol: 'pop3' | 'imap', encoding: BufferEncoding = 'utf8'): { line: string; used: number } | null {
  let scanFrom = 0;
  for (;;) {
    const i = buffer.indexOf('\r\n', scanFrom);
    if (i < 0) return null;
    const head = buffer.subarray(scanFrom, i).toString('latin1');
    const literal = protocol === 'imap' ? /\{(\d+)\+?\}$/.exec(head) : null;
    if (!literal) return { line: buffer.subarray(0, i).toString(encoding), used: i + 2 };
    const need = i + 2 + Number(literal[1]);
    if (buffer.length < need) return null;
    scanFrom = need;
  }
}

export class LineSocket {
  /** Set when the server (or `close()`) ended the connection. */
  closed = false;
  /** Resolves when the connection has closed. */
  readonly closedPromise: Promise<void>;
  private data: Buffer = Buffer.alloc(0);
  /** Absolute offset (bytes since connect) of `data[0]`. */
  private base = 0;
  /** Absolute offset of the first byte not taken yet. */
  private consumed = 0;
  private waiters: Array<() => void> = [];
  private resolveClosed!: () => void;

  private constructor(public socket: Socket, private readonly opts: LineSocketOptions) {
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.attach(socket);
  }

  /** Connects (bounded by `timeoutMs`); rejects with the socket's error or a timeout. */
  static connect(host: string, port: number, opts: LineSocketOptions = {}): Promise<LineSocket> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket: Socket = opts.tls ? tlsConnect({ host, port, ...opts.tls }) : netConnect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new LineSocket(socket, opts));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.data = this.data.length ? Buffer.concat([this.data, chunk]) : chunk;
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket !== this.socket) return; // the plain socket under a TLS upgrade
      this.closed = true;
      this.resolveClosed();
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Bytes received and not taken yet. */
  get pending(): Buffer {
    return this.data.subarray(this.consumed - this.base);
  }

  /** How many bytes have arrived since connect (a mark for `textFrom`). */
  mark(): number {
    return this.base + this.data.length;
  }

  /** Everything received from an absolute offset on, as latin1 (with `keepAll`, from 0). */
  textFrom(offset: number): string {
    return this.data.subarray(Math.max(0, offset - this.base)).toString('latin1');
  }

  /** Takes `n` pending bytes. */
  take(n: number): Buffer {
    const out = Buffer.from(this.pending.subarray(0, n));
    this.consumed += out.length;
    if (!this.opts.keepAll) {
      this.data = this.data.subarray(this.consumed - this.base);
      this.base = this.consumed;
    }
    return out;
  }

  /**
   * Waits until `attempt()` returns a value (it is tried on every arrival);
   * null when the connection closed first; throws after `timeoutMs`.
   */
  async wait<T>(attempt: () => T | null, opts: { timeoutMs?: number; what?: string } = {}): Promise<T | null> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    for (;;) {
      const got = attempt();
      if (got !== null) return got;
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${opts.what ?? 'the server'}; got: ${JSON.stringify(this.pending.toString('latin1').slice(-2000))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * The next line without its CRLF; when the server closed, what is left of
   * an unterminated line (if anything), then null. Throws after the timeout.
   */
  async readLine(opts: ReadLineOptions = {}): Promise<string | null> {
    const encoding = opts.encoding ?? 'utf8';
    const line = await this.wait(() => {
      const next = splitLine(this.pending, opts.imap ? 'imap' : 'pop3', encoding);
      if (next) {
        this.take(next.used);
        return next.line;
      }
      if (opts.maxLength !== undefined && this.pending.length > opts.maxLength) return `${this.take(opts.maxLength).toString(encoding)}...`;
      return null;
    }, { timeoutMs: opts.timeoutMs, what: 'a line' });
    if (line !== null || this.pending.length === 0) return line;
    return this.take(this.pending.length).toString(encoding).replace(/\r$/, '');
  }

  write(data: string | Buffer): void {
    if (!this.closed) this.socket.write(data);
  }

  /** STARTTLS / STLS: the handshake over this connection; lines after it are read from the TLS layer. */
  upgrade(tls: ConnectionOptions): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ socket: plain, ...tls }, () => resolve());
      this.socket = secure;
      this.attach(secure);
      secure.once('error', reject);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
    this.resolveClosed();
    this.wake();
  }
}
