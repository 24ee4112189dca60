// Reads a scenario file and checks every part of it before anything runs: an
// unknown step kind, a misspelt behaviour or rule id, a missing field or a
// wrong type is reported as `file:line:column: message`.

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { allBehaviours, parsePolicy } from '../emulator/catalog/catalog.js';
import { COMMANDS, PROCEDURE, type CommandName } from '../emulator/procedure.js';
import { TwemuError } from '../emulator/errors.js';
import { CHECKS, DEFAULT_TIMEOUT_MS, KINDS, type Expect, type FieldType, type Pos, type Scenario, type SiteSpec, type Step, type StepKind } from './format.js';

export interface ValidationError extends Pos {
  file: string;
  message: string;
}

export function formatError(e: ValidationError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}

/** Thrown when a file does not validate; `errors` holds every problem found. */
export class ScenarioInvalid extends TwemuError {
  constructor(readonly errors: ValidationError[]) {
    super('E_SCENARIO_INVALID', errors.length === 1 ? formatError(errors[0]!) : `${errors.length} problems in the scenario files, the first: ${formatError(errors[0]!)}`,
      { hint: 'fix the file; nothing was run' });
  }
}

const BEHAVIOUR_IDS = allBehaviours.map((b) => b.id);
export const RULE_IDS = [...new Set(Object.values(PROCEDURE).flatMap((c) => c.rules.map((r) => r.id)))];
const MAX_DELAY_MS = 60_000;

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

export function parseDuration(value: unknown): number | string {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') return 'a duration like 250ms, 2s or 1m';
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m) return `a duration like 250ms, 2s or 1m, not ${JSON.stringify(value)}`;
  const n = Number(m[1]);
  return Math.round(n * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1));
}

export type OperatorCommand =
  | { command: CommandName; server?: string; lenient?: boolean }
  | { command: 'backup'; level: number; server?: string; dest?: string };

/** `to tran suspend [--server X] [--lenient]`, `backup --level N [--server X] [--dest D]`. */
export function parseOperator(text: string): OperatorCommand | string {
  const words = text.trim().split(/\s+/);
  const flags: Record<string, string | true> = {};
  const plain: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--')) {
      const name = w.slice(2);
      if (name === 'lenient') flags.lenient = true;
      else if (['server', 'level', 'dest'].includes(name)) {
        const v = words[++i];
        if (v === undefined) return `--${name} needs a value`;
        flags[name] = v;
      } else return `unknown option ${w} (the options are --server, --lenient, --level, --dest)`;
    } else plain.push(w);
  }
  const head = plain.join(' ').toLowerCase();
  const server = typeof flags.server === 'string' ? flags.server : undefined;
  if (head === 'backup') {
    const level = Number(flags.level);
    if (flags.level === undefined || !Number.isInteger(level) || level < 0 || level > 2) return '`backup` needs --level 0, 1 or 2';
    if (flags.lenient) return '--lenient applies to the procedure commands, not to backup';
    return { command: 'backup', level, ...(server ? { server } : {}), ...(typeof flags.dest === 'string' ? { dest: flags.dest } : {}) };
  }
  const command = COMMANDS.find((c) => c === head);
  if (!command) return `unknown operator command ${JSON.stringify(text)}; the commands are: ${COMMANDS.join(', ')}, backup --level N${suggest(head, [...COMMANDS, 'backup'])}`;
  if (flags.level !== undefined || flags.dest !== undefined) return `--level and --dest apply to backup, not to ${command}`;
  return { command, ...(server ? { server } : {}), ...(flags.lenient ? { lenient: true } : {}) };
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

class Checker {
  readonly errors: ValidationError[] = [];
  constructor(readonly file: string, private readonly lines: LineCounter) {}

  pos(node: Node | Pair | null | undefined): Pos {
    const n = (node && 'range' in node ? node : (node as Pair | undefined)?.key) as Node | undefined;
    const offset = n?.range?.[0] ?? 0;
    const p = this.lines.linePos(offset);
    return { line: Math.max(1, p.line), col: Math.max(1, p.col) };
  }

  error(node: Node | Pair | null | undefined, message: string): void {
    this.errors.push({ file: this.file, ...this.pos(node), message });
  }

