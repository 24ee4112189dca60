// A raw-socket POP3 client for exact-line tests: every wait is bounded.
import { connect, type Socket } from 'node:net';

const WAIT_MS = 5000;

export class RawPop3 {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  greeting = '';
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.closed = true;
      this.wake();
      resolve();
    }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Connects; unless `readGreeting` is false, waits for the greeting line. */
  static async open(port: number, opts: { readGreeting?: boolean; send?: string } = {}): Promise<RawPop3> {
    const socket = connect({ host: '127.0.0.1', port });
    const c = new RawPop3(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    if (opts.send !== undefined) socket.write(opts.send);
    if (opts.readGreeting !== false) c.greeting = await c.line();
    return c;
  }

  private async until<T>(take: () => T | null, what: string): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const got = take();
      if (got !== null) return got;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}; buffer: ${JSON.stringify(this.buffer.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; buffer: ${JSON.stringify(this.buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** The next line, without its CRLF (fails if it does not end with CRLF). */
  line(): Promise<string> {
    return this.until(() => {
      const i = this.buffer.indexOf('\r\n');
      if (i < 0) return null;
      const l = this.buffer.subarray(0, i).toString('latin1');
      this.buffer = this.buffer.subarray(i + 2);
      return l;
    }, 'a line');
  }

  /** Octets up to and including the multi-line terminator CRLF.CRLF (status line excluded), still byte-stuffed. */
  body(): Promise<Buffer> {
    return this.until(() => {
      if (this.buffer.subarray(0, 3).equals(Buffer.from('.\r\n'))) {
        this.buffer = this.buffer.subarray(3);
        return Buffer.alloc(0);
      }
      const i = this.buffer.indexOf('\r\n.\r\n');
      if (i < 0) return null;
      const b = this.buffer.subarray(0, i + 2);
      this.buffer = this.buffer.subarray(i + 5);
      return Buffer.from(b);
    }, 'a multi-line body');
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends one command line and returns the status line. */
  async cmd(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.line();
  }

  /** Sends a command that answers with a multi-line reply; returns status and lines (un-stuffed). */
  async multi(line: string): Promise<{ status: string; lines: string[] }> {
    const status = await this.cmd(line);
    if (!status.startsWith('+OK')) return { status, lines: [] };
    const body = await this.body();
    return { status, lines: unstuff(body).toString('latin1').split('\r\n').slice(0, -1) };
  }

  /** Everything until the server closes the connection. */
  async rest(): Promise<string> {
    await this.until(() => (this.closed ? true : null), 'the server to close').catch((e) => {
      if (!this.closed) throw e;
    });
    return this.buffer.toString('latin1');
  }

  async login(user = 'alice', pass = 'teamware'): Promise<string> {
    const u = await this.cmd(`USER ${user}`);
    if (!u.startsWith('+OK')) throw new Error(u);
    return this.cmd(`PASS ${pass}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Removes byte-stuffing: a line that starts with `..` loses one dot. */
export function unstuff(body: Buffer): Buffer {
  const text = body.toString('latin1');
  return Buffer.from(text.replace(/^\./, '').replace(/\r\n\./g, '\r\n'), 'latin1');
}
