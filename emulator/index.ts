import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig, checkConfig, type SiteConfig, type Topology } from './config.js';
import { Site, type CommandResult, type Endpoints, type ServerStatus } from './site.js';
import type { Policy } from './catalog/catalog.js';
import { createSite } from './root.js';

export { Site } from './site.js';
export { ManualClock, systemClock, type Clock, type ClockSetting } from './clock.js';
export type { Endpoints, ServerEndpoints, ServerStatus, CommandResult } from './site.js';
export { Catalog, allBehaviours } from './catalog/catalog.js';
export type { BehaviourSpec, Policy, Decision } from './catalog/catalog.js';
export type { TwEvent, EventType } from './events.js';
export { TwemuError, CommandRefused } from './errors.js';
export { COMMANDS, type CommandName } from './procedure.js';
export { AmeClient, type AmeClientOptions, type AmeReply, type AmeFailure, type AmeFunctions, type AmeFunctionName, type AmeFunctionInfo, type AmeCode, type AmeErrorCode } from '../protocols/ame/client.js';

export interface EmulatorOptions {
  /** Data directory; a fresh temporary one (removed at stop) when absent. */
  dataDir?: string;
  topology?: Topology;
  appServers?: number;
  host?: string;
  /** 0 (the default in-process): every listener on an ephemeral port. */
  portBase?: number | null;
  demo?: boolean;
  lenient?: boolean;
  seed?: number;
  policies?: Record<string, Policy | Policy['mode']>;
  adminToken?: string;
  services?: SiteConfig['services'];
  gatewayServer?: string;
  /** Per server: `{twap02: {web: false}}` for a server without the web service. */
  servers?: SiteConfig['servers'];
  names?: SiteConfig['names'];
  logLevel?: SiteConfig['logLevel'];
  /** The site's clock: `{now()}` (e.g. `new ManualClock(Date.parse('2026-06-15T12:00:00Z'))`) or `{start: ISO}`; default the machine's. */
  clock?: SiteConfig['clock'];
  /** `off`, or `{cert, key, ca, loginRequiresTls}`; absent: a certificate created in the data directory. */
  tls?: SiteConfig['tls'] | false;
}

/** A running emulated site, for a test suite. */
export interface Emulator {
  readonly site: Site;
  readonly endpoints: Endpoints;
  /** The admin token of the control API. */
  readonly token: string;
  readonly dataDir: string;
  /** Runs a procedure command, e.g. `emu.command('to tran suspend')` (all servers, documented order). */
  command(text: string, opts?: { server?: string; lenient?: boolean }): Promise<CommandResult>;
  status(): ServerStatus[];
  setPolicy(id: string, policy: Policy | Policy['mode']): void;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const temp = options.dataDir ? null : mkdtempSync(join(tmpdir(), 'twemu-'));
  const dataDir = resolve(options.dataDir ?? temp!);
  const { dataDir: _d, ...rest } = options;
  checkConfig(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), 'startEmulator options');
  const config: SiteConfig = {
    ...defaultConfig(),
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    dataDir,
    portBase: options.portBase === undefined ? 0 : options.portBase,
    appServersExplicit: options.appServers !== undefined,
  } as SiteConfig;
  let site: Site;
  try {
    site = createSite(config);
    await site.start();
  } catch (err) {
    if (temp) rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  return {
    site,
    endpoints: site.endpoints,
    token: site.token,
    dataDir,
    command: async (text, opts) => site.command(text, opts),
    status: () => site.status(),
    setPolicy: (id, policy) => void site.catalog.setPolicy(id, policy),
    stop: async () => {
      await site.stop();
      if (temp) rmSync(temp, { recursive: true, force: true });
    },
  };
}
