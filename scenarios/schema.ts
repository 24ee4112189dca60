// The scenario file format as a JSON Schema, built from the table in
// format.ts (KINDS, CHECKS), and checked by ajv. What plain JSON Schema cannot
// say (an id of the catalog, a rule id, an operator command, a regular
// expression, a duration, which key is the step's kind) is a custom keyword
// below, each giving its own message. The messages of the standard keywords
// come from three annotations the schema carries where it needs them:
//
//   x-what      how the value is named in a message (`login`, expect.status)
//   x-expected  what a wrong type should have been ("a text")
//   x-msg       a message per keyword, with {what} {data} {prop} {key}
//               {allowed} {suggest} filled in by validate.ts
//   x-allowed   the names an "unknown field" message lists

import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { allBehaviours, parsePolicy } from '../emulator/catalog/catalog.js';
import { CHECKS, KINDS, type Expect, type FieldType, type StepKind } from './format.js';
import { BEHAVIOUR_IDS, MAX_DELAY_MS, parseDuration, parseOperator, parseUntil, RULE_IDS, suggest } from './syntax.js';

export const TOP_FIELDS = ['name', 'description', 'tags', 'site', 'variables', 'steps'];
export const SITE_FIELDS = ['topology', 'appServers', 'seed', 'lenient', 'demo', 'policies', 'gatewayServer', 'services'];
export const STEP_COMMON = ['name', 'expect', 'timeout', 'save'];
const KIND_NAMES = Object.keys(KINDS) as StepKind[];
const GATEWAY_OPS: Record<string, string[]> = { x400: ['receive', 'reload', 'change-details'], fax: ['receive', 'reload', 'report'] };

/** The kind keys of a step: `user` is a kind and also a field of check, ame and desktop steps, so the kind is the one whose fields hold the others. */
export function stepKinds(step: Record<string, unknown>): StepKind[] {
  let kinds = Object.keys(step).filter((k) => Object.hasOwn(KINDS, k)) as StepKind[];
  if (kinds.length > 1) {
    const owner = kinds.filter((k) => kinds.every((o) => o === k || Object.hasOwn(KINDS[k].fields, o) || Object.hasOwn(KINDS[k].actions ?? {}, o)));
    if (owner.length === 1) kinds = owner;
  }
  return kinds;
}

const q = (v: unknown) => (v === null || v === undefined ? 'empty' : JSON.stringify(v));

/** One error of a custom keyword: `key` anchors it at that key of the value, `exclusive` hides every other error inside the value. */
function err(message: string, extra: { key?: string; instancePath?: string; exclusive?: boolean } = {}): Partial<ErrorObject> {
  const { instancePath, ...params } = extra;
  return { message, params, ...(instancePath !== undefined ? { instancePath } : {}) };
}

type Cxt = { instancePath: string };
type Check = (schema: unknown, data: unknown, parent: SchemaObject, cxt: Cxt) => Array<Partial<ErrorObject>>;

