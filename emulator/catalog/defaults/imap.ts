import type { BehaviourSpec } from '../types.js';

// Emulator defaults (imap): what the seed does not cover, each marked
// `source: 'emulator'` so it is never presented as documented fidelity.
export const imapDefaults: BehaviourSpec[] = [
  {
    id: 'imap4.in-flight-store', source: 'emulator', client: 'IMAP4',
    operation: 'a command that touches the mail store (SELECT, EXAMINE, LIST, LSUB, STATUS, FETCH, SEARCH, STORE, COPY, MOVE, APPEND, EXPUNGE, CLOSE, CHECK, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE; UID variants) in a session logged in before the suspension',
    trigger: 'in-flight', may: false,
    effect: 'emulator default (the seed is silent on sessions already logged in): the command is refused with RFC 5530 UNAVAILABLE and changes nothing; ' +
      'NOOP, CAPABILITY, LOGOUT, UNSELECT, NAMESPACE, ID and IDLE keep working (IDLE stays open and reports changes after the resume); policy never: the command runs normally',
    messages: ['NO [UNAVAILABLE] Server is busy'],
  },
];
