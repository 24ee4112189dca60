import type { BehaviourSpec } from '../types.js';

// Emulator defaults (web): what the seed does not cover, each marked
// `source: 'emulator'` so it is never presented as documented fidelity.
//
// The web pages need no behaviour beyond the seed's four (web.busy,
// web.facility-cancel, web.top-blank-frames, web.admin-menu-duplicate): the
// seed's web.busy covers "any operation", login included. What the seed leaves
// open is presentation, not behaviour, and docs/web.md lists it
// as emulator defaults: which frame each operation's busy message appears in,
// where 戻る leads, HTTP 200 for the busy page, the department administrator
// menu being open to `isAdmin` accounts.
export const webDefaults: BehaviourSpec[] = [];
