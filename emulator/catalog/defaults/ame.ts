import type { BehaviourSpec } from '../types.js';

// Emulator defaults (ame): what the seed does not cover, each marked
// `source: 'emulator'` so it is never presented as documented fidelity.
export const ameDefaults: BehaviourSpec[] = [
  {
    // The seed (19.3.1) says a server call returns "-9 or -10" but not when which;
    // the emulator's choice: -9 when the call finds the service suspended as it
    // starts (ame.server-call), -10 when a call already in progress is cut.
    id: 'ame.call-cut', source: 'emulator', client: 'Application execution module', operation: 'a function in progress (holding its server access) when the suspension starts',
    trigger: 'in-flight', may: false,
    effect: 'emulator default: the call is cut and returns -10 (variant rc-10; rc-9 and other-error pick -9 or -1; a function in services.ame.otherErrorFunctions prefers other-error). ' +
      'A call is "in progress" while it holds its server access (the emulator test aid `holdMs`). Policy never: the call completes normally',
    messages: [],
    variants: [{ name: 'rc-10', messages: [], rc: -10 }, { name: 'rc-9', messages: [], rc: -9 }, { name: 'other-error', messages: [], rc: -1 }],
  },
];