/** The custom keywords: each returns its errors (none when the value is right or of a type another keyword reports). */
const KEYWORDS: Record<string, Check> = {
  stepKind(_s, data) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
    const step = data as Record<string, unknown>;
    const kinds = stepKinds(step);
    if (kinds.length === 1) return [];
    if (kinds.length > 1) return [err(`a step has one kind, this one has ${kinds.map((k) => `\`${k}\``).join(' and ')}; split it into two steps`, { key: kinds[1], exclusive: true })];
    const first = Object.keys(step).find((k) => !STEP_COMMON.includes(k));
    return [first
      ? err(`unknown step kind \`${first}\`${suggest(first, KIND_NAMES)}; the step kinds are: ${KIND_NAMES.join(', ')}`, { key: first, exclusive: true })
      : err(`the step has no kind; the step kinds are: ${KIND_NAMES.join(', ')}`, { exclusive: true })];
  },
  oneAction(schema, data) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
    const { kind, actions } = schema as { kind: string; actions: string[] };
    const given = Object.keys(data as object).filter((k) => actions.includes(k));
    if (!given.length) return [err(`a ${kind} step needs an action: one of ${actions.join(', ')}`)];
    return given.slice(1).map((k) => err(`a ${kind} step does one action, this one has \`${given[0]}\` and \`${k}\`; split it into two steps`, { key: k }));
  },
  /** `tls` opens a raw POP3/IMAP session on the implicit-TLS port: it belongs on the session's `open` step only. */
  tlsOnOpen(schema, data) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
    const step = data as Record<string, unknown>;
    if (!Object.hasOwn(step, 'tls') || Object.hasOwn(step, 'open')) return [];
    const kind = (schema as { kind: 'pop3' | 'imap' }).kind;
    const action = Object.keys(KINDS[kind].actions ?? {}).find((a) => Object.hasOwn(step, a));
    const named = step.name !== undefined ? ` "${String(step.name)}"` : '';
    return [err(`the ${kind} step${named} of session ${q(step[kind])}${action ? ` (${action})` : ''} has \`tls\`: \`tls: true\` goes with \`open: true\` only `
      + `(it opens the raw session on the ${kind === 'pop3' ? 'POP3S' : 'IMAPS'} port, and the session's later steps use that connection); move it to the session's open step`, { key: 'tls' })];
  },
  expectKeys(schema, data) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
    const { kind, allowed } = schema as { kind: string; allowed: string[] };
    const all = KIND_NAMES.flatMap((k) => KINDS[k].expects as string[]);
    return Object.keys(data).filter((k) => !allowed.includes(k)).map((k) => err(all.includes(k)
      ? `\`${k}\` cannot be expected of a ${kind} step; allowed: ${allowed.join(', ') || '(none)'}`
      : `unknown expectation \`${k}\`${suggest(k, allowed)}; allowed for a ${kind} step: ${allowed.join(', ') || '(none)'}`, { key: k }));
  },
  duration(schema, data, parent) {
    const d = parseDuration(data);
    if (typeof d === 'string') return [err(`${parent['x-what']} must be a duration like 250ms, 2s or 1m, not ${q(data)}`)];
    const max = (schema as { max?: number }).max;
    return max !== undefined && d > max ? [err(`a delay is at most ${max / 1000} s`)] : [];
  },
  operator(_s, data) {
    if (typeof data !== 'string') return [];
    const op = parseOperator(data);
    return typeof op === 'string' ? [err(op)] : [];
  },
  until(_s, data) {
    if (typeof data !== 'string') return [];
    const u = parseUntil(data);
    return typeof u === 'string' ? [err(u)] : [];
  },
  gateway(_s, data) {
    if (typeof data !== 'string' && typeof data !== 'number') return [];
    const [gw, op] = String(data).trim().split(/\s+/);
    if (!gw || !Object.hasOwn(GATEWAY_OPS, gw)) return [err(`unknown gateway ${JSON.stringify(gw ?? '')}; write \`x400 receive|reload|change-details\` or \`fax receive|reload|report\``)];
    const ops = GATEWAY_OPS[gw]!;
    return !op || !ops.includes(op) ? [err(`unknown ${gw} operation ${JSON.stringify(op ?? '')}; one of: ${ops.join(', ')}${suggest(op ?? '', ops)}`)] : [];
  },
  regex(_s, data, parent) {
    if (typeof data !== 'string') return [];
    try {
      new RegExp(data, 'u');
      return [];
    } catch (e) {
      return [err(`${parent['x-what']} is not a valid regular expression: ${(e as Error).message}`)];
    }
  },
  behaviourIds(_s, data, parent, cxt) {
    return idList(data, parent, cxt, BEHAVIOUR_IDS, 'a behaviour id', (id) => `unknown behaviour id ${JSON.stringify(id)}${suggest(id, BEHAVIOUR_IDS)}; see \`twemu catalog\``);
  },
  ruleIds(_s, data, parent, cxt) {
    return idList(data, parent, cxt, RULE_IDS, 'a rule id', (id) => `unknown rule id ${JSON.stringify(id)}${suggest(id, RULE_IDS)}; the rules are: ${RULE_IDS.join(', ')}`);
  },
  policies(_s, data, _p, cxt) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
    const out: Array<Partial<ErrorObject>> = [];
    for (const [id, value] of Object.entries(data)) {
      const spec = allBehaviours.find((b) => b.id === id);
      if (!spec) {
        out.push(err(`unknown behaviour id ${JSON.stringify(id)}${suggest(id, BEHAVIOUR_IDS)}; see \`twemu catalog\``, { key: id }));
        continue;
      }
      try {
        parsePolicy(spec, value);
      } catch (e) {
        out.push(err((e as Error).message, { instancePath: `${cxt.instancePath}/${pointer(id)}` }));
      }
    }
    return out;
  },
  variables(_s, data) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
    const out: Array<Partial<ErrorObject>> = [];
    for (const [name, path] of Object.entries(data)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) out.push(err(`save: ${JSON.stringify(name)} is not a variable name (letters, digits, _)`, { key: name }));
      if (typeof path !== 'string' || !path) out.push(err(`save: ${name} needs a dotted path into the JSON answer, e.g. \`session\` or \`documents.0.id\``, { key: name }));
    }
    return out;
  },
};

function pointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function idList(data: unknown, parent: SchemaObject, cxt: Cxt, known: readonly string[], one: string, unknown: (id: string) => string): Array<Partial<ErrorObject>> {
  if (typeof data === 'string') return known.includes(data) ? [] : [err(unknown(data))];
  if (!Array.isArray(data) || !data.length || !data.every((x) => typeof x === 'string')) return [err(`${parent['x-what']} must be ${one} or a list of them`)];
  return data.flatMap((id: string, i) => (known.includes(id) ? [] : [err(unknown(id), { instancePath: `${cxt.instancePath}/${i}` })]));
}

/** The schema of a value of one of the format's field types. */
function field(type: FieldType, what: string, extra: SchemaObject = {}): SchemaObject {
  const base = (s: SchemaObject, expected: string) => ({ ...s, 'x-what': what, 'x-expected': expected, ...extra });
  switch (type) {
    case 'string': return base({ type: ['string', 'number'], minLength: 1 }, 'a text');
    case 'int': return base({ type: 'integer' }, 'an integer');
    case 'bool': return base({ type: 'boolean' }, 'true or false');
    case 'true': return base({ enum: [true, null] }, 'true');
    case 'int-or-true': return base({ type: ['integer', 'boolean', 'null'], not: { const: false } }, 'an integer or true');
    case 'string-or-int': return base({ type: ['string', 'integer'] }, 'a text or an integer');
    case 'string-or-map': return base({ type: ['string', 'object'] }, 'a text (a raw line) or a mapping');
    case 'map': return base({ type: 'object' }, 'a mapping (key: value lines)');
    case 'list': return base({ type: 'array' }, 'a list');
    case 'duration': return base({ type: ['string', 'number'], duration: true }, 'a duration like 250ms, 2s or 1m');
    case 'credentials': {
      const part = (k: string) => ({ type: ['string', 'number'], 'x-msg': { type: `${what} needs \`${k}\`` } });
      return base({
        type: 'object', required: ['user', 'password'], properties: { user: part('user'), password: part('password') }, additionalProperties: false,
        'x-msg': { additionalProperties: `${what}: unknown field \`{prop}\` (allowed: user, password)` },
      }, 'a mapping with `user` and `password`');
    }
    case 'steps': {
      const m = '`steps` must be a non-empty list of steps';
      return { type: 'array', minItems: 1, items: { $ref: '#/$defs/step' }, 'x-msg': { type: m, minItems: m }, ...extra };
    }
    case 'any': return { ...extra };
  }
}

const texts = (what: string, allowEmpty = false): SchemaObject => ({
  anyOf: [{ type: 'string' }, { type: 'array', minItems: allowEmpty ? 0 : 1, items: { type: 'string' } }],
  'x-msg': { anyOf: `${what} must be a text or a list of texts${allowEmpty ? ' ([] for none)' : ''}` },
});

