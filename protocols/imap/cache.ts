import { parseStructure, type MessageStructure } from './mime.js';
import { valueText } from './serialiser.js';
import type { Value } from './types.js';

// Parsed MIME structures and envelopes, by message: a message's bytes never
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
/** Envelopes kept as their octets (FETCH writes them as they are), or as values when they hold a literal. */
const envelopes = new Lru<Value>(20000);

export async function structureOf(key: string, raw: Buffer): Promise<MessageStructure> {
  const hit = structures.get(key);
  if (hit) return hit;
  const s = await parseStructure(raw);
  structures.set(key, s);
  return s;
}

export function envelopeOf(key: string, make: () => Value[]): Value {
  const hit = envelopes.get(key);
  if (hit !== undefined) return hit;
  const e = make();
  const text = valueText(e);
  const value: Value = text === null ? e : { verbatim: Buffer.from(text, 'utf8') };
  envelopes.set(key, value);
  return value;
}

/** Whether the message's envelope is cached (FETCH ENVELOPE then needs no read of the message). */
export function hasEnvelope(key: string): boolean {
  return envelopes.has(key);
}
