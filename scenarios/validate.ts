// Reads a scenario file and checks every part of it before anything runs:
// the YAML is checked against the format's JSON Schema (schema.ts, by ajv),
// and each problem is reported at its place as `file:line:column: message`
// through the YAML library's source ranges.

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, visit, type Document, type Node, type Pair } from 'yaml';
import type { ErrorObject } from 'ajv';
import { allBehaviours, parsePolicy } from '../emulator/catalog/catalog.js';
import { TwemuError } from '../emulator/errors.js';
import { DEFAULT_TIMEOUT_MS, KINDS, type Expect, type FieldType, type Pos, type Scenario, type SiteSpec, type Step } from './format.js';
import { scenarioValidator, stepKinds } from './schema.js';
import { parseDuration, suggest } from './syntax.js';
import { expressionProblem } from './expressions.js';

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

type Obj = Record<string, unknown>;

/** A YAML document with its line counter: positions of the values and keys the schema's errors name. */
class Source {
  constructor(readonly file: string, readonly doc: Document, private readonly lines: LineCounter) {}

  at(offset: number | undefined): Pos {
    const p = this.lines.linePos(offset ?? 0);
    return { line: Math.max(1, p.line), col: Math.max(1, p.col) };
  }

  /** The node at a path of keys and indexes, with the pair that holds it (the last one when a key is given twice, as the value read is). */
  find(path: readonly string[]): { node: Node | null; pair?: Pair } {
    let node = this.doc.contents as Node | null;
    let pair: Pair | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        pair = (node.items as Pair[]).filter((p) => isScalar(p.key) && String(p.key.value) === seg).at(-1);
        if (!pair) break;
        node = pair.value as Node | null;
      } else if (isSeq(node)) {
        node = (node.items[Number(seg)] as Node | undefined) ?? null;
        pair = undefined;
      } else break;
    }
    return { node, ...(pair ? { pair } : {}) };
  }

  valuePos(path: readonly string[]): Pos {
    const { node, pair } = this.find(path);
    return this.at(node?.range?.[0] ?? (pair?.key as Node | undefined)?.range?.[0]);
  }

  keyPos(path: readonly string[], key: string): Pos {
    const { pair } = this.find([...path, key]);
    return pair ? this.at((pair.key as Node).range?.[0]) : this.valuePos(path);
  }
}

function segments(pointer: string): string[] {
  return pointer ? pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')) : [];
}

/** Whether a path names a step (an item of a `steps` list). */
function isStepPath(path: readonly string[]): boolean {
  return path.length >= 2 && path.at(-2) === 'steps' && /^\d+$/.test(path.at(-1)!);
}

const show = (v: unknown) => (v === null || v === undefined ? 'empty' : JSON.stringify(v));

/** The message of one ajv error, from the schema's annotations (x-msg, x-what, x-expected) or the custom keyword's own text. */
function message(e: ErrorObject, path: readonly string[]): string {
  const schema = (e.parentSchema ?? {}) as Obj;
  const what = String(schema['x-what'] ?? path.at(-1) ?? 'the scenario');
  const params = e.params as Obj;
  const prop = String(params.additionalProperty ?? params.missingProperty ?? '');
  const allowed = (schema['x-allowed'] as string[] | undefined) ?? Object.keys((schema.properties as Obj | undefined) ?? {});
  const template = (schema['x-msg'] as Record<string, string> | undefined)?.[e.keyword];
  if (template) {
    const word = prop || String(e.data ?? '');
    const known = prop ? allowed : ((schema.enum as unknown[] | undefined) ?? []).map(String);
    return template.replace(/\{(what|data|prop|key|allowed|suggest)\}/g, (_m, k: string) =>
      k === 'what' ? what : k === 'data' ? show(e.data) : k === 'prop' ? prop : k === 'key' ? String(path.at(-1) ?? '') : k === 'allowed' ? allowed.join(', ') : suggest(word, known));
  }
  switch (e.keyword) {
    case 'required': return `${what} needs \`${prop}\``;
    case 'additionalProperties': return `${what}: unknown field \`${prop}\`${suggest(prop, allowed)}; allowed: ${allowed.join(', ')}`;
    case 'type': case 'minLength': case 'enum': case 'const': case 'not': case 'minimum': case 'maximum': case 'minItems': case 'pattern':
      if (schema['x-expected']) return `${what} must be ${String(schema['x-expected'])}, not ${show(e.data)}`;
      return `${what} ${e.message ?? 'is not valid'}`;
    default:
      return e.message ?? `${what} is not valid`;
  }
}

