// `twemu record`: a recording proxy. A client is pointed at the proxy, the
// proxy forwards every byte to the upstream server (a twemu site or any
// POP3/IMAP/SMTP/HTTP server; several upstreams, each on its own address,
// into one file) and writes what the client sent and what it was answered as
// scenario steps: raw `send` steps with the replies as expectations for
// POP3, IMAP and SMTP, `web` and `ame` steps for HTTP. Volatile parts of the
// replies become patterns (volatile.ts); passwords become `${password}`, and
// what a client computes from one (SASL PLAIN/LOGIN, APOP) the expression
// that computes it at replay (expressions.ts). With a certificate the proxy
// answers the client's TLS itself (STARTTLS/STLS, or implicit TLS) and
// records inside it.

import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { Duplex } from 'node:stream';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { splitLine } from '../../protocols/common/line-client.js';
import { escapeRegex, patternLine } from './volatile.js';
import { quoteArg, saslPlain } from '../expressions.js';

export type Protocol = 'pop3' | 'imap' | 'smtp' | 'http';
type Mail = 'pop3' | 'imap' | 'smtp';

/** A step as written to the file (plain data, stringified by the yaml library). */
export type StepData = Record<string, unknown>;

export interface RecorderOptions {
  upstream: { host: string; port: number };
  listen: { host: string; port: number };
  /**
   * More upstreams, each behind its own listening address, recorded into the same file (a mail client's IMAP and
   * SMTP servers): the sessions of all of them, in the order the client sent their steps.
   */
  more?: Array<{ upstream: { host: string; port: number }; listen: { host: string; port: number } }>;
  /** The password to mask wherever the client sends it (besides PASS, LOGIN and password form fields, which are always masked). */
  password?: string;
  /** Scenario name (default: the file name). */
  name?: string;
  /** Told about every session start/end and every masked or unmaskable secret. */
  note?: (line: string) => void;
  /**
   * The certificate (PEM) the proxy presents to clients: with it the proxy answers a client's TLS itself and
   * records what is inside (STARTTLS/STLS, and with `listenTls` TLS from the first byte). Without it a TLS
   * session is forwarded unread and the file says INCOMPLETE.
   */
  tls?: { cert: string; key: string };
  /**
   * Implicit TLS (POP3S, IMAPS, HTTPS): clients speak TLS from the first byte. The proxy reaches the upstream
   * over TLS when it speaks TLS (POP3S, IMAPS, an HTTPS server), in plain text when it does not (a twemu site's
   * web and AME ports speak HTTP): `start` asks it once.
   */
  listenTls?: boolean;
}

const POP3_MULTI_ALWAYS = new Set(['CAPA', 'RETR', 'TOP']);
const POP3_MULTI_NO_ARG = new Set(['LIST', 'UIDL']);
/** How much of an HTTP answer is kept to find its title or rc (the client always gets all of it). */
const MAX_HTTP_BODY = 2 * 1024 * 1024;

interface Pending {
  step: StepData;
  tag?: string;
  lines: string[];
  /** POP3: the reply is multi-line when its status is +OK. */
  multi?: boolean;
  /** POP3 and SMTP: the command's verb (STAT, LIST, RETR, EHLO, DATA... decide how the reply is framed and patterned). */
  verb?: string;
  /** IMAP: `+` continuations still expected for the command's literals (they do not end its reply). */
  continuations?: number;
}

/** The last line of an SMTP reply (RFC 5321 4.2.1: `250-` lines go on, `250 ` ends it). */
const SMTP_LAST = /^\d{3}(?: |$)/;

/** The expectation of a reply: exact lines, or one anchored pattern when a line has volatile parts. */
export function expectation(lines: string[], protocol: Mail, verb?: string): StepData {
  if (protocol === 'smtp') {
    // EHLO/HELO's first line names the server (twsv01, twap02) and the client's address: its code exactly, its text a pattern.
    const hello = verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO';
    const patterned = lines.map((l, i) => (hello && i === 0 && /^\d{3}[ -]/.test(l) ? { regex: `${escapeRegex(l.slice(0, 4))}.*`, volatile: true } : patternLine(l)));
    if (!patterned.some((p) => p.volatile)) return { lines: [...lines] };
    return { match: `^${patterned.map((p) => p.regex).join('\\n')}$` };
  }
  const sizes = protocol === 'pop3' && (verb === 'STAT' || verb === 'LIST');
  const content = protocol === 'pop3' && (verb === 'RETR' || verb === 'TOP') && lines[0]?.startsWith('+OK');
  if (content) {
    // The message itself is data, not the server's behaviour: the status line, any content, the terminator.
    // `+OK 385 octets`: the size follows the message (its dates, its headers), as STAT's and LIST's do.
    const first = /^\+OK \d+ octets$/.test(lines[0]!) ? { regex: '\\+OK \\d+ octets' } : patternLine(lines[0]!, { sizes });
    return { match: `^${first.regex}\\n[\\s\\S]*\\n\\.$` };
  }
  const uids = protocol === 'pop3' && verb === 'UIDL';
  const patterned = lines.map((l) => patternLine(l, { sizes, uids }));
  if (!patterned.some((p) => p.volatile)) return { lines: [...lines] };
  return { match: `^${patterned.map((p) => p.regex).join('\\n')}$` };
}

