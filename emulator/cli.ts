#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TwemuError, errorSpec } from './errors.js';
import { packageRoot } from './package-root.js';
import { defaultConfig, readConfigFile, checkConfig, type SiteConfig } from './config.js';
import { Site, ENDPOINTS_FILE, type CommandResult, type ServerStatus } from './site.js';
import { Catalog, type CatalogEntryView } from './catalog/catalog.js';
import { catalogMarkdown } from './catalog/markdown.js';
import { callApi, findSite } from './cli/client.js';
import { CLI_COMMANDS, createSite } from './root.js';

const USAGE = `usage: twemu <command> [options]

  serve [--data DIR] [--topology single|multi] [--app-servers N] [--host 127.0.0.1]
        [--port-base P] [--config FILE] [--no-demo] [--lenient] [--seed N] [--log-level L]
  serve --only SERVER (--site URL | --data DIR) [--host H] [--port-base P]   one server of a site on this host
  to tran suspend | to tran resume | to backup on | to backup off [--abort]
  tobkweb arc | tobkweb rm
        [--server NAME|all] [--lenient] [--json] [--data DIR | --url URL] [--token T]
  backup --level 0|1|2 --dest DIR [--server NAME|all] [--lenient] [--data DIR | --url URL]
  backup verify --from DIR [--server NAME] [--json]
  restore --from DIR --data DIR [--force]
  status [--json] [--data DIR | --url URL]
  catalog [--json | --markdown] [--data DIR | --url URL] [--config FILE]
  scenario run FILE... [--junit FILE] [--seed N] [--shard I/N] | scenario run --list
  scenario matrix FILE... [--topology single|multi|both] [--report FILE] | scenario merge REPORT...
  scenario validate FILE... | scenario schema
  record --upstream HOST:PORT [--listen HOST:PORT] --out FILE (see record --help)
  schedule suspend [at +30s] for 2m [--server NAME] | schedule list | schedule cancel ID

Data lives under ./data unless --data says otherwise.`;

const common = {
  data: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** parseArgs with every mistake turned into one clear line. */
function args<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: 'see `twemu --help`' });
  }
}

