// Directory: who the users are, as other users may see them (never a password).

import type { Account, AccountPatch, ServiceSet, UserTemplate } from '../store/directory.js';
import { ok, refuse, type Outcome } from './outcome.js';
import type { DomainServer, DomainSite } from './ports.js';

/** An account as other users see it. */
export interface DirectoryEntry {
  name: string;
  displayName: string;
  department: string;
  homeServer: string;
  isAdmin: boolean;
  services: ServiceSet;
}

export const entryOf = (a: Account): DirectoryEntry =>
  ({ name: a.name, displayName: a.displayName, department: a.department, homeServer: a.homeServer, isAdmin: a.isAdmin, services: { ...a.services } });

/** An account as the administrator's tools see it: everything but the password. */
export type VisibleAccount = Omit<Account, 'password'>;

export function visibleAccount(a: Account): VisibleAccount {
  const { password: _password, ...rest } = a;
  return rest;
}

type TemplateInput = { name: string; services?: Partial<ServiceSet>; optionSettings?: string | null };
type TemplatePatch = { services?: Partial<ServiceSet>; optionSettings?: string | null };

export class DirectoryService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  get server(): S {
    return this.site.directoryServer;
  }

  lookup(name: string): Outcome<DirectoryEntry, 'not-found'> {
    const a = this.site.directory.get(name);
    return a ? ok(entryOf(a)) : refuse('not-found', `no user ${JSON.stringify(name)}`);
  }

  // ---- administration (TeamWARE Directory, the control API) ----------------

  accounts(): VisibleAccount[] {
    return this.site.directory.list().map(visibleAccount);
  }

  account(name: string): Outcome<Account, 'not-found'> {
    const a = this.site.directory.get(name);
    return a ? ok(a) : refuse('not-found', `no account ${JSON.stringify(name)}`);
  }

  /** Whether a new account may be made: a free name, an existing template (the home server is the site's choice). */
  mayCreateAccount(input: { name: string; template?: string }): Outcome<true, 'exists' | 'not-found'> {
    if (this.site.directory.get(input.name)) return refuse('exists', `account ${input.name} already exists`);
    if (input.template && !this.site.directory.template(input.template)) return refuse('not-found', `no user template ${input.template}`);
    return ok(true);
  }

  updateAccount(name: string, patch: AccountPatch): Outcome<Account, 'not-found'> {
    const a = this.account(name);
    return a.ok ? ok(this.site.directory.update(a.value.name, patch)) : a;
  }

  /** An administrator does not delete the account they are logged in with. */
  mayDeleteAccount(by: Account, name: string): Outcome<Account, 'not-found' | 'not-permitted'> {
    const a = this.account(name);
    if (!a.ok) return a;
    if (a.value.name === by.name) return refuse('not-permitted', 'an administrator cannot delete the account they are logged in with');
    return a;
  }

  deleteAccount(by: Account, name: string): Outcome<Account, 'not-found' | 'not-permitted'> {
    const a = this.mayDeleteAccount(by, name);
    if (a.ok) this.site.directory.delete(a.value.name);
    return a;
  }

  templates(): UserTemplate[] {
    return this.site.directory.templates();
  }

  template(name: string): Outcome<UserTemplate, 'not-found'> {
    const t = this.site.directory.template(name);
    return t ? ok(t) : refuse('not-found', `no user template ${name}`);
  }

  createTemplate(input: TemplateInput, opts: { applyOptionSettings?: boolean } = {}): Outcome<UserTemplate, 'exists'> {
    if (this.site.directory.template(input.name)) return refuse('exists', `user template ${input.name} already exists`);
    return ok(this.site.directory.createTemplate(input, opts));
  }

  updateTemplate(name: string, patch: TemplatePatch, opts: { applyOptionSettings?: boolean } = {}): Outcome<UserTemplate, 'not-found'> {
    const t = this.template(name);
    return t.ok ? ok(this.site.directory.updateTemplate(t.value.name, patch, opts)) : t;
  }

  list(department?: string): DirectoryEntry[] {
    return this.site.directory.list().filter((a) => department === undefined || a.department === department).map(entryOf);
  }

  /** Resolves recipients (account names or addresses whose local part is one); all or nothing. */
  recipients(list: string[]): Outcome<Account[], 'not-found'> {
    const out: Account[] = [];
    for (const r of list) {
      const local = r.trim().replace(/^.*<([^>]*)>\s*$/, '$1').split('@')[0]!;
      const account = /^[A-Za-z0-9._-]{1,32}$/.test(local) ? this.site.directory.get(local) : null;
      if (!account) return refuse('not-found', `no user ${JSON.stringify(r)}`);
      if (!out.some((a) => a.name === account.name)) out.push(account);
    }
    return ok(out);
  }
}
