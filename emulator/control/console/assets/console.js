// twemu training console (no build step, no framework). Everything shown is
// built with textContent: messages from the site are never parsed as HTML.
'use strict';

const EVENT_TYPES = ['behaviour', 'behaviour-suppressed', 'state', 'command', 'refused', 'warning', 'gateway-log', 'login-failed', 'staging', 'backup', 'client', 'info'];
/** Events after which the server cards are fetched again. */
const REFRESH_ON = new Set(['state', 'command', 'staging', 'backup', 'refused', 'warning', 'info', 'gateway-log']);
/** Names of the background services that report a state in the server status. */
const EXTENSION_NAMES = { x400: 'X.400', fax: 'Fax', searchpro: 'SearchPro', mime: 'MIME' };
const QUIET_STATES = new Set(['running', 'idle', 'stopped']);
const FEED_MAX = 200;
const SERVICE_NAMES = { available: 'AVAILABLE', suspended: 'SUSPENDED' };

let state = null;
/** Behaviour id -> 'seed' (documented in the administrator guide) or 'emulator' (an emulator default). */
const sources = new Map();
let lastSeq = 0;
let pickersFilled = false;
const levels = new Map(); // server -> chosen backup level for step 5

const $ = (id) => document.getElementById(id);

/** Creates an element: el('li', {class: 'x', dataset: {step: 1}}, 'text', child, ...). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/** Calls the control endpoint with the console's cookie; state-changing calls carry the console header (CSRF). */
async function call(method, path, body) {
  const headers = { 'x-twemu-console': '1', accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    location.assign('/console');
    throw new Error('logged out');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  return { status: res.status, data };
}

// ---- server cards -----------------------------------------------------

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function stepRow(server, step) {
  const cls = [step.applies ? '' : 'na', step.done ? 'done' : '', step.next ? 'next' : ''].filter(Boolean).join(' ');
  const controls = [];
  if (step.procedure === 'backup') {
    const level = el('select', { class: 'level', 'aria-label': `backup level for ${server.name}`, onchange: (e) => levels.set(server.name, e.target.value) },
      ...[0, 1, 2].map((n) => el('option', { value: n, selected: String(levels.get(server.name) ?? '0') === String(n) }, `level ${n}`)));
    controls.push(level);
    controls.push(el('button', {
      type: 'button', disabled: !state.backupsApi, title: state.backupsApi ? '' : 'the backup API (POST /api/backups) is not available',
      onclick: () => runBackup(server.name, Number(levels.get(server.name) ?? 0)),
    }, 'run'));
  } else {
    controls.push(el('button', { type: 'button', disabled: !step.applies, onclick: () => runCommand(step.procedure, server.name) }, 'run'));
  }
  const title = step.procedure === 'backup' ? 'twemu backup' : step.command;
  return el('li', { class: cls, dataset: { step: step.step, done: step.done, next: step.next } },
    el('span', { class: 'num' }, `${step.step}.`),
    el('span', { class: 'mark', 'aria-label': step.done ? 'done' : step.next ? 'next' : '' }),
    el('span', { class: 'cmd', title: step.title }, title, el('small', {}, step.title)),
    el('span', { class: 'controls' }, ...controls));
}

function card(server) {
  const staging = server.staging ? `${server.staging.writes} write(s), ${fmtBytes(server.staging.bytes)}` : '—';
  const backup = server.backupDone
    ? `yes${server.lastBackup ? ` (level ${server.lastBackup.level})` : ''}`
    : server.lastBackup ? `no (last: level ${server.lastBackup.level})` : 'no';
  const facts = el('dl', { class: 'facts' },
    el('dt', {}, 'backup'), el('dd', { class: server.backupMode !== 'off' ? 'hot' : '', dataset: { field: 'backupMode' } }, server.backupMode.toUpperCase()),
    el('dt', {}, 'staging'), el('dd', { dataset: { field: 'staging' } }, staging),
    el('dt', {}, 'archive'), el('dd', { dataset: { field: 'webArchive' } }, server.webArchive),
    el('dt', {}, 'backed up'), el('dd', { dataset: { field: 'backupDone' } }, backup));
  const extensions = Object.entries(server)
    .filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v) && typeof v.state === 'string')
    .map(([key, v]) => {
      const extra = typeof v.restarts === 'number' && v.restarts > 0 ? ` (${v.restarts} restarts)` : v.indexing && typeof v.progress === 'number' ? ` ${v.progress}%` : '';
      return el('span', { class: `ext ${QUIET_STATES.has(v.state) ? '' : 'busy'}`, dataset: { ext: key, state: v.state } }, `${EXTENSION_NAMES[key] ?? key} ${v.state}${extra}`);
    });
  if (server.needsLevel0) extensions.push(el('span', { class: 'ext busy', dataset: { ext: 'needsLevel0' } }, 'next backup must be level 0'));
  const list = el('ol', { class: 'checklist', 'aria-label': `procedure on ${server.name}` }, ...server.checklist.steps.map((s) => stepRow(server, s)));
  return el('article', { class: `card ${server.service}`, dataset: { server: server.name, service: server.service, next: server.checklist.next ?? '' } },
    el('div', { class: 'card-head' },
      el('h3', {}, server.name),
      el('span', { class: 'role' }, server.role),
      el('span', { class: `service ${server.service}`, dataset: { field: 'service' } }, SERVICE_NAMES[server.service] ?? server.service)),
    facts,
    extensions.length ? el('div', { class: 'exts' }, ...extensions) : null,
    list,
    server.checklist.waiting ? el('p', { class: 'waiting' }, `waiting: ${server.checklist.waiting}`) : null);
}

