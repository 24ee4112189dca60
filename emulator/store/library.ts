import type { ServerDatabase } from './database.js';
import { BadRequest, NotFound } from '../errors.js';

export interface LibraryDocument { id: number; title: string; body: string; lockedBy: string | null; updatedAt: string }
interface DocRow { id: number; title: string; body: string; locked_by: string | null; updated_at: string }
const toDoc = (r: DocRow): LibraryDocument => ({ id: r.id, title: r.title, body: r.body, lockedBy: r.locked_by, updatedAt: r.updated_at });

/** Library documents with their lock state (TeamWARE Library, indexed by SearchPro). */
export class LibraryRepo {
  constructor(private readonly sdb: ServerDatabase) {}

  documents(): LibraryDocument[] {
    return (this.sdb.prepare('SELECT * FROM documents ORDER BY id').all() as DocRow[]).map(toDoc);
  }

  document(id: number): LibraryDocument | null {
    const row = this.sdb.prepare('SELECT * FROM documents WHERE id = ?').get(id) as DocRow | undefined;
    return row ? toDoc(row) : null;
  }

  create(input: { title: string; body?: string }): LibraryDocument {
    if (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200) throw new BadRequest('E_DOCUMENT', 'title must be 1-200 characters');
    const id = this.sdb.write({ service: 'library', operation: 'document-create', object: input.title }, () =>
      Number(this.sdb.prepare('INSERT INTO documents (title, body, updated_at) VALUES (?, ?, ?)').run(input.title, input.body ?? '', this.sdb.now()).lastInsertRowid));
    return this.document(id)!;
  }

  lock(id: number, user: string): LibraryDocument {
    const doc = this.document(id);
    if (!doc) throw new NotFound('E_NO_DOCUMENT', `no document ${id}`);
    if (doc.lockedBy && doc.lockedBy !== user) throw new BadRequest('E_LOCKED', `document ${id} is locked by ${doc.lockedBy}`);
    this.sdb.write({ service: 'library', operation: 'document-lock', object: `#${id} by ${user}` }, () => {
      this.sdb.prepare('UPDATE documents SET locked_by = ?, updated_at = ? WHERE id = ?').run(user, this.sdb.now(), id);
    });
    return this.document(id)!;
  }

  unlock(id: number): LibraryDocument {
    const doc = this.document(id);
    if (!doc) throw new NotFound('E_NO_DOCUMENT', `no document ${id}`);
    this.sdb.write({ service: 'library', operation: 'document-unlock', object: `#${id}` }, () => {
      this.sdb.prepare('UPDATE documents SET locked_by = NULL, updated_at = ? WHERE id = ?').run(this.sdb.now(), id);
    });
    return this.document(id)!;
  }
}
