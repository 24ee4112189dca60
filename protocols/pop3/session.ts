// One POP3 connection: reads lines from the framer, checks once what every
// command shares (state, arguments, bad-command count), dispatches to the
// command's handler, and writes the reply object through the serialiser.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { serverTls } from '../common/tls.js';
import type { SiteServer } from '../../emulator/server.js';
import type { Pop3Context, Pop3State } from './command.js';
import { COMMANDS } from './commands/index.js';
import { LineFramer, type Framed } from './framer.js';
import type { Maildrop } from './maildrop.js';
import { MAX_PENDING_LINES, type Pop3Options } from './options.js';
import { parseCommand } from './parser.js';
import { bad, err, serialise, type Reply } from './replies.js';
import { ERRORS, TwemuError, errorSpec } from '../../emulator/errors.js';

/** Replies waiting in the socket's buffer beyond which we stop answering until the client reads. */
const WRITE_HIGH_WATER = 256 * 1024;
/** After our last reply, how long a client that does not read may keep the socket. */
const CLOSE_GRACE_MS = 5000;

let sessionSeq = 0;

export class Pop3Session implements Pop3Context {
  state: Pop3State = 'AUTHORIZATION';
  pendingUser: string | null = null;
  user: string | null = null;
  maildrop: Maildrop | null = null;
  readonly timestamp: string;
  private framer: LineFramer;
  private queue: Framed[] = [];
  private busy = false;
  private closed = false;
  private badCommands = 0;
  private readonly waiting = new Set<() => void>();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private socket: Socket, readonly server: SiteServer, readonly options: Pop3Options, public secure = false) {
    this.framer = new LineFramer(options.maxLineLength);
    // RFC 1939 section 7: a timestamp unique to this greeting, for APOP.
    this.timestamp = `<${process.pid}.${++sessionSeq}.${randomBytes(4).toString('hex')}@${server.name}>`;
  }

  start(): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('error', () => undefined); // a reset by the peer: 'close' follows
    s.on('close', () => this.ended());
    s.on('drain', () => void this.pump());
    const gate = this.server.gate('pop3.greeting', { operation: 'connect', client: 'pop3' });
    if (!gate.allowed) {
      s.write(`${gate.messages[0]}\r\n`);
      this.close();
      return;
    }
    this.idleTimer = setTimeout(() => this.autologout(), this.options.autologoutMs);
    s.on('data', (chunk: Buffer) => this.received(chunk));
    s.write(`+OK ${this.server.name} POP3 server ready (TeamWARE Office emulator) ${this.timestamp}\r\n`);
  }

  delay(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    this.idleTimer?.refresh();
    for (const item of this.framer.push(chunk)) this.queue.push(item);
    // A client that pipelines far ahead waits for us: stop reading until the queue drains.
    if (this.queue.length > MAX_PENDING_LINES) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed && this.queue.length && this.socket.writableLength < WRITE_HIGH_WATER) {
        const reply = await this.handle(this.queue.shift()!);
        if (this.closed) break;
        this.send(reply);
        this.idleTimer?.refresh(); // idle time counts from our last reply
      }
      if (!this.closed && this.queue.length <= MAX_PENDING_LINES / 2 && this.socket.isPaused()) this.socket.resume();
    } catch (e) {
      // Never an unhandled rejection (it would stop the whole emulator): this session ends, the others go on.
      this.server.site.log.error({ err: e, server: this.server.name }, 'pop3: session failed');
      if (this.socket.writable) this.socket.write(`-ERR [${ERRORS.E_INTERNAL.pop3}] internal error, closing connection\r\n`);
      this.close();
    } finally {
      this.busy = false;
    }
  }

  /** The checks every command shares, once, then the command's handler. */
  private async handle(item: Framed): Promise<Reply> {
    const pendingUser = this.pendingUser;
    this.pendingUser = null; // PASS is valid only right after USER
    if (item.kind === 'too-long') return bad(`line too long (at most ${this.options.maxLineLength} octets with CRLF)`);
    const parsed = parseCommand(item.line);
    if (!parsed.ok) return bad(parsed.error);
    const { verb, args, rest, printable } = parsed.command;
    const spec = COMMANDS.get(verb);
    if (!spec) return bad('unknown command');
    if (!spec.states.includes(this.state)) return bad(`${verb} is not valid in the ${this.state} state`);
    if (spec.args !== 'rest') {
      if (!printable) return bad('invalid characters in the command');
      if (args.length < spec.args.min || args.length > spec.args.max) return bad(`usage: ${spec.syntax}`);
    }
    this.pendingUser = pendingUser;
    try {
      const reply = await spec.run(this, args, rest);
      if (verb !== 'USER') this.pendingUser = null;
      return reply;
    } catch (e) {
      this.pendingUser = null;
      // A condition with a POP3 response code (a full disk: [SYS/TEMP]) is said as such; the session goes on.
      if (e instanceof TwemuError && errorSpec(e.code).pop3) return err(`[${errorSpec(e.code).pop3}] ${e.message}`);
      this.server.site.log.error({ err: e, verb, server: this.server.name }, 'pop3: command failed');
      return err(`[${ERRORS.E_INTERNAL.pop3}] internal error, try again`);
    }
  }

  private send(reply: Reply): void {
    let r = reply;
    if (r.bad && ++this.badCommands >= this.options.maxBadCommands) r = err('too many bad commands, closing connection', { close: true });
    if (this.socket.writable) this.socket.write(serialise(r));
    if (r.close) this.close();
    else if (r.startTls) this.startTls();
  }

  /**
   * STLS accepted: the handshake starts now. Lines the client pipelined after
   * STLS are dropped, not run (RFC 2595 section 4: no plain-text command
   * injection into the TLS session); the session starts afresh (RFC 2595 4).
   */
  private startTls(): void {
    const tls = this.server.site.tls;
    if (!tls) return;
    this.queue = [];
    this.framer = new LineFramer(this.options.maxLineLength);
    const raw = this.socket;
    raw.removeAllListeners('drain');
    const secure = serverTls(raw, tls.context);
    secure.on('close', () => this.ended());
    secure.on('drain', () => void this.pump());
    secure.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket = secure;
    this.secure = true;
  }

  /** RFC 1939 section 3: the autologout timer closes the session without entering UPDATE (nothing is removed). */
  private autologout(): void {
    if (this.closed) return;
    if (this.busy) {
      // Still answering (a failed-login delay, a long RETR): the client is not idle.
      this.idleTimer?.refresh();
      return;
    }
    if (this.socket.writable) this.socket.write('-ERR autologout timer expired, closing connection\r\n');
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.queue = [];
    for (const done of [...this.waiting]) done();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private ended(): void {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.queue = [];
    for (const done of [...this.waiting]) done();
  }
}