/**
 * A greeting: its status and response code exactly (`+OK`, `* OK [CAPABILITY ...]`, `-ERR`), its text
 * as a pattern: the text names the server (twsv01, twap02) and carries the APOP timestamp.
 */
export function greetingExpectation(line: string): StepData {
  const head = /^(\* (?:OK|BYE|PREAUTH)|\+OK|-ERR|\d{3}(?=[ -]|$))( \[[^\]]*\])?/.exec(line);
  if (!head) return { lines: [line] };
  return { match: `^${escapeRegex(head[0])}${line.length > head[0].length ? `${line[head[0].length] === '-' ? '-' : ' '}.*` : ''}$` };
}

/** An SMTP greeting (one line or several: `220-...`, `220 ...`): each line's code exactly, its text a pattern (it names the server). */
function smtpGreetingExpectation(lines: string[]): StepData {
  const out = lines.map((l) => (greetingExpectation(l).match as string | undefined)?.slice(1, -1) ?? escapeRegex(l));
  return { match: `^${out.join('\\n')}$` };
}

/** One POP3, IMAP or SMTP session through the proxy: the client's lines become `send` steps, the server's lines their expectations. */
class MailSession {
  private readonly pending: Pending[] = [];
  private clientBuf = Buffer.alloc(0);
  private serverBuf = Buffer.alloc(0);
  /** IMAP: the client is sending a literal's bytes (after `+`), not lines. */
  private literalLeft = 0;
  /** IMAP: a command with literals being sent (APPEND): its text so far and its pending reply. */
  private upload: { parts: Buffer[]; pending: Pending } | null = null;
  /** The last reply ended with a continuation (`+ ...`): the client's next line answers it (a SASL response, IMAP's DONE). */
  private continued: { tag?: string } | null = null;
  /** A SASL PLAIN or LOGIN exchange under way: which response comes next (LOGIN: 0 the user, 1 the password). */
  private sasl: { mech: 'PLAIN' | 'LOGIN'; next: number } | null = null;
  /** The greeting's step (an APOP login saves its timestamp from it). */
  private readonly openStep: StepData;
  private greeting = '';
  /** The client asked for TLS (STLS / STARTTLS): its bytes wait until the server has answered. */
  private tlsAsked = false;
  /** Without a certificate: after the server's yes the bytes are encrypted and only forwarded. */
  private encrypted = false;
  /** The client's bytes after STARTTLS (its TLS handshake), handed to the TLS layer by `upgrade`. */
  held: Buffer[] = [];
  /**
   * The server answered STARTTLS/STLS; `held` is what the client sent meanwhile. `refused`: the session goes on
   * in plain text; `tls`: the proxy holds a certificate, both sides go TLS; `forward`: bytes pass unread.
   */
  tlsAnswered: ((how: 'refused' | 'tls' | 'forward', held: Buffer) => void) | null = null;

  /** SMTP: the message after DATA's 354, line by line up to the `.` that ends it: part of DATA's step, as a literal is of APPEND's. */
  private data: { lines: string[]; pending: Pending } | null = null;

  constructor(readonly protocol: Mail, readonly name: string, private readonly rec: Recorder, tls = false) {
    const open: Pending = { step: { [protocol]: name, open: true, ...(tls ? { tls: true } : {}) }, lines: [] };
    this.openStep = open.step;
    this.pending.push(open);
    rec.push(open.step);
  }

  fromServer(chunk: Buffer): void {
    if (this.encrypted) return;
    this.serverBuf = Buffer.concat([this.serverBuf, chunk]);
    const framing = this.protocol === 'imap' ? 'imap' : 'pop3';
    for (let next = splitLine(this.serverBuf, framing); next; next = splitLine(this.serverBuf, framing)) {
      this.serverBuf = this.serverBuf.subarray(next.used);
      this.serverLine(next.line);
    }
  }

