import type { BehaviourSpec } from '../types.js';

// Emulator defaults (network): the faults of Toxiproxy's `latency`, `timeout`
// and `reset_peer` toxics, per protocol, so a client's retry logic can be
// tested against slow and flaky servers as well as the documented replies.
// Not in the seed (`source: 'emulator'`), off unless a policy turns them on
// (`always`, or `probability` for flaky), and drawn once per new connection:
// they happen whether or not the server is suspended. The variants are the
// magnitudes; the texts say what the client sees (there is no reply text).

export interface NetworkFault {
  kind: 'latency' | 'timeout' | 'reset';
  /** latency: the delay of every chunk the server writes; timeout: when the connection is closed (null: never); reset: when the RST is sent. */
  ms: number | null;
}

/** The magnitude of each variant, by its name (protocols/common/faults.ts applies them). */
export const NETWORK_FAULTS: Record<string, NetworkFault> = {
  'latency-500ms': { kind: 'latency', ms: 500 },
  'latency-5s': { kind: 'latency', ms: 5000 },
  hang: { kind: 'timeout', ms: null },
  'close-10s': { kind: 'timeout', ms: 10_000 },
  'on-connect': { kind: 'reset', ms: 0 },
  'after-1s': { kind: 'reset', ms: 1000 },
};

const PROTOCOLS = [
  { prefix: 'pop3', client: 'POP3' },
  { prefix: 'imap4', client: 'IMAP4' },
  { prefix: 'web', client: 'web (HTTP: pages and the application execution module)' },
];

function variants(names: string[], text: (f: NetworkFault) => string) {
  return names.map((name) => ({ name, messages: [text(NETWORK_FAULTS[name]!)] }));
}

export const networkDefaults: BehaviourSpec[] = PROTOCOLS.flatMap(({ prefix, client }) => {
  const latency = variants(['latency-500ms', 'latency-5s'], (f) => `(every reply delayed by ${f.ms} ms)`);
  const timeout = variants(['hang', 'close-10s'], (f) => (f.ms === null ? '(no reply; the connection stays open until the client gives up)' : `(no reply; the connection is closed after ${f.ms / 1000} s)`));
  const reset = variants(['on-connect', 'after-1s'], (f) => (f.ms ? `(the connection is reset (TCP RST) ${f.ms / 1000} s after it opens)` : '(the connection is reset (TCP RST) as soon as it opens)'));
  const entry = (kind: string, effect: string, v: typeof latency): BehaviourSpec => ({
    id: `${prefix}.net-${kind}`, source: 'emulator', client, operation: 'any connection', trigger: 'network', may: true,
    effect: `emulator default, off unless its policy is set (Toxiproxy's ${kind === 'reset' ? 'reset_peer' : kind}): ${effect}; variants give the magnitude`,
    messages: v.flatMap((x) => x.messages), variants: v, defaultPolicy: { mode: 'never' },
  });
  return [
    entry('latency', 'every chunk the server writes on a new connection reaches the client late', latency),
    entry('timeout', 'a new connection gets no reply at all (what the client sends is swallowed)', timeout),
    entry('reset', 'a new connection is reset by the server', reset),
  ];
});
