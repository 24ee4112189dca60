// The small languages inside a scenario file's values: durations, operator
// commands, `until` conditions, and the "did you mean" suggestion every
// message about an unknown word carries. The validator and the runner both
// read them from here.

import { allBehaviours } from '../emulator/catalog/catalog.js';
import { COMMANDS, STEP_SPECS, type CommandName } from '../emulator/procedure.js';

export const BEHAVIOUR_IDS = allBehaviours.map((b) => b.id);
export const RULE_IDS = [...new Set(STEP_SPECS.flatMap((c) => c.rules.map((r) => r.id)))];
export const MAX_DELAY_MS = 60_000;

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

/** ` (did you mean "x"?)` when a known word is close. */
export function suggest(word: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

export { parseDuration } from '../emulator/duration.js';

export type OperatorCommand =
  | { command: CommandName; server?: string; lenient?: boolean; abort?: boolean }
  | { command: 'backup'; level: number; server?: string; dest?: string; lenient?: boolean };

/** `to tran suspend [--server X] [--lenient]`, `to backup off --abort`, `backup --level N [--server X] [--dest D] [--lenient]`. */
export function parseOperator(text: string): OperatorCommand | string {
  const words = text.trim().split(/\s+/);
  const flags: Record<string, string | true> = {};
  const plain: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--')) {
      const name = w.slice(2);
      if (name === 'lenient' || name === 'abort') flags[name] = true;
      else if (['server', 'level', 'dest'].includes(name)) {
        const v = words[++i];
        if (v === undefined) return `--${name} needs a value`;
        flags[name] = v;
      } else return `unknown option ${w} (the options are --server, --lenient, --abort, --level, --dest)`;
    } else plain.push(w);
  }
  const head = plain.join(' ').toLowerCase();
  const server = typeof flags.server === 'string' ? flags.server : undefined;
  if (head === 'backup') {
    const level = Number(flags.level);
    if (flags.level === undefined || !Number.isInteger(level) || level < 0 || level > 2) return '`backup` needs --level 0, 1 or 2';
    if (flags.abort) return '--abort applies to `to backup off`, not to backup';
    return { command: 'backup', level, ...(server ? { server } : {}), ...(typeof flags.dest === 'string' ? { dest: flags.dest } : {}), ...(flags.lenient ? { lenient: true } : {}) };
  }
  const command = COMMANDS.find((c) => c === head);
  if (!command) return `unknown operator command ${JSON.stringify(text)}; the commands are: ${COMMANDS.join(', ')}, backup --level N${suggest(head, [...COMMANDS, 'backup'])}`;
  if (flags.level !== undefined || flags.dest !== undefined) return `--level and --dest apply to backup, not to ${command}`;
  if (flags.abort && command !== 'to backup off') return `--abort applies to \`to backup off\` (19.3.4), not to ${command}`;
  return { command, ...(server ? { server } : {}), ...(flags.lenient ? { lenient: true } : {}), ...(flags.abort ? { abort: true } : {}) };
}

export const SERVER_STATES = ['suspended', 'available', 'backup on', 'backup off', 'archived', 'not archived', 'backup done'] as const;
export type UntilCondition = { type: 'server'; server: string; state: (typeof SERVER_STATES)[number] } | { type: 'behaviour'; id: string } | { type: 'log'; text: string; times: number };

export function parseUntil(text: string): UntilCondition | string {
  const t = text.trim().replace(/\s+/g, ' ');
  let m = /^server (\S+) (.+)$/i.exec(t);
  if (m) {
    const state = m[2]!.toLowerCase();
    const found = SERVER_STATES.find((s) => s === state);
    if (!found) return `unknown server state ${JSON.stringify(m[2])}; one of: ${SERVER_STATES.join(', ')}${suggest(state, SERVER_STATES)}`;
    return { type: 'server', server: m[1]!, state: found };
  }
  m = /^behaviour (\S+) fired$/i.exec(t);
  if (m) {
    if (!BEHAVIOUR_IDS.includes(m[1]!)) return `unknown behaviour id ${JSON.stringify(m[1])}${suggest(m[1]!, BEHAVIOUR_IDS)}`;
    return { type: 'behaviour', id: m[1]! };
  }
  m = /^log (.+?)(?: \((\d+) times?\))?$/i.exec(t);
  if (m) return { type: 'log', text: m[1]!, times: m[2] ? Number(m[2]) : 1 };
  return `unknown condition ${JSON.stringify(text)}; write \`server NAME suspended\` (or available, backup on, backup off, archived, not archived, backup done), \`behaviour ID fired\` or \`log TEXT (N times)\``;
}
