// A POP3 session driven by node-pop3 (a real client library). Replies are
// given back as the wire's status line: node-pop3 hands over the text after
// "+OK " or "-ERR ", which is put back together here.
//
// Timeouts: each step bounds its own exchange (the step's `timeout`); the
// connection itself has no idle timeout, so a session idle between steps
// (while the procedure runs, a delay, a busy machine) lasts as long as the
// server keeps it, as a mail client's does. node-pop3's `timeout` option is an
// idle-socket timeout that closes the session: it is not used.

import Pop3Command from 'node-pop3';
import type { Outcome } from './outcome.js';

type Pop3Error = Error & { eventName?: string; command?: string };

export class Pop3ScenarioClient {
  private client: Pop3Command | null = null;

  constructor(private readonly host: string, private readonly port: number) {}

  /** Connects, then USER and PASS: the reply is PASS's (or the first that failed). */
  async login(user: string, password: string, timeoutMs: number): Promise<Outcome> {
    this.close();
    const client = new Pop3Command({ host: this.host, port: this.port, user, password });
    // node-pop3 emits 'error' for every -ERR line; a listener keeps an unsolicited one from throwing.
    client.on('error', () => undefined);
    this.client = client;
    // The whole login (greeting, USER, PASS) is the step's: one deadline for the three.
    const deadline = performance.now() + timeoutMs;
    const greeting = await this.bounded('the greeting', timeoutMs, async () => {
      await client.connect();
      return { ok: true, reply: '+OK', body: '+OK' };
    });
    if (!greeting.ok) return greeting;
    const userReply = await this.run('USER', [user], Math.max(1, deadline - performance.now()));
    if (!userReply.ok) return userReply;
    return this.run('PASS', [password], Math.max(1, deadline - performance.now()));
  }

  /** One command through node-pop3, within `timeoutMs` (the step's); multi-line answers are read to the end. */
  async run(verb: string, args: Array<string | number>, timeoutMs: number): Promise<Outcome> {
    const client = this.client;
    if (!client) return { ok: false, reply: '(not connected: log in first)', body: '(not connected: log in first)' };
    return this.bounded(verb, timeoutMs, async () => {
      const [info, stream] = await client.command(verb, ...args);
      const first = `+OK${info ? ` ${info}` : ''}`;
      let bodyText = '';
      if (stream) bodyText = String(await Pop3Command.stream2String(stream));
      return { ok: true, reply: first, body: bodyText ? `${first}\n${bodyText}` : first, lines: bodyText ? [first, ...bodyText.split(/\r?\n/)] : [first] };
    });
  }

  /**
   * An exchange within `timeoutMs`: past it the session is closed (a late reply must not be read as the next
   * command's) and the step gets `(no reply to WHAT in time)`; a failure is the server's -ERR or what happened.
   */
  private async bounded(what: string, timeoutMs: number, exchange: () => Promise<Outcome>): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const done = exchange().catch((err: unknown) => failure(err as Pop3Error, what));
    try {
      const first = await Promise.race([done, late]);
      if (first !== 'late') return first;
      this.close();
      const text = `(no reply to ${what} in time)`;
      return { ok: false, reply: text, body: text, lines: [] };
    } finally {
      clearTimeout(timer);
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
    : `(${what} failed: ${err.message})`;
  return { ok: false, reply: text, body: text, lines: [] };
}