const EXPECT_SCHEMAS: Record<keyof Expect, SchemaObject> = {
  ok: field('bool', 'expect.ok'),
  noBehaviour: field('bool', 'expect.noBehaviour'),
  reply: field('string', 'expect.reply'),
  variant: field('string', 'expect.variant'),
  match: field('string', 'expect.match', { regex: true }),
  lines: texts('expect.lines'),
  text: texts('expect.text'),
  notText: texts('expect.notText'),
  log: texts('expect.log'),
  dialog: texts('expect.dialog', true),
  occurrences: (() => {
    const m = 'expect.occurrences needs `text` and an integer `count`';
    return {
      ...field('map', 'expect.occurrences'), required: ['text', 'count'],
      properties: { text: { type: 'string', 'x-msg': { type: m } }, count: { type: 'integer', 'x-msg': { type: m } } }, 'x-msg': { required: m },
    };
  })(),
  behaviour: { behaviourIds: true, 'x-what': 'expect.behaviour' },
  suppressed: { behaviourIds: true, 'x-what': 'expect.suppressed' },
  warning: { ruleIds: true, 'x-what': 'expect.warning' },
  status: field('int', 'expect.status', { minimum: 100, maximum: 599, 'x-msg': { minimum: 'expect.status must be an HTTP status (100-599)', maximum: 'expect.status must be an HTTP status (100-599)' } }),
  rc: { anyOf: [{ type: 'integer' }, { type: 'array', minItems: 1, items: { type: 'integer' } }], 'x-msg': { anyOf: 'expect.rc must be an integer or a list of integers' } },
  json: field('map', 'expect.json'),
  refused: (() => {
    const m = 'expect.refused must be true, a rule id, or {rule, code}';
    return {
      type: ['boolean', 'string', 'object'], not: { const: false }, 'x-msg': { type: m, not: m },
      if: { type: 'string' }, then: { ruleIds: true, 'x-what': 'expect.refused' },
      else: {
        if: { type: 'object' },
        then: {
          properties: { rule: { ruleIds: true, 'x-what': 'expect.refused.rule' }, code: { type: 'string', 'x-msg': { type: 'expect.refused.code must be a text like E_SUSPEND_ORDER' } } },
          additionalProperties: false, 'x-msg': { additionalProperties: 'expect.refused: unknown field `{prop}` (allowed: rule, code)' },
        },
      },
    };
  })(),
};

/** The schema of the kind key's value, with the checks of that kind. */
function kindValue(kind: StepKind): SchemaObject {
  const spec = KINDS[kind];
  const what = `\`${kind}\` (the ${spec.valueName})`;
  switch (kind) {
    case 'operator': return field(spec.value, what, { operator: true });
    case 'until': return field(spec.value, what, { until: true });
    case 'delay': return { ...field(spec.value, what), duration: { max: MAX_DELAY_MS } };
    case 'policy': return field(spec.value, what, { policies: true });
    case 'gateway': return field(spec.value, what, { gateway: true });
    case 'searchpro': return field(spec.value, what, { const: 'index', 'x-msg': { const: 'the SearchPro operation is `index`' } });
    case 'api': return field(spec.value, what, { pattern: '^\\s*(GET|POST|PUT|DELETE|PATCH) /\\S*\\s*$', 'x-msg': { pattern: 'an api step is `METHOD /path`, e.g. `POST /api/gateways/x400/receive`' } });
    case 'deliver': {
      const m = 'deliver needs `to` (a user name)';
      return field(spec.value, what, {
        required: ['to'], properties: { to: { type: 'string', 'x-msg': { type: m } }, from: {}, subject: {}, body: {}, raw: {} }, additionalProperties: false,
        'x-msg': { required: m, additionalProperties: 'deliver: unknown field `{prop}` (allowed: to, from, subject, body, raw)' },
      });
    }
    case 'user': {
      const m = 'user needs `name` and `password`';
      return field(spec.value, what, { required: ['name', 'password'], properties: { name: { type: 'string', 'x-msg': { type: m } }, password: { type: 'string', 'x-msg': { type: m } } }, 'x-msg': { required: m } });
    }
    case 'check': {
      const names = Object.keys(CHECKS);
      return field(spec.value, what, { enum: names, 'x-msg': { enum: `unknown check {data}{suggest}; one of: ${names.join(', ')}` } });
    }
    case 'window': return field(spec.value, what, { const: 'suspend', 'x-msg': { const: 'the window action is `suspend` (`window: suspend` with `for: 2m`)' } });
    case 'restore': return { type: 'string', 'x-msg': { type: 'restore is `last` (the backups this scenario took) or a directory' } };
    case 'repeat': return field(spec.value, what, { minimum: 1, maximum: 1000, 'x-msg': { minimum: 'repeat runs from 1 to 1000 times', maximum: 'repeat runs from 1 to 1000 times' } });
    default: return field(spec.value, what);
  }
}

