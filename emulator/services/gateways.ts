import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../state.js';
import type { Site } from '../site.js';
import type { SiteServer } from '../server.js';
import type { SiteExtension } from '../extensions.js';
import { BadRequest, NotFound, TwemuError } from '../errors.js';
import { GATEWAY_LOG_TEXTS as T } from '../catalog/defaults/gateways.js';
import { bodyObject, encodeHeader, guarded, lineField, numberOption, onlyFields, stringOption } from './options.js';

// The X.400 and Fax gateways (administrator guide 19.3.1, ◆X.400ゲートウェイ and
// ◆Fax連携): background services on the site's gateway server with a life of
// their own. What they log goes on the event stream as `gateway-log` events
// (`data.text` says whether the line is the seed's or an emulator default).
//
// Options (config `services.x400` / `services.fax`):
//   x400.restartIntervalMs  time between two restarts of the restart loop (default 3000)
//   fax.retryIntervalMs     time between two attempts to deliver a received fax
//                           while the directory server is suspended (default 5000)
//   fax.directoryName       the directory server's name in fax.receive's line
//                           (YESISU01 in the documentation; default: the site's
//                           directory server's name)

export const DEFAULTS = { x400RestartIntervalMs: 3000, faxRetryIntervalMs: 5000 } as const;
const FAX_QUEUE_MAX = 1000;
/** What the gateways keep across a restart of the site (in the data directory, beside site.json). */
export const GATEWAYS_FILE = 'gateways.json';

interface Persisted {
  x400: { details: Record<string, string>; pendingDetails: Record<string, string> | null; loopCause: string | null };
  fax: { pending: PendingFax[] };
  /** Deliveries held for users of a suspended server (gateways.delivery-held). */
  held?: HeldDelivery[];
}

/** A message a gateway holds until the recipient's home server is resumed. */
interface HeldDelivery { id: string; gateway: 'x400' | 'fax'; what: string; user: string; server: string; raw: string; heldAt: string }
const HELD_MAX = 1000;
const DETAILS_MAX = 50;

export type X400State = 'stopped' | 'running' | 'restarting';
export type FaxState = 'stopped' | 'running' | 'startup-failed';

/** The answer of a gateway operation: what happened and what the gateway logged. */
export interface GatewayAnswer {
  ok: boolean;
  /** The catalog behaviour that fired, if one did. */
  behaviour?: string;
  /** The lines the gateway logged for this operation, in order. */
  logged: string[];
  [k: string]: unknown;
}

interface PendingFax { id: string; from: string; to: string; pages: number; attempts: number; receivedAt: string }

/** Both gateways of a site (one of each, on `site.gatewayServer`). */
export class Gateways implements SiteExtension {
  readonly name = 'gateways';
  private siteRef: Site | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private faxTimer: NodeJS.Timeout | null = null;
  private restartIntervalMs: number = DEFAULTS.x400RestartIntervalMs;
  private faxRetryIntervalMs: number = DEFAULTS.faxRetryIntervalMs;
  private directoryNameOption: string | undefined;
  /** Deliveries waiting for their recipient's server to be resumed. */
  private held: HeldDelivery[] = [];
  private offEvents: (() => void) | null = null;

  readonly x400 = {
    state: 'stopped' as X400State,
    /** Restarts that failed since the site started. */
    restarts: 0,
    received: 0,
    nonDelivered: 0,
    /** 詳細情報 (detailed information) in force. */
    details: {} as Record<string, string>,
    /** Detailed information changed while suspended: applied when the gateway starts again. */
    pendingDetails: null as Record<string, string> | null,
    /** What started the current restart loop. */
    loopCause: null as string | null,
  };

  readonly fax = {
    state: 'stopped' as FaxState,
    received: 0,
    reports: 0,
    pending: [] as PendingFax[],
  };

  private get site(): Site {
    if (!this.siteRef) throw new TwemuError('E_NOT_STARTED', 'the gateways are not running (the site is not started)');
    return this.siteRef;
  }

  /** The server the gateways run on. */
  get server(): SiteServer {
    return this.site.gatewayServer;
  }