  /** True while the client's bytes must not reach the upstream as they are (after STARTTLS, before the answer). */
  get holding(): boolean {
    return this.tlsAsked && !this.encrypted;
  }

  fromClient(chunk: Buffer): void {
    if (this.encrypted) return;
    if (this.tlsAsked) {
      this.held.push(chunk);
      return;
    }
    this.clientBuf = Buffer.concat([this.clientBuf, chunk]);
    for (;;) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, this.clientBuf.length);
        this.upload?.parts.push(this.clientBuf.subarray(0, take));
        this.literalLeft -= take;
        this.clientBuf = this.clientBuf.subarray(take);
        if (this.literalLeft > 0) return;
      }
      const i = this.clientBuf.indexOf('\r\n');
      if (i < 0) return;
      const line = this.clientBuf.subarray(0, i).toString('utf8');
      this.clientBuf = this.clientBuf.subarray(i + 2);
      this.clientLine(line);
    }
  }

  end(): void {
    this.rec.push({ [this.protocol]: this.name, close: true });
  }

  /** A literal's bytes come next; a synchronizing one ({n}, not {n+}) is preceded by the server's `+`, part of the same reply. */
  private literalFollows(literal: RegExpExecArray): void {
    this.literalLeft = Number(literal[1]);
    if (!literal[2]) this.upload!.pending.continuations! += 1;
  }

  private clientLine(line: string): void {
    if (this.data) {
      // The message, as sent (dot-stuffed), up to the `.` that ends it: DATA's step sends it after the server's 354, and its reply ends the step.
      this.data.lines.push(line);
      if (line !== '.') return;
      this.data.pending.step.send = [String(this.data.pending.step.send), ...this.data.lines].join('\r\n');
      this.data = null;
      return;
    }
    const literal = this.protocol === 'imap' ? /\{(\d+)(\+?)\}$/.exec(line) : null;
    if (this.upload) {
      // The rest of a command after a literal (APPEND's closing text, or another literal).
      this.upload.parts.push(Buffer.from(literal ? `${line}\r\n` : line, 'utf8'));
      if (literal) return this.literalFollows(literal);
      this.upload.pending.step.send = Buffer.concat(this.upload.parts).toString('utf8');
      this.upload = null;
      return;
    }
    if (literal) {
      // A command with a literal (APPEND): sent as one `send` with the literal's bytes in it; the replay client sends them as the server asks.
      const tag = line.split(' ')[0] ?? '';
      const step: StepData = { [this.protocol]: this.name, send: this.mask(line) };
      const p: Pending = { step, tag, lines: [], continuations: 0 };
      this.pending.push(p);
      this.rec.push(step);
      this.upload = { parts: [Buffer.from(`${this.mask(line)}\r\n`, 'utf8')], pending: p };
      return this.literalFollows(literal);
    }
    const continued = this.continued;
    this.continued = null;
    if (continued) {
      // The answer to the server's `+`: a SASL response, or IMAP's DONE; the rest of the command's reply is its expectation.
      const step: StepData = { [this.protocol]: this.name, send: this.saslResponse(line) };
      const p: Pending = { step, lines: [], ...(continued.tag !== undefined ? { tag: continued.tag } : {}), verb: '' };
      this.pending.push(p);
      this.rec.push(step);
      return;
    }
    const sent = this.mask(line);
    const step: StepData = { [this.protocol]: this.name, send: sent };
    if ((this.protocol === 'smtp' ? /^STARTTLS$/i : /^(STLS|\S+ STARTTLS)$/i).test(line.trim())) this.tlsAsked = true;
    if (this.protocol === 'imap') {
      const tag = line.split(' ')[0] ?? '';
      if (!tag) {
        this.rec.push(step);
        return;
      }
      const p: Pending = { step, tag, lines: [] };
      this.pending.push(p);
      this.rec.push(step);
      return;
    }
    const [verb, arg] = line.trim().split(/\s+/);
    const v = (verb ?? '').toUpperCase();
    const p: Pending = { step, lines: [], multi: POP3_MULTI_ALWAYS.has(v) || (POP3_MULTI_NO_ARG.has(v) && !arg), verb: v };
    this.pending.push(p);
    this.rec.push(step);
  }

  private serverLine(line: string): void {
    const p = this.pending[0];
    if (!p) return; // unsolicited (e.g. an IMAP untagged line between commands): part of the next reply in a replay; not asserted
    p.lines.push(line);
    if (this.protocol === 'smtp') {
      if (p.verb === 'DATA' && p.lines.length === 1 && /^354( |$)/.test(line)) this.data = { lines: [], pending: p };
      else if (SMTP_LAST.test(line)) this.finish();
      return;
    }
    if (p.step.open) return this.finish(); // a greeting is one line
    if (this.protocol === 'imap') {
      if (line.startsWith('+') && p.continuations) {
        p.continuations -= 1;
        return;
      }
      if (line.startsWith(`${p.tag} `) || line.startsWith('+')) this.finish();
      return;
    }
    if (p.lines.length === 1 && !(p.multi && line.startsWith('+OK'))) return this.finish();
    if (p.lines.length > 1 && line === '.') this.finish();
  }

  private finish(): void {
    const p = this.pending.shift()!;
    p.step.expect = p.step.open ? (this.protocol === 'smtp' ? smtpGreetingExpectation(p.lines) : greetingExpectation(p.lines[0]!)) : expectation(p.lines, this.protocol, p.verb);
    if (p.step.open) this.greeting = p.lines[0] ?? '';
    const last = p.lines.at(-1) ?? '';
    if (!p.step.open && (this.protocol === 'smtp' ? /^334( |$)/ : /^\+( |$)/).test(last)) this.continued = p.tag !== undefined ? { tag: p.tag } : {};
    else this.sasl = null;
    if (this.tlsAsked && !this.pending.length) {
      const yes = (this.protocol === 'smtp' ? /^220 / : /^(\+OK|\S+ OK)\b/).test(p.lines.at(-1) ?? '');
      const held = Buffer.concat(this.held);
      this.held = [];
      this.tlsAsked = false;
      if (!yes) return this.tlsAnswered?.('refused', held); // the session goes on in plain text
      this.serverBuf = Buffer.alloc(0);
      this.clientBuf = Buffer.alloc(0);
      if (this.rec.canTerminateTls) return this.tlsAnswered?.('tls', held);
      this.encrypted = true;
      this.rec.incomplete(`${this.name}: the client started TLS (${String(p.step.send)}); the rest of the session is encrypted and was not recorded: give the proxy the site's certificate (--data DIR, or --cert and --key) to record inside TLS`);
      this.tlsAnswered?.('forward', held);
    }
  }

  /** The client's line with its password as `${password}`, or as what the client computed from it (SASL, APOP: expressions.ts). */
  private mask(line: string): string {
    let out = line;
    const auth = this.protocol === 'imap' ? /^(\S+ AUTHENTICATE (\S+))(?: (\S+))?$/i.exec(line) : /^(AUTH (\S+))(?: (\S+))?$/i.exec(line);
    const apop = this.protocol === 'pop3' ? /^(APOP \S+) [0-9a-f]{32}$/i.exec(line) : null;
    if (this.protocol === 'pop3' && /^PASS /i.test(line)) out = `${line.slice(0, 5)}\${password}`;
    else if (apop) out = this.apop(line, apop[1]!);
    else if (auth) {
      const mech = auth[2]!.toUpperCase();
      if (mech === 'PLAIN' || mech === 'LOGIN') {
        this.sasl = { mech, next: 0 };
        // An initial response (IMAP SASL-IR, POP3 and SMTP AUTH): the first response, on the command's line.
        if (auth[3] !== undefined) out = `${auth[1]} ${this.saslResponse(auth[3])}`;
      } else this.rec.note(`${this.name}: ${auth[1]} computes its responses from the server's challenge; the recording replays them as sent, which the server refuses: configure the client for PLAIN or LOGIN`);
    } else if (this.protocol === 'imap') {
      const m = /^(\S+ LOGIN (?:"(?:[^"\\]|\\.)*"|\S+) )("(?:[^"\\]|\\.)*"|\S+)$/i.exec(line);
      if (m) out = `${m[1]}${m[2]!.startsWith('"') ? '"${password}"' : '${password}'}`;
    }
    if (this.rec.password && out.includes(this.rec.password)) out = out.split(this.rec.password).join('${password}');
    return out;
  }

  /**
   * A SASL response (base64) of a PLAIN or LOGIN exchange as the expression that computes it from `${password}`:
   * PLAIN `${base64:\0alice\0${password}}`, LOGIN `${base64:alice}` then `${base64:${password}}`. Any other line
   * (`*` cancelling, a response of another mechanism) stays as sent.
   */
  private saslResponse(line: string): string {
    const sasl = this.sasl;
    if (!sasl || line === '*' || line === '=' || !/^[A-Za-z0-9+/]+={0,2}$/.test(line)) return this.rec.password ? line.split(this.rec.password).join('${password}') : line;
    const decoded = Buffer.from(line, 'base64').toString('utf8');
    const index = sasl.next++;
    if (sasl.mech === 'PLAIN') {
      const parts = decoded.split('\0');
      if (parts.length === 3) return saslPlain(parts[0]!, parts[1]!);
    } else if (index === 0) return `\${base64:${quoteArg(decoded)}}`;
    else if (index === 1) return '${base64:${password}}';
    this.rec.note(`${this.name}: a SASL ${sasl.mech} response that is not the user and password was kept as sent`);
    return line;
  }

  /** APOP (RFC 1939): the digest of the greeting's timestamp and the password, computed at replay from the greeting the replay gets. */
  private apop(line: string, head: string): string {
    if (!/^\+OK .*<[^<>\s]+>/.test(this.greeting)) {
      this.rec.note(`${this.name}: APOP without a greeting timestamp; kept as sent (it cannot be replayed)`);
      return line;
    }
    // The greeting's expectation keeps its timestamp as ${apop} (a named group of its pattern).
    this.openStep.expect = { match: '^\\+OK .*?(?<apop><[^<>\\s]+>).*$' };
    return `${head} \${md5:\${apop}\${password}}`;
  }
}

