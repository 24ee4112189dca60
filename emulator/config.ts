import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { TwemuError } from './errors.js';
import { checkClockSetting, type Clock, type ClockSetting } from './clock.js';
import { checkTlsConfig, type TlsConfig } from './tls.js';

export type Topology = 'single' | 'multi';

/** Everything a site is started with. Every field has a default; a config file (YAML or JSON) may set any of them. */
export interface SiteConfig {
  /** Where every server keeps its data (`DIR/<name>/`). */
  dataDir: string;
  /** Absent: whatever the data directory holds, else single. */
  topology?: Topology;
  /** Application servers of a multi-server site. */
  appServers: number;
  /** Whether appServers was given by the user (a data directory with another layout is then an error). */
  appServersExplicit?: boolean;
  host: string;
  /** `null`: the documented default ports; 0: every listener on an ephemeral port; P: control on P, servers after it. */
  portBase: number | null;
  /** Server names; defaults twsv01 (single) or twdir01 + twap01.. (multi). */
  names: { single?: string; directory?: string; applications?: string[] };
  /** Let a trainer break the ordering rules on purpose: the command succeeds with a warning event. */
  lenient: boolean;
  /** Seed users and data on first start. */
  demo: boolean;
  /** Site seed for every behaviour's draws. */
  seed: number;
  /** Behaviour policies by id. */
  policies: Record<string, unknown>;
  /** Bearer token of the control API; generated at first start when absent. */
  adminToken?: string;
  /** Options of each protocol and service (pop3, imap, web, ame, gateways, searchpro). */
  services: Record<string, Record<string, unknown>>;
  /** Which server runs the X.400 and Fax gateways and SearchPro (default: the first application server). */
  gatewayServer?: string;
  /** Per server (by name): `web: false` for a server without the web service (no web pages, no AME; steps 3 and 6 do not apply). */
  servers?: Record<string, { web?: boolean }>;
  /** The site's time zone (IANA name) for times shown to people (the console); default the machine's. */
  timeZone?: string;
  /** TLS: absent, a certificate created in DIR/tls/ at first start; `off`, plain text only; or `{cert, key, ca, loginRequiresTls}`. */
  tls?: TlsConfig;
  /** Log to stderr (pino) at this level; `silent` by default in-process. */
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** The site's time: `{start: ISO}` starts it there (it runs on from it); in-process, any `{now()}`. Default: the machine's clock. */
  clock?: Clock | ClockSetting;
}

export const DEFAULT_PORTS = { control: 7070, pop3: 1110, imap: 1143, web: 8080, smtp: 1587, pop3s: 1995, imaps: 1993 };

export function defaultConfig(): SiteConfig {
  return {
    dataDir: resolve('data'), appServers: 2, host: '127.0.0.1', portBase: null, names: {},
    lenient: false, demo: true, seed: 0, policies: {}, services: {}, logLevel: 'silent',
  };
}

const KEYS = new Set(Object.keys(defaultConfig()).concat(['adminToken', 'gatewayServer', 'topology', 'clock', 'timeZone', 'tls', 'servers']));

/** Reads a config file; every mistake is one clear error. */
export function readConfigFile(file: string): Partial<SiteConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TwemuError('E_CONFIG', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    // yaml is loaded only when a YAML config is read: it costs start-up time otherwise.
    data = file.endsWith('.json') ? JSON.parse(text) : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    throw new TwemuError('E_CONFIG', `config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new TwemuError('E_CONFIG', `config file ${file} must hold a mapping of settings`);
  return checkConfig(data as Record<string, unknown>, file);
}

export function checkConfig(data: Record<string, unknown>, where = 'config'): Partial<SiteConfig> {
  for (const key of Object.keys(data)) {
    if (!KEYS.has(key)) throw new TwemuError('E_CONFIG', `${where}: unknown setting "${key}" (known: ${[...KEYS].sort().join(', ')})`);
  }
  const c = data as Partial<SiteConfig>;
  if (c.topology !== undefined && c.topology !== 'single' && c.topology !== 'multi') throw new TwemuError('E_CONFIG', `${where}: topology must be "single" or "multi"`);
  if (c.appServers !== undefined && !(Number.isInteger(c.appServers) && c.appServers >= 1 && c.appServers <= 16)) throw new TwemuError('E_CONFIG', `${where}: appServers must be an integer from 1 to 16`);
  if (c.portBase !== undefined && c.portBase !== null && !(Number.isInteger(c.portBase) && c.portBase >= 0 && c.portBase <= 65000)) throw new TwemuError('E_CONFIG', `${where}: portBase must be 0 or a port number up to 65000`);
  if (c.seed !== undefined && !Number.isInteger(c.seed)) throw new TwemuError('E_CONFIG', `${where}: seed must be an integer`);
  if (c.policies !== undefined && (typeof c.policies !== 'object' || c.policies === null)) throw new TwemuError('E_CONFIG', `${where}: policies must be a mapping of behaviour id to policy`);
  if (c.services !== undefined && (typeof c.services !== 'object' || c.services === null)) throw new TwemuError('E_CONFIG', `${where}: services must be a mapping`);
  if (c.servers !== undefined) {
    if (typeof c.servers !== 'object' || c.servers === null || Array.isArray(c.servers)) throw new TwemuError('E_CONFIG', `${where}: servers must be a mapping of server name to settings, e.g. {twap02: {web: false}}`);
    for (const [name, v] of Object.entries(c.servers)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TwemuError('E_CONFIG', `${where}: servers.${name} must be a mapping like {web: false}`);
      for (const k of Object.keys(v)) if (k !== 'web') throw new TwemuError('E_CONFIG', `${where}: servers.${name}: unknown setting "${k}" (known: web)`);
      if (v.web !== undefined && typeof v.web !== 'boolean') throw new TwemuError('E_CONFIG', `${where}: servers.${name}.web must be true or false`);
    }
  }
  if (c.lenient !== undefined && typeof c.lenient !== 'boolean') throw new TwemuError('E_CONFIG', `${where}: lenient must be true or false`);
  if (c.demo !== undefined && typeof c.demo !== 'boolean') throw new TwemuError('E_CONFIG', `${where}: demo must be true or false`);
  if (c.clock !== undefined) checkClockSetting(c.clock, where);
  if (c.timeZone !== undefined && !validTimeZone(c.timeZone)) throw new TwemuError('E_CONFIG', `${where}: timeZone must be an IANA time zone name such as "Asia/Tokyo" or "UTC"`);
  if (data.tls !== undefined) c.tls = checkTlsConfig(data.tls, where);
  if (c.host !== undefined && typeof c.host !== 'string') throw new TwemuError('E_CONFIG', `${where}: host must be a string`);
  return c;
}

function validTimeZone(tz: unknown): boolean {
  if (typeof tz !== 'string' || !tz) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The time zone times are shown in: the configured one, else the machine's. */
export function siteTimeZone(config: Pick<SiteConfig, 'timeZone'>): string {
  return config.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}