  /** The map's pairs as key -> pair, reporting non-string and duplicate keys. */
  pairs(map: YAMLMap): Map<string, Pair> {
    const out = new Map<string, Pair>();
    for (const pair of map.items as Pair[]) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') {
        this.error(pair.key as Node, 'keys must be plain words');
        continue;
      }
      if (out.has(key)) this.error(pair.key as Node, `\`${key}\` is given twice`);
      out.set(key, pair);
    }
    return out;
  }

  /** Checks a value of a field type; returns its plain JS value, or undefined after reporting. */
  value(node: Node | null, type: FieldType, what: string): unknown {
    const v = node ? (node as Node & { toJSON(): unknown }).toJSON() : null;
    const bad = (expected: string) => {
      this.error(node, `${what} must be ${expected}, not ${v === null ? 'empty' : JSON.stringify(v)}`);
      return undefined;
    };
    switch (type) {
      case 'string':
        return typeof v === 'string' && v.length ? v : typeof v === 'number' ? String(v) : bad('a text');
      case 'int':
        return typeof v === 'number' && Number.isInteger(v) ? v : bad('an integer');
      case 'bool':
        return typeof v === 'boolean' ? v : bad('true or false');
      case 'true':
        return v === true || v === null ? true : bad('true');
      case 'int-or-true':
        return v === true || v === null ? true : typeof v === 'number' && Number.isInteger(v) ? v : bad('an integer or true');
      case 'string-or-int':
        return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)) ? v : bad('a text or an integer');
      case 'map':
        return isMap(node) ? v : bad('a mapping (key: value lines)');
      case 'list':
        return isSeq(node) ? v : bad('a list');
      case 'duration': {
        const d = parseDuration(v);
        return typeof d === 'number' ? d : bad(d);
      }
      case 'credentials': {
        if (!isMap(node)) return bad('a mapping with `user` and `password`');
        const obj = v as Record<string, unknown>;
        for (const k of ['user', 'password']) if (typeof obj[k] !== 'string' && typeof obj[k] !== 'number') this.error(node, `${what} needs \`${k}\``);
        for (const k of Object.keys(obj)) if (!['user', 'password'].includes(k)) this.error(node, `${what}: unknown field \`${k}\` (allowed: user, password)`);
        return { user: String(obj.user), password: String(obj.password) };
      }
      case 'steps':
      case 'any':
        return v;
    }
  }

  behaviourIds(node: Node | null, what: string): string[] | undefined {
    const v = node ? (node as Node & { toJSON(): unknown }).toJSON() : null;
    const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
    if (!list || !list.length) {
      this.error(node, `${what} must be a behaviour id or a list of them`);
      return undefined;
    }
    for (const id of list) if (!BEHAVIOUR_IDS.includes(id)) this.error(node, `unknown behaviour id ${JSON.stringify(id)}${suggest(id, BEHAVIOUR_IDS)}; see \`twemu catalog\``);
    return list;
  }

  ruleIds(node: Node | null, what: string): string[] | undefined {
    const v = node ? (node as Node & { toJSON(): unknown }).toJSON() : null;
    const list = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
    if (!list || !list.length) {
      this.error(node, `${what} must be a rule id or a list of them`);
      return undefined;
    }
    for (const id of list) if (!RULE_IDS.includes(id)) this.error(node, `unknown rule id ${JSON.stringify(id)}${suggest(id, RULE_IDS)}; the rules are: ${RULE_IDS.join(', ')}`);
    return list;
  }

  texts(node: Node | null, what: string, allowEmpty = false): string[] | undefined {
    const v = node ? (node as Node & { toJSON(): unknown }).toJSON() : null;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && (v.length || allowEmpty) && v.every((x) => typeof x === 'string')) return v as string[];
    this.error(node, `${what} must be a text or a list of texts${allowEmpty ? ' ([] for none)' : ''}`);
    return undefined;
  }
}

const SITE_FIELDS = ['topology', 'appServers', 'seed', 'lenient', 'demo', 'policies', 'gatewayServer', 'services'];
const TOP_FIELDS = ['name', 'description', 'tags', 'site', 'steps'];
const STEP_COMMON = ['name', 'expect', 'timeout', 'save'];