/** One upstream and the address the proxy listens on for it. */
interface Route {
  upstream: { host: string; port: number };
  listen: { host: string; port: number };
  server: Server;
  http: ReturnType<typeof createHttpServer>;
  /** With `listenTls`: whether the upstream answered a TLS handshake (found once by `start`). */
  upstreamTls: boolean;
  /** Without `listenTls`: whether the upstream speaks TLS, asked once when a client first opens with a TLS handshake. */
  probe?: Promise<boolean>;
}

/** The steps of the whole recording, in the order the client sent them, and the file they are written to. */
export class Recorder {
  readonly steps: StepData[] = [];
  private readonly counts: Record<Protocol, number> = { pop3: 0, imap: 0, smtp: 0, http: 0 };
  private readonly routes: Route[];
  private readonly sockets = new Set<Socket>();
  readonly password?: string;
  /** Sessions finished so far. */
  finished = 0;
  private onFinish: (() => void) | null = null;
  /** The web session's redirect to fold into the next GET (a browser follows it; the replay client does too). */
  private lastRedirect: { step: StepData; location: string } | null = null;

  private readonly secureContext: SecureContext | null;

  constructor(private readonly opts: RecorderOptions, private readonly out: string) {
    this.password = opts.password;
    this.secureContext = opts.tls ? createSecureContext({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }) : null;
    this.routes = [{ upstream: opts.upstream, listen: opts.listen }, ...(opts.more ?? [])].map((r) => {
      const route: Route = {
        ...r, upstreamTls: false,
        server: createTcpServer((client) => this.accept(client, route)),
        http: createHttpServer((req, res) => void this.forwardHttp(req, res, route)),
      };
      return route;
    });
  }

