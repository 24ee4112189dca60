// twemu training console (no build step, no framework). Everything shown is
// built with textContent: messages from the site are never parsed as HTML.
'use strict';

const EVENT_TYPES = ['behaviour', 'behaviour-suppressed', 'state', 'command', 'refused', 'warning', 'gateway-log', 'login', 'login-failed', 'staging', 'backup', 'client', 'scenario', 'info'];
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
/** Time formatter in the site's time zone (set from /console/state). */
let clock = null;
/** The feed shows events after this sequence number ("Clear" moves it; kept for the browser session). */
let clearedAt = Number(sessionStorage.getItem('twemu-feed-cleared') ?? 0);

const $ = (id) => document.getElementById(id);

/** Creates an element: el('li', {class: 'x', dataset: {step: 1}}, 'text', child, ...). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') Object.assign(node.style, v); // CSSOM, which the page's CSP allows (a style attribute it would not)
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

/** A step's run button: named for a screen reader, enabled only when running it is the point (strict: not done, not blocked). */
function runAllowed(step) {
  if (!step.applies || step.done) return false;
  return step.runnable || $('lenient').checked;
}

function stepRow(server, step) {
  const cls = [step.applies ? '' : 'na', step.done ? 'done' : '', step.next ? 'next' : ''].filter(Boolean).join(' ');
  const controls = [];
  const title = step.procedure === 'backup' ? 'twemu backup' : step.command;
  const label = `run step ${step.step} (${title}) on ${server.name}${step.done ? ', done' : !step.runnable ? ', blocked' : ''}`;
  if (step.procedure === 'backup') {
    const level = el('select', { class: 'level', 'aria-label': `backup level for ${server.name}`, dataset: { focus: `level-${server.name}` }, onchange: (e) => levels.set(server.name, e.target.value) },
      ...[0, 1, 2].map((n) => el('option', { value: n, selected: String(levels.get(server.name) ?? '0') === String(n) }, `L${n}`)));
    controls.push(level);
    controls.push(el('button', {
      type: 'button', disabled: !state.backupsApi || !runAllowed(step), 'aria-label': label, dataset: { focus: `run-${server.name}-${step.step}` },
      title: state.backupsApi ? '' : 'the backup API (POST /api/backups) is not available',
      onclick: () => runBackup(server.name, Number(levels.get(server.name) ?? 0)),
    }, 'run'));
  } else {
    controls.push(el('button', { type: 'button', disabled: !runAllowed(step), 'aria-label': label, dataset: { focus: `run-${server.name}-${step.step}` }, onclick: () => runCommand(step.procedure, server.name) }, 'run'));
  }
  return el('li', { class: cls, dataset: { step: step.step, done: step.done, next: step.next } },
    el('span', { class: 'num' }, `${step.step}.`),
    el('span', { class: 'mark', 'aria-label': step.done ? 'done' : step.next ? 'next' : '' }),
    el('span', { class: 'cmd', title: `${title}: ${step.title}` }, title),
    el('span', { class: 'controls' }, ...controls));
}

const sessionCount = (s) => (s ? s.pop3 + s.imap + s.web : 0);