function renderServers() {
  const root = $('servers');
  const dirs = state.servers.filter((s) => s.role === 'directory');
  const apps = state.servers.filter((s) => s.role !== 'directory');
  const tiers = [];
  if (dirs.length) tiers.push(el('div', { class: 'tier-label' }, 'directory server'), el('div', { class: 'tier' }, ...dirs.map(card)));
  if (apps.length) {
    if (dirs.length) tiers.push(el('div', { class: 'tier-label' }, 'application servers'));
    tiers.push(el('div', { class: 'tier' }, ...apps.map(card)));
  }
  root.replaceChildren(...tiers);
  $('topology').textContent = `${state.topology}-server site`;
}

function fillPickers() {
  if (pickersFilled) return;
  pickersFilled = true;
  const names = state.servers.map((s) => s.name);
  $('command-server').replaceChildren(el('option', { value: 'all' }, 'all servers'), ...names.map((n) => el('option', { value: n }, n)));
  if (names.length === 1) $('command-server').value = names[0];
  const clientServers = state.servers.filter((s) => s.services.includes('pop3')).concat(state.servers.filter((s) => !s.services.includes('pop3')));
  $('demo-server').replaceChildren(...clientServers.map((s) => el('option', { value: s.name }, `${s.name}${s.services.includes('pop3') ? '' : ' (no POP3/IMAP)'}`)));
  $('lenient').checked = Boolean(state.lenient);
  void loadFunctions();
}

let refreshTimer = null;
function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void refresh();
  }, 80);
}

async function refresh() {
  const { status, data } = await call('GET', '/console/state');
  if (status !== 200) return;
  state = data;
  fillPickers();
  renderServers();
}

// ---- commands ---------------------------------------------------------

function showResult(kind, title, ...lines) {
  const box = $('result');
  box.className = `result ${kind}`;
  box.dataset.kind = kind;
  box.replaceChildren(el('span', { class: 'title' }, title), ...lines.filter(Boolean).map((l) => el('div', {}, l)));
}

/** Events of one type that arrived since `seq` (the exact rule and message of a refusal or a warning). */
async function eventsSince(seq, type) {
  const { status, data } = await call('GET', `/api/events?format=json&since=${seq}&type=${type}`);
  return status === 200 ? data.events : [];
}

async function runCommand(command, server, lenientOverride) {
  const lenient = lenientOverride ?? $('lenient').checked;
  const before = lastSeq;
  showResult('ok', `running ${command} on ${server} ...`);
  const { status, data } = await call('POST', '/api/commands', { command, server, lenient });
  if (status === 200) {
    const warnings = data.results.flatMap((r) => r.warnings.map((w) => ({ server: r.server, rule: w })));
    const done = data.results.map((r) => r.server).join(', ');
    const skipped = data.skipped.length ? `already in effect on ${data.skipped.join(', ')}` : '';
    if (warnings.length) {
      const events = await eventsSince(before, 'warning');
      const lines = warnings.map((w) => {
        const e = events.find((x) => x.rule === w.rule && x.server === w.server);
        return `WARNING (rule ${w.rule}): ${e?.message ?? 'rule broken on purpose'}`;
      });
      showResult('warning', `${command}: done on ${done}, out of order (lenient mode)`, ...lines, skipped);
    } else {
      showResult('ok', `${command}: done on ${done || 'no server'}`, skipped);
    }
  } else if (status === 409) {
    const refused = (await eventsSince(before, 'refused')).pop();
    showResult('refused', `REFUSED: ${data.message}`,
      refused?.rule ? `rule: ${refused.rule}` : `code: ${data.error}`,
      data.hint ? `what to do: ${data.hint}` : '');
  } else {
    showResult('refused', `ERROR: ${data?.message ?? `HTTP ${status}`}`, data?.hint ? `what to do: ${data.hint}` : '');
  }
  await refresh();
}

