import type { Socket } from 'node:net';
import { LineSocket } from '../../../protocols/common/line-client.js';

/** A raw IMAP connection for exact-line tests (on the project's one line client): every byte the server sends is kept. */
export class Wire {
  private constructor(private readonly conn: LineSocket) {}

  static async open(port: number): Promise<Wire> {
    return new Wire(await LineSocket.connect('127.0.0.1', port, { keepAll: true }));
  }

  get socket(): Socket {
    return this.conn.socket;
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  /** Everything received so far, as latin1 text. */
  get text(): string {
    return this.conn.textFrom(0);
  }

  /** Waits until the received text matches (from `from`); returns the text up to the end of the match. */
  async until(match: RegExp | string, ms = 5000, from = 0): Promise<string> {
    const found = await this.conn.wait(() => {
      const text = this.conn.textFrom(from);
      const i = typeof match === 'string' ? text.indexOf(match) : text.search(match);
      if (i < 0) return null;
      const len = typeof match === 'string' ? match.length : (text.slice(i).match(match)![0].length);
      return text.slice(0, i + len);
    }, { timeoutMs: ms, what: String(match) });
    if (found === null) throw new Error(`connection closed before ${match}; got:\n${this.conn.textFrom(from)}`);
    return found;
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends `tag command` and returns the lines received until the tagged completion (inclusive). */
  async cmd(tag: string, command: string, ms = 5000): Promise<string[]> {
    const from = this.conn.mark();
    this.send(`${tag} ${command}\r\n`);
    return this.lines(tag, from, ms);
  }

  async lines(tag: string, from: number, ms = 5000): Promise<string[]> {
    const text = await this.until(new RegExp(`(^|\\r\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (OK|NO|BAD)[^\\r\\n]*\\r\\n`), ms, from);
    return text.split('\r\n').filter((l, i, a) => i < a.length - 1 || l !== '');
  }

  mark(): number {
    return this.conn.mark();
  }

  /** Waits until the server closes the connection. */
  async closedBy(ms = 5000): Promise<void> {
    try {
      await this.conn.wait(() => null, { timeoutMs: ms, what: 'the server to close' });
    } catch {
      throw new Error('the server did not close the connection');
    }
  }

  close(): void {
    this.conn.close();
  }
}

/** Logs in alice over a raw connection and returns it past the greeting. */
export async function loggedIn(port: number, user = 'alice'): Promise<Wire> {
  const w = await Wire.open(port);
  await w.until('\r\n');
  const r = await w.cmd('L0', `LOGIN ${user} teamware`);
  if (!r[r.length - 1]!.startsWith('L0 OK')) throw new Error(`login failed: ${r.join('\n')}`);
  return w;
}
