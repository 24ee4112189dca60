import type { Socket } from 'node:net';
import { serverTls } from '../common/tls.js';
import type { SiteServer } from '../../emulator/server.js';
import type { Account } from '../../emulator/store/directory.js';
import type { Change } from '../../emulator/store/database.js';
import type { MailRepo } from '../../emulator/store/mail.js';
import { ERRORS, TwemuError, errorSpec } from '../../emulator/errors.js';
import { Framer, literalBudgetOf, type CommandUnit, type LiteralAnnounce, type LiteralVerdict } from './framer.js';
import { checkArgs, parseCommand, tagOfUnit } from './parser.js';
import { serialiseContinuation, serialiseTagged, serialiseUntagged, serialiseUntaggedParts } from './serialiser.js';
import { ArgumentRefused, ImapSyntaxError, type ImapState, type ParsedCommand, type Reply, type Tagged, type Untagged } from './types.js';
import type { ImapOptions } from './options.js';
import { COMMANDS } from './commands/index.js';
import { capabilityList, offers } from './capabilities.js';
import { preloadMimeLibs } from './mimelibs.js';
import type { SelectedMailbox } from './mailbox.js';

export const IN_FLIGHT_STORE = 'imap4.in-flight-store';


const WRITE_CHUNK = 64 * 1024;
/** A literal at least this big goes to the socket as its own buffer, not copied into a chunk. */
const LARGE_PART = 16 * 1024;

/** Commands after which EXPUNGE responses must not be sent (RFC 3501 7.4.1). */
const NO_EXPUNGE_AFTER = new Set(['FETCH', 'STORE', 'SEARCH']);

/** One IMAP connection: state checked once, commands dispatched, replies serialised. */
export class Session {
  state: ImapState = 'not-authenticated';
  account: Account | null = null;
  selected: SelectedMailbox | null = null;
  /** Logged in while the server was available: a session in flight once it is suspended. */
  inFlight = false;
  /** IDLE in progress: the tag to complete on DONE. */
  idleTag: string | null = null;
  /** AUTHENTICATE waiting for the client's response line. */
  authWaiting: { tag: string; handle: (line: string) => Reply | Promise<Reply> } | null = null;
  /** Wrong credentials given on this connection (closed at services.access.maxFailedLogins). */
  failedLogins = 0;
  framer: Framer;
  /** TLS is in force (IMAPS, or after STARTTLS). */
  secure: boolean;
  private autologout: NodeJS.Timeout | null = null;
  /** BAD answers in a row; at `maxBadCommands` the session ends. */
  private badInARow = 0;
  private closed = false;
  private onChange = (c: Change) => this.changed(c);
  /** A command unit is being processed (the next pipelined one starts only after it). */
  private busy = false;
  /** Output is held (socket.cork) while commands run, so that a command's responses, or a pipelined batch's, leave in one write. */
  private corked = false;
  private offState: (() => void) | null = null;

  constructor(public socket: Socket, readonly server: SiteServer, readonly options: ImapOptions, private readonly onEnd: () => void, secure = false) {
    this.secure = secure;
    this.framer = this.newFramer();
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    socket.setNoDelay(true);
    this.touch();
    this.raw(Buffer.from(`* OK [CAPABILITY ${capabilityList('not-authenticated', this)}] ${server.name} IMAP4rev1 server ready\r\n`));
  }

  private newFramer(): Framer {
    const options = this.options;
    return new Framer({ ...options, literalBudget: literalBudgetOf(this.server.site, options.maxLiteralBytesInFlight) }, {
      unit: (u) => this.unit(u),
      literal: (a) => this.literal(a),
      continueLiteral: () => this.raw(serialiseContinuation('Ready for literal data')),
      lineTooLong: (tag) => {
        this.raw(Buffer.from(`${tag ?? '*'} BAD Command line too long (limit ${options.maxLineLength} bytes)\r\n`));
        this.countBad(true);
      },
      literalTimeout: () => this.end('Literal data not received in time'),
      write: (text) => this.raw(Buffer.from(text)),
      close: () => this.close(),
    });
  }

