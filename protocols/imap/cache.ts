import { parseStructure, type MessageStructure } from './mime.js';

// Parsed MIME structures, by message: a message's bytes never change under a
// given (server, owner, folder, UIDVALIDITY, UID), so entries never go stale.
const MAX = 2000;
const cache = new Map<string, MessageStructure>();

export async function structureOf(key: string, raw: Buffer): Promise<MessageStructure> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const s = await parseStructure(raw);
  cache.set(key, s);
  if (cache.size > MAX) cache.delete(cache.keys().next().value!);
  return s;
}
