// A raw line session for exact-order replays (after nodemailer's compare/):
// the step sends one line and gets back exactly the lines the server wrote,
// framed by the protocol's own rules (POP3 multi-line replies end with ".",
// IMAP replies end with the command's tagged line or a "+" continuation, an
// SMTP reply with its line `NNN text` after any `NNN-text` lines).

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { LineSocket } from '../../protocols/common/line-client.js';
import type { Outcome } from './outcome.js';

const POP3_MULTI_ALWAYS = new Set(['CAPA', 'RETR', 'TOP']);
const POP3_MULTI_NO_ARG = new Set(['LIST', 'UIDL']);
const MAX_REPLY_LINES = 100_000;
/** The last line of an SMTP reply (RFC 5321 4.2.1: `250-` lines go on, `250 ` ends it). */
const SMTP_LAST = /^\d{3}(?: |$)/;

export class RawScenarioClient {
  private conn: LineSocket | null = null;
  /** IMAP: the tag of a command whose reply so far ended with `+` (AUTHENTICATE, IDLE): the next line answers it, and its reply ends with that tag's line. */
  private continuing: string | null = null;

  /** `ca`: the site's CA certificate file (endpoints.json `ca`), trusted for implicit TLS and after STARTTLS/STLS. */
  constructor(readonly protocol: 'pop3' | 'imap' | 'smtp', private readonly ca?: string) {}

  /** `tls`: implicit TLS (the POP3S/IMAPS port), the site's certificate checked against its CA. */
  async open(host: string, port: number, timeoutMs: number, tls = false): Promise<Outcome> {
    this.conn = await LineSocket.connect(host, port, { timeoutMs, ...(tls ? { tls: this.tlsOptions() } : {}) });
    const greeting = await this.readLine(timeoutMs);
    const lines = greeting === null ? [] : [greeting];
    if (this.protocol === 'smtp') await this.smtpRest(lines, timeoutMs);
    return this.outcome(lines);
  }

  async send(line: string, timeoutMs: number): Promise<Outcome> {
    if (!this.conn || this.conn.closed) return { ok: false, reply: '(the connection is closed)', lines: [], body: '(the connection is closed)' };
    const lines: string[] = [];
    if (this.protocol === 'imap' && /\{\d+\+?\}\r\n/.test(line)) {
      // A command with literals (APPEND): each synchronizing literal ({n}) is sent after the server's `+`, as a client does.
      const refused = await this.sendLiterals(line, lines, timeoutMs);
      if (refused) return this.outcome(lines);
    } else if (this.protocol === 'smtp' && /^DATA\r\n/i.test(line)) {
      // DATA and its message: the message (up to its `.`) only after the server's 354, as a client does; the step's reply is both.
      this.conn.write(`${line.slice(0, 4)}\r\n`);
      const go = await this.readLine(timeoutMs);
      if (go === null) return this.outcome(lines);
      lines.push(go);
      await this.smtpRest(lines, timeoutMs);
      if (!/^354( |$)/.test(lines.at(-1)!)) return this.outcome(lines);
      this.conn.write(`${line.slice(6)}\r\n`);
    } else this.conn.write(`${line}\r\n`);
    const first = await this.readLine(timeoutMs);
    if (first === null) return this.outcome(lines);
    lines.push(first);
    if (this.protocol === 'smtp') await this.smtpRest(lines, timeoutMs);
    else if (this.protocol === 'pop3') {
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
      const tag = this.continuing ?? line.trim().split(/\s+/)[0] ?? '';
      let current: string | null = first;
      while (current !== null && !current.startsWith(`${tag} `) && !current.startsWith('+') && lines.length < MAX_REPLY_LINES) {
        current = await this.readLine(timeoutMs);
        if (current !== null) lines.push(current);
      }
      this.continuing = current?.startsWith('+') ? tag : null;
    }
    const outcome = this.outcome(lines);
    if (outcome.ok && (this.protocol === 'smtp' ? /^STARTTLS$/i : /^(STLS|\S+ STARTTLS)$/i).test(line.trim())) {
      // The server said yes to TLS: the handshake, as the recorded client did; the next lines go inside it.
      try {
        await this.conn.upgrade(this.tlsOptions());
      } catch (err) {
        return { ok: false, reply: `(TLS after ${line.trim()} failed: ${(err as Error).message})`, lines, body: lines.join('\n') };
      }
    }
    return outcome;
  }

  /** The rest of an SMTP reply after its first line: up to the line without `-` after the code. */
  private async smtpRest(lines: string[], timeoutMs: number): Promise<void> {
    while (lines.length && !SMTP_LAST.test(lines.at(-1)!) && lines.length < MAX_REPLY_LINES) {
      const next = await this.readLine(timeoutMs);
      if (next === null) return;
      lines.push(next);
    }
  }

  private tlsOptions(): ConnectionOptions {
    if (!this.ca) throw new Error('the site gives no CA certificate (endpoints.json `ca`): a TLS session cannot be checked');
    return { ca: readFileSync(this.ca), timeout: 10_000 };
  }

  close(): void {
    this.conn?.close();
  }

  /**
   * Writes a command whose text holds literals (`... {n}\r\n<n bytes>...`): up to each synchronizing
   * literal, waits for the server's `+` (kept in `lines`), then sends its bytes. True when the server
   * answered something else instead (a tagged NO/BAD): that ends the command.
   */
  private async sendLiterals(text: string, lines: string[], timeoutMs: number): Promise<boolean> {
    let rest = Buffer.from(`${text}\r\n`, 'utf8');
    for (;;) {
      const m = /\{(\d+)(\+?)\}\r\n/.exec(rest.toString('latin1'));
      if (!m) {
        this.conn!.write(rest);
        return false;
      }
      const headEnd = Buffer.byteLength(rest.toString('latin1').slice(0, m.index + m[0].length), 'latin1');
      this.conn!.write(rest.subarray(0, headEnd));
      if (!m[2]) {
        const cont = await this.readLine(timeoutMs);
        if (cont === null) return true;
        lines.push(cont);
        if (!cont.startsWith('+')) return true;
      }
      const n = Number(m[1]);
      this.conn!.write(rest.subarray(headEnd, headEnd + n));
      rest = rest.subarray(headEnd + n);
    }
  }

  private outcome(lines: string[]): Outcome {
    const last = lines[lines.length - 1] ?? '';
    const status = this.protocol === 'pop3' ? lines[0] ?? '' : last;
    const ok = this.protocol === 'pop3' ? status.startsWith('+OK') : this.protocol === 'smtp' ? /^[23]\d\d/.test(status) : /^(\S+ OK|\* OK|\+)/.test(status);
    // For IMAP the reply is the tagged line without its tag (`NO LOGIN failed:Server is busy`); for POP3 the first line.
    const reply = lines.length === 0 ? '(the server closed the connection)' : this.protocol === 'imap' && !status.startsWith('* ') && !status.startsWith('+') ? status.replace(/^\S+ /, '') : status;
    const body = lines.join('\n') + (this.conn?.closed && this.conn.pending.length === 0 ? '\n(connection closed by the server)' : '');
    return { ok: ok && lines.length > 0, reply, lines, body };
  }

  /** The next CRLF-terminated line (IMAP literals {n} included in it); null when the server closed. */
  private async readLine(timeoutMs: number): Promise<string | null> {
    try {
      return await this.conn!.readLine({ timeoutMs, imap: this.protocol === 'imap' });
    } catch {
      throw new Error('no reply from the server in time');
    }
  }
}

