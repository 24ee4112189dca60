// A POP3 session driven by node-pop3 (a real client library). Replies are
// given back as the wire's status line: node-pop3 hands over the text after
// "+OK " or "-ERR ", which is put back together here.

import Pop3Command from 'node-pop3';
import type { Outcome } from './outcome.js';

type Pop3Error = Error & { eventName?: string; command?: string };

export class Pop3ScenarioClient {
  private client: Pop3Command | null = null;

  constructor(private readonly host: string, private readonly port: number) {}

  /** Connects, then USER and PASS: the reply is PASS's (or the first that failed). */
  async login(user: string, password: string, timeoutMs: number): Promise<Outcome> {
    this.close();
    const client = new Pop3Command({ host: this.host, port: this.port, user, password, timeout: timeoutMs });
    // node-pop3 emits 'error' for every -ERR line; a listener keeps an unsolicited one from throwing.
    client.on('error', () => undefined);
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      return failure(err as Pop3Error, 'the greeting');
    }
    const userReply = await this.run('USER', [user]);
    if (!userReply.ok) return userReply;
    return this.run('PASS', [password]);
  }

  /** One command through node-pop3; multi-line answers are read to the end. */
  async run(verb: string, args: Array<string | number> = []): Promise<Outcome> {
    if (!this.client) return { ok: false, reply: '(not connected: log in first)', body: '(not connected: log in first)' };
    try {
      const [info, stream] = await this.client.command(verb, ...args);
      const first = `+OK${info ? ` ${info}` : ''}`;
      let bodyText = '';
      if (stream) bodyText = String(await Pop3Command.stream2String(stream));
      return { ok: true, reply: first, body: bodyText ? `${first}\n${bodyText}` : first, lines: bodyText ? [first, ...bodyText.split(/\r?\n/)] : [first] };
    } catch (err) {
      return failure(err as Pop3Error, verb);
    }
  }

  close(): void {
    const socket = (this.client as unknown as { _socket?: { destroy(): void } | null } | null)?._socket;
    socket?.destroy();
    this.client = null;
  }
}

function failure(err: Pop3Error, what: string): Outcome {
  if (err.eventName === 'error' && err.command !== undefined) {
    const reply = `-ERR ${err.message}`;
    return { ok: false, reply, body: reply, lines: [reply] };
  }
  const text = err.eventName === 'close' || err.eventName === 'end' ? `(the server closed the connection during ${what})`
    : err.eventName === 'timeout' ? `(no reply to ${what} in time)` : `(${what} failed: ${err.message})`;
  return { ok: false, reply: text, body: text, lines: [] };
}