function checkPolicies(c: Checker, node: Node | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isMap(node)) {
    c.error(node, 'policies must be a mapping of behaviour id to policy');
    return out;
  }
  for (const [id, pair] of c.pairs(node)) {
    const spec = allBehaviours.find((b) => b.id === id);
    if (!spec) {
      c.error(pair.key as Node, `unknown behaviour id ${JSON.stringify(id)}${suggest(id, BEHAVIOUR_IDS)}; see \`twemu catalog\``);
      continue;
    }
    const value = (pair.value as Node & { toJSON(): unknown } | null)?.toJSON();
    try {
      out[id] = parsePolicy(spec, value);
    } catch (err) {
      c.error(pair.value as Node, (err as Error).message);
    }
  }
  return out;
}

function checkSite(c: Checker, node: Node | null | undefined): SiteSpec {
  const site: SiteSpec = { topology: 'single', seed: 0, lenient: false, demo: true, policies: {} };
  if (node === undefined || node === null) return site;
  if (!isMap(node)) {
    c.error(node, '`site` must be a mapping (topology, appServers, seed, lenient, demo, policies)');
    return site;
  }
  for (const [key, pair] of c.pairs(node)) {
    const v = pair.value as Node | null;
    switch (key) {
      case 'topology': {
        const t = c.value(v, 'string', 'site.topology');
        if (t !== undefined && t !== 'single' && t !== 'multi') c.error(v, `site.topology must be single or multi, not ${JSON.stringify(t)}`);
        else if (t) site.topology = t;
        break;
      }
      case 'appServers': {
        const n = c.value(v, 'int', 'site.appServers') as number | undefined;
        if (n !== undefined && (n < 1 || n > 16)) c.error(v, 'site.appServers must be from 1 to 16');
        else if (n !== undefined) site.appServers = n;
        break;
      }
      case 'seed': {
        const n = c.value(v, 'int', 'site.seed') as number | undefined;
        if (n !== undefined) site.seed = n;
        break;
      }
      case 'lenient':
      case 'demo': {
        const b = c.value(v, 'bool', `site.${key}`) as boolean | undefined;
        if (b !== undefined) site[key] = b;
        break;
      }
      case 'gatewayServer': {
        const s = c.value(v, 'string', 'site.gatewayServer') as string | undefined;
        if (s) site.gatewayServer = s;
        break;
      }
      case 'policies':
        site.policies = checkPolicies(c, v);
        break;
      case 'services': {
        const m = c.value(v, 'map', 'site.services') as Record<string, unknown> | undefined;
        if (m) {
          for (const [svc, opts] of Object.entries(m)) if (!opts || typeof opts !== 'object' || Array.isArray(opts)) c.error(v, `site.services.${svc} must be a mapping of options`);
          site.services = m as Record<string, Record<string, unknown>>;
        }
        break;
      }
      default:
        c.error(pair.key as Node, `unknown field \`${key}\` in site${suggest(key, SITE_FIELDS)}; allowed: ${SITE_FIELDS.join(', ')}`);
    }
  }
  return site;
}

