// Access: who may log in, to which service, on which server, and what a
// failed login costs. One mechanism for every protocol and page (POP3, IMAP,
// the web login, the application execution module, the desktop clients' HTTP
// Basic, SMTP AUTH): each front end asks `login` and translates the outcome.
//
// A failed login (wrong user name or password) is answered only after
// `failedLoginDelayMs` (default 1 s), the same on every front end, so guessing
// passwords is slow everywhere; failed logins for one user name wait one after
// the other, so parallel guesses are no faster; each is on the event stream as
// `login-failed` with `data.reason`. Connection protocols close the connection after
// `maxFailedLogins` failures on it (IMAP; POP3 has its bad-command limit). A login
// that succeeds is a `login` event, emitted before the front end answers it (a
// test that must suspend a server between a client's login and its next command
// waits for it: test/clients/harness.ts `suspendAfterLogin`).

import { TwemuError } from '../errors.js';
import { integerSetting } from '../settings.js';
import type { Account, ServiceName } from '../store/directory.js';
import { ok, refuse, type Outcome } from './outcome.js';
import type { DomainServer, DomainSite } from './ports.js';

export const DEFAULT_FAILED_LOGIN_DELAY_MS = 1000;
export const DEFAULT_MAX_FAILED_LOGINS = 3;

/** `services.access` of the site configuration. */
export interface AccessOptions {
  /** Wait before answering a login with a wrong user name or password (every protocol and page). */
  failedLoginDelayMs: number;
  /** Failed logins on one connection after which the server closes it (IMAP). */
  maxFailedLogins: number;
}

const KEYS = ['failedLoginDelayMs', 'maxFailedLogins'];

const integer = (raw: Record<string, unknown>, key: string, fallback: number, min: number, max: number) => integerSetting(raw, 'services.access', key, fallback, min, max);

