// A line client for the text protocols (POP3, IMAP, SMTP) in tests: the
// project's one line client (protocols/common/line-client.ts) with regex waits
// and an in-place STLS/STARTTLS upgrade; waits are bounded.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { LineSocket } from '../../../protocols/common/line-client.js';

/** A line-oriented client that can be upgraded in place (the project's one line client underneath). */
export class LineClient {
  private constructor(private readonly conn: LineSocket) {}
  get socket(): Socket {
    return this.conn.socket;
  }
  static async plain(port: number): Promise<LineClient> {
    return new LineClient(await LineSocket.connect('127.0.0.1', port));
  }
  static async implicit(port: number, ca: string): Promise<LineClient> {
    return new LineClient(await LineSocket.connect('127.0.0.1', port, { tls: { ca: readFileSync(ca) } }));
  }
  /** Waits until the buffer matches, returns the text up to and including the match, bounded in time. */
  async until(re: RegExp, ms = 5000): Promise<string> {
    const out = await this.conn.wait(() => {
      const m = re.exec(this.conn.pending.toString('latin1'));
      return m ? this.conn.take(m.index + m[0].length).toString('latin1') : null;
    }, { timeoutMs: ms, what: String(re) });
    if (out === null) throw new Error(`connection closed waiting for ${re}; have ${JSON.stringify(this.conn.pending.toString('latin1'))}`);
    return out;
  }
  send(text: string) {
    this.conn.write(text);
  }
  async upgrade(ca: string): Promise<TLSSocket> {
    await this.conn.upgrade({ servername: 'localhost', ca: readFileSync(ca) });
    return this.conn.socket as TLSSocket;
  }
  close() {
    this.conn.close();
  }
}
