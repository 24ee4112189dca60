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
// `maxFailedLogins` failures on it (IMAP; POP3 has its bad-command limit).

import { TwemuError } from '../errors.js';
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

function integer(raw: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TwemuError('E_CONFIG', `services.access.${key} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  }
  return v;
}

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
}

export type LoginRefusal = 'bad-credentials' | 'service-unavailable' | 'wrong-server';
export type LoginOutcome<S extends DomainServer> = Outcome<Account, LoginRefusal, { home?: S; service?: ServiceName; account?: Account }>;

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
   * then the service rights, then the home server when the client needs its
   * mailbox here.
   */
  async login(req: LoginRequest<S>): Promise<LoginOutcome<S>> {
    const account = req.user === undefined ? null : this.site.directory.get(req.user);
    const good = account !== null && (typeof req.password === 'function' ? req.password(account) : account.password === req.password);
    if (!account || !good) {
      // No credentials at all is a challenge (HTTP Basic's first request), not a guess: answered at once.
      if (req.user !== undefined) await this.slowDown(req.user, () => (req.wait ?? sleep)(req.delayMs ?? this.options.failedLoginDelayMs));
      const reason: LoginFailure = req.user === undefined ? 'no-credentials' : account ? 'wrong-password' : 'no-such-account';
      this.failed(req, reason, reason === 'no-credentials' ? 'no credentials' : reason === 'wrong-password' ? 'wrong password' : 'no such account');
      return refuse('bad-credentials', 'wrong user name or password');
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
