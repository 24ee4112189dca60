// Directory: who the users are, as other users may see them (never a password).

import type { Account, ServiceSet } from '../store/directory.js';
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

export class DirectoryService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  get server(): S {
    return this.site.directoryServer;
  }

  lookup(name: string): Outcome<DirectoryEntry, 'not-found'> {
    const a = this.site.directory.get(name);
    return a ? ok(entryOf(a)) : refuse('not-found', `no user ${JSON.stringify(name)}`);
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
