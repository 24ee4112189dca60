// Registers the parts of the emulator that plug into the site (extensions,
// control API routes, CLI commands). Imported once by the entry points.
import './control/backups.js';
import './cli/backup.js';
import './control/console/plugin.js';
import './control/clients.js';
import './control/gateways.js';
import '../scenarios/inspect.js';
