import type { BehaviourSpec } from '../types.js';

// Emulator defaults (gateways, SearchPro, desktop clients): what the seed does
// not cover, each marked `source: 'emulator'` so it is never presented as
// documented fidelity.
export const gatewaysDefaults: BehaviourSpec[] = [
  {
    // 19.3.1 step 1: "本コマンドが完了してから抑止の解除が行われるまでサービスは利用できません" — the
    // guide does not say what a gateway does with a message for a user of a suspended server.
    id: 'gateways.delivery-held', source: 'emulator', client: 'X.400 and Fax gateways',
    operation: 'deliver a message (X.400 mail, a non-delivery notice, a fax, a fax report) to a user whose home server is suspended',
    trigger: 'suspended', may: false,
    effect: 'emulator default: the gateway holds the delivery (a gateway-log line says so) and delivers it when the user\'s home server is resumed; ' +
      'held deliveries survive a restart of the site. Policy never: delivered at once, into the suspended server\'s staging area',
    messages: [],
  },
];

/**
 * Log lines the seed does not give (it says "an error message is logged"
 * without the text, or says nothing about the normal case). Emulator texts:
 * every `gateway-log` event carrying one says `data.text: 'emulator default'`;
 * the documented lines (`fax.*`, `searchpro.index-error`) come from the catalog
 * and say `data.text: 'seed'`.
 */
export const GATEWAY_LOG_TEXTS = {
  x400Started: 'X.400 gateway: started',
  x400Reloaded: 'X.400 gateway: environment reloaded',
  x400DetailsChanged: 'X.400 gateway: detailed information changed; gateway restarted',
  x400ReloadError: 'X.400 gateway: reloading the environment failed: the TeamWARE Office service is suspended',
  x400DetailsError: 'X.400 gateway: restart after changing the detailed information failed: the TeamWARE Office service is suspended',
  x400RestartFailed: (n: number) => `X.400 gateway: restart ${n} failed: the TeamWARE Office service is suspended`,
  x400RestartedAfterResume: (n: number) => `X.400 gateway: started after ${n} failed restart(s)`,
  x400Delivered: (from: string, to: string) => `X.400 gateway: message from ${from} delivered to ${to}`,
  x400ReceiveError: (from: string, to: string) =>
    `X.400 gateway: message from ${from} to ${to} could not be delivered: the TeamWARE Office service is suspended; non-delivery notice sent to the sender`,
  faxStarted: 'FAXGW-J: started',
  faxReloaded: 'FAXGW-J: environment reloaded',
  faxDelivered: (from: string, to: string) => `FAXGW-J: fax from ${from} delivered to ${to}`,
  faxReport: (user: string) => `FAXGW-J: report issued for recipient "${user}"`,
  deliveryHeld: (gateway: string, what: string, user: string, server: string) => `${gateway}: ${what} for ${user} held: ${server} is suspended; delivered when it is resumed`,
  deliveryReleased: (gateway: string, what: string, user: string, server: string) => `${gateway}: held ${what} for ${user} delivered after ${server} was resumed`,
  searchproStarted: (n: number) => `SearchPro: index build started (${n} document(s))`,
  searchproProgress: (p: number, done: number, n: number) => `SearchPro: index build ${p}% (${done}/${n} document(s))`,
  searchproCompleted: (n: number) => `SearchPro: index build completed (${n} document(s))`,
  searchproFailed: 'SearchPro: index build failed; start it again from the library client',
} as const;
