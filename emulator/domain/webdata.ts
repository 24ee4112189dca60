// The web service's own data (what `tobkweb arc` archives): a user's memos and
// mail signature on their home server; the shared bookmarks on the directory
// server, which their creator or an administrator may delete.

import type { Account } from '../store/directory.js';
import type { Bookmark, Memo } from '../store/webdata.js';
import { ok, refuse, type Outcome } from './outcome.js';
import type { DomainServer, DomainSite } from './ports.js';

export class WebDataService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  private home(user: string) {
    return this.site.homeServer(user).store.webdata;
  }

  /** Where the shared bookmarks live. */
  get bookmarkServer(): S {
    return this.site.directoryServer;
  }

  memos(user: string): Memo[] {
    return this.home(user).memos(user);
  }

  /** The user's own memo; another user's id is not found. */
  memo(user: string, id: number): Outcome<Memo, 'not-found'> {
    const m = this.home(user).memo(user, id);
    return m ? ok(m) : refuse('not-found', `no memo ${id}`);
  }

  createMemo(user: string, input: { title: string; body: string }): Memo {
    return this.home(user).createMemo(user, input);
  }

  updateMemo(user: string, id: number, input: { title: string; body: string }): Outcome<Memo, 'not-found'> {
    const m = this.memo(user, id);
    return m.ok ? ok(this.home(user).updateMemo(user, id, input)) : m;
  }

  deleteMemo(user: string, id: number): Outcome<Memo, 'not-found'> {
    const m = this.memo(user, id);
    if (m.ok) this.home(user).deleteMemo(user, id);
    return m;
  }

  signature(user: string): string {
    return this.home(user).signature(user);
  }

  setSignature(user: string, body: string): void {
    this.home(user).setSignature(user, body);
  }

  bookmarks(): Bookmark[] {
    return this.bookmarkServer.store.webdata.bookmarks();
  }

  addBookmark(user: string, input: { title: string; url: string }): Bookmark {
    return this.bookmarkServer.store.webdata.createBookmark(user, input);
  }

  /** Only its creator or an administrator deletes a shared bookmark. */
  mayDeleteBookmark(by: Pick<Account, 'name' | 'isAdmin'>, b: Bookmark): boolean {
    return b.createdBy === by.name || by.isAdmin;
  }

  deleteBookmark(by: Pick<Account, 'name' | 'isAdmin'>, id: number): Outcome<Bookmark, 'not-found' | 'not-permitted'> {
    const b = this.bookmarks().find((x) => x.id === id);
    if (!b) return refuse('not-found', `no bookmark ${id}`);
    if (!this.mayDeleteBookmark(by, b)) return refuse('not-permitted', `bookmark ${id} was added by ${b.createdBy}`);
    this.bookmarkServer.store.webdata.deleteBookmark(id);
    return ok(b);
  }
}
