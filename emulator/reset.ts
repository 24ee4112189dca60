import { seedDemoData } from './demo.js';
import type { Site } from './site.js';

// "Reset the site to its demo state" (the console's control, as Mailpit's
// delete-all and WireMock's reset): every server back at the start of the
// procedure, its data replaced by the demo data, the catalog's policies back to
// the configured ones. What a cycle staged is merged first (nothing is left
// pinned), and the web archive is removed, as `to backup off` and `tobkweb rm` do.

export function resetSite(site: Site): { servers: string[] } {
  for (const s of site.servers) {
    if (s.state.webArchive === 'present') site.webArchive.remove(s);
    if (s.state.backupMode !== 'off') s.store.database.mergeStaging();
    s.setState({ service: 'available', backupMode: 'off', webArchive: 'absent', backupDone: false, backupOnAt: null }, 'site reset to its demo state');
  }
  site.cycle.clear();
  for (const s of site.servers) s.store.database.wipe();
  seedDemoData(site);
  site.catalog.resetPolicies();
  site.events.emit({ type: 'info', operation: 'reset', message: 'the site was reset to its demo state (every server available, backup mode off, demo data, catalog policies as configured)' });
  return { servers: site.servers.map((s) => s.name) };
}
