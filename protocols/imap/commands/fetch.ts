import type { Session } from '../session.js';
import { atom } from '../parser.js';
import { envelopesOf, structureOf } from '../cache.js';
import { bodyStructure, findPart, headerFields, type MimePart } from '../mime.js';
import { ENVELOPE_RUN } from '../../../emulator/store/mail.js';
import { ImapSyntaxError, data, literal, ok, no, quoted, type CommandSpec, type Token, type Untagged, type Value } from '../types.js';
import { resolveSet, type Target } from './util.js';

/** One requested FETCH item, parsed (RFC 3501 6.4.5). */
type Item =
  | { kind: 'FLAGS' | 'UID' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' }
  | { kind: 'section'; name: string; peek: boolean; part: number[]; what: '' | 'HEADER' | 'TEXT' | 'MIME' | 'FIELDS' | 'FIELDS.NOT'; fields: string[]; partial: [number, number] | null }
  | { kind: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' };

const SIMPLE = new Set(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT']);
const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/**
 * Messages read from the store at a time: one statement for up to RAW_BATCH small
 * messages, fewer when they are big (about RAW_BATCH_BYTES a batch), so that the
 * first of a run of 1 MB messages is on its way to the client while the next is read,
 * and memory stays bounded.
 */
const RAW_BATCH = 50;
const RAW_BATCH_BYTES = 2 * 1024 * 1024;

const SECTION = /^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)\.(\d+)>)?$/i;

export function parseItem(text: string): Item {
  const upper = text.toUpperCase();
  if (SIMPLE.has(upper)) return { kind: upper } as Item;
  const m = SECTION.exec(text);
  if (!m) throw new ImapSyntaxError(`unknown FETCH item ${text.slice(0, 60)}`);
  const peek = m[1]!.toUpperCase() === 'BODY.PEEK';
  const spec = m[2]!.trim();
  const partial: [number, number] | null = m[3] !== undefined ? [Number(m[3]), Number(m[4])] : null;
  if (partial && partial[1] === 0) throw new ImapSyntaxError('a partial fetch needs a non-zero length');
  const sm = /^((?:\d+\.)*\d+)?\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?(?:\s+\((.*)\))?$/i.exec(spec);
  if (!sm) throw new ImapSyntaxError(`invalid section ${spec.slice(0, 60)}`);
  const part = sm[1] ? sm[1].split('.').map(Number) : [];
  if (part.some((n) => n < 1)) throw new ImapSyntaxError('part numbers start at 1');
  const textPart = (sm[2] ?? '').toUpperCase();
  if (textPart === 'MIME' && !part.length) throw new ImapSyntaxError('MIME needs a part number');
  if (/^HEADER\.FIELDS/.test(textPart) && sm[3] === undefined) throw new ImapSyntaxError('HEADER.FIELDS needs a list of fields');
  if (!/^HEADER\.FIELDS/.test(textPart) && sm[3] !== undefined) throw new ImapSyntaxError(`invalid section ${spec.slice(0, 60)}`);
  const fields = sm[3] ? sm[3].trim().split(/\s+/).filter(Boolean).map((f) => f.replace(/^"|"$/g, '')) : [];
  if (/^HEADER\.FIELDS/.test(textPart) && !fields.length) throw new ImapSyntaxError('HEADER.FIELDS needs at least one field');
  const what = textPart === 'HEADER.FIELDS' ? 'FIELDS' : textPart === 'HEADER.FIELDS.NOT' ? 'FIELDS.NOT' : (textPart as '' | 'HEADER' | 'TEXT' | 'MIME');
  const name = `BODY[${part.join('.')}${part.length && textPart ? '.' : ''}${textPart}${fields.length ? ` (${fields.map((f) => f.toUpperCase()).join(' ')})` : ''}]`;
  return { kind: 'section', name, peek, part, what, fields, partial };
}

export function parseItems(t: Token | undefined): Item[] {
  if (!t) throw new ImapSyntaxError('missing FETCH items');
  if (t.type === 'atom' && MACROS[t.value.toUpperCase()]) return MACROS[t.value.toUpperCase()]!.map(parseItem);
  const tokens = t.type === 'list' ? t.items : [t];
  if (!tokens.length) throw new ImapSyntaxError('empty FETCH item list');
  return tokens.map((x) => parseItem(atom(x, 'FETCH item')));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
/** INTERNALDATE in UTC: `"05-Nov-2026 09:07:00 +0000"`. */
export function imapDate(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function sectionBytes(raw: Buffer, root: MimePart, item: Extract<Item, { kind: 'section' }>): Buffer | null {
  let p: MimePart | null = root;
  if (item.part.length) {
    p = findPart(root, item.part);
    if (!p) return null;
  }
  // HEADER/TEXT of a part address its embedded message (RFC 3501 6.4.5).
  const entity = item.part.length && (item.what === 'HEADER' || item.what === 'TEXT' || item.what.startsWith('FIELDS')) ? p.message ?? p : p;
  switch (item.what) {
    case '':
      return item.part.length ? raw.subarray(p.bodyStart, p.bodyEnd) : raw;
    case 'MIME':
    case 'HEADER':
      return raw.subarray((item.what === 'MIME' ? p : entity).headerStart, (item.what === 'MIME' ? p : entity).bodyStart);
    case 'TEXT':
      return raw.subarray(entity.bodyStart, entity.bodyEnd);
    case 'FIELDS':
    case 'FIELDS.NOT':
      return headerFields(raw, entity.headerStart, entity.bodyStart, item.fields, item.what === 'FIELDS.NOT');
  }
}

function partial(bytes: Buffer, range: [number, number] | null): Buffer {
  if (!range) return bytes;
  return bytes.subarray(Math.min(range[0], bytes.length), Math.min(range[0] + range[1], bytes.length));
}

async function* responses(session: Session, targets: Target[], items: Item[], uid: boolean): AsyncGenerator<Untagged> {
  const box = session.selected!;
  const mail = session.mail;
  const needsMeta = items.some((i) => i.kind === 'INTERNALDATE' || i.kind === 'RFC822.SIZE');
  // ENVELOPE is kept by the store beside each message, as the octets sent (and in memory once read): it needs no read of the message.
  const needsRaw = items.some((i) => !['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'].includes(i.kind));
  const wantsEnvelope = items.some((i) => i.kind === 'ENVELOPE');
  const keyOf = (uid: number) => `${session.server.store.database.id}/${session.user}/${box.name}/${box.uidValidity}/${uid}`;
  const needsStructure = items.some((i) => i.kind === 'BODYSTRUCTURE' || i.kind === 'BODY' || (i.kind === 'section' && (i.part.length || i.what === 'TEXT')) || i.kind === 'RFC822.TEXT');
  const setsSeen = !box.readOnly && items.some((i) => (i.kind === 'section' && !i.peek) || i.kind === 'RFC822' || i.kind === 'RFC822.TEXT');
  const metas = needsMeta ? new Map(mail.messages(session.user, box.name).map((m) => [m.uid, m])) : null;
  let batch = new Map<number, Buffer>();
  let batchSize = 1; // grows to RAW_BATCH while the messages read are small
  let batchEnd = 0;
  let envelopes = new Map<number, Buffer>();
  let envelopesEnd = 0;
  for (const [i, t] of targets.entries()) {
    if (wantsEnvelope && i >= envelopesEnd) {
      const slice = targets.slice(i, i + ENVELOPE_RUN);
      envelopesEnd = i + slice.length;
      envelopes = envelopesOf(slice.map((x) => x.uid), keyOf, (uids) => mail.envelopes(session.user, box.name, uids));
    }
    if (i >= batchEnd && needsRaw) {
      const slice = targets.slice(i, i + batchSize);
      batchEnd = i + slice.length;
      batch = mail.rawMany(session.user, box.name, slice.map((x) => x.uid));
      let bytes = 0;
      for (const b of batch.values()) bytes += b.length;
      const average = batch.size ? bytes / batch.size : 0;
      batchSize = Math.max(1, Math.min(RAW_BATCH, average ? Math.floor(RAW_BATCH_BYTES / average) : RAW_BATCH));
    }
    const meta = metas?.get(t.uid);
    if (metas && !meta) continue; // expunged by another session, not yet reported
    const raw = batch.get(t.uid) ?? null;
    if (needsRaw && !raw) continue; // expunged by another session
    const envelope = envelopes.get(t.uid);
    if (wantsEnvelope && !envelope) continue; // expunged by another session
    let flagsChanged = false;
    if (setsSeen && !(box.flags.get(t.uid) ?? []).includes('\\Seen')) {
      box.noteFlags(mail.setFlags(session.user, box.name, [t.uid], ['\\Seen'], 'add'));
      flagsChanged = true;
    }
    const structure = needsStructure && raw ? await structureOf(keyOf(t.uid), raw) : null;
    const out: Value[] = [];
    const seen = new Set<string>();
    const push = (name: string, v: Value) => {
      if (seen.has(name)) return;
      seen.add(name);
      out.push(name, v);
    };
    if (uid) push('UID', t.uid);
    for (const item of items) {
      switch (item.kind) {
        case 'UID': push('UID', t.uid); break;
        case 'FLAGS': push('FLAGS', box.flagsOf(t.uid)); break;
        case 'INTERNALDATE': push('INTERNALDATE', quoted(imapDate(meta!.internalDate))); break;
        case 'RFC822.SIZE': push('RFC822.SIZE', meta!.size); break;
        case 'ENVELOPE': push('ENVELOPE', { verbatim: envelope! }); break;
        case 'BODYSTRUCTURE': push('BODYSTRUCTURE', bodyStructure(raw!, structure!.root, true)); break;
        case 'BODY': push('BODY', bodyStructure(raw!, structure!.root, false)); break;
        case 'RFC822': push('RFC822', literal(raw!)); break;
        case 'RFC822.HEADER': push('RFC822.HEADER', literal(raw!.subarray(0, structure ? structure.root.bodyStart : headerEnd(raw!)))); break;
        case 'RFC822.TEXT': push('RFC822.TEXT', literal(raw!.subarray(structure!.root.bodyStart))); break;
        case 'section': {
          const root = structure?.root ?? { headerStart: 0, bodyStart: headerEnd(raw!), bodyEnd: raw!.length } as MimePart;
          const bytes = sectionBytes(raw!, root, item);
          const name = item.partial ? `${item.name}<${item.partial[0]}>` : item.name;
          push(name, bytes === null ? null : literal(partial(bytes, item.partial)));
          break;
        }
      }
    }
    if (flagsChanged) push('FLAGS', box.flagsOf(t.uid));
    yield data(t.seq, 'FETCH', out);
  }
}

function headerEnd(raw: Buffer): number {
  const i = raw.indexOf('\r\n\r\n');
  if (i >= 0) return i + 4;
  const j = raw.indexOf('\n\n');
  return j >= 0 ? j + 2 : raw.length;
}

export const fetch: CommandSpec = {
  name: 'FETCH', args: [{ name: 'sequence set', kind: 'sequence-set' }, { name: 'items', kind: 'any' }], states: ['selected'], store: 'store', uid: true,
  handle(session, cmd) {
    const targets = resolveSet(session, atom(cmd.args[0], 'sequence set'), cmd.uid);
    const items = parseItems(cmd.args[1]);
    if (!session.selected) return no('No mailbox selected');
    return ok(`${cmd.uid ? 'UID ' : ''}FETCH completed`, undefined, responses(session, targets, items, cmd.uid));
  },
};
