// A site for the domain's unit tests: servers whose Store is an in-memory
// SQLite database (better-sqlite3 ':memory:'), the same repositories the
// product runs on, without files, listeners or a catalog.
import { Store } from '../../../emulator/store/index.js';
import type { Account } from '../../../emulator/store/directory.js';
import type { EventInput } from '../../../emulator/events.js';
import { createDomain, type DomainServer, type DomainSite } from '../../../emulator/domain/index.js';

export interface MemorySite extends DomainSite {
  events: { emit(e: EventInput): void; list: EventInput[] };
  close(): void;
}

export function memorySite(opts: { servers?: string[]; services?: Record<string, Record<string, unknown>> } = {}) {
  const servers: DomainServer[] = (opts.servers ?? ['twap01', 'twap02']).map((name) => ({ name, store: new Store(':memory:') }));
  const directory = servers[0]!.store.directory;
  const list: EventInput[] = [];
  const site: MemorySite = {
    directory, mailServers: servers, sharedServer: servers[0]!, directoryServer: servers[0]!,
    homeServer(user: string | Account) {
      const account = typeof user === 'string' ? directory.get(user) : user;
      if (!account) throw new Error(`no account ${String(user)}`);
      return servers.find((s) => s.name === account.homeServer)!;
    },
    events: { emit: (e) => void list.push(e), list },
    config: { services: opts.services ?? {} },
    close: () => servers.forEach((s) => s.store.close()),
  };
  return { site, servers, domain: createDomain(site) };
}