  /** The proxy holds a certificate: it answers TLS itself and records inside it. */
  get canTerminateTls(): boolean {
    return this.secureContext !== null;
  }

  note(line: string): void {
    this.opts.note?.(line);
  }

  /** What the file does not hold (a TLS session): said on stderr and in the file's description. */
  readonly gaps: string[] = [];

  incomplete(line: string): void {
    this.gaps.push(line);
    this.note(line);
  }

  push(step: StepData): void {
    this.steps.push(step);
  }

  /** Listens for each upstream; the addresses, in the order of the upstreams. */
  async start(): Promise<Array<{ host: string; port: number; upstream: { host: string; port: number }; upstreamTls: boolean }>> {
    const out = [];
    for (const route of this.routes) {
      await new Promise<void>((resolve, reject) => {
        route.server.once('error', reject);
        route.server.listen(route.listen.port, route.listen.host, () => resolve());
      });
      const a = route.server.address() as { address: string; port: number };
      if (this.opts.listenTls) route.upstreamTls = await speaksTls(route.upstream);
      out.push({ host: a.address, port: a.port, upstream: route.upstream, upstreamTls: route.upstreamTls });
    }
    return out;
  }

  /** Resolves when `n` sessions have ended. */
  waitSessions(n: number): Promise<void> {
    if (this.finished >= n) return Promise.resolve();
    return new Promise((resolve) => {
      this.onFinish = () => {
        if (this.finished >= n) resolve();
      };
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const route of this.routes) {
      route.http.closeAllConnections();
      await new Promise<void>((resolve) => route.server.close(() => resolve()));
    }
    this.write();
  }

  /** The scenario file of everything recorded so far. */
  scenario(): Record<string, unknown> {
    const name = this.opts.name ?? this.out.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '');
    const protocols = (Object.keys(this.counts) as Protocol[]).filter((p) => this.counts[p]);
    return {
      name,
      description: `recorded by twemu record through ${this.routes.map((r) => `${r.upstream.host}:${r.upstream.port}`).join(', ')} (${protocols.join(', ') || 'no sessions'}); replay with --password or TWEMU_PASSWORD${this.gaps.length ? `. INCOMPLETE: ${this.gaps.join('; ')}` : ''}`,
      tags: ['recorded', ...protocols],
      steps: this.steps.length ? this.steps : [{ delay: '1ms', name: 'nothing was recorded' }],
    };
  }