/** Checks of a session action's argument beyond its type. */
function action(kind: StepKind, name: string, type: FieldType): SchemaObject {
  const what = `\`${name}\``;
  if ((kind === 'pop3' || kind === 'imap') && name === 'top') {
    const m = 'top needs `msg` (and optional `lines`)';
    return field(type, what, { required: ['msg'], properties: { msg: { type: 'integer', 'x-msg': { type: m } } }, 'x-msg': { required: m } });
  }
  if (kind === 'imap' && name === 'append') {
    return field(type, what, {
      properties: { mailbox: {}, subject: {}, body: {}, raw: {}, flags: {} }, additionalProperties: false,
      'x-msg': { additionalProperties: 'append: unknown field `{prop}` (allowed: mailbox, subject, body, raw, flags)' },
    });
  }
  if (kind === 'imap' && name === 'flag') {
    const m = 'flag needs `uid` and `flags` (a list)';
    return field(type, what, { required: ['uid', 'flags'], properties: { uid: { type: 'integer', 'x-msg': { type: m } }, flags: { type: 'array', 'x-msg': { type: m } } }, 'x-msg': { required: m } });
  }
  if (kind === 'desktop' && name === 'call') return field(type, what, { pattern: '^[a-z0-9-]+/[a-z0-9-]+$', 'x-msg': { pattern: 'call must be `SERVICE/OPERATION`, e.g. `mail/delete-multiple`' } });
  return field(type, what);
}

/** What a `check` step needs, per check. */
function checkRules(): SchemaObject[] {
  return Object.entries(CHECKS).map(([name, spec]) => {
    const allowed = [...spec.required, ...spec.optional];
    const then: SchemaObject = {
      required: spec.required,
      properties: Object.fromEntries(['check', ...STEP_COMMON, ...allowed].map((k) => [k, true])),
      additionalProperties: false,
      'x-allowed': allowed,
      'x-msg': { required: `check ${name} needs \`{prop}\``, additionalProperties: `\`{prop}\` does not apply to check ${name}; allowed: {allowed}` },
    };
    if (['messages', 'fired', 'logged'].includes(name)) {
      then.anyOf = [{ required: ['count'] }, { required: ['min'] }];
      then['x-msg'].anyOf = `check ${name} needs \`count\` or \`min\``;
    } else if (name === 'staging') {
      then.anyOf = [{ required: ['writes'] }, { required: ['min'] }];
      then['x-msg'].anyOf = 'check staging needs `writes` or `min`';
    } else if (name === 'hash') {
      then.oneOf = [{ required: ['remember'] }, { required: ['same'] }, { required: ['changed'] }];
      then['x-msg'].oneOf = 'check hash needs exactly one of `remember: NAME`, `same: NAME`, `changed: NAME`';
    }
    if (spec.optional.includes('site')) then.properties.site = { enum: ['live', 'restored'], 'x-msg': { enum: '`site` is `live` (the default) or `restored`' } };
    if (name === 'fired') then.properties.behaviour = { behaviourIds: true, 'x-what': 'behaviour' };
    return { if: { required: ['check'], properties: { check: { const: name } } }, then };
  });
}

/** The schema of a step of one kind (applied once the kind is known). */
function kindStep(kind: StepKind): SchemaObject {
  const spec = KINDS[kind];
  const actions = Object.keys(spec.actions ?? {});
  const allowed = [...actions, ...Object.keys(spec.fields), ...STEP_COMMON];
  const properties: Record<string, SchemaObject> = {
    [kind]: kindValue(kind),
    ...Object.fromEntries(actions.map((a) => [a, action(kind, a, spec.actions![a]!)])),
    ...Object.fromEntries(Object.entries(spec.fields).map(([f, t]) => [f, field(t, `\`${f}\``)])),
    name: field('string', 'name'),
    expect: { type: 'object', expectKeys: { kind, allowed: spec.expects }, properties: Object.fromEntries(spec.expects.map((e) => [e, { $ref: `#/$defs/expect.${e}` }])), 'x-msg': { type: '`expect` must be a mapping, e.g. `expect: {reply: "+OK"}`' } },
    timeout: field('duration', 'timeout'),
    save: { ...field('map', 'save'), variables: true },
  };
  const s: SchemaObject = {
    properties, additionalProperties: false, 'x-allowed': allowed,
    'x-msg': { additionalProperties: `unknown field \`{prop}\` in a ${kind} step{suggest}; allowed: {allowed}` },
  };
  if (actions.length) s.oneAction = { kind, actions };
  if (kind === 'pop3' || kind === 'imap') s.tlsOnOpen = { kind };
  if (kind === 'window') {
    s.required = ['for'];
    s['x-msg'].required = 'window needs `for` (how long the outage lasts, e.g. `for: 2s`)';
  }
  if (kind === 'background' || kind === 'repeat') {
    s.required = ['steps'];
    s['x-msg'].required = `${kind} needs \`steps\``;
  }
  if (kind === 'check') s.allOf = checkRules();
  return s;
}

