import type { BehaviourSpec } from '../types.js';

// Emulator defaults (web): what the seed does not cover, each marked
// `source: 'emulator'` so it is never presented as documented fidelity.
export const webDefaults: BehaviourSpec[] = [];
