// A raw line session for exact-order replays (after nodemailer's compare/):
// the step sends one line and gets back exactly the lines the server wrote,
// framed by the protocol's own rules (POP3 multi-line replies end with ".",
// IMAP replies end with the command's tagged line or a "+" continuation).

import { Socket } from 'node:net';
import type { Outcome } from './outcome.js';

const POP3_MULTI_ALWAYS = new Set(['CAPA', 'RETR', 'TOP']);
const POP3_MULTI_NO_ARG = new Set(['LIST', 'UIDL']);
const MAX_REPLY_LINES = 100_000;

export class RawSession {
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(readonly protocol: 'pop3' | 'imap') {}

  async open(host: string, port: number, timeoutMs: number): Promise<Outcome> {
    await new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.connect(port, host, () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket = socket;
    });
    const socket = this.socket!;
    socket.removeAllListeners('error');
    socket.on('error', () => this.markClosed());
    socket.on('close', () => this.markClosed());
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.poke();
    });
    const greeting = await this.readLine(timeoutMs);
    return this.outcome(greeting === null ? [] : [greeting]);
  }

  async send(line: string, timeoutMs: number): Promise<Outcome> {
    if (!this.socket || this.closed) return { ok: false, reply: '(the connection is closed)', lines: [], body: '(the connection is closed)' };
    this.socket.write(`${line}\r\n`);
    const lines: string[] = [];
    const first = await this.readLine(timeoutMs);
    if (first === null) return this.outcome(lines);
    lines.push(first);
    if (this.protocol === 'pop3') {
      const [verb, arg] = line.trim().split(/\s+/);
      const v = (verb ?? '').toUpperCase();
      const multi = first.startsWith('+OK') && (POP3_MULTI_ALWAYS.has(v) || (POP3_MULTI_NO_ARG.has(v) && !arg));
      while (multi && lines.length < MAX_REPLY_LINES) {
        const next = await this.readLine(timeoutMs);
        if (next === null) break;
        lines.push(next);
        if (next === '.') break;
      }
    } else {
      const tag = line.trim().split(/\s+/)[0] ?? '';
      let current: string | null = first;
      while (current !== null && !current.startsWith(`${tag} `) && !current.startsWith('+') && lines.length < MAX_REPLY_LINES) {
        current = await this.readLine(timeoutMs);
        if (current !== null) lines.push(current);
      }
    }
    return this.outcome(lines);
  }

  close(): void {
    this.socket?.destroy();
    this.markClosed();
  }

  private outcome(lines: string[]): Outcome {
    const last = lines[lines.length - 1] ?? '';
    const status = this.protocol === 'pop3' ? lines[0] ?? '' : last;
    const ok = this.protocol === 'pop3' ? status.startsWith('+OK') : /^(\S+ OK|\* OK|\+)/.test(status);
    // For IMAP the reply is the tagged line without its tag (`NO LOGIN failed:Server is busy`); for POP3 the first line.
    const reply = lines.length === 0 ? '(the server closed the connection)' : this.protocol === 'imap' && !status.startsWith('* ') && !status.startsWith('+') ? status.replace(/^\S+ /, '') : status;
    const body = lines.join('\n') + (this.closed && this.buffer.length === 0 ? '\n(connection closed by the server)' : '');
    return { ok: ok && lines.length > 0, reply, lines, body };
  }

  private markClosed(): void {
    this.closed = true;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next CRLF-terminated line (IMAP literals {n} included in it); null when the server closed. */
  private async readLine(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = splitLine(this.buffer, this.protocol);
      if (next) {
        this.buffer = this.buffer.subarray(next.used);
        return next.line;
      }
      if (this.closed) return this.buffer.length ? this.takeRest() : null;
      await this.waitData(deadline);
    }
  }

  private takeRest(): string | null {
    if (!this.buffer.length) return null;
    const rest = this.buffer.toString('utf8');
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  private waitData(deadline: number): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(new Error('no reply from the server in time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = null;
        reject(new Error('no reply from the server in time'));
      }, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * The first complete line of a buffer, without its CRLF, and how many bytes it
 * used; null while it is incomplete. For IMAP a line ending in a literal
 * `{n}` goes on through the literal's n bytes to the next CRLF (one line for
 * `* 1 FETCH (BODY[] {342}...)`), as the server's framing says. The replay
 * client and the recorder both frame by this rule.
 */
export function splitLine(buffer: Buffer, protocol: 'pop3' | 'imap'): { line: string; used: number } | null {
  let scanFrom = 0;
  for (;;) {
    const i = buffer.indexOf('\r\n', scanFrom);
    if (i < 0) return null;
    const head = buffer.subarray(scanFrom, i).toString('latin1');
    const literal = protocol === 'imap' ? /\{(\d+)\+?\}$/.exec(head) : null;
    if (!literal) return { line: buffer.subarray(0, i).toString('utf8'), used: i + 2 };
    const need = i + 2 + Number(literal[1]);
    if (buffer.length < need) return null;
    scanFrom = need;
  }
}