/** ajv's errors as positioned messages: the wrappers' errors (if/anyOf/oneOf) give way to their own message or their parts', a step of no known kind reports only that. */
function mapErrors(src: Source, raw: ErrorObject[]): ValidationError[] {
  let errors = raw.filter((e) => e.keyword !== 'if');
  // An anyOf/oneOf with its own message stands for its branches' errors.
  const wrappers = errors.filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf'));
  errors = errors.filter((e) => !wrappers.some((w) => w !== e && e.schemaPath.startsWith(`${w.schemaPath}/`)));
  const exclusive = errors.filter((e) => (e.params as Obj).exclusive).map((e) => e.instancePath);
  errors = errors.filter((e) => (e.params as Obj).exclusive || !exclusive.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)));
  const out: ValidationError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = segments(e.instancePath);
    const params = e.params as Obj;
    let pos: Pos;
    if (typeof params.key === 'string') pos = src.keyPos(path, params.key);
    else if (e.keyword === 'additionalProperties') pos = src.keyPos(path, String(params.additionalProperty));
    else if (isStepPath(path)) {
      // A step's own problems point at its kind.
      const data = e.keyword === 'type' ? null : (src.find(path).node?.toJSON() as Obj | null);
      const kind = data && typeof data === 'object' ? stepKinds(data)[0] : undefined;
      pos = kind ? src.keyPos(path, kind) : src.valuePos(path);
    } else pos = src.valuePos(path);
    const m = message(e, path);
    const id = `${pos.line}:${pos.col}:${m}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ file: src.file, ...pos, message: m });
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Keys the schema cannot see once the YAML is read: a key given twice, a key that is not a plain word. */
function keyProblems(src: Source): ValidationError[] {
  const out: ValidationError[] = [];
  visit(src.doc, {
    Map(_k, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        const pos = src.at(key?.range?.[0]);
        if (!isScalar(key) || typeof key.value !== 'string') {
          out.push({ file: src.file, ...pos, message: 'keys must be plain words' });
          continue;
        }
        if (seen.has(key.value)) out.push({ file: src.file, ...pos, message: `\`${key.value}\` is given twice` });
        seen.add(key.value);
      }
    },
  });
  return out;
}

// --- From the validated value to the runner's types ---------------------------------------------

// The shapes a file has once the schema accepted it (schema.ts says the same in JSON Schema).
type Text = string | number;
type OneOrMore<T> = T | T[];

interface ExpectFile {
  ok?: boolean; noBehaviour?: boolean;
  reply?: Text; variant?: Text; match?: Text;
  lines?: OneOrMore<string>; text?: OneOrMore<string>; notText?: OneOrMore<string>; dialog?: OneOrMore<string>; log?: OneOrMore<string>;
  behaviour?: OneOrMore<string>; suppressed?: OneOrMore<string>; warning?: OneOrMore<string>;
  rc?: OneOrMore<number>; status?: number;
  occurrences?: { text: string; count: number };
  json?: Record<string, unknown>;
  refused?: true | string | { rule?: string; code?: string };
}

/** A step: its kind key, action and fields (checked per kind by the schema), and the common fields. */
type StepFile = { [key: string]: unknown; name?: Text; expect?: ExpectFile; timeout?: Text; save?: Record<string, string> };

interface SiteFile {
  topology?: 'single' | 'multi'; appServers?: number; seed?: number; lenient?: boolean; demo?: boolean; gatewayServer?: Text;
  policies?: Record<string, unknown>; services?: Record<string, Record<string, unknown>>;
}

interface ScenarioFile {
  name?: Text; description?: Text; tags?: OneOrMore<string>; site?: SiteFile | null;
  variables?: Record<string, string | number | boolean>; steps: StepFile[];
}

function coerce(type: FieldType, v: unknown): unknown {
  switch (type) {
    case 'string': return String(v);
    case 'true': return true;
    case 'int-or-true': return v === null || v === true ? true : v;
    case 'duration': return parseDuration(v);
    case 'credentials': {
      const c = v as { user: Text; password: Text };
      return { user: String(c.user), password: String(c.password) };
    }
    default: return v;
  }
}

const list = <T>(v: OneOrMore<T>): T[] => (Array.isArray(v) ? v : [v]);
const texts = (v: OneOrMore<string> | undefined) => (v === undefined ? undefined : list(v));

function policies(v: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v ?? {}).map(([id, p]) => [id, parsePolicy(allBehaviours.find((b) => b.id === id)!, p)]));
}

function expectOf(v: ExpectFile): Expect {
  const e: Expect = {
    ok: v.ok, noBehaviour: v.noBehaviour, status: v.status, occurrences: v.occurrences, json: v.json,
    reply: v.reply === undefined ? undefined : String(v.reply), variant: v.variant === undefined ? undefined : String(v.variant), match: v.match === undefined ? undefined : String(v.match),
    lines: texts(v.lines), text: texts(v.text), notText: texts(v.notText), dialog: texts(v.dialog), log: texts(v.log),
    behaviour: texts(v.behaviour), suppressed: texts(v.suppressed), warning: texts(v.warning), rc: v.rc === undefined ? undefined : list(v.rc),
    refused: v.refused === undefined ? undefined : v.refused === true ? {} : typeof v.refused === 'string' ? { rule: v.refused } : v.refused,
  };
  // Only what the file says: an absent expectation is not checked.
  for (const k of Object.keys(e) as Array<keyof Expect>) if (e[k] === undefined) delete e[k];
  return e;
}