async function runBackup(server, level, dest) {
  const target = dest ?? state.backupDest;
  showResult('ok', `running the level ${level} backup of ${server} ...`);
  const { status, data } = await call('POST', '/api/backups', { server, level, dest: target });
  if (status === 200) {
    const done = (data.manifests ?? []).map((m) => m.server ?? '').filter(Boolean).join(', ');
    showResult('ok', `twemu backup --level ${level}: done${done ? ` on ${done}` : ` on ${server}`}`, `written to ${target}`);
  } else if (status === 404 && !state.backupsApi) {
    showResult('refused', 'the backup API is not available in this build', 'run `twemu backup --level N --dest DIR` in a terminal');
  } else {
    showResult('refused', `${status === 409 ? 'REFUSED' : 'ERROR'}: ${data?.message ?? `HTTP ${status}`}`, data?.hint ? `what to do: ${data.hint}` : '');
  }
  await refresh();
}

/** The command box: documented commands as typed, with optional --server, --level, --dest, --lenient/--strict. */
function parseTyped(text) {
  const opts = {};
  let rest = ` ${text.trim()}`.replace(/^\s*twemu\s+/, ' ');
  rest = rest.replace(/\s--(server|level|dest)(?:=|\s+)(\S+)/g, (_m, k, v) => {
    opts[k] = v;
    return '';
  });
  rest = rest.replace(/\s--(lenient|strict)\b/g, (_m, k) => {
    opts[k] = true;
    return '';
  });
  return { command: rest.trim().replace(/\s+/g, ' '), ...opts };
}

async function onCommandSubmit(event) {
  event.preventDefault();
  const typed = parseTyped($('command').value);
  if (!typed.command) {
    showResult('refused', 'type a command first', 'for example: to tran suspend');
    return;
  }
  const server = typed.server ?? $('command-server').value;
  const lenient = typed.lenient ? true : typed.strict ? false : undefined;
  if (/^backup\b/i.test(typed.command)) {
    const level = Number(typed.level ?? 0);
    if (![0, 1, 2].includes(level)) {
      showResult('refused', 'ERROR: --level must be 0, 1 or 2');
      return;
    }
    await runBackup(server, level, typed.dest);
  } else {
    await runCommand(typed.command, server, lenient);
  }
}

// ---- demo client -------------------------------------------------------

async function loadFunctions() {
  const server = $('demo-server').value;
  const select = $('demo-function');
  select.replaceChildren(el('option', { value: '' }, '(first listed)'));
  if (!server) return;
  const { status, data } = await call('GET', `/console/demo/ame-functions?server=${encodeURIComponent(server)}`);
  if (status !== 200) return;
  for (const f of data.functions) {
    const remote = f.touchesServer ?? f.server ?? f.accessesServer ?? f.remote;
    select.append(el('option', { value: f.name }, `${f.name}${remote === true ? ' (server)' : remote === false ? ' (local)' : ''}`));
  }
}

function transcriptLine(line) {
  const err = line.from === 'S' && /^(-ERR|\S+ (NO|BAD)\b|\* BYE|HTTP [45]\d\d)/.test(line.text);
  const prefix = line.from === 'note' ? '' : `${line.from}: `;
  return el('div', { class: `${line.from}${err ? ' err' : ''}` }, line.from === 'note' ? `(${line.text})` : `${prefix}${line.text}`);
}

async function runDemo(kind) {
  const box = $('demo-result');
  const body = { server: $('demo-server').value, user: $('demo-user').value.trim() || undefined, password: $('demo-password').value };
  if (kind === 'web-page') body.path = $('demo-path').value.trim() || '/';
  if (kind === 'api-call' && $('demo-function').value) body.function = $('demo-function').value;
  box.replaceChildren(el('div', { class: 'note' }, `(${kind} on ${body.server} ...)`));
  const { status, data } = await call('POST', `/console/demo/${kind}`, body);
  if (status !== 200) {
    box.replaceChildren(el('div', { class: 'note' }, `(${data?.message ?? `HTTP ${status}`}${data?.hint ? `; ${data.hint}` : ''})`));
    return;
  }
  box.dataset.kind = kind;
  box.replaceChildren(
    el('div', { class: 'note' }, `(${data.client} client on ${data.server} as ${data.user})`),
    el('div', { class: `summary ${data.ok ? 'ok' : 'err'}`, lang: 'ja' }, `=> ${data.summary}`),
    ...data.lines.map(transcriptLine));
}

