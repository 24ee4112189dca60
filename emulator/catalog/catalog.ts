import { seedBehaviours } from './seed.js';
import { pop3Defaults } from './defaults/pop3.js';
import { imapDefaults } from './defaults/imap.js';
import { webDefaults } from './defaults/web.js';
import { networkDefaults } from './defaults/network.js';
import { ameDefaults } from './defaults/ame.js';
import { gatewaysDefaults } from './defaults/gateways.js';
import { smtpDefaults } from './defaults/smtp.js';
import { accessDefaults } from './defaults/access.js';
import type { BehaviourSpec, Decision, Policy, ProvenanceView } from './types.js';
import { provenanceOf, textSource, variantParts, variantSource } from './provenance.js';
import { BadRequest, NotFound } from '../errors.js';

export type { BehaviourSpec, Decision, Policy, PolicyMode, Variant, Trigger, Provenance, ProvenanceView, TextPart, EffectPart } from './types.js';

/** Every behaviour the emulator knows: the seed's, then the emulator defaults. */
export const allBehaviours: readonly BehaviourSpec[] = [
  ...seedBehaviours,
  ...pop3Defaults,
  ...imapDefaults,
  ...webDefaults,
  ...networkDefaults,
  ...ameDefaults,
  ...gatewaysDefaults,
  ...smtpDefaults,
  ...accessDefaults,
];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, to derive a per-behaviour seed from the site seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface CatalogEntryView extends BehaviourSpec {
  policy: Policy;
  /** Every part with its provenance: seed, emulator, or derived. */
  provenance: ProvenanceView;
}

/** Checks a policy given by a user (config file, control API, scenario). */
export function parsePolicy(spec: BehaviourSpec, input: unknown): Policy {
  if (typeof input === 'string') input = { mode: input };
  if (typeof input !== 'object' || input === null) {
    throw new BadRequest('E_POLICY', `policy for ${spec.id} must be an object like {"mode": "always"}`);
  }
  const raw = input as Record<string, unknown>;
  const mode = raw.mode;
  if (mode !== 'always' && mode !== 'never' && mode !== 'probability') {
    throw new BadRequest('E_POLICY', `policy mode for ${spec.id} must be "always", "never" or "probability", not ${JSON.stringify(mode)}`);
  }
  const policy: Policy = { mode };
  if (mode === 'probability') {
    const p = raw.probability;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new BadRequest('E_POLICY', `policy for ${spec.id}: "probability" must be a number from 0 to 1`);
    }
    policy.probability = p;
  }
  if (raw.seed !== undefined) {
    if (typeof raw.seed !== 'number' || !Number.isInteger(raw.seed)) {
      throw new BadRequest('E_POLICY', `policy for ${spec.id}: "seed" must be an integer`);
    }
    policy.seed = raw.seed;
  }
  if (raw.variant !== undefined) {
    const n = spec.variants?.length ?? 1;
    if (typeof raw.variant !== 'number' || !Number.isInteger(raw.variant) || raw.variant < 0 || raw.variant >= n) {
      throw new BadRequest('E_POLICY', `policy for ${spec.id}: "variant" must be an integer from 0 to ${n - 1}` +
        (spec.variants ? ` (${spec.variants.map((v, i) => `${i}=${v.name}`).join(', ')})` : ' (this behaviour has no alternatives)'));
    }
    policy.variant = raw.variant;
  }
  const extra = Object.keys(raw).filter((k) => !['mode', 'probability', 'seed', 'variant'].includes(k));
  if (extra.length) throw new BadRequest('E_POLICY', `policy for ${spec.id}: unknown field ${extra.map((k) => `"${k}"`).join(', ')}`);
  return policy;
}

/**
 * The behaviour catalog with its policies. `decide` is the one place where the
 * seed's "may" becomes a yes or no: same seed, same sequence of draws.
 */
export class Catalog {
  private readonly specs = new Map<string, BehaviourSpec>();
  private readonly policies = new Map<string, Policy>();
  private readonly streams = new Map<string, () => number>();
  private siteSeed: number;

  constructor(opts: { seed?: number; policies?: Record<string, unknown> } = {}) {
    for (const spec of allBehaviours) {
      if (this.specs.has(spec.id)) throw new Error(`duplicate behaviour id ${spec.id}`);
      this.specs.set(spec.id, spec);
    }
    this.siteSeed = opts.seed ?? 0;
    for (const [id, p] of Object.entries(opts.policies ?? {})) this.setPolicy(id, p);
  }

  get seed(): number {
    return this.siteSeed;
  }

  /** A new site seed restarts every behaviour's sequence of draws. */
  setSeed(seed: number): void {
    this.siteSeed = seed;
    this.streams.clear();
  }

  has(id: string): boolean {
    return this.specs.has(id);
  }

  spec(id: string): BehaviourSpec {
    const spec = this.specs.get(id);
    if (!spec) throw new NotFound('E_NO_BEHAVIOUR', `no behaviour with id ${JSON.stringify(id)}`, 'see `twemu catalog` for the ids');
    return spec;
  }

  policy(id: string): Policy {
    return this.policies.get(id) ?? this.spec(id).defaultPolicy ?? { mode: 'always' };
  }

  setPolicy(id: string, input: unknown): Policy {
    const policy = parsePolicy(this.spec(id), input);
    this.policies.set(id, policy);
    this.streams.delete(id);
    return policy;
  }

  /** Back to the configured defaults, every sequence restarted. */
  resetPolicies(): void {
    this.policies.clear();
    this.streams.clear();
  }

  list(): CatalogEntryView[] {
    return [...this.specs.values()].map((spec) => ({ ...spec, policy: this.policy(spec.id), provenance: provenanceOf(spec) }));
  }

  private draw(id: string, policy: Policy): number {
    let next = this.streams.get(id);
    if (!next) {
      next = mulberry32(policy.seed ?? hash(`${this.siteSeed}:${id}`));
      this.streams.set(id, next);
    }
    return next();
  }

  /**
   * Whether the behaviour fires this time, and which alternative. `preferred`
   * is the caller's natural alternative (e.g. -10 for a call cut by the
   * suspension) used when the policy does not pin or draw one.
   */
  decide(id: string, preferred?: number): Decision {
    const spec = this.spec(id);
    const policy = this.policy(id);
    let fires: boolean;
    if (policy.mode === 'always') fires = true;
    else if (policy.mode === 'never') fires = false;
    else fires = this.draw(id, policy) < (policy.probability ?? 0);
    const variants = spec.variants ?? [{ name: 'default', messages: spec.messages }];
    let variant = policy.variant ?? preferred ?? 0;
    if (fires && policy.variant === undefined && policy.mode === 'probability' && variants.length > 1) {
      variant = Math.floor(this.draw(id, policy) * variants.length);
    }
    if (variant < 0 || variant >= variants.length) variant = 0;
    const chosen = variants[variant]!;
    const parts = variantParts(spec, spec.variants ? variant : -1);
    return { id, fires, variant, variantName: chosen.name, messages: [...chosen.messages], provenance: parts.map((p) => textSource(p)),
      variantSource: spec.variants ? variantSource(spec, chosen) : spec.source, ...(chosen.rc !== undefined ? { rc: chosen.rc } : {}) };
  }
}
