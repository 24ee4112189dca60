import { connect, type Socket } from 'node:net';

/** A raw IMAP connection for exact-line tests: every byte the server sends is kept. */
export class Wire {
  private data = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Wire(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Everything received so far, as latin1 text. */
  get text(): string {
    return this.data.toString('latin1');
  }

  /** Waits until the received text matches (from `from`); returns the text up to the end of the match. */
  async until(match: RegExp | string, ms = 5000, from = 0): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = this.text.slice(from);
      const i = typeof match === 'string' ? text.indexOf(match) : text.search(match);
      if (i >= 0) {
        const len = typeof match === 'string' ? match.length : (text.slice(i).match(match)![0].length);
        return text.slice(0, i + len);
      }
      if (this.closed) throw new Error(`connection closed before ${match}; got:\n${text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${match}; got:\n${text}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends `tag command` and returns the lines received until the tagged completion (inclusive). */
  async cmd(tag: string, command: string, ms = 5000): Promise<string[]> {
    const from = this.data.length;
    this.send(`${tag} ${command}\r\n`);
    return this.lines(tag, from, ms);
  }

  async lines(tag: string, from: number, ms = 5000): Promise<string[]> {
    const text = await this.until(new RegExp(`(^|\\r\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (OK|NO|BAD)[^\\r\\n]*\\r\\n`), ms, from);
    return text.split('\r\n').filter((l, i, a) => i < a.length - 1 || l !== '');
  }

  mark(): number {
    return this.data.length;
  }

  /** Waits until the server closes the connection. */
  async closedBy(ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
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
