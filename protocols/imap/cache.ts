import { parseStructure, type MessageStructure } from './mime.js';

// Parsed MIME structures and envelope octets, by message: a message's bytes never
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

/** Envelope octets read from the store, kept for the next FETCH of the same messages (a client's resync). */
const envelopes = new Lru<Buffer>(20000);

/**
 * The envelope octets of `uids` (keys from `keyOf`): those in memory, the others from the store
 * (`load`, one statement) and kept; an expunged message has none.
 */
export function envelopesOf(uids: number[], keyOf: (uid: number) => string, load: (uids: number[]) => Map<number, Buffer>): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  const missing: number[] = [];
  for (const uid of uids) {
    const hit = envelopes.get(keyOf(uid));
    if (hit) out.set(uid, hit);
    else missing.push(uid);
  }
  if (!missing.length) return out;
  for (const [uid, octets] of load(missing)) {
    envelopes.set(keyOf(uid), octets);
    out.set(uid, octets);
  }
  return out;
}
