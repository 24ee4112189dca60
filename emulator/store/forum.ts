import type { ServerDatabase } from './database.js';
import { BadRequest, NotFound } from '../errors.js';

export interface Forum { id: number; name: string; posts: number }
export interface Post { id: number; forumId: number; author: string; title: string; body: string; createdAt: string }

interface PostRow { id: number; forum_id: number; author: string; title: string; body: string; created_at: string }
const toPost = (r: PostRow): Post => ({ id: r.id, forumId: r.forum_id, author: r.author, title: r.title, body: r.body, createdAt: r.created_at });

/** Forums and their posts (TeamWARE Forum). */
export class ForumRepo {
  constructor(private readonly sdb: ServerDatabase) {}

  forums(): Forum[] {
    return this.sdb.prepare('SELECT f.id, f.name, (SELECT count(*) FROM posts p WHERE p.forum_id = f.id) AS posts FROM forums f ORDER BY f.id').all() as Forum[];
  }

  forum(id: number): Forum | null {
    return (this.sdb.prepare('SELECT f.id, f.name, (SELECT count(*) FROM posts p WHERE p.forum_id = f.id) AS posts FROM forums f WHERE f.id = ?').get(id) as Forum | undefined) ?? null;
  }

  createForum(name: string): Forum {
    if (typeof name !== 'string' || !name.trim() || name.length > 100) throw new BadRequest('E_FORUM', 'forum name must be 1-100 characters');
    const id = this.sdb.write({ service: 'forum', operation: 'forum-create', object: name }, () =>
      Number(this.sdb.prepare('INSERT INTO forums (name) VALUES (?)').run(name).lastInsertRowid));
    return this.forum(id)!;
  }

  posts(forumId: number): Post[] {
    if (!this.forum(forumId)) throw new NotFound('E_NO_FORUM', `no forum ${forumId}`);
    return (this.sdb.prepare('SELECT * FROM posts WHERE forum_id = ? ORDER BY id').all(forumId) as PostRow[]).map(toPost);
  }

  post(id: number): Post | null {
    const row = this.sdb.prepare('SELECT * FROM posts WHERE id = ?').get(id) as PostRow | undefined;
    return row ? toPost(row) : null;
  }

  createPost(forumId: number, author: string, input: { title: string; body: string }): Post {
    const forum = this.forum(forumId);
    if (!forum) throw new NotFound('E_NO_FORUM', `no forum ${forumId}`);
    if (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200) throw new BadRequest('E_POST', 'title must be 1-200 characters');
    if (typeof input.body !== 'string' || input.body.length > 100_000) throw new BadRequest('E_POST', 'body must be at most 100000 characters');
    const id = this.sdb.write({ service: 'forum', operation: 'post-create', object: `${forum.name}: ${input.title}` }, () =>
      Number(this.sdb.prepare('INSERT INTO posts (forum_id, author, title, body, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(forumId, author, input.title, input.body, this.sdb.now()).lastInsertRowid));
    return this.post(id)!;
  }
}