  write(): void {
    const text = `# Recorded by \`twemu record\`. Volatile parts of the replies are patterns;\n# the password is \${password} (twemu scenario run --password P, or TWEMU_PASSWORD).\n${stringify(this.scenario(), { lineWidth: 0, doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER })}`;
    mkdirSync(dirname(this.out), { recursive: true });
    writeFileSync(this.out, text);
  }

  private sessionEnded(): void {
    this.finished++;
    this.write();
    this.onFinish?.();
  }

  private accept(rawClient: Socket, route: Route): void {
    this.sockets.add(rawClient);
    rawClient.on('close', () => this.sockets.delete(rawClient));
    const rawUp = connect(route.upstream.port, route.upstream.host);
    this.sockets.add(rawUp);
    rawUp.on('close', () => this.sockets.delete(rawUp));
    const from = `${rawClient.remoteAddress}:${rawClient.remotePort}`;
    // Each side is read and written through these: the sockets, or the TLS layers over them once TLS starts.
    let toClient = (c: Buffer) => void rawClient.write(c);
    let toUpstream = (c: Buffer) => void rawUp.write(c);
    let clientIn = (c: Buffer) => onClient(c);
    let upstreamIn = (c: Buffer) => onServer(c);
    let session: MailSession | null = null;
    let decided = false;
    let secured = false;
    /** The TLS layers once TLS starts (the client's side; the upstream's unless it speaks plain text). */
    let clientTls: TLSSocket | null = null;
    let upstreamTls: TLSSocket | null = null;
    const early: Buffer[] = [];
    const fail = (err: Error) => {
      this.note(`upstream ${route.upstream.host}:${route.upstream.port}: ${err.message}`);
      rawClient.destroy();
    };
    rawUp.once('error', fail);
    rawClient.on('error', () => rawUp.destroy());
    /**
     * The proxy answers TLS on the client's side with its certificate and speaks TLS to the upstream (both sides
     * decrypted here); `plainUpstream`: the upstream speaks plain text (--listen-tls in front of an HTTP port).
     */
    const startTls = (held: Buffer, plainUpstream = false) => {
      secured = true;
      const c = overSocket(rawClient);
      clientIn = c.feed;
      const client = new TLSSocket(c.stream, { isServer: true, secureContext: this.secureContext! });
      clientTls = client;
      toClient = (b) => void client.write(b);
      client.on('data', onClient);
      const broken = (side: string) => (err: Error) => {
        this.note(`${session?.name ?? 'a session'} from ${from}: TLS with the ${side}: ${err.message}`);
        rawClient.destroy();
        rawUp.destroy();
      };
      client.on('error', broken('client'));
      if (!plainUpstream) {
        const u = overSocket(rawUp);
        upstreamIn = u.feed;
        // The upstream is the server the user named: its certificate is not checked (the client checks the proxy's).
        const up = tlsConnect({ socket: u.stream, rejectUnauthorized: false });
        upstreamTls = up;
        toUpstream = (b) => void up.write(b);
        up.on('data', onServer);
        up.on('error', broken('upstream'));
      }
      if (held.length) c.feed(held);
    };
    const newSession = (protocol: Mail) => {
      const s = new MailSession(protocol, `${protocol}${++this.counts[protocol]}`, this, secured);
      s.tlsAnswered = (how, held) => {
        if (how === 'tls') startTls(held);
        else if (how === 'forward') toUpstream(held);
        else if (held.length) onClient(held);
      };
      this.note(`${s.name}: ${protocol.toUpperCase()} session from ${from}${secured ? ' (TLS)' : ''}`);
      return s;
    };
    // The server speaks first in POP3 and IMAP; the client speaks first in HTTP.
    const onServer = (chunk: Buffer) => {
      if (!decided) {
        decided = true;
        const text = chunk.toString('latin1');
        session = newSession(text.startsWith('+OK') || text.startsWith('-ERR') ? 'pop3' : /^\d{3}[ -]/.test(text) ? 'smtp' : 'imap');
        for (const e of early) session.fromClient(e);
      }
      // Forwarded before it is read: reading a yes to STARTTLS switches both sides to TLS.
      toClient(chunk);
      session!.fromServer(chunk);
    };
    const onClient = (chunk: Buffer) => {
      if (!decided && !secured && chunk[0] === 0x16 && this.canTerminateTls) {
        // A TLS handshake before any greeting (POP3S, IMAPS, HTTPS) and the proxy holds a certificate: it answers the
        // client's TLS itself, as with --listen-tls, and reaches the upstream over TLS if it speaks TLS (asked once).
        const waiting: Buffer[] = [chunk];
        clientIn = (c) => void waiting.push(c);
        route.probe ??= speaksTls(route.upstream);
        void route.probe.then((yes) => {
          route.upstreamTls = yes;
          startTls(Buffer.concat(waiting), !yes);
        });
        return;
      }
      if (!decided && !secured && chunk[0] === 0x16) {
        // A TLS handshake before any greeting: POP3S, IMAPS or HTTPS. Forwarded, not readable, not recorded.
        decided = true;
        this.incomplete(`a TLS connection from ${from} (TLS from the first byte) was forwarded but not recorded: give the proxy the site's certificate (--data DIR, or --cert and --key) to record inside TLS, or record the plain-text port`);
        clientIn = (c) => toUpstream(c);
        upstreamIn = (c) => toClient(c);
        toUpstream(chunk);
        return;
      }
      if (!decided && /^[A-Z]+ \S+ HTTP\/1\.[01]\r?\n/.test(chunk.toString('latin1', 0, Math.min(chunk.length, 2048)))) {
        // HTTP (or, with --listen-tls, HTTPS: the request as the TLS layer decrypted it): the proxy's HTTP server takes the connection.
        decided = true;
        rawUp.removeAllListeners('data');
        rawUp.removeAllListeners('close');
        rawUp.on('error', () => undefined);
        upstreamTls?.removeAllListeners();
        upstreamTls?.on('error', () => undefined);
        upstreamTls?.destroy();
        rawUp.destroy();
        const http = clientTls ?? rawClient;
        http.removeAllListeners('data');
        http.pause();
        http.unshift(chunk);
        route.http.emit('connection', http);
        http.resume();
        return;
      }
      const holding = session?.holding ?? false;
      if (!decided) early.push(chunk);
      else session?.fromClient(chunk);
      if (!holding) toUpstream(chunk);
    };
    rawUp.on('data', (c: Buffer) => upstreamIn(c));
    rawClient.on('data', (c: Buffer) => clientIn(c));
    if (this.opts.listenTls) startTls(Buffer.alloc(0), !route.upstreamTls);
    let ended = false;
    const end = () => {
      if (ended || !session) return;
      ended = true;
      session.end();
      this.note(`${session.name}: ended`);
      this.sessionEnded();
    };
    rawUp.on('close', () => {
      rawClient.end();
      end();
    });
    rawClient.on('close', () => {
      if (!rawUp.destroyed) rawUp.end();
      end();
    });
  }

