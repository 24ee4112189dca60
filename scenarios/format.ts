// The scenario file format as data: which step kinds exist, which fields and
// actions each takes, which expectations apply to it. The validator and the
// docs/scenarios.md are both driven by this table, so a new kind is one entry here plus
// one executor in runner.ts.

/** A position in a scenario file (1-based). */
export interface Pos {
  line: number;
  col: number;
}

export interface SiteSpec {
  topology: 'single' | 'multi';
  appServers?: number;
  seed: number;
  lenient: boolean;
  demo: boolean;
  policies: Record<string, unknown>;
  gatewayServer?: string;
  /** Per-service options, as in the config file (`services: {x400: {restartIntervalMs: 20}}`). */
  services?: Record<string, Record<string, unknown>>;
}

export interface Expect {
  ok?: boolean;
  reply?: string;
  lines?: string[];
  match?: string;
  text?: string[];
  notText?: string[];
  occurrences?: { text: string; count: number };
  behaviour?: string[];
  suppressed?: string[];
  noBehaviour?: boolean;
  variant?: string;
  status?: number;
  rc?: number[];
  dialog?: string[];
  json?: Record<string, unknown>;
  refused?: { rule?: string; code?: string };
  warning?: string[];
  log?: string[];
}

export interface Step {
  kind: StepKind;
  /** The value of the kind key: a session name, a command, a condition... */
  value: unknown;
  /** For session kinds: the action key and its argument. */
  action?: string;
  arg?: unknown;
  /** Every other field (server, user, body, ...). */
  fields: Record<string, unknown>;
  expect: Expect;
  /** True when the file gave no `expect` (then `ok: true` is implied). */
  implicitOk: boolean;
  label?: string;
  /** `{variable: dotted.path}`: values of the JSON answer kept for later steps as `${variable}`. */
  save?: Record<string, string>;
  timeoutMs: number;
  pos: Pos;
  /** Nested steps (`repeat`). */
  steps?: Step[];
}

export interface Scenario {
  file: string;
  name: string;
  description?: string;
  tags: string[];
  site: SiteSpec;
  /** Defaults of `${name}` (e.g. the demo site's password for a recorded session); --password and TWEMU_PASSWORD win. */
  variables: Record<string, string | number | boolean>;
  steps: Step[];
}

export type StepKind =
  | 'operator' | 'until' | 'delay'
  | 'pop3' | 'imap' | 'smtp' | 'web' | 'ame' | 'desktop'
  | 'gateway' | 'searchpro' | 'api'
  | 'deliver' | 'user' | 'policy' | 'reseed'
  | 'check' | 'restore' | 'repeat' | 'background' | 'stop' | 'window';

/** How a field's value is checked. */
export type FieldType =
  | 'string' | 'int' | 'bool' | 'true' | 'map' | 'duration' | 'string-or-int' | 'string-or-map' | 'int-or-true'
  | 'credentials' | 'list' | 'steps' | 'any';

export interface KindSpec {
  /** What the kind key's value is. */
  value: FieldType;
  valueName: string;
  /** Session kinds: exactly one of these action keys. */
  actions?: Record<string, FieldType>;
  fields: Record<string, FieldType>;
  expects: Array<keyof Expect>;
  summary: string;
}

const REPLY_EXPECTS: Array<keyof Expect> = ['ok', 'reply', 'lines', 'match', 'text', 'notText', 'behaviour', 'suppressed', 'noBehaviour', 'variant', 'json'];
const FIRED: Array<keyof Expect> = ['behaviour', 'suppressed', 'noBehaviour', 'variant', 'log'];

