// A raw-socket POP3 client for exact-line tests, on the project's one line
// client (protocols/common/line-client.ts): every wait is bounded.
import type { Socket } from 'node:net';
import { LineSocket } from '../../../protocols/common/line-client.js';

export class RawPop3 {
  greeting = '';

  private constructor(private readonly conn: LineSocket) {}

  get socket(): Socket {
    return this.conn.socket;
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  get closedPromise(): Promise<void> {
    return this.conn.closedPromise;
  }

  /** Connects; unless `readGreeting` is false, waits for the greeting line. */
  static async open(port: number, opts: { readGreeting?: boolean; send?: string } = {}): Promise<RawPop3> {
    const c = new RawPop3(await LineSocket.connect('127.0.0.1', port));
    if (opts.send !== undefined) c.send(opts.send);
    if (opts.readGreeting !== false) c.greeting = await c.line();
    return c;
  }

  private async until<T>(take: () => T | null, what: string): Promise<T> {
    const got = await this.conn.wait(take, { what });
    if (got === null) throw new Error(`connection closed while waiting for ${what}; buffer: ${JSON.stringify(this.conn.pending.toString('latin1'))}`);
    return got;
  }

  /** The next line, without its CRLF (fails if it does not end with CRLF). */
  line(): Promise<string> {
    return this.until(() => {
      const i = this.conn.pending.indexOf('\r\n');
      if (i < 0) return null;
      const l = this.conn.take(i).toString('latin1');
      this.conn.take(2);
      return l;
    }, 'a line');
  }

  /** Octets up to and including the multi-line terminator CRLF.CRLF (status line excluded), still byte-stuffed. */
  body(): Promise<Buffer> {
    return this.until(() => {
      const pending = this.conn.pending;
      if (pending.subarray(0, 3).equals(Buffer.from('.\r\n'))) {
        this.conn.take(3);
        return Buffer.alloc(0);
      }
      const i = pending.indexOf('\r\n.\r\n');
      if (i < 0) return null;
      const b = this.conn.take(i + 2);
      this.conn.take(3);
      return b;
    }, 'a multi-line body');
  }

  send(data: string | Buffer): void {
    this.conn.socket.write(data);
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
    await this.conn.wait(() => null, { what: 'the server to close' });
    return this.conn.pending.toString('latin1');
  }

  async login(user = 'alice', pass = 'teamware'): Promise<string> {
    const u = await this.cmd(`USER ${user}`);
    if (!u.startsWith('+OK')) throw new Error(u);
    return this.cmd(`PASS ${pass}`);
  }

  close(): void {
    this.conn.close();
  }
}

/** Removes byte-stuffing: a line that starts with `..` loses one dot. */
export function unstuff(body: Buffer): Buffer {
  const text = body.toString('latin1');
  return Buffer.from(text.replace(/^\./, '').replace(/\r\n\./g, '\r\n'), 'latin1');
}
