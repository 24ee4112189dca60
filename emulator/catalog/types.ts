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

/**
 * Where a part of a behaviour comes from: `seed`, the administrator guide's
 * own bytes (a test holds each against the seed's text); `emulator`, our words
 * or choices; `derived`, a seed text with something of ours in it (a
 * placeholder filled in, POP3's leading `-`, an elided tail left out).
 */
export type Provenance = 'seed' | 'emulator' | 'derived';

/** One part of an exact text, in order: the parts joined are the text. */
export interface TextPart {
  text: string;
  source: 'seed' | 'emulator';
  /** A placeholder of the seed's text (`YESISU01`, `ユーザ名`) the emulator fills in when the behaviour fires. */
  placeholder?: string;
}

/** One part of the effect (English): the seed's statement (with the Japanese it renders) or the emulator's addition. */
export interface EffectPart {
  text: string;
  source: 'seed' | 'emulator';
  /** For a `seed` part: the seed's words it renders, byte for byte. */
  cite?: string;
}

export interface Variant {
  /** Short stable name, e.g. `rc-9`, `coded`. */
  name: string;
  /** Exact texts shown or logged when this variant fires. */
  messages: string[];
  /** The parts of each message, where they differ in provenance (default: one part of the variant's source). */
  parts?: TextPart[][];
  /** Whether the seed names this alternative (default: the entry's source). */
  source?: 'seed' | 'emulator';
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
  /** The effect's parts with their provenance (default: the whole effect, of the entry's source). */
  effectParts?: EffectPart[];
  /** For a seed entry: the seed's words the entry stands on (operation and effect), byte for byte. */
  cite?: string[];
  /** Every exact text of the behaviour (all variants), byte for byte. */
  messages: string[];
  /** The parts of each of `messages`, where they differ in provenance (default: one part of the entry's source). */
  messageParts?: TextPart[][];
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
  /** The provenance of each message as it goes on the wire (`derived` once a placeholder is filled in). */
  provenance: Provenance[];
  /** Whether the seed names the alternative that fired. */
  variantSource: 'seed' | 'emulator';
  rc?: number;
}

/** A text with its parts and their provenance, as the catalog shows it. */
export interface TextView {
  text: string;
  source: Provenance;
  parts: TextPart[];
}

/** Every part of a behaviour with its provenance (`twemu catalog --json`, `GET /api/catalog`). */
export interface ProvenanceView {
  effect: EffectPart[];
  messages: TextView[];
  variants?: Array<{ name: string; source: 'seed' | 'emulator'; rc?: number; messages: TextView[] }>;
  /** Placeholders of seed texts and what the emulator fills in (`derived` on the wire). */
  placeholders?: Array<{ placeholder: string; fill: string; source: 'emulator' }>;
}
