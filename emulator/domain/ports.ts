// What the domain needs from the site: its servers and their stores, the
// Directory, the event stream and the services settings. The Site satisfies
// this structurally; the domain imports no site, protocol or scenario module.
// Unit tests give it servers whose Store is an in-memory SQLite database.

import type { EventInput } from '../events.js';
import type { Store } from '../store/index.js';
import type { Account, DirectoryRepo } from '../store/directory.js';

/** One server as the domain sees it: a name and the store holding its data. */
export interface DomainServer {
  readonly name: string;
  readonly store: Store;
}

export interface DomainSite<S extends DomainServer = DomainServer> {
  /** The Directory service's accounts and templates. */
  readonly directory: DirectoryRepo;
  /** Servers holding users' mail, schedules and shared data. */
  readonly mailServers: S[];
  /** The server holding forums, the library and the facilities (and their reservations). */
  readonly sharedServer: S;
  readonly directoryServer: S;
  /** The server holding a user's mail and personal schedule. */
  homeServer(user: string | Account): S;
  readonly events: { emit(e: EventInput): unknown };
  /** The site's clock (the Date an MTA adds); the machine's when absent. */
  readonly clock?: { now(): number };
  readonly config: { services?: Record<string, Record<string, unknown> | undefined> };
}
