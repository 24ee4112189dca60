import type { Site } from './site.js';
import type { SiteServer } from './server.js';
import type { CommandCheck, CommandName } from './procedure.js';

/**
 * A part of the emulator with a life of its own beside the listeners (the
 * gateways, SearchPro): started and stopped with the site, able to add to a
 * server's status and to add checks to the procedure commands.
 */
export interface SiteExtension {
  name: string;
  start?(site: Site): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** Extra fields of a server's status (e.g. `searchpro: {indexing: true}`). */
  status?(server: SiteServer): Record<string, unknown> | undefined;
  checks?: Partial<Record<CommandName, CommandCheck[]>>;
}

/** Makes a fresh extension for each site (the composition root lists them). */
export type ExtensionFactory = () => SiteExtension;