  start(site: Site): void {
    this.restartIntervalMs = numberOption(site, 'x400', 'restartIntervalMs', DEFAULTS.x400RestartIntervalMs, 5, 600_000);
    this.faxRetryIntervalMs = numberOption(site, 'fax', 'retryIntervalMs', DEFAULTS.faxRetryIntervalMs, 5, 600_000);
    this.directoryNameOption = stringOption(site, 'fax', 'directoryName');
    this.siteRef = site;
    const saved = this.load();
    this.x400.details = saved?.x400.details ?? {};
    this.x400.pendingDetails = saved?.x400.pendingDetails ?? null;
    this.fax.pending = saved?.fax.pending ?? [];
    this.held = Array.isArray(saved?.held) ? saved.held : [];
    // A held delivery goes out when its server is resumed (or at start, if it was resumed meanwhile).
    this.offEvents = site.events.subscribe((e) => {
      if (e.type === 'command' && e.operation === 'to tran resume' && e.server) this.releaseHeld(e.server);
    });
    for (const name of new Set(this.held.map((h) => h.server))) this.releaseHeld(name);
    this.x400.state = 'running';
    this.fax.state = 'running';
    this.log('x400', 'start', T.x400Started, 'emulator default');
    this.log('fax', 'start', T.faxStarted, 'emulator default');
    // A restart in the middle of a restart loop (still suspended) goes on looping; queued faxes are retried.
    if (saved?.x400.loopCause) {
      if (this.server.suspended) this.startRestartLoop(saved.x400.loopCause);
      else this.endRestartLoop(false);
    }
    if (this.fax.pending.length) this.ensureFaxRetry();
  }

  private get file(): string {
    return join(this.site.config.dataDir, GATEWAYS_FILE);
  }

