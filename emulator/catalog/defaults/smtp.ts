import type { BehaviourSpec } from '../types.js';

// Emulator defaults (smtp): the seed's product had no SMTP submission of its
// own (mail clients sent through the site's mail gateway); the emulator offers
// submission so that a mail client's send path has somewhere to go, and
// answers with temporary failures while the server is suspended, the replies
// an MTA gives when it cannot take mail for a while (RFC 5321 4.2.5, RFC 3463
// 4.3.2 "system not accepting network messages", RFC 4954 454 4.7.0). Clients
// queue the message and retry; none loses it. Each text is a whole reply line.
export const SMTP_SUSPENDED = 'the server is suspended for an online backup';

export const smtpDefaults: BehaviourSpec[] = [
  {
    id: 'smtp.login', source: 'emulator', client: 'SMTP', operation: 'AUTH (PLAIN, LOGIN)', trigger: 'suspended', may: false,
    effect: 'emulator default (the seed has no SMTP): AUTH on a suspended server is a temporary authentication failure (RFC 4954 454 4.7.0); ' +
      'variant `closing`: 421 4.3.2 and the connection is closed. A client queues the message and retries later',
    messages: [
      `454 4.7.0 Temporary authentication failure: ${SMTP_SUSPENDED}, try again later`,
      `421 4.3.2 Service not available: ${SMTP_SUSPENDED}, closing connection`,
    ],
    variants: [
      { name: 'temporary', messages: [`454 4.7.0 Temporary authentication failure: ${SMTP_SUSPENDED}, try again later`] },
      { name: 'closing', messages: [`421 4.3.2 Service not available: ${SMTP_SUSPENDED}, closing connection`] },
    ],
  },
  {
    id: 'smtp.submit', source: 'emulator', client: 'SMTP', operation: 'MAIL FROM, or the end of DATA, in a session authenticated before the suspension', trigger: 'in-flight', may: false,
    effect: 'emulator default (the seed has no SMTP): the message is not taken (451 4.3.2, nothing is delivered); ' +
      'variant `closing`: 421 4.3.2 and the connection is closed. The client keeps the message in its queue and sends it again later',
    messages: [
      `451 4.3.2 System not accepting messages: ${SMTP_SUSPENDED}, try again later`,
      `421 4.3.2 Service not available: ${SMTP_SUSPENDED}, closing connection`,
    ],
    variants: [
      { name: 'temporary', messages: [`451 4.3.2 System not accepting messages: ${SMTP_SUSPENDED}, try again later`] },
      { name: 'closing', messages: [`421 4.3.2 Service not available: ${SMTP_SUSPENDED}, closing connection`] },
    ],
  },
  {
    id: 'smtp.greeting', source: 'emulator', client: 'SMTP', operation: 'connect (greeting)', trigger: 'suspended', may: true,
    effect: 'emulator default, off unless its policy is set: a new connection to a suspended server is answered 421 4.3.2 and closed ' +
      '(RFC 5321 3.1). Off (the default), the greeting is 220 and AUTH answers smtp.login',
    messages: [`421 4.3.2 Service not available: ${SMTP_SUSPENDED}, closing connection`],
    defaultPolicy: { mode: 'never' },
  },
];