  /** STARTTLS completed with OK: bytes pipelined after it are dropped, the handshake starts. */
  private startTls(): void {
    const tls = this.server.site.tls;
    if (!tls || this.closed) return;
    this.uncork(); // the OK goes out in plain text before the handshake
    this.framer.discardBuffered();
    const secure = serverTls(this.socket, tls.context);
    secure.on('data', (chunk: Buffer) => this.framer.push(chunk));
    secure.on('close', () => this.close());
    this.socket = secure;
    this.secure = true;
  }

  get site() {
    return this.server.site;
  }

  /** The mail repository of the logged-in user's home server. */
  get mail(): MailRepo {
    return this.site.domain.mail.mailbox(this.account!);
  }

  get user(): string {
    return this.account!.name;
  }

  // ---- login -------------------------------------------------------------

  /** Called by LOGIN / AUTHENTICATE once the credentials are good. */
  loggedIn(account: Account): void {
    this.account = account;
    this.state = 'authenticated';
    this.inFlight = !this.server.suspended;
    preloadMimeLibs(); // the MIME libraries load once per process, best before the first FETCH rather than during it
    this.site.homeStore(account).database.changes.on('change', this.onChange);
    // Changes made while the server was suspended reach an idling client at the resume.
    this.offState = this.site.events.subscribe((e) => {
      if (e.type === 'state' && e.server === this.server.name && !this.server.suspended && this.selected?.dirty) this.flushIdle();
    });
  }