  private load(): Persisted | null {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as Persisted;
      if (typeof data !== 'object' || data === null || typeof data.x400 !== 'object' || !Array.isArray(data.fax?.pending)) throw new Error('bad shape');
      return data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.site.log.warn({ err }, `${GATEWAYS_FILE} unreadable; the gateways start afresh`);
      return null;
    }
  }

  /** Persists what must survive a restart: the details, a running restart loop, the queued faxes. */
  private save(): void {
    if (!this.siteRef) return;
    const data: Persisted = {
      x400: { details: this.x400.details, pendingDetails: this.x400.pendingDetails, loopCause: this.x400.loopCause },
      fax: { pending: this.fax.pending },
      held: this.held,
    };
    writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`);
  }

  stop(): void {
    this.offEvents?.();
    this.offEvents = null;
    if (this.restartTimer) clearInterval(this.restartTimer);
    if (this.faxTimer) clearInterval(this.faxTimer);
    this.restartTimer = this.faxTimer = null;
    this.x400.state = 'stopped';
    this.fax.state = 'stopped';
    this.siteRef = null;
  }

  status(server: SiteServer): Record<string, unknown> | undefined {
    if (!this.siteRef || server !== this.siteRef.gatewayServer) return undefined;
    return {
      x400: { state: this.x400.state, restarts: this.x400.restarts, received: this.x400.received, nonDelivered: this.x400.nonDelivered,
        restartIntervalMs: this.restartIntervalMs, ...(this.x400.pendingDetails ? { detailsPending: true } : {}) },
      fax: { state: this.fax.state, received: this.fax.received, reports: this.fax.reports, pending: this.fax.pending.length,
        directoryName: this.directoryName, retryIntervalMs: this.faxRetryIntervalMs },
      // `state` is the count (`twemu status` shows it in one word); the list says what waits for which server.
      heldDeliveries: { state: this.held.length, deliveries: this.held.map((h) => ({ id: h.id, gateway: h.gateway, what: h.what, user: h.user, server: h.server, heldAt: h.heldAt })) },
    };
  }

  /** The directory server's name as fax.receive logs it (`YESISU01` in the documentation's example). */
  get directoryName(): string {
    return this.directoryNameOption ?? this.site.directoryServer.name;
  }

  private log(gateway: 'x400' | 'fax', operation: string, message: string, text: 'seed' | 'derived' | 'emulator default', data: Record<string, unknown> = {}): string {
    const site = this.site;
    site.events.emit({ type: 'gateway-log', server: site.gatewayServer.name, operation, client: gateway === 'x400' ? 'X.400 gateway' : 'Fax gateway',
      message, data: { gateway, text, ...data } });
    site.log.info({ gateway, operation }, message);
    return message;
  }

  // ---- X.400 ----------------------------------------------------------------

  /** 環境の再読み込み. Suspended: an error is logged and the gateway restarts again and again until the suspension is lifted (x400.reload). */
  x400Reload(): GatewayAnswer {
    const gate = this.server.gate('x400.reload', { operation: 'reload', client: 'X.400 gateway' });
    if (gate.allowed) {
      this.endRestartLoop(false);
      return { ok: true, logged: [this.log('x400', 'reload', T.x400Reloaded, 'emulator default')], state: this.x400.state };
    }
    const logged = [this.log('x400', 'reload-error', T.x400ReloadError, 'emulator default', { behaviour: 'x400.reload' })];
    this.startRestartLoop('x400.reload');
    return { ok: false, behaviour: 'x400.reload', logged, state: this.x400.state };
  }

  /** 詳細情報の変更. Suspended: the gateway restarts again and again until the suspension is lifted (x400.change-details); the details apply when it starts. */
  x400ChangeDetails(input: unknown): GatewayAnswer {
    const body = bodyObject(input);
    onlyFields(body, ['details']);
    const details = body.details;
    if (typeof details !== 'object' || details === null || Array.isArray(details)) throw new BadRequest('E_BAD_REQUEST', '"details" must be an object of names to values, e.g. {"mta": "MTA01"}');
    const entries = Object.entries(details as Record<string, unknown>);
    if (entries.length === 0 || entries.length > DETAILS_MAX) throw new BadRequest('E_BAD_REQUEST', `"details" must have 1 to ${DETAILS_MAX} entries`);
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > 64 || typeof v !== 'string' || v.length > 500 || /[\r\n]/.test(v)) throw new BadRequest('E_BAD_REQUEST', `details.${k.slice(0, 64)} must be a one-line string of at most 500 characters`);
    }
    const wanted = Object.fromEntries(entries) as Record<string, string>;
    // Bounded in total, not only per call: repeated changes with new names must not grow the details (and gateways.json) without end.
    const total = new Set([...Object.keys(this.x400.details), ...Object.keys(this.x400.pendingDetails ?? {}), ...Object.keys(wanted)]).size;
    if (total > DETAILS_MAX) throw new BadRequest('E_BAD_REQUEST', `the X.400 gateway keeps at most ${DETAILS_MAX} detail names; this change would make ${total}`);
    const gate = this.server.gate('x400.change-details', { operation: 'change-details', client: 'X.400 gateway' });
    if (gate.allowed) {
      // End a running loop first: it applies the details changed earlier, and this (later) change must win over them.
      this.endRestartLoop(false);
      this.x400.details = { ...this.x400.details, ...wanted };
      this.save();
      return { ok: true, logged: [this.log('x400', 'change-details', T.x400DetailsChanged, 'emulator default')], state: this.x400.state, details: this.x400.details };
    }
    this.x400.pendingDetails = { ...(this.x400.pendingDetails ?? {}), ...wanted };
    this.save();
    const logged = [this.log('x400', 'change-details-error', T.x400DetailsError, 'emulator default', { behaviour: 'x400.change-details' })];
    this.startRestartLoop('x400.change-details');
    return { ok: false, behaviour: 'x400.change-details', logged, state: this.x400.state, details: this.x400.details, pendingDetails: this.x400.pendingDetails };
  }

  private startRestartLoop(cause: string): void {
    this.x400.state = 'restarting';
    this.x400.loopCause = cause;
    this.save();
    if (this.restartTimer) return;
    let attempts = 0;
    const timer = setInterval(guarded(() => this.siteRef, 'X.400 restart loop', () => {
      if (!this.siteRef) return;
      if (!this.server.suspended) {
        this.endRestartLoop(true, attempts);
        return;
      }
      attempts++;
      this.x400.restarts++;
      this.log('x400', 'restart', T.x400RestartFailed(this.x400.restarts), 'emulator default', { restart: this.x400.restarts, cause });
    }), this.restartIntervalMs);
    timer.unref();
    this.restartTimer = timer;
  }

  private endRestartLoop(afterResume: boolean, attempts = 0): void {
    if (this.restartTimer) clearInterval(this.restartTimer);
    const wasLooping = this.restartTimer !== null;
    this.restartTimer = null;
    this.x400.state = 'running';
    this.x400.loopCause = null;
    if (this.x400.pendingDetails) {
      this.x400.details = { ...this.x400.details, ...this.x400.pendingDetails };
      this.x400.pendingDetails = null;
    }
    this.save();
    if (afterResume && wasLooping) this.log('x400', 'started', T.x400RestartedAfterResume(attempts), 'emulator default', { afterRestarts: attempts });
  }

  /** An inbound X.400 message for a local user. Suspended: an error is logged and the sender gets a non-delivery notice (x400.receive). */
  x400Receive(input: unknown): GatewayAnswer {
    const body = bodyObject(input);
    onlyFields(body, ['from', 'to', 'subject', 'body']);
    const from = lineField(body, 'from', { required: true, max: 200 })!;
    const toName = lineField(body, 'to', { required: true, max: 200 })!;
    const subject = lineField(body, 'subject', { max: 500 }) ?? '';
    if (body.body !== undefined && typeof body.body !== 'string') throw new BadRequest('E_BAD_REQUEST', '"body" must be a string');
    const text = (body.body as string | undefined) ?? '';
    if (text.length > 1_000_000) throw new BadRequest('E_BAD_REQUEST', '"body" is longer than 1000000 characters');
    const to = this.site.domain.access.account(localPart(toName));
    if (!to) throw new NotFound('E_NO_ACCOUNT', `no account ${JSON.stringify(toName)} to deliver to`);
    // An RFC 5322 address as is; a user of the site by name; an X.400 O/R address as the display name of the gateway's address.
    const fromAddress = from.includes('@') ? from : this.site.domain.access.account(from) ? `${from}@teamware.example`
      : `"${from.replace(/["\\]/g, '')}" <x400-gateway@teamware.example>`;
    const gate = this.server.gate('x400.receive', { operation: 'receive', client: 'X.400 gateway', user: to.name });
    if (gate.allowed) {
      const raw = mailText({ from: fromAddress, to: `${to.name}@teamware.example`, subject, body: text, via: 'X.400 gateway' });
      const out = this.deliverOrHold('x400', 'X.400 message', to.name, raw);
      this.x400.received++;
      if (out.held) return { ok: true, logged: [out.logged], held: out.held };
      return { ok: true, logged: [this.log('x400', 'receive', T.x400Delivered(from, to.name), 'emulator default')], delivered: out.delivered };
    }
    this.x400.nonDelivered++;
    const logged = [this.log('x400', 'receive-error', T.x400ReceiveError(from, to.name), 'emulator default', { behaviour: 'x400.receive' })];
    // The non-delivery notice: into the sender's INBOX when the sender is a user of this site, else back over X.400.
    const sender = this.site.domain.access.account(localPart(from));
    const ndr = ndrText({ sender: fromAddress, recipient: `${to.name}@teamware.example`, subject });
    if (sender) {
      const out = this.deliverOrHold('x400', 'non-delivery notice', sender.name, ndr, { envelopeFrom: '' });
      if (out.held) return { ok: false, behaviour: 'x400.receive', logged: [...logged, out.logged], nonDeliveryNotice: { held: out.held } };
      const delivered = out.delivered!;
      return { ok: false, behaviour: 'x400.receive', logged, nonDeliveryNotice: { deliveredTo: delivered.user, server: delivered.server, uid: delivered.uid } };
    }
    return { ok: false, behaviour: 'x400.receive', logged, nonDeliveryNotice: { returnedTo: from, via: 'x400' } };
  }

  // ---- Fax ----------------------------------------------------------------------

  /** 環境の再読み込み. Suspended: fax.reload's line is logged and the gateway stays in startup failure until a reload succeeds. */
  faxReload(): GatewayAnswer {
    const gate = this.server.gate('fax.reload', { operation: 'reload', client: 'Fax gateway' });
    if (gate.allowed) {
      this.fax.state = 'running';
      return { ok: true, logged: [this.log('fax', 'reload', T.faxReloaded, 'emulator default')], state: this.fax.state };
    }
    this.fax.state = 'startup-failed';
    const logged = gate.messages.map((m, i) => this.log('fax', 'reload-error', m, provenanceText(gate.decision.provenance[i]), { behaviour: 'fax.reload' }));
    return { ok: false, behaviour: 'fax.reload', logged, state: this.fax.state };
  }

  /**
   * A received fax for a local user. While the directory server is suspended
   * (not the gateway's own server: the delivery user is looked up in the
   * Directory), fax.receive's line is logged again at every attempt until the
   * suspension is lifted; then the fax is delivered.
   */
  faxReceive(input: unknown): GatewayAnswer {
    const body = bodyObject(input);
    onlyFields(body, ['from', 'to', 'pages']);
    const from = lineField(body, 'from', { required: true, max: 100 })!;
    const toName = lineField(body, 'to', { required: true, max: 200 })!;
    const pages = body.pages === undefined ? 1 : body.pages;
    if (typeof pages !== 'number' || !Number.isInteger(pages) || pages < 1 || pages > 999) throw new BadRequest('E_BAD_REQUEST', '"pages" must be an integer from 1 to 999');
    const to = this.site.domain.access.account(localPart(toName));
    if (!to) throw new NotFound('E_NO_ACCOUNT', `no account ${JSON.stringify(toName)} to deliver to`);
    if (this.fax.pending.length >= FAX_QUEUE_MAX) throw new TwemuError('E_FAX_QUEUE_FULL', `${FAX_QUEUE_MAX} received faxes are already waiting for the Directory service`, { hint: 'resume the directory server first' });
    const fax: PendingFax = { id: randomBytes(6).toString('hex'), from, to: to.name, pages, attempts: 0, receivedAt: new Date(this.site.clock.now()).toISOString() };
    const attempt = this.faxAttempt(fax);
    if (attempt.delivered) return { ok: true, logged: attempt.logged, delivered: attempt.delivered };
    if (attempt.held) return { ok: true, logged: attempt.logged, held: attempt.held };
    this.fax.pending.push(fax);
    this.save();
    this.ensureFaxRetry();
    return { ok: false, behaviour: 'fax.receive', logged: attempt.logged, queued: true, faxId: fax.id, directoryServer: this.site.directoryServer.name };
  }

  /** One attempt to hand a fax to its recipient; logs fax.receive's line when the Directory is suspended. */
  private faxAttempt(fax: PendingFax): { logged: string[]; delivered?: ReturnType<Site['deliver']>; held?: { id: string; user: string; server: string } } {
    fax.attempts++;
    const gate = this.server.gate('fax.receive', { operation: 'receive', client: 'Fax gateway', user: fax.to, fill: { YESISU01: this.directoryName } });
    if (!gate.allowed) {
      return { logged: gate.messages.map((m, i) => this.log('fax', 'receive-error', m, provenanceText(gate.decision.provenance[i]), { behaviour: 'fax.receive', faxId: fax.id, attempt: fax.attempts })) };
    }
    const subject = `FAX from ${fax.from} (${fax.pages} page(s))`;
    const raw = mailText({ from: 'fax-gateway@teamware.example', to: `${fax.to}@teamware.example`, subject,
      body: `A fax from ${fax.from} was received at ${fax.receivedAt}: ${fax.pages} page(s).`, via: 'Fax gateway' });
    const out = this.deliverOrHold('fax', 'fax', fax.to, raw);
    this.fax.received++;
    // Held for a suspended home server: out of the Directory retry queue, into the held deliveries.
    if (out.held) return { logged: [out.logged], held: out.held };
    return { logged: [this.log('fax', 'receive', T.faxDelivered(fax.from, fax.to), 'emulator default', { faxId: fax.id, attempts: fax.attempts })], delivered: out.delivered };
  }

  private ensureFaxRetry(): void {
    if (this.faxTimer) return;
    const timer = setInterval(guarded(() => this.siteRef, 'fax delivery retry', () => {
      if (!this.siteRef) return;
      for (const fax of [...this.fax.pending]) {
        let done = false;
        try {
          const a = this.faxAttempt(fax);
          done = !!(a.delivered || a.held);
        } catch (err) {
          // The recipient may have gone meanwhile: drop the fax, say why, keep serving.
          this.log('fax', 'receive-dropped', `FAXGW-J: fax ${fax.id} from ${fax.from} dropped: ${(err as Error).message}`, 'emulator default', { faxId: fax.id });
          done = true;
        }
        if (done) {
          this.fax.pending.splice(this.fax.pending.indexOf(fax), 1);
          this.save();
        }
      }
      if (this.fax.pending.length === 0 && this.faxTimer) {
        clearInterval(this.faxTimer);
        this.faxTimer = null;
      }
    }), this.faxRetryIntervalMs);
    timer.unref();
    this.faxTimer = timer;
  }

  /** レポート発行 for a user. Suspended: fax.report's line with the user's name. */
  faxReport(input: unknown): GatewayAnswer {
    const body = bodyObject(input);
    onlyFields(body, ['user']);
    const user = lineField(body, 'user', { required: true, max: 64 })!;
    if (user.includes('"')) throw new BadRequest('E_BAD_REQUEST', '"user" must not contain a double quote');
    const gate = this.server.gate('fax.report', { operation: 'report', client: 'Fax gateway', user, fill: { ユーザ名: user } });
    if (!gate.allowed) {
      return { ok: false, behaviour: 'fax.report', logged: gate.messages.map((m, i) => this.log('fax', 'report-error', m, provenanceText(gate.decision.provenance[i]), { behaviour: 'fax.report', user })) };
    }
    const account = this.site.domain.access.account(user);
    if (!account) throw new NotFound('E_NO_ACCOUNT', `no account ${JSON.stringify(user)}`);
    const raw = mailText({ from: 'fax-gateway@teamware.example', to: `${account.name}@teamware.example`, subject: 'FAX report',
      body: `Fax gateway report for ${account.name}: ${this.fax.received} fax(es) received on this site.`, via: 'Fax gateway' });
    const out = this.deliverOrHold('fax', 'fax report', account.name, raw);
    this.fax.reports++;
    const logged = [this.log('fax', 'report', T.faxReport(account.name), 'emulator default')];
    return out.held ? { ok: true, logged: [...logged, out.logged], held: out.held } : { ok: true, logged, delivered: out.delivered };
  }

  /**
   * Delivers a message to a user's INBOX, or holds it while the user's home
   * server is suspended (gateways.delivery-held, an emulator default: "抑止の
   * 解除が行われるまでサービスは利用できません"); held ones go out at `to tran resume`.
   * Stamped when the gateway takes it (Date: the site's clock then, even when
   * held); `envelopeFrom: ''`: the null sender of a non-delivery notice.
   */
  private deliverOrHold(gateway: 'x400' | 'fax', what: string, user: string, message: string, opts: { envelopeFrom?: string } = {}):
    { delivered?: ReturnType<Site['deliver']>; held?: { id: string; user: string; server: string }; logged: string } {
    const home = this.site.homeServer(user);
    const raw = this.site.domain.mail.stamp(message, { host: home.name, envelopeFrom: opts.envelopeFrom }).toString('utf8');
    const gate = home.gate('gateways.delivery-held', { operation: `deliver ${what}`, client: gateway === 'x400' ? 'X.400 gateway' : 'Fax gateway', user });
    if (gate.allowed || this.held.length >= HELD_MAX) return { delivered: this.site.deliver(user, raw), logged: '' };
    const h: HeldDelivery = { id: randomBytes(6).toString('hex'), gateway, what, user, server: home.name, raw, heldAt: new Date(this.site.clock.now()).toISOString() };
    this.held.push(h);
    this.save();
    const logged = this.log(gateway, 'delivery-held', T.deliveryHeld(gateway === 'x400' ? 'X.400 gateway' : 'FAXGW-J', what, user, home.name), 'emulator default',
      { behaviour: 'gateways.delivery-held', heldId: h.id, user, target: home.name });
    return { held: { id: h.id, user, server: home.name }, logged };
  }

  /** Delivers what was held for a server's users, once it is available again. */
  private releaseHeld(serverName: string): void {
    if (!this.siteRef) return;
    const server = this.site.servers.find((s) => s.name === serverName);
    if (server?.suspended) return;
    const due = this.held.filter((h) => h.server === serverName);
    if (!due.length) return;
    this.held = this.held.filter((h) => h.server !== serverName);
    for (const h of due) {
      try {
        const delivered = this.site.deliver(h.user, h.raw);
        this.log(h.gateway, 'delivery-released', T.deliveryReleased(h.gateway === 'x400' ? 'X.400 gateway' : 'FAXGW-J', h.what, h.user, serverName), 'emulator default',
          { heldId: h.id, user: h.user, uid: delivered.uid, target: delivered.server });
      } catch (err) {
        this.log(h.gateway, 'delivery-dropped', `${h.gateway === 'x400' ? 'X.400 gateway' : 'FAXGW-J'}: held ${h.what} for ${h.user} dropped: ${(err as Error).message}`, 'emulator default', { heldId: h.id });
      }
    }
    this.save();
  }
}

