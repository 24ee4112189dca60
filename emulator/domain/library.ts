// Library: documents and their locks (check-out) live on the shared server.
// A document locked by one user cannot be locked by another; only its holder
// or an administrator unlocks it.

import type { Account } from '../store/directory.js';
import type { LibraryDocument } from '../store/library.js';
import { ok, refuse, type Outcome } from './outcome.js';
import type { DomainServer, DomainSite } from './ports.js';

export class LibraryService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  get server(): S {
    return this.site.sharedServer;
  }

  documents(): LibraryDocument[] {
    return this.server.store.library.documents();
  }

  document(id: number): Outcome<LibraryDocument, 'not-found'> {
    const doc = this.server.store.library.document(id);
    return doc ? ok(doc) : refuse('not-found', `no document ${id}`);
  }

  /** Locks for `user` (already theirs: no change). */
  lock(id: number, user: string): Outcome<LibraryDocument, 'not-found' | 'not-permitted'> {
    const doc = this.document(id);
    if (!doc.ok) return doc;
    if (doc.value.lockedBy && doc.value.lockedBy !== user) return refuse('not-permitted', `document ${id} is locked by ${doc.value.lockedBy}`);
    return ok(this.server.store.library.lock(id, user));
  }

  /** Unlocks (not locked: no change); another user's lock only for an administrator. */
  unlock(id: number, by: Account): Outcome<LibraryDocument, 'not-found' | 'not-permitted'> {
    const doc = this.document(id);
    if (!doc.ok) return doc;
    const holder = doc.value.lockedBy;
    if (holder && holder !== by.name && !by.isAdmin) return refuse('not-permitted', `document ${id} is locked by ${holder}`);
    return ok(holder ? this.server.store.library.unlock(id) : doc.value);
  }

  /** The client level-up tool's migration: unlocks every document `user` holds; answers their ids. */
  unlockAllOf(user: string): number[] {
    const lib = this.server.store.library;
    return lib.documents().filter((d) => d.lockedBy === user).map((d) => lib.unlock(d.id).id);
  }
}
