// An SMTP submission session driven by nodemailer's SMTPConnection (a real
// client library): connect, STARTTLS where offered (trusting the site's CA),
// AUTH, then messages sent on the same connection, so that a session that
// logged in before a suspension can send after it (smtp.submit). Replies are
// the server's reply lines as on the wire.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Outcome } from './outcome.js';

type SmtpError = Error & { response?: string; responseCode?: number; code?: string };
interface Connection {
  connect(cb: (err?: SmtpError) => void): void;
  login(auth: { user: string; pass: string }, cb: (err?: SmtpError) => void): void;
  send(envelope: { from: string; to: string[] }, message: string, cb: (err: SmtpError | null, info: { response: string; accepted: string[]; rejected: string[] }) => void): void;
  quit(): void;
  close(): void;
  on(event: string, fn: (...args: unknown[]) => void): void;
}

/** What a `send` step may give. */
export interface SmtpMessage {
  to: string | string[];
  from?: string;
  subject?: string;
  body?: string;
  raw?: string;
}

export class SmtpScenarioClient {
  private conn: Connection | null = null;
  private user = '';

  constructor(private readonly host: string, private readonly port: number, private readonly ca: string | undefined) {}

  /** Connects (STARTTLS when the server offers it), then AUTH: the reply is AUTH's. */
  async login(user: string, password: string, timeoutMs: number): Promise<Outcome> {
    this.close();
    // nodemailer's connection class loads only for scenarios that send mail.
    const SMTPConnection = createRequire(import.meta.url)('nodemailer/lib/smtp-connection') as new (o: object) => Connection;
    const conn = new SMTPConnection({
      host: this.host, port: this.port, secure: false, name: 'twemu-scenario',
      connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
      ...(this.ca ? { tls: { ca: readFileSync(this.ca) } } : { ignoreTLS: true }),
    });
    conn.on('error', () => undefined);
    this.conn = conn;
    this.user = user;
    const connected = await new Promise<SmtpError | undefined>((resolve) => conn.connect(resolve));
    if (connected) return failure(connected);
    const auth = await new Promise<SmtpError | undefined>((resolve) => conn.login({ user, pass: password }, resolve));
    if (auth) return failure(auth);
    return { ok: true, reply: '235 Authentication successful', body: '235 Authentication successful' };
  }

  /** MAIL, RCPT, DATA on the logged-in connection: the reply is the server's last line. */
  async send(m: SmtpMessage): Promise<Outcome> {
    if (!this.conn) return { ok: false, reply: '(not connected: log in first)', body: '(not connected: log in first)' };
    const to = Array.isArray(m.to) ? m.to : [m.to];
    const from = m.from ?? `${this.user}@teamware.example`;
    const raw = m.raw ?? [`From: ${from}`, `To: ${to.join(', ')}`, `Subject: ${m.subject ?? 'sent by a twemu scenario'}`, 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8', '', m.body ?? 'sent by a twemu scenario', ''].join('\r\n');
    const conn = this.conn;
    return new Promise<Outcome>((resolve) => {
      conn.send({ from, to }, raw, (err, info) => {
        if (err) return resolve(failure(err));
        resolve({ ok: info.rejected.length === 0, reply: info.response, body: info.response, json: { accepted: info.accepted, rejected: info.rejected } });
      });
    });
  }

  quit(): Outcome {
    this.conn?.quit();
    this.conn = null;
    return { ok: true, reply: 'closed', body: 'closed' };
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }
}

function failure(err: SmtpError): Outcome {
  const line = err.response ?? `(${err.code ?? 'error'}) ${err.message}`;
  return { ok: false, reply: line, body: line };
}