function checkExpect(c: Checker, kind: StepKind, node: Node | null): Expect {
  const expect: Expect = {};
  if (!isMap(node)) {
    c.error(node, '`expect` must be a mapping, e.g. `expect: {reply: "+OK"}`');
    return expect;
  }
  const allowed = KINDS[kind].expects;
  for (const [key, pair] of c.pairs(node)) {
    const v = pair.value as Node | null;
    const k = key as keyof Expect;
    if (!allowed.includes(k)) {
      const all = Object.keys(KINDS).flatMap((x) => KINDS[x as StepKind].expects);
      c.error(pair.key as Node, all.includes(k)
        ? `\`${key}\` cannot be expected of a ${kind} step; allowed: ${allowed.join(', ') || '(none)'}`
        : `unknown expectation \`${key}\`${suggest(key, allowed)}; allowed for a ${kind} step: ${allowed.join(', ') || '(none)'}`);
      continue;
    }
    switch (k) {
      case 'ok':
      case 'noBehaviour': {
        const b = c.value(v, 'bool', `expect.${k}`) as boolean | undefined;
        if (b !== undefined) expect[k] = b;
        break;
      }
      case 'reply':
      case 'variant': {
        const s = c.value(v, 'string', `expect.${k}`) as string | undefined;
        if (s !== undefined) expect[k] = s;
        break;
      }
      case 'match': {
        const s = c.value(v, 'string', 'expect.match') as string | undefined;
        if (s !== undefined) {
          try {
            new RegExp(s, 'u');
            expect.match = s;
          } catch (err) {
            c.error(v, `expect.match is not a valid regular expression: ${(err as Error).message}`);
          }
        }
        break;
      }
      case 'lines':
      case 'text':
      case 'notText':
      case 'dialog':
      case 'log': {
        const t = c.texts(v, `expect.${k}`, k === 'dialog');
        if (t) expect[k] = t;
        break;
      }
      case 'occurrences': {
        const o = c.value(v, 'map', 'expect.occurrences') as Record<string, unknown> | undefined;
        if (o) {
          if (typeof o.text !== 'string' || !Number.isInteger(o.count)) c.error(v, 'expect.occurrences needs `text` and an integer `count`');
          else expect.occurrences = { text: o.text, count: o.count as number };
        }
        break;
      }
      case 'behaviour':
      case 'suppressed': {
        const ids = c.behaviourIds(v, `expect.${k}`);
        if (ids) expect[k] = ids;
        break;
      }
      case 'warning': {
        const ids = c.ruleIds(v, 'expect.warning');
        if (ids) expect.warning = ids;
        break;
      }
      case 'status': {
        const n = c.value(v, 'int', 'expect.status') as number | undefined;
        if (n !== undefined && (n < 100 || n > 599)) c.error(v, 'expect.status must be an HTTP status (100-599)');
        else if (n !== undefined) expect.status = n;
        break;
      }
      case 'rc': {
        const raw = (v as Node & { toJSON(): unknown } | null)?.toJSON();
        const list = typeof raw === 'number' ? [raw] : Array.isArray(raw) ? raw : null;
        if (!list || !list.length || !list.every((x) => Number.isInteger(x))) c.error(v, 'expect.rc must be an integer or a list of integers');
        else expect.rc = list as number[];
        break;
      }
      case 'json': {
        const o = c.value(v, 'map', 'expect.json') as Record<string, unknown> | undefined;
        if (o) expect.json = o;
        break;
      }
      case 'refused': {
        const raw = (v as Node & { toJSON(): unknown } | null)?.toJSON();
        if (raw === true) expect.refused = {};
        else if (typeof raw === 'string') {
          if (c.ruleIds(v, 'expect.refused')) expect.refused = { rule: raw };
        } else if (isMap(v)) {
          const o = raw as Record<string, unknown>;
          for (const key2 of Object.keys(o)) if (!['rule', 'code'].includes(key2)) c.error(v, `expect.refused: unknown field \`${key2}\` (allowed: rule, code)`);
          if (o.rule !== undefined) {
            const rule = c.ruleIds(isMap(v) ? (v.get('rule', true) as Node) : v, 'expect.refused.rule');
            if (rule) expect.refused = { rule: rule[0] };
          }
          if (o.code !== undefined) {
            if (typeof o.code !== 'string') c.error(v, 'expect.refused.code must be a text like E_SUSPEND_ORDER');
            else expect.refused = { ...(expect.refused ?? {}), code: o.code };
          }
          expect.refused ??= {};
        } else c.error(v, 'expect.refused must be true, a rule id, or {rule, code}');
        break;
      }
    }
  }
  return expect;
}