  private async forwardHttp(req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers = { ...req.headers, host: `${route.upstream.host}:${route.upstream.port}` };
    // An HTTPS upstream (--listen-tls in front of a server that speaks TLS) is reached over TLS, its certificate unchecked as for POP3S/IMAPS.
    const request = this.opts.listenTls && route.upstreamTls ? httpsRequest : httpRequest;
    const up = request({ host: route.upstream.host, port: route.upstream.port, method: req.method, path: req.url, headers, rejectUnauthorized: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const kept: Buffer[] = [];
      let size = 0;
      answer.on('data', (c: Buffer) => {
        if (size < MAX_HTTP_BODY) kept.push(c);
        size += c.length;
        res.write(c);
      });
      answer.on('end', () => {
        res.end();
        this.httpStep(req, body, answer.statusCode ?? 0, answer.headers, Buffer.concat(kept));
        this.finished++;
        this.write();
        this.onFinish?.();
      });
    });
    up.on('error', (err) => {
      this.note(`upstream ${route.upstream.host}:${route.upstream.port}: ${err.message}`);
      res.writeHead(502).end();
    });
    up.end(body);
  }

  /** One HTTP exchange as a step: the application execution module's calls as `ame` steps, the rest as a browser's `web` steps. */
  private httpStep(req: IncomingMessage, body: Buffer, status: number, headers: IncomingMessage['headers'], answer: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = `${url.pathname}${url.search}`;
    if (!this.counts.http) this.counts.http = 1;
    const ame = /^\/ame\/([\w-]+)$/.exec(url.pathname);
    if (ame) {
      const auth = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
      const [user] = auth ? Buffer.from(auth[1]!, 'base64').toString('utf8').split(':') : [];
      const step: StepData = { ame: `ame-${user ?? 'anonymous'}` };
      if (ame[1] === 'functions') step.functions = true;
      else {
        step.call = ame[1];
        if (user) Object.assign(step, { user, password: '${password}' });
        const args = parseJson(body.toString('utf8'));
        if (args && typeof args === 'object' && Object.keys(args).length) step.args = this.maskObject(args as Record<string, unknown>);
      }
      const json = parseJson(answer.toString('utf8')) as { rc?: number } | undefined;
      step.expect = typeof json?.rc === 'number' ? { rc: json.rc } : { status };
      this.push(step);
      return;
    }
    const redirect = this.lastRedirect;
    this.lastRedirect = null;
    if (req.method === 'GET' && redirect && new URL(redirect.location, 'http://x').pathname === url.pathname) {
      // The browser followed the previous answer's redirect; the replay client follows it by itself: the answer is that step's.
      redirect.step.expect = webExpect(status, headers, answer);
      return;
    }
    const step: StepData = { web: 'web1' };
    if (req.method === 'POST') {
      step.post = path;
      const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      delete form._csrf; // the replay client sends the token of the page it got, as the browser did
      for (const k of Object.keys(form)) if (/^(password|pass|passwd|pwd)$/i.test(k)) form[k] = '${password}';
      if (Object.keys(form).length) step.form = this.maskObject(form);
    } else if (req.method === 'GET') step.get = path;
    else {
      this.note(`web: ${req.method} ${path} is not a browser request the replay can make; left out`);
      return;
    }
    const location = headers.location;
    if (status >= 300 && status < 400 && location) this.lastRedirect = { step, location: String(location) };
    else step.expect = webExpect(status, headers, answer);
    this.push(step);
  }