// ---- live feed ---------------------------------------------------------

function time(iso) {
  return typeof iso === 'string' ? iso.slice(11, 19) : '';
}

function feedItem(e) {
  const meta = el('div', { class: 'meta' }, `#${e.seq} ${time(e.time)}${e.server ? ` · ${e.server}` : ''}${e.client ? ` · ${e.client}` : ''}${e.user ? ` · ${e.user}` : ''}`);
  const body = [];
  const kind = (label) => el('span', { class: 'kind' }, label);
  switch (e.type) {
    case 'behaviour':
    case 'behaviour-suppressed': {
      const source = sources.get(e.behaviour);
      const badge = source ? el('span', { class: `source ${source}`, dataset: { source } }, source === 'seed' ? 'documented' : 'emulator default') : null;
      body.push(el('div', {}, kind(e.type === 'behaviour' ? 'behaviour fired' : 'behaviour suppressed by policy'), ' ', el('code', {}, e.behaviour ?? ''), e.operation ? ` on ${e.operation}` : '', e.variant ? ` (${e.variant})` : '', ' ', badge));
      const messages = e.messages?.length ? e.messages : e.message ? [e.message] : [];
      for (const m of messages) body.push(el('span', { class: 'jp', lang: 'ja' }, m));
      break;
    }
    case 'client':
      body.push(el('div', {}, kind('client saw'), ` ${e.client ?? ''} ${e.operation ?? ''}`));
      body.push(el('span', { class: 'jp', lang: 'ja' }, e.message ?? ''));
      break;
    case 'refused':
      body.push(el('div', {}, kind('refused'), ` ${e.operation ?? ''}`));
      body.push(el('div', { class: 'text' }, e.message ?? ''));
      if (e.rule) body.push(el('div', {}, 'rule: ', el('span', { class: 'rule' }, e.rule)));
      break;
    case 'warning':
      body.push(el('div', {}, kind('warning'), ` ${e.operation ?? ''}`));
      body.push(el('div', { class: 'text' }, e.message ?? ''));
      if (e.rule) body.push(el('div', {}, 'rule: ', el('span', { class: 'rule' }, e.rule)));
      break;
    case 'state': {
      const after = e.data?.after ?? {};
      const facts = ['service', 'backupMode', 'webArchive', 'backupDone'].filter((k) => k in after).map((k) => `${k}=${after[k]}`).join(' ');
      body.push(el('div', {}, kind('state'), ` ${e.operation ?? ''}`));
      if (facts) body.push(el('div', { class: 'text' }, facts));
      break;
    }
    default:
      body.push(el('div', {}, kind(e.type), e.operation ? ` ${e.operation}` : ''));
      if (e.message) body.push(el('div', { class: 'text', lang: 'ja' }, e.message));
  }
  return el('li', { class: e.type, dataset: { type: e.type, seq: e.seq, behaviour: e.behaviour ?? '' } }, meta, ...body);
}

function onEvent(e) {
  if (!e || typeof e.seq !== 'number' || e.seq <= lastSeq) return;
  lastSeq = e.seq;
  const feed = $('feed');
  feed.prepend(feedItem(e));
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
  if (REFRESH_ON.has(e.type)) scheduleRefresh();
}

function setConnection(live) {
  const pill = $('connection');
  pill.className = `pill ${live ? 'on' : 'off'}`;
  pill.textContent = live ? 'feed: live' : 'feed: reconnecting';
  pill.dataset.live = String(live);
}

async function startFeed() {
  const catalog = await call('GET', '/api/catalog');
  if (catalog.status === 200) for (const b of catalog.data.behaviours ?? []) sources.set(b.id, b.source);
  const { status, data } = await call('GET', '/api/events?format=json');
  if (status === 200) {
    for (const e of data.events.slice(-50)) onEvent(e);
    lastSeq = Math.max(lastSeq, data.lastSeq);
  }
  const source = new EventSource(`/api/events?since=${lastSeq}`);
  for (const type of EVENT_TYPES) source.addEventListener(type, (m) => onEvent(JSON.parse(m.data)));
  source.onopen = () => setConnection(true);
  source.onerror = () => setConnection(false);
}

// ---- start ---------------------------------------------------------------

async function main() {
  $('command-form').addEventListener('submit', (e) => void onCommandSubmit(e));
  $('demo-server').addEventListener('change', () => void loadFunctions());
  for (const b of document.querySelectorAll('[data-demo]')) b.addEventListener('click', () => void runDemo(b.dataset.demo));
  await refresh();
  await startFeed();
  document.body.dataset.ready = 'true';
}

void main();