  /** Waits (the failed-login delay); resolves early when the connection closes. */
  delay(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.socket.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.socket.once('close', done);
    });
  }

  // ---- input -------------------------------------------------------------

  private literal(a: LiteralAnnounce): LiteralVerdict {
    const tag = tagOfUnit({ segments: [a.first], literals: [] }) ?? '*';
    const cap = this.state === 'not-authenticated' ? this.options.maxPreauthLiteralSize : this.options.maxLiteralSize;
    if (a.size + a.soFar <= cap) return { accept: true };
    const isAppend = / APPEND /i.test(a.first.toString('latin1'));
    const text = `Literal too big (${a.soFar ? `${a.size} bytes after ${a.soFar}` : `${a.size} bytes`}; limit ${cap})`;
    return { accept: false, reply: isAppend && a.sync ? `${tag} NO [TOOBIG] ${text}\r\n` : `${tag} BAD [TOOBIG] ${text}\r\n`, close: !a.sync };
  }

  private unit(u: CommandUnit): void {
    this.touch();
    this.framer.pause();
    // Backpressure: a client that keeps sending while a command runs waits in TCP, not in memory.
    this.socket.pause();
    this.busy = true;
    this.cork();
    this.process(u)
      .catch((err) => this.site.log.error({ err }, 'imap: unexpected error'))
      .finally(() => {
        this.busy = false;
        if (this.closed) return;
        this.socket.resume();
        this.framer.resume(); // may start the next pipelined command at once, output still held
        if (!this.busy) this.uncork();
      });
  }

  private cork(): void {
    if (this.corked || this.closed || this.socket.destroyed) return;
    this.socket.cork();
    this.corked = true;
  }

  /** Lets held output go (one writev); before any wait for 'drain', which held output would never bring. */
  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private async process(u: CommandUnit): Promise<void> {
    if (this.idleTag) {
      const line = u.segments.map((s) => s.toString('latin1')).join('');
      if (line.trim().toUpperCase() === 'DONE') {
        const tag = this.idleTag;
        this.idleTag = null;
        await this.send([], tag, { status: 'OK', text: 'IDLE terminated' });
      } else {
        await this.send([], '*', { status: 'BAD', text: 'Expected DONE to end IDLE' });
      }
      return;
    }
    if (this.authWaiting) {
      const { tag, handle } = this.authWaiting;
      this.authWaiting = null;
      const reply = await handle(u.segments.map((s) => s.toString('latin1')).join(''));
      await this.deliver(tag, reply, null);
      return;
    }
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(u);
    } catch (err) {
      const tag = tagOfUnit(u) ?? '*';
      await this.send([], tag, { status: 'BAD', text: `Syntax error: ${(err as Error).message}` });
      return;
    }
    const reply = await this.dispatch(cmd);
    await this.deliver(cmd.tag, reply, cmd);
  }

  /** The one place states, the in-flight behaviour and errors are handled. */
  async dispatch(cmd: ParsedCommand): Promise<Reply> {
    const spec = COMMANDS.get(cmd.name);
    if (!spec || (spec.capability && !offers(this, spec.capability))) return { tagged: { status: 'BAD', text: `Unknown command ${cmd.name.slice(0, 40)}` } };
    if (cmd.uid && (!spec.uid || (spec.uidCapability && !offers(this, spec.uidCapability)))) return { tagged: { status: 'BAD', text: `UID ${cmd.name} is not a command` } };
    if (!spec.states.includes(this.state)) {
      const why = spec.states.includes('not-authenticated') ? 'already logged in' : this.state === 'not-authenticated' ? 'log in first' : 'select a mailbox first';
      return { tagged: { status: 'BAD', text: `${cmd.uid ? 'UID ' : ''}${cmd.name} is not valid in the ${this.state} state; ${why}` } };
    }
    try {
      checkArgs(cmd.uid && spec.uidArgs ? spec.uidArgs : spec.args, cmd.args, `${cmd.uid ? 'UID ' : ''}${cmd.name}`);
    } catch (err) {
      if (err instanceof ArgumentRefused) return { tagged: { status: 'NO', code: err.code, text: err.message } };
      return { tagged: { status: 'BAD', text: `Syntax error: ${(err as Error).message}` } };
    }
    if (!this.server.suspended) this.inFlight = true;
    if (spec.store === 'store' && this.state !== 'not-authenticated' && this.server.suspended && this.inFlight) {
      // Emulator default: a session logged in before the suspension (the seed is silent).
      const decision = this.server.fire(IN_FLIGHT_STORE, { operation: `${cmd.uid ? 'UID ' : ''}${cmd.name}`, client: 'imap', user: this.account?.name });
      if (decision.fires) return { tagged: { exact: decision.messages[0]! } };
    }
    try {
      return await spec.handle(this, cmd);
    } catch (err) {
      if (err instanceof ImapSyntaxError) return { tagged: { status: 'BAD', text: `Syntax error: ${err.message}` } };
      if (err instanceof ArgumentRefused) return { tagged: { status: 'NO', code: err.code, text: err.message } };
      if (err instanceof TwemuError) {
        return { tagged: { status: 'NO', code: errorSpec(err.code).imap, text: err.message } };
      }
      this.site.log.error({ err }, `imap ${cmd.name} failed`);
      return { tagged: { status: 'NO', code: ERRORS.E_INTERNAL.imap, text: 'Internal error; the command was not completed' } };
    }
  }

  private async deliver(tag: string, reply: Reply, cmd: ParsedCommand | null): Promise<void> {
    const untagged: Untagged[] = [];
    try {
      await this.writeUntagged(reply);
    } catch (err) {
      // A failure half-way through the responses (FETCH of a message that vanished, say): the command fails, the session goes on.
      this.site.log.error({ err }, `imap ${cmd?.name ?? ''} failed while answering`);
      const text = err instanceof TwemuError ? err.message : 'Internal error; the command was not completed';
      await this.send([], tag, { status: 'NO', code: err instanceof TwemuError ? errorSpec(err.code).imap : ERRORS.E_INTERNAL.imap, text });
      return;
    }
    if (this.closed) return;
    if (reply.tagged === null) return;
    if (cmd && this.selected && !reply.close && !this.idleTag) {
      let updates: Untagged[] | null = [];
      try {
        updates = this.updates(!cmd.uid && !NO_EXPUNGE_AFTER.has(cmd.name));
      } catch (err) {
        // The command itself succeeded; the updates wait for the next chance.
        this.site.log.error({ err }, 'imap: could not compute mailbox updates');
      }
      if (updates === null) return;
      for (const u of updates) untagged.push(u);
    }
    await this.send(untagged, tag, reply.tagged);
    if (reply.close) this.close();
    else if (reply.startTls) this.startTls();
  }

  private async writeUntagged(reply: Reply): Promise<void> {
    if (reply.continuation !== undefined) this.raw(serialiseContinuation(reply.continuation));
    if (reply.untagged) {
      // Small responses are gathered into chunks of about 64 KB (one write per message costs more than the
      // message); a large literal is written as the buffer it is, never copied.
      let chunk: Buffer[] = [];
      let size = 0;
      const flush = () => {
        if (chunk.length) this.raw(chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, size));
        chunk = [];
        size = 0;
      };
      for await (const u of reply.untagged as AsyncIterable<Untagged>) {
        if (this.closed) return;
        for (const b of serialiseUntaggedParts(u)) {
          if (b.length >= LARGE_PART) {
            flush();
            this.raw(b);
          } else {
            chunk.push(b);
            size += b.length;
          }
        }
        if (size >= WRITE_CHUNK) flush();
        if (this.socket.writableNeedDrain) await this.drainHeld();
      }
      flush();
    }
  }

  /** Pending updates of the selected mailbox, or null after the session ended (mailbox deleted). */
  updates(allowExpunge: boolean): Untagged[] | null {
    // Only a mailbox another write touched is looked at again (every write announces itself).
    if (!this.selected || !this.selected.dirty || this.server.suspended) return [];
    const updates = this.selected.refresh(allowExpunge);
    if (updates === null) {
      this.end('Selected mailbox was deleted or renamed, have to disconnect');
      return null;
    }
    return updates;
  }

  async send(untagged: Untagged[], tag: string, tagged: Tagged): Promise<void> {
    for (const u of untagged) {
      this.raw(serialiseUntagged(u));
      if (this.socket.writableNeedDrain) await this.drainHeld();
    }
    this.raw(serialiseTagged(tag, tagged));
    this.countBad('status' in tagged && tagged.status === 'BAD');
  }

  /**
   * The bad-command limit: after `maxBadCommands` BAD answers in a row
   * (syntax errors, unknown commands, commands in the wrong state, over-long
   * lines) the session ends with `* BYE`, as Dovecot does; any other answer
   * starts the count again.
   */
  private countBad(isBad: boolean): void {
    if (!isBad) {
      this.badInARow = 0;
      return;
    }
    if (++this.badInARow >= this.options.maxBadCommands) this.end(`Too many invalid commands (${this.options.maxBadCommands} in a row)`);
  }

  raw(buf: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(buf);
  }

  /** Waits for 'drain' with held output let go first, then holds output again if it was held. */
  private async drainHeld(): Promise<void> {
    const held = this.corked;
    this.uncork();
    await this.drain();
    if (held) this.cork();
  }

  private async drain(): Promise<void> {
    if (this.closed || this.socket.destroyed) return;
    // Whichever comes first; both listeners go then (a long FETCH waits for 'drain' many times).
    const socket = this.socket;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  // ---- updates from other sessions (NOOP, IDLE) ----------------------------

  private changed(c: Change): void {
    if (c.service !== 'mail' || !this.selected || !this.account) return;
    if (!c.object.startsWith(`${this.account.name}/`)) return;
    this.selected.dirty = true;
    if (this.idleTag && !this.server.suspended) this.flushIdle();
  }

  /** Delivers pending updates at once while idling (RFC 2177), after the current write settles. */
  private flushIdle(): void {
    setImmediate(() => {
      if (!this.idleTag || this.closed) return;
      const updates = this.updates(true);
      if (updates) for (const u of updates) this.raw(serialiseUntagged(u));
    });
  }

  // ---- lifecycle -------------------------------------------------------------

  private touch(): void {
    if (this.autologout) clearTimeout(this.autologout);
    this.autologout = setTimeout(() => this.end('Autologout; idle for too long'), this.options.autologoutMs);
    this.autologout.unref?.();
  }

  /** Ends the session with `* BYE text`. */
  end(text: string): void {
    this.raw(Buffer.from(`* BYE ${text}\r\n`));
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.framer.stop();
    if (this.autologout) clearTimeout(this.autologout);
    if (this.account) this.site.homeStore(this.account).database.changes.off('change', this.onChange);
    this.offState?.();
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref?.();
    this.onEnd();
  }
}