  private maskObject<T extends Record<string, unknown>>(o: T): T {
    if (!this.password) return o;
    const pw = this.password;
    return JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'string' && v.includes(pw) ? v.split(pw).join('${password}') : v))) as T;
  }
}

/** A stream over a socket for a TLS layer: what the TLS layer writes goes to the socket, `feed` gives it what the socket read. */
function overSocket(raw: Socket): { stream: Duplex; feed: (c: Buffer) => void } {
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      if (raw.destroyed) return done();
      raw.write(chunk, () => done());
    },
    final(done) {
      raw.end();
      done();
    },
  });
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  return { stream, feed: (c) => void stream.push(c) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A page's expectation: its status, and its title when it has one (the rest of a page holds dates and data). */
function webExpect(status: number, headers: IncomingMessage['headers'], body: Buffer): StepData {
  const out: StepData = { status };
  if (/html/i.test(String(headers['content-type'] ?? ''))) {
    const title = /<title>([^<]*)<\/title>/i.exec(body.toString('utf8'))?.[1]?.trim();
    if (title && !patternLine(title).volatile) out.text = title;
  }
  return out;
}

/**
 * Whether a server answers a TLS handshake (POP3S, IMAPS, HTTPS) or speaks plain text (a POP3 greeting, an HTTP
 * server's 400): asked once when --listen-tls starts; silence for 5 s counts as plain text.
 */
function speaksTls(upstream: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: upstream.host, port: upstream.port, rejectUnauthorized: false });
    const done = (yes: boolean) => {
      clearTimeout(timer);
      s.removeAllListeners();
      s.on('error', () => undefined);
      s.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => done(false), 5000);
    s.once('secureConnect', () => done(true));
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** `host:port` (a bare port means 127.0.0.1). */
export function parseAddress(text: string, what: string): { host: string; port: number } | string {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) return `${what} must be HOST:PORT (or a port), not ${JSON.stringify(text)}`;
  return { host: m[1] || '127.0.0.1', port };
}
