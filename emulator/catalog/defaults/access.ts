import type { BehaviourSpec } from '../types.js';

// Emulator defaults (access): the one rule for a login on a suspended server,
// whatever the protocol (emulator/domain/access.ts, SUSPENDED_LOGIN_ORDER).
// The seed gives each protocol's busy answer (pop3.login, imap4.login,
// web.busy, ame.server-call) but not whether the product checks the password
// before it; this entry makes that a choice a trainer can switch.
export const accessDefaults: BehaviourSpec[] = [
  {
    id: 'access.login-order', source: 'emulator', client: 'POP3, IMAP4, SMTP, web client, AME', operation: 'a login on a suspended server',
    trigger: 'suspended', may: true,
    effect: 'emulator default, off unless its policy is set (after-password): the user name and password are checked first, so wrong ones get ' +
      'the protocol\'s ordinary refusal (-ERR [AUTH], NO [AUTHENTICATIONFAILED], 535, the login page\'s error, AME -4) and a good login gets the ' +
      'busy answer (before the service and home-server checks). Policy always (before-password): the suspension is checked first and every login gets the busy answer, right or wrong credentials',
    messages: [],
    variants: [{ name: 'before-password', messages: [] }],
    defaultPolicy: { mode: 'never' },
  },
];