function checkStep(c: Checker, node: Node | null): Step | null {
  if (!isMap(node)) {
    c.error(node, `a step must be a mapping like \`- operator: to tran suspend\`; the step kinds are: ${Object.keys(KINDS).join(', ')}`);
    return null;
  }
  const pairs = c.pairs(node);
  let kinds = [...pairs.keys()].filter((k) => Object.hasOwn(KINDS, k)) as StepKind[];
  // `user` is a step kind and also a field of check, ame and desktop steps: the kind is the one whose fields hold the others.
  if (kinds.length > 1) {
    const owner = kinds.filter((k) => kinds.every((o) => o === k || Object.hasOwn(KINDS[k].fields, o) || Object.hasOwn(KINDS[k].actions ?? {}, o)));
    if (owner.length === 1) kinds = owner;
  }
  if (kinds.length === 0) {
    const unknown = [...pairs.keys()].filter((k) => !STEP_COMMON.includes(k));
    const first = unknown[0];
    c.error(first ? (pairs.get(first)!.key as Node) : node,
      first ? `unknown step kind \`${first}\`${suggest(first, Object.keys(KINDS))}; the step kinds are: ${Object.keys(KINDS).join(', ')}`
        : `the step has no kind; the step kinds are: ${Object.keys(KINDS).join(', ')}`);
    return null;
  }
  if (kinds.length > 1) {
    c.error(pairs.get(kinds[1]!)!.key as Node, `a step has one kind, this one has ${kinds.map((k) => `\`${k}\``).join(' and ')}; split it into two steps`);
    return null;
  }
  const kind = kinds[0]!;
  const spec = KINDS[kind];
  const kindPair = pairs.get(kind)!;
  const pos = c.pos(kindPair.key as Node);
  const before = c.errors.length;
  const value = c.value(kindPair.value as Node | null, spec.value, `\`${kind}\` (the ${spec.valueName})`);
  const step: Step = { kind, value, fields: {}, expect: {}, implicitOk: true, timeoutMs: DEFAULT_TIMEOUT_MS, pos };
  let actionPair: Pair | undefined;
  for (const [key, pair] of pairs) {
    if (key === kind) continue;
    const v = pair.value as Node | null;
    if (key === 'name') step.label = c.value(v, 'string', 'name') as string | undefined;
    else if (key === 'save') {
      const m = c.value(v, 'map', 'save') as Record<string, unknown> | undefined;
      if (m) {
        for (const [name, path] of Object.entries(m)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) c.error(v, `save: ${JSON.stringify(name)} is not a variable name (letters, digits, _)`);
          if (typeof path !== 'string' || !path) c.error(v, `save: ${name} needs a dotted path into the JSON answer, e.g. \`session\` or \`documents.0.id\``);
        }
        step.save = m as Record<string, string>;
      }
    } else if (key === 'timeout') {
      const d = c.value(v, 'duration', 'timeout') as number | undefined;
      if (d !== undefined) step.timeoutMs = d;
    } else if (key === 'expect') {
      step.expect = checkExpect(c, kind, v);
      step.implicitOk = false;
    } else if (spec.actions && Object.hasOwn(spec.actions, key)) {
      if (actionPair) {
        c.error(pair.key as Node, `a ${kind} step does one action, this one has \`${step.action}\` and \`${key}\`; split it into two steps`);
        continue;
      }
      actionPair = pair;
      step.action = key;
      step.arg = c.value(v, spec.actions[key]!, `\`${key}\``);
    } else if (Object.hasOwn(spec.fields, key)) {
      if (spec.fields[key] === 'steps') {
        if (!isSeq(v) || !v.items.length) c.error(v ?? (pair.key as Node), '`steps` must be a non-empty list of steps');
        else step.steps = v.items.map((item) => checkStep(c, item as Node)).filter((s): s is Step => s !== null);
      } else step.fields[key] = c.value(v, spec.fields[key]!, `\`${key}\``);
    } else {
      const allowed = [...Object.keys(spec.actions ?? {}), ...Object.keys(spec.fields), ...STEP_COMMON];
      c.error(pair.key as Node, `unknown field \`${key}\` in a ${kind} step${suggest(key, allowed)}; allowed: ${allowed.join(', ')}`);
    }
  }
  if (spec.actions && !step.action) {
    c.error(kindPair.key as Node, `a ${kind} step needs an action: one of ${Object.keys(spec.actions).join(', ')}`);
  }
  if (c.errors.length > before) return null;
  return checkKindDetails(c, step, kindPair, pairs) ? step : null;
}

