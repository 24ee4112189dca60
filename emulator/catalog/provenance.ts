import type { BehaviourSpec, EffectPart, Provenance, ProvenanceView, TextPart, TextView, Variant } from './types.js';

// Provenance per part of a behaviour (issue: never present our words as the
// seed's). An entry's `source` says whose id it is; its parts say more: each
// text is `seed` (the guide's bytes), `emulator` (ours) or `derived` (the
// guide's text with something of ours: a filled-in placeholder, POP3's `-`).

/** What the emulator fills into a seed placeholder when the behaviour fires. */
export const PLACEHOLDER_FILLS: Record<string, string> = {
  YESISU01: 'the directory server\'s name (services.fax.directoryName; default the site\'s directory server)',
  ユーザ名: 'the recipient\'s user name',
};

/** The provenance of a text from its parts; `filled`: its placeholders were filled in with other bytes. */
export function textSource(parts: readonly TextPart[], filled = false): Provenance {
  if (parts.every((p) => p.source === 'emulator')) return 'emulator';
  if (parts.every((p) => p.source === 'seed') && !(filled && parts.some((p) => p.placeholder))) return 'seed';
  return 'derived';
}

function views(messages: readonly string[], parts: TextPart[][] | undefined, source: 'seed' | 'emulator'): TextView[] {
  return messages.map((text, i) => {
    const p = parts?.[i] ?? [{ text, source }];
    if (p.map((x) => x.text).join('') !== text) throw new Error(`catalog: the parts of ${JSON.stringify(text)} do not join to it`);
    return { text, source: textSource(p), parts: p };
  });
}

export function variantSource(spec: BehaviourSpec, v: Variant): 'seed' | 'emulator' {
  return v.source ?? spec.source;
}

/** The parts of the messages a variant (or the entry, without variants) puts on the wire. */
export function variantParts(spec: BehaviourSpec, index: number): TextPart[][] {
  const v = spec.variants?.[index];
  if (!v) return views(spec.messages, spec.messageParts, spec.source).map((x) => x.parts);
  return views(v.messages, v.parts, variantSource(spec, v)).map((x) => x.parts);
}

export function effectParts(spec: BehaviourSpec): EffectPart[] {
  return spec.effectParts ?? [{ text: spec.effect, source: spec.source }];
}

export function provenanceOf(spec: BehaviourSpec): ProvenanceView {
  const placeholders = [...new Set((spec.messageParts ?? []).flat().filter((p) => p.placeholder).map((p) => p.placeholder!))];
  return {
    effect: effectParts(spec),
    messages: views(spec.messages, spec.messageParts, spec.source),
    ...(spec.variants ? {
      variants: spec.variants.map((v) => ({ name: v.name, source: variantSource(spec, v), ...(v.rc !== undefined ? { rc: v.rc } : {}), messages: views(v.messages, v.parts, variantSource(spec, v)) })),
    } : {}),
    ...(placeholders.length ? { placeholders: placeholders.map((p) => ({ placeholder: p, fill: PLACEHOLDER_FILLS[p] ?? 'a value of the emulator\'s', source: 'emulator' as const })) } : {}),
  };
}

/** Fills a message's placeholders; returns the text and its provenance on the wire. */
export function fillParts(parts: readonly TextPart[], fill: Record<string, string> | undefined): { text: string; source: Provenance } {
  let filled = false;
  const text = parts.map((p) => {
    if (!p.placeholder || !fill || fill[p.placeholder] === undefined) return p.text;
    if (fill[p.placeholder] !== p.text) filled = true;
    return fill[p.placeholder];
  }).join('');
  return { text, source: textSource(parts, filled) };
}
