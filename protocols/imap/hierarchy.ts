import type { Folder } from '../../emulator/store/mail.js';

// The mailbox hierarchy (RFC 3501 5.1.1, delimiter `/`). The store keeps flat
// folder names; a name that is a superior of a folder but not a folder itself
// (its folder was deleted while it had inferiors, or another front end made
// `a/b` alone) is a `\Noselect` level that LIST shows, so clients that browse
// level by level (`LIST "" %`, then `LIST "" a/%`) reach every folder.

export const DELIMITER = '/';

/** `a/b/c` -> `['a', 'a/b']`. */
export function superiors(name: string): string[] {
  const parts = name.split(DELIMITER);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(DELIMITER));
  return out;
}

/** Whether `name` is an inferior of `parent` at any depth. */
export const isInferior = (name: string, parent: string): boolean => name.startsWith(`${parent}${DELIMITER}`);

/** A name with an empty level (`/a`, `a//b`) cannot take part in the hierarchy. */
export const hasEmptyLevel = (name: string): boolean => name.split(DELIMITER).some((p) => p === '');

export interface Level {
  name: string;
  /** A folder of the store (selectable), or only a level above folders (`\Noselect`). */
  folder: Folder | null;
  hasChildren: boolean;
}

/** Every name in the hierarchy: the folders and the `\Noselect` levels above them, sorted. */
export function levels(folders: Folder[]): Level[] {
  const byName = new Map<string, Folder | null>(folders.map((f) => [f.name, f]));
  for (const f of folders) for (const s of superiors(f.name)) if (!byName.has(s)) byName.set(s, null);
  const parents = new Set<string>();
  for (const name of byName.keys()) for (const s of superiors(name)) parents.add(s);
  const names = [...byName.keys()].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => ({ name, folder: byName.get(name)!, hasChildren: parents.has(name) }));
}