/** The kinds whose fields include this kind's name (a step with `check` and `user` is a check). */
function owners(kind: StepKind): StepKind[] {
  return KIND_NAMES.filter((k) => k !== kind && (Object.hasOwn(KINDS[k].fields, kind) || Object.hasOwn(KINDS[k].actions ?? {}, kind)));
}

export function scenarioSchema(): SchemaObject {
  const step: SchemaObject = {
    type: 'object',
    'x-msg': { type: `a step must be a mapping like \`- operator: to tran suspend\`; the step kinds are: ${KIND_NAMES.join(', ')}` },
    stepKind: true,
    allOf: KIND_NAMES.map((k) => {
      const others = owners(k);
      return { if: { type: 'object', required: [k], ...(others.length ? { not: { anyOf: others.map((o) => ({ required: [o] })) } } : {}) }, then: { $ref: `#/$defs/kind.${k}` } };
    }),
  };
  const siteMsg = '`site` must be a mapping (topology, appServers, seed, lenient, demo, policies)';
  const appServers = 'site.appServers must be from 1 to 16';
  return {
    $defs: {
      step,
      ...Object.fromEntries(KIND_NAMES.map((k) => [`kind.${k}`, kindStep(k)])),
      ...Object.fromEntries(Object.entries(EXPECT_SCHEMAS).map(([e, x]) => [`expect.${e}`, x])),
    },
    type: 'object',
    required: ['steps'],
    properties: {
      name: field('string', 'name'),
      description: field('string', 'description'),
      tags: texts('tags'),
      variables: {
        type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, additionalProperties: { type: ['string', 'number', 'boolean'], 'x-msg': { type: 'variables.{key} must be a text, a number or true/false' } },
        'x-msg': { type: 'variables must be a mapping of name: value (the defaults of `${name}`)', propertyNames: 'variables: a name is letters, digits and _' },
      },
      site: {
        type: ['object', 'null'], additionalProperties: false, 'x-allowed': SITE_FIELDS,
        'x-msg': { type: siteMsg, additionalProperties: 'unknown field `{prop}` in site{suggest}; allowed: {allowed}' },
        properties: {
          topology: { enum: ['single', 'multi'], 'x-msg': { enum: 'site.topology must be single or multi, not {data}' } },
          appServers: field('int', 'site.appServers', { minimum: 1, maximum: 16, 'x-msg': { minimum: appServers, maximum: appServers } }),
          seed: field('int', 'site.seed'),
          lenient: field('bool', 'site.lenient'),
          demo: field('bool', 'site.demo'),
          gatewayServer: field('string', 'site.gatewayServer'),
          policies: { type: 'object', policies: true, 'x-msg': { type: 'policies must be a mapping of behaviour id to policy' } },
          services: { ...field('map', 'site.services'), additionalProperties: { type: 'object', 'x-msg': { type: 'site.services.{key} must be a mapping of options' } } },
        },
      },
      steps: field('steps', 'steps'),
    },
    additionalProperties: false,
    'x-allowed': TOP_FIELDS,
    'x-msg': {
      type: 'a scenario is a mapping with `steps` (and optional name, description, tags, site, variables)',
      required: 'the scenario has no `steps`',
      additionalProperties: 'unknown field `{prop}`{suggest}; a scenario has: {allowed}',
    },
  };
}

let compiled: ValidateFunction | undefined;

/** The compiled validator (compiled on first use: start-up time); `T` is the shape the schema accepts. */
export function scenarioValidator<T>(): ValidateFunction<T> {
  if (compiled) return compiled as ValidateFunction<T>;
  const ajv = new Ajv({ allErrors: true, verbose: true, inlineRefs: false, strictTypes: false, strictRequired: false, allowUnionTypes: true });
  ajv.addVocabulary(['x-what', 'x-expected', 'x-msg', 'x-allowed']);
  for (const [keyword, check] of Object.entries(KEYWORDS)) {
    ajv.addKeyword({
      keyword, errors: true,
      validate: function v(schema: unknown, data: unknown, parent?: SchemaObject, cxt?: Cxt) {
        const errors = check(schema, data, parent ?? {}, cxt ?? { instancePath: '' });
        (v as unknown as { errors: Array<Partial<ErrorObject>> }).errors = errors.map((e) => ({ keyword, ...e }));
        return errors.length === 0;
      },
    });
  }
  compiled = ajv.compile(scenarioSchema());
  return compiled as ValidateFunction<T>;
}