function int(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new TwemuError('E_USAGE', `--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

async function serve(argv: string[]): Promise<number> {
  // One server of a site on this host (its own process or container): cli/serve-only.ts.
  if (argv.includes('--only')) return (await import('./cli/serve-only.js')).serveOnly(argv);
  const { values } = args(argv, {
    ...common, topology: { type: 'string' }, 'app-servers': { type: 'string' }, host: { type: 'string' }, 'port-base': { type: 'string' },
    config: { type: 'string' }, 'no-demo': { type: 'boolean' }, lenient: { type: 'boolean' }, seed: { type: 'string' }, 'log-level': { type: 'string' },
  });
  const fromFile = values.config ? readConfigFile(values.config) : {};
  const flags: Partial<SiteConfig> = {};
  if (values.topology !== undefined) flags.topology = values.topology as SiteConfig['topology'];
  if (values['app-servers'] !== undefined) flags.appServers = int(values['app-servers'], 'app-servers', 1, 16);
  if (values.host !== undefined) flags.host = values.host;
  if (values['port-base'] !== undefined) flags.portBase = int(values['port-base'], 'port-base', 0, 65000);
  if (values['no-demo']) flags.demo = false;
  if (values.lenient) flags.lenient = true;
  if (values.seed !== undefined) flags.seed = int(values.seed, 'seed', -(2 ** 31), 2 ** 31 - 1);
  if (values['log-level'] !== undefined) flags.logLevel = values['log-level'] as SiteConfig['logLevel'];
  // TWEMU_NOW=<ISO date-time> sets the site's clock (a config file's `clock: {start}` says the same).
  checkConfig(flags as Record<string, unknown>, 'command line');
  const now = process.env.TWEMU_NOW;
  if (now) {
    if (!Number.isFinite(Date.parse(now))) throw new TwemuError('E_USAGE', `TWEMU_NOW must be an ISO 8601 date-time, not ${JSON.stringify(now.slice(0, 40))}`, { hint: 'e.g. TWEMU_NOW=2027-12-31T23:59:30+09:00' });
    flags.clock = { start: now };
  }
  const config: SiteConfig = {
    ...defaultConfig(), logLevel: 'info', ...fromFile, ...flags,
    dataDir: resolve(values.data ?? (fromFile.dataDir as string | undefined) ?? 'data'),
    appServersExplicit: flags.appServers !== undefined || fromFile.appServers !== undefined,
  };
  const site = createSite(config);
  let endpoints;
  try {
    endpoints = await site.start();
  } catch (err) {
    await site.stop();
    throw err;
  }
  // Whoever reads our output may be gone (a closed pipe): that must not crash the site.
  process.stdout.on('error', () => undefined);
  const stop = async (signal: string) => {
    process.stdout.write(`twemu stopping (${signal})\n`);
    await site.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.stdout.write(`twemu data ${config.dataDir}\n`);
  for (const s of endpoints.servers) {
    process.stdout.write(`twemu ${s.name} (${s.role})${s.pop3 ? ` pop3 ${s.pop3}` : ''}${s.imap ? ` imap ${s.imap}` : ''}${s.smtp ? ` smtp ${s.smtp}` : ''}${s.pop3s ? ` pop3s ${s.pop3s}` : ''}${s.imaps ? ` imaps ${s.imaps}` : ''}${s.web ? ` web ${s.web}` : ''}\n`);
  }
  process.stdout.write(`twemu control ${endpoints.control} (console ${endpoints.control}/console, API docs ${endpoints.control}/docs)\n`);
  process.stdout.write(`twemu ready ${join(config.dataDir, ENDPOINTS_FILE)}\n`);
  await new Promise(() => undefined);
  return 0;
}

function printCommandResult(r: CommandResult): void {
  for (const o of r.results) {
    process.stdout.write(`${o.server}: ${o.command}${o.lacks ? ' --abort' : ''} done${o.warnings.length ? ` (lenient: rule(s) broken: ${o.warnings.join(', ')})` : ''}\n`);
    if (o.lacks) process.stdout.write(o.lacks.length ? `backup cycle aborted (19.3.4); the backup lacks:\n${o.lacks.map((l) => `  ${l}\n`).join('')}` : 'backup cycle aborted (19.3.4); the backup of every server was complete\n');
  }
  for (const s of r.skipped) process.stdout.write(`${s}: ${r.command} already in effect, skipped\n`);
}

async function procedureCommand(words: string[], argv: string[]): Promise<number> {
  const { values } = args(argv, { ...common, server: { type: 'string' }, lenient: { type: 'boolean' }, abort: { type: 'boolean' } });
  const target = findSite(values);
  const result = await callApi<CommandResult>(target, 'POST', '/api/commands', { command: words.join(' '), server: values.server ?? 'all',
    ...(values.lenient ? { lenient: true } : {}), ...(values.abort ? { abort: true } : {}) });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else printCommandResult(result);
  return 0;
}

function statusTable(servers: ServerStatus[]): string {
  const rows = [['server', 'role', 'service', 'backup', 'staging', 'web archive', 'backup done', 'sessions', 'extra']];
  for (const s of servers) {
    const known = new Set(['name', 'role', 'services', 'service', 'backupMode', 'staging', 'webArchive', 'backupDone', 'lastBackup', 'needsLevel0', 'sessions']);
    // Services with a state of their own (gateways, SearchPro) show it in one word; --json has the rest.
    const extra = Object.entries(s).filter(([k]) => !known.has(k)).map(([k, v]) => {
      const state = v && typeof v === 'object' ? (v as { state?: unknown }).state : undefined;
      return `${k}=${state !== undefined ? String(state) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
    });
    if (s.needsLevel0) extra.unshift('next backup must be level 0');
    rows.push([s.name, s.role, s.service, s.backupMode, s.staging ? `${s.staging.writes} writes, ${s.staging.bytes} B` : '-', s.webArchive,
      s.backupDone ? 'yes' : 'no', s.sessions ? `pop3 ${s.sessions.pop3} imap ${s.sessions.imap} web ${s.sessions.web}` : '-', extra.join(' ')]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return rows.map((r) => r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ').trimEnd()).join('\n');
}

function procedureLine(p: ReturnType<Site['procedureStatus']> | undefined): string {
  if (!p) return '';
  const c = p.cycle.current;
  const cycle = c ? `backup cycle since ${c.startedAt}${c.aborted ? ' (aborted)' : ''}` : `no backup cycle${p.cycle.last ? ` (last one ${p.cycle.last.outcome}, ended ${p.cycle.last.endedAt})` : ''}`;
  const a = p.activity;
  const activity = a ? `clients during the cycle: ${a.sessions.pop3} POP3, ${a.sessions.imap} IMAP, ${a.sessions.web} web session(s) open, ${a.stagedWrites} write(s) in the staging areas (19.3.1: keep client use to a minimum)\n` : '';
  return `${cycle}; next step: ${p.next ? `${p.next.step}, \`${p.next.command}\`` : 'none allowed in strict mode'}\n${activity}`;
}

async function status(argv: string[]): Promise<number> {
  const { values } = args(argv, common);
  const result = await callApi<{ topology: string; servers: ServerStatus[]; procedure?: ReturnType<Site['procedureStatus']> }>(findSite(values), 'GET', '/api/status');
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`${result.topology}-server site\n${statusTable(result.servers)}\n${procedureLine(result.procedure)}`);
  return 0;
}

/** The catalog of the running site (current policies), or the built-in one when no site runs. */
async function catalog(argv: string[]): Promise<number> {
  const { values } = args(argv, { ...common, config: { type: 'string' }, markdown: { type: 'boolean' } });
  let behaviours: CatalogEntryView[];
  let live = false;
  try {
    behaviours = (await callApi<{ behaviours: CatalogEntryView[] }>(findSite(values), 'GET', '/api/catalog')).behaviours;
    live = true;
  } catch (err) {
    if (values.url) throw err;
    const fromFile = values.config ? readConfigFile(values.config) : {};
    behaviours = new Catalog({ seed: fromFile.seed, policies: fromFile.policies }).list();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ source: live ? 'running site' : 'built-in', behaviours }, null, 2)}\n`);
    return 0;
  }
  if (values.markdown) {
    process.stdout.write(`${catalogMarkdown(behaviours)}\n`);
    return 0;
  }
  for (const b of behaviours) {
    const policy = b.policy.mode === 'probability' ? `probability ${b.policy.probability}${b.policy.seed !== undefined ? ` seed ${b.policy.seed}` : ''}` : b.policy.mode;
    process.stdout.write(`${b.id}  [${b.source}] ${b.client}: ${b.operation}  policy=${policy}${b.policy.variant !== undefined ? ` variant=${b.policy.variant}` : ''}\n`);
    // Every part with its provenance: [seed], [emulator], or [derived] (a seed text with parts of ours).
    const p = b.provenance;
    const text = (t: CatalogEntryView['provenance']['messages'][number]) => `[${t.source}] ${JSON.stringify(t.text)}${t.source === 'derived'
      ? `  = ${t.parts.map((x) => `${x.placeholder ? 'placeholder' : x.source} ${JSON.stringify(x.text)}`).join(' + ')}` : ''}`;
    process.stdout.write(`    effect: ${p.effect.map((x) => `[${x.source}] ${x.text.trim()}`).join(' ')}\n`);
    if (p.variants && p.variants.length > 1) {
      p.variants.forEach((v, i) => {
        process.stdout.write(`    variant ${i} ${v.name}${v.rc !== undefined ? ` (rc ${v.rc})` : ''} [${v.source}]${v.messages.length ? '' : ': no text'}\n`);
        for (const t of v.messages) process.stdout.write(`      ${text(t)}\n`);
      });
    } else for (const t of p.messages) process.stdout.write(`    ${text(t)}\n`);
    for (const ph of p.placeholders ?? []) process.stdout.write(`    placeholder ${JSON.stringify(ph.placeholder)} [${ph.source}]: filled in with ${ph.fill} (the text is then derived)\n`);
  }
  process.stdout.write(`${behaviours.length} behaviours (${behaviours.filter((b) => b.source === 'seed').length} documented, ${behaviours.filter((b) => b.source === 'emulator').length} emulator defaults)${live ? '' : '; no running site, built-in policies'}\n`);
  return 0;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if ((rest.includes('--help') || rest.includes('-h')) && cmd !== 'record') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case 'to': {
      const words = ['to', rest[0] ?? '', rest[1] ?? ''];
      if (!['tran suspend', 'tran resume', 'backup on', 'backup off'].includes(`${rest[0]} ${rest[1]}`)) {
        throw new TwemuError('E_USAGE', `unknown command \`${['to', ...rest.filter((a) => !a.startsWith('-')).slice(0, 2)].join(' ')}\``, { hint: 'use to tran suspend, to tran resume, to backup on or to backup off' });
      }
      return procedureCommand(words, rest.slice(2));
    }
    case 'tobkweb': {
      if (rest[0] !== 'arc' && rest[0] !== 'rm') throw new TwemuError('E_USAGE', `unknown command \`tobkweb ${rest[0] ?? ''}\``.trimEnd(), { hint: 'use tobkweb arc or tobkweb rm' });
      return procedureCommand(['tobkweb', rest[0]], rest.slice(1));
    }
    case 'status':
      return status(rest);
    case 'catalog':
      return catalog(rest);
    default: {
      const extra = CLI_COMMANDS.get(cmd);
      if (extra) return extra(rest);
      throw new TwemuError('E_USAGE', `unknown command ${JSON.stringify(cmd)}`, { hint: 'see `twemu --help`' });
    }
  }
}

const entry = process.argv[1] ? resolve(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url) || entry.endsWith('/twemu') || entry.endsWith('/.bin/twemu')) {
  // Exit once what was written has left: stdout to a pipe is asynchronous, and process.exit would cut
  // a long output (`twemu catalog --json | node catalog-check.mjs` is ~90 KB).
  const exit = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  main(process.argv.slice(2)).then(
    (code) => exit(code),
    (err: unknown) => {
      if (err instanceof TwemuError) {
        process.stderr.write(`twemu: ${err.line()}\n`);
        exit(errorSpec(err.code).exit ?? 1);
        return;
      }
      process.stderr.write(`twemu: internal error: ${(err as Error)?.message ?? String(err)}${process.env.TWEMU_DEBUG ? `\n${(err as Error)?.stack}` : ' (set TWEMU_DEBUG=1 for details)'}\n`);
      exit(1);
    },
  );
}
