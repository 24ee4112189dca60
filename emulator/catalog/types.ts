/** How a behaviour is switched: the seed's "may" (〜ことがあります) made a policy. */
export type PolicyMode = 'always' | 'never' | 'probability';

export interface Policy {
  mode: PolicyMode;
  /** 0..1, for mode `probability`. */
  probability?: number;
  /** Seed of this behaviour's draws (probability and variant); same seed, same draws. */
  seed?: number;
  /** 0-based index of the alternative to use, where the behaviour has alternatives. */
  variant?: number;
}

export interface Variant {
  /** Short stable name, e.g. `rc-9`, `coded`. */
  name: string;
  /** Exact texts shown or logged when this variant fires. */
  messages: string[];
  /** Numeric code, for the application execution module. */
  rc?: number;
}

/** When the behaviour can happen. */
export type Trigger =
  | 'suspended' // the operation reaches a server whose service is suspended
  | 'in-flight' // a session or job that began before the suspension
  | 'directory-suspended' // depends on the directory server's suspension
  | 'indexing' // SearchPro building an index (not a suspension)
  | 'network'; // any time: a network fault on a new connection (latency, timeout, reset), off unless its policy is set

export interface BehaviourSpec {
  id: string;
  /** `seed`: documented in the administrator guide 19.3.1; `emulator`: our default where it is silent. */
  source: 'seed' | 'emulator';
  client: string;
  operation: string;
  trigger: Trigger;
  /** What the client sees, in English. */
  effect: string;
  /** Every exact text of the behaviour (all variants), byte for byte. */
  messages: string[];
  /** Alternatives where the seed gives them ("-9 or -10", "one message or the other"). */
  variants?: Variant[];
  /** The seed says "may" (the real product does not always do it). */
  may: boolean;
  /** Policy when none is configured; `always` unless an emulator default says otherwise. */
  defaultPolicy?: Policy;
  /** Placeholders in messages that are filled when the behaviour fires, e.g. `{user}`. */
  template?: string[];
}

export interface Decision {
  id: string;
  fires: boolean;
  variant: number;
  variantName: string;
  messages: string[];
  rc?: number;
}
