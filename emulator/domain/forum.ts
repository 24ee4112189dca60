// Forum: the forums and their posts live on the shared server.

import type { Forum, Post } from '../store/forum.js';
import { ok, refuse, type Outcome } from './outcome.js';
import type { DomainServer, DomainSite } from './ports.js';

export class ForumService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  /** Where forums live. */
  get server(): S {
    return this.site.sharedServer;
  }

  forums(): Forum[] {
    return this.server.store.forum.forums();
  }

  forum(id: number): Outcome<Forum, 'not-found'> {
    const forum = this.server.store.forum.forum(id);
    return forum ? ok(forum) : refuse('not-found', `no forum ${id}`);
  }

  /** A forum's posts, oldest first, or only `postId`. */
  posts(forumId: number, postId?: number): Outcome<{ forum: Forum; posts: Post[] }, 'not-found'> {
    const forum = this.forum(forumId);
    if (!forum.ok) return forum;
    const posts = this.server.store.forum.posts(forumId).filter((p) => postId === undefined || p.id === postId);
    if (postId !== undefined && !posts.length) return refuse('not-found', `no post ${postId} in forum ${forumId}`);
    return ok({ forum: forum.value, posts });
  }

  /** One post by its id. */
  postById(id: number): Outcome<Post, 'not-found'> {
    const p = this.server.store.forum.post(id);
    return p ? ok(p) : refuse('not-found', `no post ${id}`);
  }

  post(forumId: number, author: string, input: { title: string; body: string }): Outcome<Post, 'not-found' | 'bad-input'> {
    const forum = this.forum(forumId);
    if (!forum.ok) return forum;
    if (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200) return refuse('bad-input', 'title must be 1-200 characters');
    if (typeof input.body !== 'string' || input.body.length > 100_000) return refuse('bad-input', 'body must be at most 100000 characters');
    return ok(this.server.store.forum.createPost(forumId, author, input));
  }
}