function card(server) {
  const staging = server.staging ? `${server.staging.writes} write(s), ${fmtBytes(server.staging.bytes)}` : '—';
  const backup = server.backupDone
    ? `yes${server.lastBackup ? ` (level ${server.lastBackup.level})` : ''}`
    : server.lastBackup ? `no (last: level ${server.lastBackup.level})` : 'no';
  const fact = (label, field, value, cls) => el('div', { class: `fact ${field}` }, el('dt', {}, label), el('dd', { class: cls, dataset: { field } }, value));
  const facts = el('dl', { class: 'facts' },
    fact('backup', 'backupMode', server.backupMode.toUpperCase(), server.backupMode !== 'off' ? 'hot' : ''),
    fact('archive', 'webArchive', server.webArchive),
    fact('backed up', 'backupDone', backup),
    fact('staging', 'staging', staging));
  // Client use during the backup (19.3.1: keep it to a minimum): the sessions open now, beside the staging count, during a cycle.
  if (state?.procedure?.cycle?.current) {
    const dd = facts.querySelector('[data-field="staging"]');
    dd.title = `client sessions open: POP3 ${server.sessions?.pop3 ?? 0}, IMAP ${server.sessions?.imap ?? 0}, web ${server.sessions?.web ?? 0}`;
    // Beside the count (not inside it: a write updates the count's text alone).
    dd.after(el('span', { class: sessionCount(server.sessions) > 0 ? 'clients hot' : 'clients', dataset: { field: 'sessions' }, title: dd.title }, ` · ${sessionCount(server.sessions)} client(s)`));
  }
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

/** Re-rendering replaces the cards: the control that had the focus gets it back (keyboard users stay where they were). */
function keepFocus(render) {
  const key = document.activeElement?.dataset?.focus;
  render();
  if (!key) return;
  const again = document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (again && !again.disabled) {
    again.focus();
    return;
  }
  // The step just run is done now (its button disabled): the card's next step, else its first control, else the command box.
  const card = again?.closest('article.card');
  const target = card?.querySelector('li.next button:not(:disabled)') ?? card?.querySelector('button:not(:disabled), select') ?? $('command');
  target.focus();
}

function renderServers() {
  const root = $('servers');
  const dirs = state.servers.filter((s) => s.role === 'directory');
  const apps = state.servers.filter((s) => s.role !== 'directory');
  keepFocus(() => root.replaceChildren(...dirs.map(card), ...apps.map(card)));
  root.dataset.count = String(state.servers.length);
  $('topology').textContent = `${state.topology}-server site`;
  renderNext();
}

/** The "next step" button: what the site runs next, on which servers, or why nothing can run. */
function renderNext() {
  const button = $('next-step');
  const why = $('next-step-why');
  const next = state.next;
  if (next && next.step) {
    button.disabled = false;
    button.textContent = `Next: ${next.step.step}. ${next.step.procedure === 'backup' ? 'twemu backup' : next.step.command}`;
    button.dataset.step = String(next.step.step);
    button.title = `runs on ${next.servers.join(', ')} (documented order)`;
    why.textContent = '';
  } else {
    button.disabled = true;
    button.textContent = 'Next step';
    button.dataset.step = '';
    why.textContent = next?.waiting ? `waiting: ${next.waiting}` : '';
  }
}

async function runNextStep() {
  const next = state?.next;
  if (!next?.step) return;
  if (next.step.procedure === 'backup') await runBackup('all', Number(levels.get('all') ?? 0));
  else await runCommand(next.step.procedure, 'all');
}

function homeOf(user) {
  return state.users?.find((u) => u.name === user)?.homeServer ?? null;
}

function fillPickers() {
  if (pickersFilled) return;
  pickersFilled = true;
  const names = state.servers.map((s) => s.name);
  $('command-server').replaceChildren(el('option', { value: 'all' }, 'all servers'), ...names.map((n) => el('option', { value: n }, n)));
  if (names.length === 1) $('command-server').value = names[0];
  const users = [...(state.users ?? [])].sort((a, b) => Number(a.isAdmin) - Number(b.isAdmin) || a.name.localeCompare(b.name));
  $('demo-user').replaceChildren(...users.map((u) => el('option', { value: u.name }, `${u.name} (home ${u.homeServer})`)));
  const first = users.find((u) => u.name === 'alice') ?? users.find((u) => !u.isAdmin) ?? users[0];
  if (first) $('demo-user').value = first.name;
  $('demo-server').replaceChildren(...state.servers.map((s) => el('option', { value: s.name }, `${s.name}${s.services.includes('pop3') ? '' : ' (no POP3/IMAP)'}`)));
  followHome();
  $('lenient').checked = Boolean(state.lenient);
  clock = new Intl.DateTimeFormat('en-GB', { timeZone: state.timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  $('timezone').textContent = `times: ${state.timeZone}`;
  void loadFunctions();
}

/** The server picker follows the user's home server (where their mail, POP3 and IMAP live). */
function followHome() {
  const home = homeOf($('demo-user').value);
  if (home && [...$('demo-server').options].some((o) => o.value === home)) $('demo-server').value = home;
  for (const o of $('demo-server').options) o.textContent = `${o.value}${o.value === home ? ` (${$('demo-user').value}'s home)` : ''}${state.servers.find((s) => s.name === o.value)?.services.includes('pop3') ? '' : ' (no POP3/IMAP)'}`;
}

/** `fn` at most once per `ms`: the calls made meanwhile fold into the one already waiting. */
function coalesced(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void fn();
    }, ms);
  };
}

const scheduleRefresh = coalesced(() => refresh(), 80);

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
  } else if (data?.error === 'E_UNKNOWN_COMMAND') {
    showResult('refused', `ERROR: ${data.message}`, 'what to do: type one of to tran suspend, to backup on, tobkweb arc, to tran resume, twemu backup --level N, tobkweb rm, to backup off (optionally --server NAME)');
  } else {
    showResult('refused', `ERROR: ${data?.message ?? `HTTP ${status}`}`, data?.hint ? `what to do: ${data.hint}` : '');
  }
  await refresh();
}

