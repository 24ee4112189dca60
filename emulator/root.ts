// The composition root: the one module that knows every part of twemu and
// wires them together. The core (site, servers, catalog, procedure, events,
// store, domain) imports no protocol, no control route and no scenario code;
// the entry points (index.ts for `import { startEmulator } from 'twemu'`,
// cli.ts for the `twemu` command) build their site here. Nothing registers
// itself by being imported: to add a listener, an extension, a control API
// plugin or a CLI command, add it to a list below.
// test/architecture.test.ts keeps the layers and forbids import cycles.

import { Site, type SiteParts } from './site.js';
import type { SiteConfig } from './config.js';
import type { Topology } from './config.js';
import { startPop3 } from '../protocols/pop3/index.js';
import { startSmtp } from '../protocols/smtp/index.js';
import { startImap } from '../protocols/imap/index.js';
import { envelopeOctets } from '../protocols/imap/mime.js';
import { startWeb } from '../protocols/web/index.js';
import { startControl } from './control/app.js';
import type { ControlPlugin } from './control/plugins.js';
import { backupRoutes } from './control/backups.js';
import { consolePlugin } from './control/console/plugin.js';
import { clientsPlugin } from './control/clients.js';
import { gatewaysPlugin } from './control/gateways.js';
import { inspectPlugin } from '../scenarios/inspect.js';
import { schedulePlugin } from './control/schedule.js';
import { scheduleCommand } from './cli/schedule.js';
import { consoleScenarios } from '../scenarios/console.js';
import { Gateways } from './services/gateways.js';
import { SearchPro } from './services/searchpro.js';
import type { CliCommand } from './cli/registry.js';
import { backupCommand, restoreCommand } from './cli/backup.js';

/** Routes of the control API beyond its core ones, in registration order. */
export const CONTROL_PLUGINS: readonly ControlPlugin[] = [
  backupRoutes,
  // The console runs scenarios through the scenario runner, handed to it here (it loads on first use).
  (app, opts) => consolePlugin(app, { ...opts, scenarios: consoleScenarios() }),
  clientsPlugin, gatewaysPlugin, schedulePlugin, inspectPlugin,
];

/** Everything a site runs beside its servers. */
export const SITE_PARTS: SiteParts = {
  listeners: { pop3: startPop3, imap: startImap, smtp: startSmtp, web: startWeb },
  control: (site, opts) => startControl(site, opts, CONTROL_PLUGINS),
  extensions: [() => new Gateways(), () => new SearchPro()],
  // Every store keeps each message's IMAP ENVELOPE beside it, computed when the message is written.
  messageIndex: { envelope: envelopeOctets },
};

/** A site with every part (not started). */
export function createSite(config: SiteConfig & { topology?: Topology }): Site {
  return new Site(config, SITE_PARTS);
}

/** CLI commands beyond the core ones of cli.ts (serve, to, tobkweb, status, catalog). */
export const CLI_COMMANDS: ReadonlyMap<string, CliCommand> = new Map<string, CliCommand>([
  ['backup', backupCommand],
  ['restore', restoreCommand],
  ['schedule', scheduleCommand],
  ['record', async (argv) => (await import('../scenarios/record/cli.js')).recordCommand(argv)],
  // Loaded only for this command: the real clients it drives (imapflow, node-pop3) are heavy to import.
  ['scenario', async (argv) => (await import('../scenarios/cli.js')).scenarioCommand(argv)],
]);