function stepOf(src: Source, v: StepFile, path: string[]): Step {
  const kind = stepKinds(v)[0]!;
  const spec = KINDS[kind];
  const value = kind === 'policy' ? policies(v[kind] as Record<string, unknown>) : coerce(spec.value, v[kind]);
  const timeout = v.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(v.timeout);
  const step: Step = {
    kind, value, fields: {}, expect: v.expect ? expectOf(v.expect) : {}, implicitOk: v.expect === undefined,
    timeoutMs: typeof timeout === 'number' ? timeout : DEFAULT_TIMEOUT_MS, pos: src.keyPos(path, kind),
  };
  if (v.name !== undefined) step.label = String(v.name);
  if (v.save) step.save = v.save;
  for (const [k, x] of Object.entries(v)) {
    if (spec.actions && Object.hasOwn(spec.actions, k)) {
      step.action = k;
      step.arg = coerce(spec.actions[k]!, x);
    } else if (k !== kind && Object.hasOwn(spec.fields, k)) {
      if (spec.fields[k] === 'steps') step.steps = (x as StepFile[]).map((s, i) => stepOf(src, s, [...path, k, String(i)]));
      else step.fields[k] = coerce(spec.fields[k]!, x);
    }
  }
  return step;
}

function siteOf(v: SiteFile | null | undefined): SiteSpec {
  return {
    topology: v?.topology ?? 'single', seed: v?.seed ?? 0, lenient: v?.lenient ?? false, demo: v?.demo ?? true, policies: policies(v?.policies),
    ...(v?.appServers !== undefined ? { appServers: v.appServers } : {}),
    ...(v?.gatewayServer !== undefined ? { gatewayServer: String(v.gatewayServer) } : {}),
    ...(v?.services ? { services: v.services } : {}),
  };
}

/** What the steps say about each other: background loops started once and stopped by name, nothing in a loop that cannot loop. */
function flowProblems(file: string, steps: Step[]): ValidationError[] {
  const out: ValidationError[] = [];
  const started = new Set<string>();
  const walk = (list: Step[]) => {
    for (const st of list) {
      if (st.kind === 'background') {
        for (const inner of st.steps ?? []) {
          if (['background', 'stop', 'repeat', 'restore'].includes(inner.kind)) out.push({ file, ...st.pos, message: `a background loop cannot hold a ${inner.kind} step (line ${inner.pos.line})` });
        }
        if (started.has(String(st.value))) out.push({ file, ...st.pos, message: `a background loop named ${JSON.stringify(st.value)} is already running; stop it first or use another name` });
        started.add(String(st.value));
      } else if (st.kind === 'stop') {
        if (!started.has(String(st.value))) out.push({ file, ...st.pos, message: `no background loop named ${JSON.stringify(st.value)} was started before${suggest(String(st.value), [...started])}` });
        started.delete(String(st.value));
      } else if (st.steps) walk(st.steps);
    }
  };
  walk(steps);
  return out;
}

/** Every `${...}` in the steps' values and expectations that cannot be evaluated (expressions.ts), at its step. */
function expressionProblems(file: string, steps: Step[]): ValidationError[] {
  const out: ValidationError[] = [];
  const texts = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(texts) : v && typeof v === 'object' ? Object.values(v).flatMap(texts) : []);
  const walk = (list: Step[]) => {
    for (const st of list) {
      for (const t of texts([st.value, st.arg, st.fields, st.expect])) {
        const problem = expressionProblem(t);
        if (problem) out.push({ file, ...st.pos, message: `\`${t.length > 80 ? `${t.slice(0, 77)}...` : t}\`: ${problem}` });
      }
      if (st.steps) walk(st.steps);
    }
  };
  walk(steps);
  return out;
}

/** Parses and validates one scenario text. */
export function parseScenario(file: string, text: string): { scenario?: Scenario; errors: ValidationError[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const src = new Source(file, doc, lines);
  if (doc.errors.length) {
    return { errors: doc.errors.map((e) => ({ file, ...src.at(e.pos[0]), message: `YAML: ${e.message.split('\n')[0]}` })) };
  }
  const keys = keyProblems(src);
  if (keys.length) return { errors: keys };
  const root: unknown = doc.toJS();
  const validate = scenarioValidator<ScenarioFile>();
  if (!validate(root)) return { errors: mapErrors(src, validate.errors ?? []) };
  const steps = root.steps.map((s, i) => stepOf(src, s, ['steps', String(i)]));
  const flow = [...flowProblems(file, steps), ...expressionProblems(file, steps)];
  if (flow.length) return { errors: flow };
  const base = file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '');
  const scenario: Scenario = {
    file, name: root.name !== undefined ? String(root.name) : base,
    ...(root.description !== undefined ? { description: String(root.description) } : {}),
    tags: root.tags === undefined ? [] : list(root.tags), site: siteOf(root.site), variables: root.variables ?? {}, steps,
  };
  return { scenario, errors: [] };
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