/** Reads and checks `services.access`; a mistake is one clear error at start. */
export function accessOptions(input: unknown): AccessOptions {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new TwemuError('E_CONFIG', 'services.access must be a mapping');
  const raw = input as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new TwemuError('E_CONFIG', `services.access: unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, { hint: `the options are ${KEYS.join(', ')}` });
  return {
    failedLoginDelayMs: integer(raw, 'failedLoginDelayMs', DEFAULT_FAILED_LOGIN_DELAY_MS, 0, 60_000),
    maxFailedLogins: integer(raw, 'maxFailedLogins', DEFAULT_MAX_FAILED_LOGINS, 1, 1000),
  };
}

/** Who is logging in, where, and how. */
export type LoginClient = 'pop3' | 'imap' | 'web' | 'ame' | 'desktop' | 'smtp';

/** Why a login failed, as `data.reason` of the `login-failed` event. */
export type LoginFailure = 'no-credentials' | 'no-such-account' | 'wrong-password' | 'service-unavailable' | 'wrong-server' | 'server-busy' | 'origin' | 'tls-required';

export interface LoginRequest<S extends DomainServer> {
  client: LoginClient;
  /** The server the client talks to. */
  server: S;
  /** The client's operation for the event stream (`PASS`, `LOGIN`, `POST /login`, `mail_list`). */
  operation: string;
  /** The user name given; undefined when the client sent no credentials. */
  user: string | undefined;
  /** The password given, or a check of the account's password (APOP's digest). */
  password: string | ((account: Account) => boolean);
  /** The Directory service the client needs (POP3, IMAP, SMTP: mail; the web login: web); absent: checked per operation. */
  service?: ServiceName;
  /** The user's mailbox must be on `server` (POP3, IMAP). */
  home?: boolean;
  /** How the front end waits (a session's wait ends early when its connection closes); default a timer. */
  wait?: (ms: number) => Promise<void>;
  /** The front end's own delay (services.pop3.failedLoginDelayMs), instead of services.access's. */
  delayMs?: number;
  /**
   * The front end's answer when its server is suspended (its catalog gate:
   * `smtp.login`, ...): the whole reply line, or null to let the login on.
   * When it is asked, before or after the password, is the site's one rule
   * (`suspendedLoginOrder`).
   */
  busy?: (order: 'before-password' | 'after-password') => string | null;
  /** The server whose suspension `busy` answers for (the web login: the directory server too); default `server`. */
  busyServer?: S;
}

export type LoginRefusal = 'bad-credentials' | 'service-unavailable' | 'wrong-server';
/** The suspended server's answer (`busy` of the request), already on the event stream. */
export interface BusyRefusal {
  ok: false;
  refused: 'busy';
  message: string;
}
export type LoginOutcome<S extends DomainServer> = Outcome<Account, LoginRefusal, { home?: S; service?: ServiceName; account?: Account }> | BusyRefusal;

/**
 * The rule for a login on a suspended server, for POP3, IMAP, SMTP, the web
 * login and AME alike: the catalog's `access.login-order`. When it
 * fires (`before-password`), the suspension is checked first: every login gets
 * the busy answer, right or wrong credentials. When it does not (the default,
 * policy never: `after-password`), the credentials are checked first: a wrong
 * user name or password gets the protocol's ordinary refusal (as when the
 * server is available), and only a good login gets the busy answer, as RFC 1939
 * locks the maildrop only after the password.
 */
export const SUSPENDED_LOGIN_ORDER = 'access.login-order';

/** What `suspendedLoginOrder` needs of a server: the site's SiteServer. */
interface SuspendableServer {
  readonly suspended?: boolean;
  fire?(id: string, ctx: { operation: string; client?: string; user?: string }): { fires: boolean };
  readonly site?: { catalog: { policy(id: string): { mode: string } } };
}

/**
 * Whether the suspension is checked before the password on this login (the
 * rule above, drawn and put on the event stream); false when the server is
 * not suspended. Front ends that order their own checks ask this; `login`
 * asks it for those that give `busy`.
 */
export function busyBeforePassword(server: DomainServer, ctx: { operation: string; client: LoginClient; user?: string }): boolean {
  const s = server as DomainServer & SuspendableServer;
  if (!s.suspended || !s.fire) return false;
  // The default (policy never) draws nothing and adds no event to every login on a suspended server.
  if (s.site?.catalog.policy(SUSPENDED_LOGIN_ORDER).mode === 'never') return false;
  return s.fire(SUSPENDED_LOGIN_ORDER, { operation: ctx.operation, client: ctx.client, user: ctx.user?.slice(0, 64) }).fires;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

const SERVICE_LABEL: Record<ServiceName, string> = { mail: 'Mail', calendar: 'Calendar', forum: 'Forum', library: 'Library', web: 'Web' };

export class AccessService<S extends DomainServer> {
  readonly options: AccessOptions;
  /**
   * Failed logins waiting, by user name: they are answered one after the other,
   * so guesses sent in parallel (many connections, many HTTP requests) for one
   * account are slowed as much as guesses sent one by one.
   */
  private readonly failing = new Map<string, Promise<void>>();

  constructor(private readonly site: DomainSite<S>) {
    this.options = accessOptions(site.config.services?.access);
  }

  /** The account as the Directory says now, or null. */
  account(name: string): Account | null {
    return this.site.directory.get(name);
  }

  /** The server holding a user's mail and personal schedule. */
  homeServer(account: Account): S {
    return this.site.homeServer(account);
  }

  /** Service rights (Directory): whether the account may use the service. */
  mayUse(account: Account, service: ServiceName): Outcome<Account, 'service-unavailable', { service: ServiceName }> {
    if (account.services[service]) return ok(account);
    return refuse('service-unavailable', `the ${SERVICE_LABEL[service]} service is not available for this account`, { service });
  }

  /**
   * The one login: credentials (slowed and on the event stream when wrong),
   * then the suspended server's answer (`busy`; before the credentials when the
   * site's rule says so), then the service rights, then the home server when
   * the client needs its mailbox here.
   */
  async login(req: LoginRequest<S>): Promise<LoginOutcome<S>> {
    const first = req.busy && busyBeforePassword(req.busyServer ?? req.server, req);
    if (first) {
      const busy = req.busy!('before-password');
      if (busy !== null) return this.busyRefusal(req, busy);
    }
    const account = req.user === undefined ? null : this.site.directory.get(req.user);
    const good = account !== null && (typeof req.password === 'function' ? req.password(account) : account.password === req.password);
    if (!account || !good) {
      // No credentials at all is a challenge (HTTP Basic's first request), not a guess: answered at once.
      if (req.user !== undefined) await this.slowDown(req.user, () => (req.wait ?? sleep)(req.delayMs ?? this.options.failedLoginDelayMs));
      const reason: LoginFailure = req.user === undefined ? 'no-credentials' : account ? 'wrong-password' : 'no-such-account';
      this.failed(req, reason, reason === 'no-credentials' ? 'no credentials' : reason === 'wrong-password' ? 'wrong password' : 'no such account');
      return refuse('bad-credentials', 'wrong user name or password');
    }
    // By default the suspended server's answer comes right after the password (before the service and home checks).
    if (req.busy && !first) {
      const busy = req.busy('after-password');
      if (busy !== null) return this.busyRefusal({ ...req, user: account.name }, busy);
    }
    if (req.service) {
      const right = this.mayUse(account, req.service);
      if (!right.ok) {
        this.failed({ ...req, user: account.name }, 'service-unavailable', right.message);
        return right;
      }
    }
    if (req.home) {
      const home = this.site.homeServer(account);
      if (home !== req.server) {
        this.failed({ ...req, user: account.name }, 'wrong-server', `mailbox is on ${home.name}`);
        return refuse('wrong-server', `the mailbox of ${account.name} is on server ${home.name}`, { home, account });
      }
    }
    this.site.events.emit({
      type: 'login', server: req.server.name, client: req.client, operation: req.operation.slice(0, 200), user: account.name,
      message: `${account.name} logged in (${req.client} ${req.operation.slice(0, 200)})`,
    });
    return ok(account);
  }

  /** Waits for the failed logins of the same user name before it, then its own delay. */
  private async slowDown(user: string, wait: () => Promise<void>): Promise<void> {
    const key = user.toLowerCase();
    const before = this.failing.get(key) ?? Promise.resolve();
    const mine = before.then(wait, wait);
    this.failing.set(key, mine);
    try {
      await mine;
    } finally {
      if (this.failing.get(key) === mine) this.failing.delete(key);
    }
  }

  private busyRefusal(req: LoginRequest<S>, message: string): BusyRefusal {
    this.failed(req, 'server-busy', message);
    return { ok: false, refused: 'busy', message };
  }

  /**
   * Puts a refused login on the event stream (`login-failed`, `data.reason`).
   * `login` calls it; a front end calls it only for a refusal that happens
   * before the credentials are read (a suspended server's catalog answer, a
   * cross-site login form).
   */
  failed(req: Pick<LoginRequest<S>, 'client' | 'server' | 'operation' | 'user'>, reason: LoginFailure, message: string): void {
    this.site.events.emit({
      type: 'login-failed', server: req.server.name, client: req.client, operation: req.operation.slice(0, 200), user: req.user?.slice(0, 64),
      message, data: { reason },
    });
  }
}
