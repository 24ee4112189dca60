import { parseStructure, type MessageStructure } from './mime.js';

// Parsed MIME structures, by message (envelopes are kept by the store): a message's bytes never
// change under a given (database, owner, folder, UIDVALIDITY, UID), so entries
// never go stale; the least recently used go first.

class Lru<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly max: number) {}
  get(key: string): T | undefined {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  set(key: string, value: T): void {
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

const structures = new Lru<MessageStructure>(2000);
export async function structureOf(key: string, raw: Buffer): Promise<MessageStructure> {
  const hit = structures.get(key);
  if (hit) return hit;
  const s = await parseStructure(raw);
  structures.set(key, s);
  return s;
}