async function runBackup(server, level, dest, lenientOverride) {
  const target = dest ?? state.backupDest;
  const lenient = lenientOverride ?? $('lenient').checked;
  showResult('ok', `running the level ${level} backup of ${server} ...`);
  const { status, data } = await call('POST', '/api/backups?wait=true', { server, level, dest: target, lenient });
  if (status === 200) {
    const done = (data.manifests ?? []).map((m) => m.server ?? '').filter(Boolean).join(', ');
    const broken = [...new Set((data.manifests ?? []).flatMap((m) => m.warnings ?? []))];
    showResult(broken.length ? 'warning' : 'ok', `twemu backup --level ${level}: done${done ? ` on ${done}` : ` on ${server}`}${broken.length ? ', out of order (lenient mode)' : ''}`,
      `written to ${target}`, ...broken.map((r) => `WARNING (rule ${r})`));
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
  let rest = ` ${text.trim()}`.replace(/^\s*(?:npx\s+)?twemu\s+/, ' ');
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
    await runBackup(server, level, typed.dest, lenient);
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

function demoBody(kind) {
  const body = { server: $('demo-server').value, user: $('demo-user').value || undefined, password: $('demo-password').value };
  if (kind === 'web-page') body.path = $('demo-path').value.trim() || '/';
  if (kind === 'api-call' && $('demo-function').value) body.function = $('demo-function').value;
  return body;
}

/** One client acts; its box shows the answer, and (for a run the instructor clicked) the transcript below. */
/** The latest request per client kind: an answer that arrives after a newer request was made is stale and not shown. */
const demoRequests = new Map();

async function runDemo(kind, opts = {}) {
  const box = $('demo-result');
  const seen = $(`seen-${kind}`);
  const body = demoBody(kind);
  const ticket = (demoRequests.get(kind) ?? 0) + 1;
  demoRequests.set(kind, ticket);
  const stale = () => demoRequests.get(kind) !== ticket;
  seen.dataset.state = 'running';
  seen.querySelector('.answer').textContent = '...';
  if (!opts.auto) box.replaceChildren(el('div', { class: 'note' }, `(${kind} on ${body.server} ...)`));
  const { status, data } = await call('POST', `/console/demo/${kind}`, { ...body, ...(opts.auto ? { feed: false } : {}) });
  if (stale()) return;
  if (status !== 200) {
    const text = `${data?.message ?? `HTTP ${status}`}${data?.hint ? `; ${data.hint}` : ''}`;
    seen.dataset.state = 'error';
    seen.querySelector('.answer').textContent = text;
    if (!opts.auto) box.replaceChildren(el('div', { class: 'note' }, `(${text})`));
    return;
  }
  seen.dataset.state = data.behaviours?.length ? 'behaviour' : data.ok ? 'ok' : 'error';
  seen.dataset.server = data.server;
  seen.dataset.behaviours = (data.behaviours ?? []).join(' ');
  seen.title = data.behaviours?.length ? `${data.summary} (catalog: ${data.behaviours.join(', ')})` : data.summary;
  seen.querySelector('.answer').textContent = data.summary;
  seen.querySelector('.answer').lang = 'ja';
  seen.transcript = data;
  if (!opts.auto) showTranscript(data, kind);
}

function showTranscript(data, kind) {
  const box = $('demo-result');
  box.dataset.kind = kind;
  box.replaceChildren(
    el('div', { class: 'note' }, `(${data.client} client on ${data.server} as ${data.user})`),
    el('div', { class: `summary ${data.ok ? 'ok' : 'err'}`, lang: 'ja' }, `=> ${data.summary}`),
    ...data.lines.map(transcriptLine));
}

let clientsTimer = null;
let clientsRound = 0;
/** Every client again after a state change, one after the other, so the room sees each answer change; a newer round replaces an older one. */
function scheduleClients() {
  if (clientsTimer) clearTimeout(clientsTimer);
  clientsTimer = setTimeout(async () => {
    clientsTimer = null;
    const round = ++clientsRound;
    for (const kind of ['pop3-login', 'imap-login', 'web-page', 'api-call', 'smtp-login']) {
      if (round !== clientsRound) return;
      await runDemo(kind, { auto: true });
    }
  }, 150);
}

// ---- live feed ---------------------------------------------------------

function time(iso) {
  if (typeof iso !== 'string') return '';
  return clock ? clock.format(new Date(iso)) : iso.slice(11, 19);
}

/** How the console names each provenance of a part. */
const PROVENANCE_LABEL = { seed: 'documented', emulator: 'emulator default', derived: 'derived (seed text filled in)' };

function feedItem(e) {
  const meta = el('div', { class: 'meta' }, `#${e.seq} ${time(e.time)}${e.server ? ` · ${e.server}` : ''}${e.client ? ` · ${e.client}` : ''}${e.user ? ` · ${e.user}` : ''}`);
  const body = [];
  const kind = (label) => el('span', { class: 'kind' }, label);
  switch (e.type) {
    case 'behaviour':
    case 'behaviour-suppressed': {
      const source = sources.get(e.behaviour);
      const badge = source ? el('span', { class: `source ${source}`, dataset: { source } }, source === 'seed' ? 'documented' : 'emulator default') : null;
      // Provenance per part: an alternative the seed does not name is the emulator's even inside a documented entry.
      const variantOurs = e.provenance?.variant === 'emulator' && e.provenance?.entry === 'seed';
      body.push(el('div', {}, kind(e.type === 'behaviour' ? 'behaviour fired' : 'behaviour suppressed by policy'), ' ', el('code', {}, e.behaviour ?? ''), e.operation ? ` on ${e.operation}` : '',
        e.variant ? ` (${e.variant}${variantOurs ? ', an emulator default' : ''})` : '', ' ', badge));
      const messages = e.messages?.length ? e.messages : e.message ? [e.message] : [];
      // A suppressed behaviour did not reach the client: its text is shown small, as what would have been shown.
      const cls = e.type === 'behaviour' ? 'jp' : 'jp would';
      messages.forEach((m, i) => {
        const prov = e.provenance?.messages?.[i];
        body.push(el('span', { class: cls, lang: 'ja' }, e.type === 'behaviour' ? m : `would have shown: ${m}`));
        if (prov) body.push(el('span', { class: `prov ${prov}`, dataset: { provenance: prov } }, PROVENANCE_LABEL[prov] ?? prov));
      });
      break;
    }
    case 'scenario': {
      const phase = e.data?.phase;
      const label = phase === 'expect' ? 'scenario step' : phase === 'outcome' ? (e.data?.ok ? 'scenario ok' : 'scenario FAILED') : 'scenario';
      body.push(el('div', {}, kind(label), ` ${e.operation ?? ''}`));
      body.push(el('div', { class: 'text', lang: 'ja' }, e.message ?? ''));
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
  const cls = e.type === 'scenario' && e.data?.phase === 'outcome' ? `scenario ${e.data.ok ? 'ok' : 'failed'}` : e.type;
  return el('li', { class: cls, dataset: { type: e.type, seq: e.seq, behaviour: e.behaviour ?? '', phase: e.data?.phase ?? '' } }, meta, ...body);
}

function onEvent(e) {
  if (!e || typeof e.seq !== 'number' || e.seq <= lastSeq) return;
  lastSeq = e.seq;
  // Writes to the staging area update the cards (their count rises per write) without filling the feed.
  if (e.type === 'staging' && e.operation === 'write') {
    updateStaging(e);
    return;
  }
  if (e.seq <= clearedAt) return;
  const feed = $('feed');
  feed.prepend(feedItem(e));
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
  if (REFRESH_ON.has(e.type)) scheduleRefresh();
  // Every state change: the clients again (while a scenario runs from the console it is the client, and the re-run would add behaviours to its steps).
  if (e.type === 'state' && $('clients-auto').checked && !runLive) scheduleClients();
  if (e.type === 'scenario' && currentRun && e.data?.run === currentRun) scheduleRunRefresh();
}

function updateStaging(e) {
  const server = state?.servers.find((x) => x.name === e.server);
  if (!server || !e.data) return;
  server.staging = { writes: e.data.writes, bytes: e.data.bytes };
  const dd = document.querySelector(`article.card[data-server="${CSS.escape(e.server)}"] [data-field="staging"]`);
  if (dd) dd.textContent = `${e.data.writes} write(s), ${fmtBytes(e.data.bytes)}`;
}

function clearFeed() {
  clearedAt = lastSeq;
  sessionStorage.setItem('twemu-feed-cleared', String(clearedAt));
  $('feed').replaceChildren();
}

function toggleFeed() {
  const hidden = document.body.classList.toggle('feed-hidden');
  $('toggle-feed').setAttribute('aria-expanded', String(!hidden));
  $('toggle-feed').textContent = hidden ? 'Show' : 'Hide';
}

function setConnection(live) {
  const pill = $('connection');
  pill.className = `pill ${live ? 'on' : 'off'}`;
  pill.textContent = live ? 'live' : 'reconnecting';
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

// ---- dialogs: catalog policies, timeline ------------------------------------

function openDialog(id, load) {
  const dialog = $(id);
  dialog.showModal();
  void load();
}

async function loadCatalog() {
  const body = $('catalog-body');
  const { status, data } = await call('GET', '/api/catalog');
  if (status !== 200) {
    body.replaceChildren(el('p', {}, `cannot read the catalog (HTTP ${status})`));
    return;
  }
  const rows = data.behaviours.map((b) => {
    const mode = b.policy?.mode ?? 'always';
    const select = el('select', { 'aria-label': `policy of ${b.id}`, dataset: { id: b.id } },
      ...['always', 'never', 'probability'].map((m) => el('option', { value: m, selected: m === mode }, m)));
    const probability = el('input', { type: 'number', min: 0, max: 1, step: 0.05, value: b.policy?.probability ?? 0.5, 'aria-label': `probability of ${b.id}`, class: 'prob' });
    const seed = el('input', { type: 'number', step: 1, value: b.policy?.seed ?? 1, 'aria-label': `seed of ${b.id}`, class: 'seed' });
    const apply = el('button', { type: 'button', 'aria-label': `apply the policy of ${b.id}`, onclick: async () => {
      const policy = select.value === 'probability' ? { mode: 'probability', probability: Number(probability.value), seed: Number(seed.value) } : { mode: select.value };
      const r = await call('PUT', `/api/catalog/${encodeURIComponent(b.id)}/policy`, policy);
      apply.textContent = r.status === 200 ? 'applied' : `HTTP ${r.status}`;
      row.dataset.mode = r.status === 200 ? policy.mode : row.dataset.mode;
    } }, 'apply');
    // Every text and alternative with its own provenance (a documented entry may hold texts of ours).
    const p = b.provenance ?? { messages: [], effect: [] };
    const textRow = (t, label) => el('div', { class: 'part', dataset: { provenance: t.source } }, label ? `${label}: ` : '', el('code', { lang: 'ja' }, t.text), ' ',
      el('span', { class: `prov ${t.source}`, dataset: { provenance: t.source } }, PROVENANCE_LABEL[t.source]));
    const parts = p.variants && p.variants.length > 1
      ? p.variants.flatMap((v) => (v.messages.length ? v.messages : [null]).map((t) => (t ? textRow(t, `${v.name} (${PROVENANCE_LABEL[v.source]})`)
        : el('div', { class: 'part', dataset: { provenance: v.source } }, `${v.name}${v.rc !== undefined ? ` rc ${v.rc}` : ''}: `, el('span', { class: `prov ${v.source}` }, PROVENANCE_LABEL[v.source])))))
      : p.messages.map((t) => textRow(t));
    const effect = el('div', { class: 'part effect' }, ...p.effect.map((x) => el('span', { class: `effect-part ${x.source}`, title: x.cite ?? '', dataset: { provenance: x.source } }, x.text)));
    const row = el('tr', { dataset: { behaviour: b.id, mode } },
      el('td', {}, el('code', {}, b.id), el('span', { class: `source ${b.source}` }, b.source === 'seed' ? 'documented' : 'emulator default'), ...parts, effect),
      el('td', {}, select), el('td', {}, probability), el('td', {}, seed), el('td', {}, apply));
    return row;
  });
  body.replaceChildren(el('table', { class: 'catalog' },
    el('thead', {}, el('tr', {}, el('th', {}, 'behaviour'), el('th', {}, 'policy'), el('th', {}, 'probability'), el('th', {}, 'seed'), el('th', {}, ''))),
    el('tbody', {}, ...rows)));
}

async function resetCatalog() {
  const r = await call('POST', '/api/catalog/reset', {});
  showResult(r.status === 200 ? 'ok' : 'refused', r.status === 200 ? 'every policy is back to its configured default' : `ERROR: HTTP ${r.status}`);
  await loadCatalog();
}

async function loadTimeline() {
  const body = $('timeline-body');
  const { status, data } = await call('GET', '/console/timeline');
  if (status !== 200 || !data.from) {
    body.replaceChildren(el('p', {}, status === 200 ? 'nothing has happened yet' : `cannot read the timeline (HTTP ${status})`));
    return;
  }
  const t0 = Date.parse(data.from);
  const span = Math.max(1000, Date.parse(data.to) - t0);
  const x = (iso) => `${(((iso ? Date.parse(iso) : Date.parse(data.to)) - t0) / span) * 100}%`;
  const width = (from, to) => `${Math.max(0.5, (((to ? Date.parse(to) : Date.parse(data.to)) - Date.parse(from)) / span) * 100)}%`;
  const lanes = data.lanes.map((lane) => el('div', { class: 'lane', dataset: { server: lane.server } },
    el('div', { class: 'lane-name' }, lane.server, el('small', {}, lane.role)),
    el('div', { class: 'lane-track' },
      ...lane.windows.map((w) => el('span', { class: `window ${w.kind}`, style: { left: x(w.from), width: width(w.from, w.to) }, title: `${w.kind} ${time(w.from)} - ${w.to ? time(w.to) : 'now'}` })),
      ...lane.marks.map((m) => el('span', { class: `mark ${m.kind}`, style: { left: x(m.time) }, title: `${time(m.time)} ${m.kind}: ${m.operation}` })),
      ...lane.clients.map((c) => el('span', { class: 'client', style: { left: x(c.time) }, title: `${time(c.time)} ${c.client} ${c.user ?? ''}: ${c.behaviour}` }))),
    el('div', { class: 'lane-sum' }, `${lane.marks.filter((m) => m.kind === 'command').length} step(s), ${lane.clients.length} client(s) affected`)));
  body.replaceChildren(
    el('p', { class: 'legend' }, el('span', { class: 'key suspended' }, 'suspended'), ' ', el('span', { class: 'key backup-mode' }, 'backup mode'), ' ', el('span', { class: 'key command' }, 'step'), ' ', el('span', { class: 'key client' }, 'client affected'),
      ` · ${time(data.from)} - ${time(data.to)} (${data.timeZone})`),
    ...lanes);
}

// ---- scenarios run from the console ------------------------------------------

let currentRun = null;
/** A console scenario run is running or paused. */
let runLive = false;
const scheduleRunRefresh = coalesced(() => showRun(), 60);
const scheduleRunPoll = coalesced(() => showRun(), 400);

async function loadScenarios() {
  const body = $('scenarios-body');
  const { status, data } = await call('GET', '/console/scenarios');
  if (status !== 200) {
    body.replaceChildren(el('p', {}, `cannot list the scenarios: ${data?.message ?? `HTTP ${status}`}`));
    return;
  }
  const fits = (s) => s.topology === data.topology && (s.topology === 'single' || !s.appServers || s.appServers === data.appServers);
  const sorted = [...data.scenarios].sort((a, b) => Number(fits(b)) - Number(fits(a)) || a.name.localeCompare(b.name));
  const select = el('select', { id: 'scenario-file', 'aria-label': 'bundled scenario' },
    ...sorted.map((s) => el('option', { value: s.file, disabled: !fits(s) }, `${s.name}${fits(s) ? '' : ` (needs a ${s.topology}-server site)`}`)));
  const upload = el('input', { type: 'file', id: 'scenario-upload', accept: '.yaml,.yml', 'aria-label': 'or upload a scenario file' });
  const start = (mode) => async () => {
    const input = upload.files?.[0];
    const payload = input ? { yaml: await input.text(), name: input.name, mode } : { file: select.value, mode };
    const r = await call('POST', '/console/scenarios/run', payload);
    if (r.status !== 202) {
      $('scenario-run').replaceChildren(el('p', { class: 'run-error' }, `${r.data?.message ?? `HTTP ${r.status}`}${r.data?.hint ? `; ${r.data.hint}` : ''}`));
      return;
    }
    currentRun = r.data.id;
    renderRun(r.data);
  };
  body.replaceChildren(
    el('div', { class: 'scenario-pick' },
      el('label', {}, 'bundled ', select), el('label', {}, 'or upload ', upload),
      el('button', { type: 'button', id: 'scenario-run-all', onclick: start('run') }, 'Run'),
      el('button', { type: 'button', id: 'scenario-run-step', onclick: start('step') }, 'Step by step')),
    el('p', { class: 'help' }, 'The scenario runs against this site (its operator steps change it; its policies apply). Each step\'s expectation and outcome appear in the feed.'),
    el('div', { id: 'scenario-run' }));
  if (currentRun) void showRun();
}

async function runAction(action) {
  if (!currentRun) return;
  const r = await call('POST', `/console/scenarios/runs/${currentRun}/${action}`, {});
  if (r.status === 200) renderRun(r.data);
}

async function showRun() {
  if (!currentRun || !$('scenario-run')) return;
  const r = await call('GET', `/console/scenarios/runs/${currentRun}`);
  if (r.status === 200) renderRun(r.data);
}

function renderRun(run) {
  const box = $('scenario-run');
  if (!box) return;
  const live = run.state === 'running' || run.state === 'paused';
  runLive = live;
  box.dataset.state = run.state;
  // A paused run puts nothing on the feed: look again while the run lives and the dialog is open.
  if (live && $('scenarios-dialog').open) scheduleRunPoll();
  box.replaceChildren(
    el('div', { class: 'run-head' },
      el('strong', {}, `${run.scenario}: `), el('span', { class: `run-state ${run.state}`, id: 'scenario-state' }, run.state.toUpperCase()),
      run.current && live ? el('span', { class: 'run-current' }, ` next: ${run.current}`) : null),
    el('div', { class: 'run-controls' },
      el('button', { type: 'button', id: 'scenario-step', disabled: !live, onclick: () => void runAction('step') }, 'Step'),
      el('button', { type: 'button', id: 'scenario-pause', disabled: run.state !== 'running', onclick: () => void runAction('pause') }, 'Pause'),
      el('button', { type: 'button', id: 'scenario-resume', disabled: run.state !== 'paused', onclick: () => void runAction('resume') }, 'Run on'),
      el('button', { type: 'button', id: 'scenario-stop', disabled: !live, onclick: () => void runAction('stop') }, 'Stop')),
    el('ol', { class: 'run-steps' }, ...run.steps.map((st) => el('li', { class: st.ok ? 'ok' : 'failed', dataset: { index: st.index, ok: st.ok } },
      el('span', { class: 'mark' }, st.ok ? '\u2713' : '\u2717'), ` ${st.index} ${st.label}`,
      el('div', { class: 'expect' }, `expect: ${st.expect}`),
      st.failure ? el('pre', { class: 'failure' }, st.failure) : null))),
    run.error ? el('p', { class: 'run-error' }, run.error) : null);
}

/** A button that does something hard to undo asks once more on its first press. */
function confirmFirst(button, action) {
  button.addEventListener('click', async () => {
    if (button.dataset.armed !== 'true') {
      button.dataset.armed = 'true';
      button.dataset.label = button.textContent;
      button.textContent = button.dataset.confirm;
      setTimeout(() => {
        if (button.dataset.armed === 'true') {
          button.dataset.armed = 'false';
          button.textContent = button.dataset.label;
        }
      }, 5000);
      return;
    }
    button.dataset.armed = 'false';
    button.textContent = button.dataset.label;
    await action();
  });
}

async function resetSite() {
  showResult('ok', 'resetting the site to its demo state ...');
  const { status, data } = await call('POST', '/console/reset', {});
  showResult(status === 200 ? 'ok' : 'refused', status === 200 ? `the site is back at its demo state (${data.servers.join(', ')})` : `ERROR: ${data?.message ?? `HTTP ${status}`}`);
  await refresh();
}

// ---- start ---------------------------------------------------------------

async function main() {
  $('command-form').addEventListener('submit', (e) => void onCommandSubmit(e));
  $('demo-server').addEventListener('change', () => void loadFunctions());
  $('demo-user').addEventListener('change', () => {
    followHome();
    void loadFunctions();
  });
  for (const b of document.querySelectorAll('[data-demo]')) b.addEventListener('click', () => void runDemo(b.dataset.demo));
  $('next-step').addEventListener('click', () => void runNextStep());
  $('lenient').addEventListener('change', () => state && renderServers());
  $('clear-feed').addEventListener('click', clearFeed);
  $('toggle-feed').addEventListener('click', toggleFeed);
  $('open-catalog').addEventListener('click', () => openDialog('catalog-dialog', loadCatalog));
  $('open-timeline').addEventListener('click', () => openDialog('timeline-dialog', loadTimeline));
  $('open-scenarios').addEventListener('click', () => openDialog('scenarios-dialog', loadScenarios));
  $('reset-catalog').addEventListener('click', () => void resetCatalog());
  confirmFirst($('reset-site'), resetSite);
  for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
  // "/" brings the keyboard back to the command box from anywhere but a text field.
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
    e.preventDefault();
    $('command').focus();
  });
  if (new URLSearchParams(location.search).get('auto') === '0') $('clients-auto').checked = false;
  await refresh();
  await startFeed();
  document.body.dataset.ready = 'true';
}

void main();
