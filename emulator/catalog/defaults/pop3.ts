import type { BehaviourSpec } from '../types.js';

// Emulator defaults (pop3): what the seed does not cover, each marked
// `source: 'emulator'` so it is never presented as documented fidelity.
// Each offers a `plain` and a `coded` (RFC 2449 / RFC 3206 response code)
// variant, so a client team can compare how their client handles both.
export const pop3Defaults: BehaviourSpec[] = [
  {
    id: 'pop3.listing', source: 'emulator', client: 'POP3', operation: 'STAT / LIST / UIDL (in flight)', trigger: 'in-flight', may: true,
    effect: 'emulator default, off unless its policy is set: a session authenticated before the suspension gets an error on STAT, LIST and UIDL. ' +
      'Off (the default), they answer from the scan listing the session took at login, as RFC 1939 servers do; the seed is silent',
    messages: ['-ERR failed to read maildrop', '-ERR [SYS/TEMP] failed to read maildrop'],
    variants: [{ name: 'plain', messages: ['-ERR failed to read maildrop'] }, { name: 'coded', messages: ['-ERR [SYS/TEMP] failed to read maildrop'] }],
    defaultPolicy: { mode: 'never' },
  },
  {
    id: 'pop3.greeting', source: 'emulator', client: 'POP3', operation: 'connect (greeting)', trigger: 'suspended', may: true,
    effect: 'emulator default, off unless its policy is set: a new connection to a suspended server is greeted with an error and closed. ' +
      'Off (the default), the greeting is +OK as usual: the seed\'s pop3.login (USER answered, PASS refused) implies a normal greeting',
    messages: ['-ERR server is suspended for an online backup, try again later', '-ERR [SYS/TEMP] server is suspended for an online backup, try again later'],
    variants: [
      { name: 'plain', messages: ['-ERR server is suspended for an online backup, try again later'] },
      { name: 'coded', messages: ['-ERR [SYS/TEMP] server is suspended for an online backup, try again later'] },
    ],
    defaultPolicy: { mode: 'never' },
  },
];

/**
 * The QUIT reply of `pop3.quit-after-dele` (the seed says QUIT "may end in an
 * error" but gives no text): emulator texts, after RFC 1939 section 6's
 * example, carried by the seed entry's `plain` / `coded` variants.
 * `services.pop3.quitAfterDeleVariant` is the preferred one; a policy's
 * `variant` overrides it.
 */
export const POP3_QUIT_AFTER_DELE_TEXTS = {
  plain: '-ERR some deleted messages not removed',
  coded: '-ERR [SYS/TEMP] some deleted messages not removed',
} as const;