/** Checks of one kind's value and fields beyond their types. */
function checkKindDetails(c: Checker, step: Step, kindPair: Pair, pairs: Map<string, Pair>): boolean {
  const before = c.errors.length;
  const at = (key?: string) => (key && pairs.get(key) ? pairs.get(key)!.value as Node : kindPair.value as Node);
  switch (step.kind) {
    case 'operator': {
      const op = parseOperator(String(step.value));
      if (typeof op === 'string') c.error(at(), op);
      break;
    }
    case 'until': {
      const u = parseUntil(String(step.value));
      if (typeof u === 'string') c.error(at(), u);
      if (!pairs.has('timeout')) step.timeoutMs = DEFAULT_TIMEOUT_MS;
      break;
    }
    case 'delay':
      if ((step.value as number) > MAX_DELAY_MS) c.error(at(), `a delay is at most ${MAX_DELAY_MS / 1000} s`);
      break;
    case 'policy':
      step.value = checkPolicies(c, kindPair.value as Node);
      break;
    case 'gateway': {
      const [gw, op] = String(step.value).trim().split(/\s+/);
      const ops: Record<string, string[]> = { x400: ['receive', 'reload', 'change-details'], fax: ['receive', 'reload', 'report'] };
      if (!gw || !Object.hasOwn(ops, gw)) c.error(at(), `unknown gateway ${JSON.stringify(gw ?? '')}; write \`x400 receive|reload|change-details\` or \`fax receive|reload|report\``);
      else if (!op || !ops[gw].includes(op)) c.error(at(), `unknown ${gw} operation ${JSON.stringify(op ?? '')}; one of: ${ops[gw].join(', ')}${suggest(op ?? '', ops[gw])}`);
      break;
    }
    case 'searchpro':
      if (String(step.value) !== 'index') c.error(at(), 'the SearchPro operation is `index`');
      break;
    case 'api': {
      if (!/^(GET|POST|PUT|DELETE|PATCH) \/\S*$/.test(String(step.value).trim())) c.error(at(), 'an api step is `METHOD /path`, e.g. `POST /api/gateways/x400/receive`');
      break;
    }
    case 'desktop':
      if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(String(step.arg))) c.error(at('call'), 'call must be `SERVICE/OPERATION`, e.g. `mail/delete-multiple`');
      break;
    case 'deliver': {
      const m = step.value as Record<string, unknown>;
      if (typeof m.to !== 'string') c.error(at(), 'deliver needs `to` (a user name)');
      for (const k of Object.keys(m)) if (!['to', 'from', 'subject', 'body', 'raw'].includes(k)) c.error(at(), `deliver: unknown field \`${k}\` (allowed: to, from, subject, body, raw)`);
      break;
    }
    case 'user': {
      const m = step.value as Record<string, unknown>;
      if (typeof m.name !== 'string' || typeof m.password !== 'string') c.error(at(), 'user needs `name` and `password`');
      break;
    }
    case 'check': {
      const what = String(step.value);
      const spec = Object.hasOwn(CHECKS, what) ? CHECKS[what] : undefined;
      if (!spec) {
        c.error(at(), `unknown check ${JSON.stringify(what)}${suggest(what, Object.keys(CHECKS))}; one of: ${Object.keys(CHECKS).join(', ')}`);
        break;
      }
      for (const r of spec.required) if (step.fields[r] === undefined) c.error(kindPair.key as Node, `check ${what} needs \`${r}\``);
      for (const k of Object.keys(step.fields)) {
        if (!spec.required.includes(k) && !spec.optional.includes(k)) c.error(pairs.get(k)!.key as Node, `\`${k}\` does not apply to check ${what}; allowed: ${[...spec.required, ...spec.optional].join(', ')}`);
      }
      if (what === 'fired' && typeof step.fields.behaviour === 'string') c.behaviourIds(at('behaviour'), 'behaviour');
      if (what === 'hash' && ['remember', 'same', 'changed'].filter((k) => step.fields[k] !== undefined).length !== 1) {
        c.error(kindPair.key as Node, 'check hash needs exactly one of `remember: NAME`, `same: NAME`, `changed: NAME`');
      }
      if (step.fields.site !== undefined && step.fields.site !== 'live' && step.fields.site !== 'restored') c.error(at('site'), '`site` is `live` (the default) or `restored`');
      if ((what === 'messages' || what === 'staging' || what === 'fired' || what === 'logged') && step.fields.count === undefined && step.fields.min === undefined && step.fields.writes === undefined) {
        c.error(kindPair.key as Node, `check ${what} needs \`${what === 'staging' ? 'writes' : 'count'}\` or \`min\``);
      }
      break;
    }
    case 'restore':
      if (step.value !== 'last' && typeof step.value !== 'string') c.error(at(), 'restore is `last` (the backups this scenario took) or a directory');
      break;
    case 'background':
      if (!step.steps) c.error(kindPair.key as Node, 'background needs `steps`');
      for (const inner of step.steps ?? []) {
        if (['background', 'stop', 'repeat', 'restore'].includes(inner.kind)) c.error(kindPair.key as Node, `a background loop cannot hold a ${inner.kind} step (line ${inner.pos.line})`);
      }
      break;
    case 'repeat':
      if (!step.steps) c.error(kindPair.key as Node, 'repeat needs `steps`');
      if (typeof step.value === 'number' && (step.value < 1 || step.value > 1000)) c.error(at(), 'repeat runs from 1 to 1000 times');
      break;
    case 'pop3':
    case 'imap':
      if (step.action === 'top') {
        const t = step.arg as Record<string, unknown>;
        if (!Number.isInteger(t.msg)) c.error(at('top'), 'top needs `msg` (and optional `lines`)');
      }
      if (step.action === 'append') {
        const a = step.arg as Record<string, unknown>;
        for (const k of Object.keys(a)) if (!['mailbox', 'subject', 'body', 'raw', 'flags'].includes(k)) c.error(at('append'), `append: unknown field \`${k}\` (allowed: mailbox, subject, body, raw, flags)`);
      }
      if (step.action === 'flag') {
        const f = step.arg as Record<string, unknown>;
        if (!Number.isInteger(f.uid) || !Array.isArray(f.flags)) c.error(at('flag'), 'flag needs `uid` and `flags` (a list)');
      }
      break;
    default:
      break;
  }
  return c.errors.length === before;
}

