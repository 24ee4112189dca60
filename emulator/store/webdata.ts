import type { ServerDatabase } from './database.js';
import { BadRequest, NotFound } from '../errors.js';

export interface Memo { id: number; owner: string; title: string; body: string; updatedAt: string }
export interface Bookmark { id: number; title: string; url: string; createdBy: string }

interface MemoRow { id: number; owner: string; title: string; body: string; updated_at: string }
const toMemo = (r: MemoRow): Memo => ({ id: r.id, owner: r.owner, title: r.title, body: r.body, updatedAt: r.updated_at });
interface BmRow { id: number; title: string; url: string; created_by: string }
const toBm = (r: BmRow): Bookmark => ({ id: r.id, title: r.title, url: r.url, createdBy: r.created_by });

/** What `tobkweb arc` exports: one server's web-service-specific data. */
export interface WebServiceData {
  signatures: Array<{ owner: string; body: string }>;
  memos: Memo[];
  bookmarks: Bookmark[];
}

/** The Web service's own data: mail signatures (メールの署名), personal memos (個人メモ), shared bookmarks (共有ブックマーク). */
export class WebDataRepo {
  constructor(private readonly sdb: ServerDatabase) {}

  signature(owner: string): string {
    return (this.sdb.prepare('SELECT body FROM signatures WHERE owner = ?').get(owner) as { body: string } | undefined)?.body ?? '';
  }

  setSignature(owner: string, body: string): void {
    if (typeof body !== 'string' || body.length > 4000) throw new BadRequest('E_SIGNATURE', 'signature must be at most 4000 characters');
    this.sdb.write({ service: 'web', operation: 'signature-set', object: owner }, () => {
      this.sdb.prepare('INSERT INTO signatures (owner, body) VALUES (?, ?) ON CONFLICT(owner) DO UPDATE SET body = excluded.body').run(owner, body);
    });
  }

  memos(owner: string): Memo[] {
    return (this.sdb.prepare('SELECT * FROM memos WHERE owner = ? ORDER BY id').all(owner) as MemoRow[]).map(toMemo);
  }

  /** A memo only if it belongs to `owner`: one user cannot read another's by changing an id. */
  memo(owner: string, id: number): Memo | null {
    const row = this.sdb.prepare('SELECT * FROM memos WHERE id = ? AND owner = ?').get(id, owner) as MemoRow | undefined;
    return row ? toMemo(row) : null;
  }

  private checkMemo(input: { title: string; body: string }): void {
    if (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200) throw new BadRequest('E_MEMO', 'memo title must be 1-200 characters');
    if (typeof input.body !== 'string' || input.body.length > 20000) throw new BadRequest('E_MEMO', 'memo body must be at most 20000 characters');
  }

  createMemo(owner: string, input: { title: string; body: string }): Memo {
    this.checkMemo(input);
    const id = this.sdb.write({ service: 'web', operation: 'memo-create', object: `${owner}: ${input.title}` }, () =>
      Number(this.sdb.prepare('INSERT INTO memos (owner, title, body, updated_at) VALUES (?, ?, ?, ?)').run(owner, input.title, input.body, this.sdb.now()).lastInsertRowid));
    return this.memo(owner, id)!;
  }

  updateMemo(owner: string, id: number, input: { title: string; body: string }): Memo {
    this.checkMemo(input);
    if (!this.memo(owner, id)) throw new NotFound('E_NO_MEMO', `no memo ${id}`);
    this.sdb.write({ service: 'web', operation: 'memo-update', object: `${owner}#${id}` }, () => {
      this.sdb.prepare('UPDATE memos SET title = ?, body = ?, updated_at = ? WHERE id = ? AND owner = ?').run(input.title, input.body, this.sdb.now(), id, owner);
    });
    return this.memo(owner, id)!;
  }

  deleteMemo(owner: string, id: number): void {
    if (!this.memo(owner, id)) throw new NotFound('E_NO_MEMO', `no memo ${id}`);
    this.sdb.write({ service: 'web', operation: 'memo-delete', object: `${owner}#${id}` }, () => {
      this.sdb.prepare('DELETE FROM memos WHERE id = ? AND owner = ?').run(id, owner);
    });
  }

  bookmarks(): Bookmark[] {
    return (this.sdb.prepare('SELECT * FROM bookmarks ORDER BY id').all() as BmRow[]).map(toBm);
  }

  createBookmark(createdBy: string, input: { title: string; url: string }): Bookmark {
    if (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200) throw new BadRequest('E_BOOKMARK', 'bookmark title must be 1-200 characters');
    if (typeof input.url !== 'string' || !/^https?:\/\/[^\s]{1,2000}$/.test(input.url)) throw new BadRequest('E_BOOKMARK', 'bookmark URL must start with http:// or https://');
    const id = this.sdb.write({ service: 'web', operation: 'bookmark-create', object: input.title }, () =>
      Number(this.sdb.prepare('INSERT INTO bookmarks (title, url, created_by) VALUES (?, ?, ?)').run(input.title, input.url, createdBy).lastInsertRowid));
    return toBm(this.sdb.prepare('SELECT * FROM bookmarks WHERE id = ?').get(id) as BmRow);
  }

  deleteBookmark(id: number): void {
    this.sdb.write({ service: 'web', operation: 'bookmark-delete', object: `#${id}` }, () => {
      if (this.sdb.prepare('DELETE FROM bookmarks WHERE id = ?').run(id).changes === 0) throw new NotFound('E_NO_BOOKMARK', `no bookmark ${id}`);
    });
  }

  exportAll(): WebServiceData {
    return {
      signatures: this.sdb.prepare('SELECT owner, body FROM signatures ORDER BY owner').all() as Array<{ owner: string; body: string }>,
      memos: (this.sdb.prepare('SELECT * FROM memos ORDER BY id').all() as MemoRow[]).map(toMemo),
      bookmarks: this.bookmarks(),
    };
  }
}