function localPart(address: string): string {
  const at = address.indexOf('@');
  return at > 0 ? address.slice(0, at) : address;
}

/** A message the gateway hands over (Date, Message-ID and Return-Path: the delivery's stamp, `deliverOrHold`). */
function mailText(m: { from: string; to: string; subject: string; body: string; via: string }): string {
  return [
    `From: ${m.from}`, `To: ${m.to}`, `Subject: ${encodeHeader(m.subject)}`, 'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', `X-TeamWARE-Gateway: ${m.via}`, '',
    m.body.replace(/\r?\n/g, '\r\n'), '',
  ].join('\r\n');
}

/** The non-delivery notice (RFC 3464 shape; the wording is an emulator default). */
function ndrText(m: { sender: string; recipient: string; subject: string }): string {
  const boundary = `ndr-${randomBytes(8).toString('hex')}`;
  return [
    'From: X.400 gateway <postmaster@teamware.example>', `To: ${m.sender}`, `Subject: ${encodeHeader(`Non-delivery notice: ${m.subject}`)}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`, 'X-TeamWARE-Gateway: X.400 gateway', '',
    `--${boundary}`, 'Content-Type: text/plain; charset=UTF-8', '',
    `Your message to ${m.recipient} could not be delivered: the TeamWARE Office service was suspended for an online backup.`,
    'Send it again later.', '',
    `--${boundary}`, 'Content-Type: message/delivery-status', '',
    'Reporting-MTA: dns; teamware.example', '', `Final-Recipient: rfc822; ${m.recipient}`, 'Action: failed', 'Status: 4.3.2',
    'Diagnostic-Code: X-TeamWARE; service suspended (online backup)', '',
    `--${boundary}--`, '',
  ].join('\r\n');
}

/** The site's gateways (the extension instance). */
export function gatewaysOf(site: Site): Gateways {
  const g = site.extensions.find((e): e is Gateways => e instanceof Gateways);
  if (!g) throw new TwemuError('E_NOT_STARTED', 'this site runs no gateways');
  return g;
}

/** How a `gateway-log` event names a catalog text's provenance (`data.text`). */
function provenanceText(p: 'seed' | 'emulator' | 'derived' | undefined): 'seed' | 'derived' | 'emulator default' {
  return p === 'emulator' ? 'emulator default' : p ?? 'seed';
}