/** Parses and validates one scenario text. */
export function parseScenario(file: string, text: string): { scenario?: Scenario; errors: ValidationError[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const c = new Checker(file, lines);
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const p = lines.linePos(e.pos[0]);
      c.errors.push({ file, line: Math.max(1, p.line), col: Math.max(1, p.col), message: `YAML: ${e.message.split('\n')[0]}` });
    }
    return { errors: c.errors };
  }
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    c.error(root, 'a scenario is a mapping with `steps` (and optional name, description, tags, site)');
    return { errors: c.errors };
  }
  const top = c.pairs(root);
  for (const [key, pair] of top) if (!TOP_FIELDS.includes(key)) c.error(pair.key as Node, `unknown field \`${key}\`${suggest(key, TOP_FIELDS)}; a scenario has: ${TOP_FIELDS.join(', ')}`);
  const base = file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '');
  const name = top.has('name') ? (c.value(top.get('name')!.value as Node, 'string', 'name') as string | undefined) ?? base : base;
  const description = top.has('description') ? (c.value(top.get('description')!.value as Node, 'string', 'description') as string | undefined) : undefined;
  let tags: string[] = [];
  if (top.has('tags')) tags = c.texts(top.get('tags')!.value as Node, 'tags') ?? [];
  const site = checkSite(c, top.get('site')?.value as Node | null | undefined);
  const stepsNode = top.get('steps')?.value as Node | null | undefined;
  const steps: Step[] = [];
  if (!top.has('steps')) c.error(root, 'the scenario has no `steps`');
  else if (!isSeq(stepsNode) || !stepsNode.items.length) c.error(stepsNode ?? (top.get('steps')!.key as Node), '`steps` must be a non-empty list of steps');
  else for (const item of stepsNode.items) {
    const s = checkStep(c, item as Node);
    if (s) steps.push(s);
  }
  const started = new Set<string>();
  const walk = (list: Step[]) => {
    for (const st of list) {
      if (st.kind === 'background') {
        if (started.has(String(st.value))) c.errors.push({ file, ...st.pos, message: `a background loop named ${JSON.stringify(st.value)} is already running; stop it first or use another name` });
        started.add(String(st.value));
      } else if (st.kind === 'stop') {
        if (!started.has(String(st.value))) c.errors.push({ file, ...st.pos, message: `no background loop named ${JSON.stringify(st.value)} was started before${suggest(String(st.value), [...started])}` });
        started.delete(String(st.value));
      } else if (st.steps) walk(st.steps);
    }
  };
  walk(steps);
  if (c.errors.length) return { errors: c.errors };
  return { scenario: { file, name, ...(description ? { description } : {}), tags, site, steps }, errors: [] };
}

/** Reads and validates every file; throws ScenarioInvalid listing every problem when any file is bad. */
export function loadScenarios(files: string[]): Scenario[] {
  const errors: ValidationError[] = [];
  const scenarios: Scenario[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new TwemuError('E_SCENARIO_FILE', code === 'ENOENT' ? `no scenario file ${file}` : `cannot read ${file}: ${(err as Error).message}`,
        { hint: 'check the path (`twemu scenario run --list` shows the bundled ones)' });
    }
    const r = parseScenario(file, text);
    errors.push(...r.errors);
    if (r.scenario) scenarios.push(r.scenario);
  }
  if (errors.length) throw new ScenarioInvalid(errors);
  return scenarios;
}