export const KINDS: Record<StepKind, KindSpec> = {
  operator: {
    value: 'string', valueName: 'command', summary: 'a procedure command (`to tran suspend`, `to backup on`, `tobkweb arc`, `to tran resume`, `tobkweb rm`, `to backup off`) or `backup --level N`, on one server or all',
    fields: { server: 'string', lenient: 'bool', dest: 'string' },
    expects: ['ok', 'refused', 'warning', 'match', 'text', 'notText', 'json', ...FIRED],
  },
  until: {
    value: 'string', valueName: 'condition', summary: 'waits (bounded by `timeout`) until `server NAME suspended|available|backup on|backup off|archived|not archived|backup done`, `behaviour ID fired` or `log TEXT [(N times)]` holds',
    fields: {}, expects: [],
  },
  window: {
    value: 'string', valueName: 'action', summary: 'an outage window on the site\'s timeline: `window: suspend` with `for` (how long) and optional `at` (when, from now; default at once) and `server` (default all): the site runs `to tran suspend`, then `to tran resume` while the following steps go on (`until: server NAME available` waits for the end)',
    fields: { for: 'duration', at: 'duration', server: 'string' }, expects: ['ok', 'status', 'json'],
  },
  delay: { value: 'duration', valueName: 'duration', summary: 'waits a fixed time (`250ms`, `2s`; at most 60 s)', fields: {}, expects: [] },
  pop3: {
    value: 'string', valueName: 'session', summary: 'a POP3 session: node-pop3 (`login`, `stat`, `list`, `uidl`, `retr`, `top`, `dele`, `rset`, `noop`, `quit`) or raw lines (`open`, `send`, `close`)',
    actions: { open: 'true', send: 'string', close: 'true', login: 'credentials', stat: 'true', list: 'int-or-true', uidl: 'int-or-true',
      retr: 'int', top: 'map', dele: 'int', rset: 'true', noop: 'true', quit: 'true' },
    fields: { server: 'string', tls: 'bool' }, expects: [...REPLY_EXPECTS, 'log'],
  },
  imap: {
    value: 'string', valueName: 'session', summary: 'an IMAP session: imapflow (`login`, `select`, `status`, `list`, `fetch`, `append`, `delete`, `flag`, `noop`, `logout`) or raw lines (`open`, `send`, `close`)',
    actions: { open: 'true', send: 'string', close: 'true', login: 'credentials', select: 'string', status: 'string', list: 'true',
      fetch: 'string-or-int', append: 'map', delete: 'int', flag: 'map', noop: 'true', logout: 'true' },
    fields: { server: 'string', mailbox: 'string', tls: 'bool' }, expects: [...REPLY_EXPECTS, 'log'],
  },
  smtp: {
    value: 'string', valueName: 'session', summary: 'an SMTP submission session: nodemailer (STARTTLS trusting the site CA; `login` (AUTH), `send` a message (`to`, `subject`, `body` or `raw`, `from`) on the same connection, `quit`) or raw lines (`open`, `send: LINE`, `close`)',
    actions: { open: 'true', login: 'credentials', send: 'string-or-map', quit: 'true', close: 'true' },
    fields: { server: 'string' }, expects: ['ok', 'reply', 'lines', 'match', 'text', 'notText', 'behaviour', 'suppressed', 'noBehaviour', 'variant', 'json'],
  },
  web: {
    value: 'string', valueName: 'session', summary: 'a browser session of the web service (cookies kept): `get`, `post` (with `form`), `frame` (loads a frame of the last page by name)',
    actions: { get: 'string', post: 'string', frame: 'string' },
    fields: { server: 'string', form: 'map' }, expects: ['ok', 'status', 'text', 'notText', 'match', 'occurrences', ...FIRED],
  },
  ame: {
    value: 'string', valueName: 'session', summary: 'an application execution module client: `call` a function with `args`, or list `functions`',
    actions: { call: 'string', functions: 'true' },
    fields: { server: 'string', user: 'string', password: 'string', args: 'map' }, expects: ['ok', 'rc', 'status', 'json', 'match', ...FIRED],
  },
  desktop: {
    value: 'string', valueName: 'session', summary: 'a desktop client (Admin, Directory, Mail, Calendar, Forum, Simple MAPI, level-up tool): `call: SERVICE/OPERATION` with `body`',
    actions: { call: 'string' },
    fields: { user: 'string', password: 'string', body: 'map' }, expects: ['ok', 'dialog', 'status', 'json', 'match', ...FIRED],
  },
  gateway: {
    value: 'string', valueName: 'operation', summary: 'a gateway operation: `x400 receive|reload|change-details`, `fax receive|reload|report`, with `body`',
    fields: { body: 'map' }, expects: ['ok', 'status', 'json', 'match', ...FIRED],
  },
  searchpro: {
    value: 'string', valueName: 'operation', summary: 'a SearchPro operation (`index`), with `body`',
    fields: { body: 'map' }, expects: ['ok', 'status', 'json', 'match', ...FIRED],
  },
  api: {
    value: 'string', valueName: 'request', summary: 'any control API call: `METHOD /api/path`, with `body`',
    fields: { body: 'any' }, expects: ['ok', 'status', 'json', 'match', 'refused', 'warning', ...FIRED],
  },
  deliver: { value: 'map', valueName: 'message', summary: 'delivers a mail to a user\'s INBOX (`to`, and `subject`/`body`/`from` or `raw`)', fields: {}, expects: ['ok', 'json'] },
  user: { value: 'map', valueName: 'account', summary: 'creates a user account (`name`, `password`, optional `homeServer`, `displayName`...)', fields: {}, expects: ['ok', 'status', 'json'] },
  policy: { value: 'map', valueName: 'policies', summary: 'sets behaviour policies: `ID: always|never` or `ID: {mode, probability, seed, variant}`', fields: {}, expects: ['ok'] },
  reseed: { value: 'int', valueName: 'seed', summary: 'resets every policy and restarts the draws with a new seed', fields: {}, expects: ['ok'] },
  check: {
    value: 'string', valueName: 'what', summary: 'a data check: `messages` (`user`, `folder`, `count`|`min`), `staging` (`server`, `writes`|`min`), `hash` (`server`, `file`, `remember`|`same`|`changed`), `status` (`server`, `service`, `backupMode`, `webArchive`, `backupDone`), `fired` (`behaviour`, `count`|`min`), `logged` (`text`, `count`|`min`: gateway/SearchPro log lines containing the text); `site: restored` checks the restored copy',
    fields: { user: 'string', folder: 'string', count: 'int', min: 'int', server: 'string', writes: 'int', file: 'string', remember: 'string', same: 'string',
      changed: 'string', service: 'string', backupMode: 'string', webArchive: 'string', backupDone: 'bool', behaviour: 'string', site: 'string', text: 'string' },
    expects: [],
  },
  restore: { value: 'any', valueName: 'source', summary: 'restores the backups taken so far (`last`, or a directory) into a fresh data directory and starts a site on it for `check ... site: restored`', fields: {}, expects: ['ok', 'match'] },
  background: {
    value: 'string', valueName: 'loop name', summary: 'starts `steps` looping in the background, concurrently with the steps that follow, until `stop: NAME` (or the end of the scenario); every background step must meet its expectations on every round',
    fields: { steps: 'steps' }, expects: [],
  },
  stop: { value: 'string', valueName: 'loop name', summary: 'stops a background loop after its current round; fails with the first background step that failed; `min: N` asks for at least N complete rounds', fields: { min: 'int' }, expects: [] },
  repeat: { value: 'int-or-true', valueName: 'times', summary: 'runs `steps` N times; with `soak: true` and `--soak DURATION` it loops until the duration has passed instead', fields: { steps: 'steps', soak: 'bool' }, expects: [] },
};

export const CHECKS: Record<string, { required: string[]; optional: string[] }> = {
  messages: { required: ['user'], optional: ['folder', 'count', 'min', 'site'] },
  staging: { required: ['server'], optional: ['writes', 'min'] },
  hash: { required: ['server'], optional: ['file', 'remember', 'same', 'changed', 'site'] },
  status: { required: ['server'], optional: ['service', 'backupMode', 'webArchive', 'backupDone', 'site'] },
  fired: { required: ['behaviour'], optional: ['count', 'min'] },
  logged: { required: ['text'], optional: ['count', 'min'] },
};

/** What each expectation means, for docs/scenarios.md and `--help`. */
export const EXPECT_DOCS: Record<keyof Expect, string> = {
  ok: 'the step succeeded (+OK / OK / HTTP 2xx / rc 0 / `ok: true` / command done); implied when a step has no `expect`',
  reply: 'the reply\'s first line, exactly (POP3 `-ERR ...`, IMAP `NO ...` without the tag)',
  lines: 'every line of the reply, exactly and in order (raw sessions)',
  match: 'a regular expression the whole reply (or page, or JSON) matches',
  text: 'text (or a list of texts) the page or reply contains',
  notText: 'text the page or reply must not contain',
  occurrences: '`{text, count}`: the text appears exactly `count` times in the page',
  behaviour: 'a catalog behaviour id (or a list) fired during the step',
  suppressed: 'a behaviour id whose policy said "not this time" during the step',
  noBehaviour: 'no catalog behaviour fired during the step',
  variant: 'the alternative the fired behaviour used (e.g. `rc-10`, `coded`)',
  status: 'the HTTP status',
  rc: 'the application execution module\'s return code (or a list of allowed codes)',
  dialog: 'the dialog text(s) a desktop client shows, exactly and in order',
  json: '`{dotted.path: value}` pairs the JSON answer holds',
  refused: 'the command was refused: an ordering rule id, or `{rule, code}`',
  warning: 'lenient mode: the command ran and broke this rule (or list of rules) on purpose',
  log: 'a gateway or SearchPro log line (exact) emitted during the step',
};

export const DEFAULT_TIMEOUT_MS = 10_000;
