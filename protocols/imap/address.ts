// Address headers (RFC 5322 3.4, with the obsolete route of RFC 822) parsed
// the way IMAP's ENVELOPE needs them (RFC 3501 7.4.2): name, source route,
// mailbox, host, and groups as a start entry (host NIL) and an end entry (all
// NIL). Lenient like Dovecot's message-address parser: comments are skipped
// (a comment after a bare addr-spec is its name), a group member that is no
// address (`group: (foo) ;`) is nothing, and a missing domain is NIL.

export interface Address {
  name: string | null;
  /** Source route, `@a,@b` (obsolete, still seen). */
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

type Tok =
  | { t: 'word'; v: string; quoted: boolean }
  | { t: 'comment'; v: string }
  | { t: 'special'; v: string }
  | { t: 'dliteral'; v: string };

const SPECIALS = '<>:;@,.';

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '(') {
      let depth = 0;
      let v = '';
      for (; i < s.length; i++) {
        const x = s[i]!;
        if (x === '\\' && i + 1 < s.length) {
          v += s[++i];
          continue;
        }
        if (x === '(' && depth++ === 0) continue;
        if (x === ')' && --depth === 0) {
          i++;
          break;
        }
        v += x;
      }
      out.push({ t: 'comment', v: v.trim() });
    } else if (c === '"') {
      let v = '';
      for (i++; i < s.length && s[i] !== '"'; i++) v += s[i] === '\\' && i + 1 < s.length ? s[++i] : s[i];
      i++;
      out.push({ t: 'word', v, quoted: true });
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      const stop = end < 0 ? s.length : end + 1;
      out.push({ t: 'dliteral', v: s.slice(i, stop) });
      i = stop;
    } else if (SPECIALS.includes(c)) {
      out.push({ t: 'special', v: c });
      i++;
    } else {
      let v = '';
      while (i < s.length && !' \t\r\n()"['.includes(s[i]!) && !SPECIALS.includes(s[i]!)) v += s[i++];
      out.push({ t: 'word', v, quoted: false });
    }
  }
  return out;
}

class Parser {
  i = 0;
  constructor(private readonly toks: Tok[]) {}

  peek(): Tok | undefined {
    return this.toks[this.i];
  }

  isSpecial(v: string): boolean {
    const t = this.toks[this.i];
    return t?.t === 'special' && t.v === v;
  }

  /** Words and dots up to one of `stops` (specials), comments set aside. */
  phrase(stops: string): { words: string[]; comments: string[]; raw: string } {
    const words: string[] = [];
    const comments: string[] = [];
    let raw = '';
    // A dot (obsolete phrase, local part) joins what is either side of it without a space.
    let glue = false;
    for (let t = this.peek(); t; t = this.peek()) {
      if (t.t === 'special' && stops.includes(t.v)) break;
      this.i++;
      if (t.t === 'comment') {
        comments.push(t.v);
        continue;
      }
      if ((glue || t.t === 'special') && words.length) words[words.length - 1] += t.v;
      else words.push(t.v);
      glue = t.t === 'special';
      raw += t.t === 'word' && t.quoted ? `"${t.v}"` : t.v;
    }
    return { words, comments, raw };
  }

  /** `local@domain` from the current position (local part already read into `local`). */
  /** Comments met after the domain began (the name of a bare addr-spec). */
  trailing: string[] = [];

  domain(): string | null {
    this.trailing = [];
    if (!this.isSpecial('@')) return null;
    this.i++;
    let host = '';
    for (let t = this.peek(); t; t = this.peek()) {
      if (t.t === 'comment') {
        if (host) this.trailing.push(t.v);
        this.i++;
        continue;
      }
      if (t.t === 'word' || t.t === 'dliteral') host += t.v;
      else if (t.t === 'special' && t.v === '.') host += '.';
      else break;
      this.i++;
    }
    return host || null;
  }

  /** One mailbox (name-addr or addr-spec), or null when there is none before the next `,` / `;`. */
  mailbox(stops: string): Address | null {
    const start = this.i;
    const lead = this.phrase(`<@${stops}:`);
    if (this.isSpecial('<')) {
      this.i++;
      let adl: string | null = null;
      if (this.isSpecial('@')) {
        let route = '';
        for (let t = this.peek(); t && !(t.t === 'special' && (t.v === ':' || t.v === '>')); t = this.peek()) {
          this.i++;
          if (t.t !== 'comment') route += t.v;
        }
        if (this.isSpecial(':')) this.i++;
        adl = route || null;
      }
      const local = this.phrase(`@>${stops}`);
      const host = this.domain();
      while (this.peek() && !this.isSpecial('>') && !(this.peek()!.t === 'special' && stops.includes(this.peek()!.v))) this.i++;
      if (this.isSpecial('>')) this.i++;
      // Comments after `>` say nothing.
      while (this.peek()?.t === 'comment') this.i++;
      const name = lead.words.length ? lead.words.join(' ') : null;
      const mailbox = local.raw || null;
      if (!mailbox && !host && !adl) return name ? { name, adl: null, mailbox: null, host: null } : null;
      return { name, adl, mailbox, host };
    }
    if (this.isSpecial('@')) {
      const host = this.domain();
      const after: string[] = [...this.trailing];
      while (this.peek()?.t === 'comment') after.push((this.toks[this.i++] as { v: string }).v);
      const comments = [...lead.comments, ...after];
      if (!lead.raw && !host) return null;
      return { name: comments.length ? comments[comments.length - 1]! || null : null, adl: null, mailbox: lead.raw || null, host };
    }
    if (this.i === start || !lead.raw) return null;
    // A bare word: a mailbox without a domain.
    return { name: lead.comments.length ? lead.comments[lead.comments.length - 1]! || null : null, adl: null, mailbox: lead.raw, host: null };
  }
}

/** The entries of an address header, groups included; empty when it holds no address. */
export function parseAddresses(value: string): Address[] {
  const p = new Parser(tokenize(value));
  const out: Address[] = [];
  let guard = 0;
  while (p.peek() && guard++ < 10_000) {
    if (p.isSpecial(',') || p.isSpecial(';') || p.isSpecial('>')) {
      p.i++;
      continue;
    }
    const save = p.i;
    const lead = p.phrase('<@,;:');
    if (p.isSpecial(':')) {
      // A group: `name: member, member;`.
      p.i++;
      out.push({ name: null, adl: null, mailbox: lead.words.join(' ') || null, host: null });
      while (p.peek() && !p.isSpecial(';')) {
        if (p.isSpecial(',')) {
          p.i++;
          continue;
        }
        const before = p.i;
        const a = p.mailbox(',;');
        if (a && (a.mailbox || a.host)) out.push(a);
        if (p.i === before) p.i++;
      }
      if (p.isSpecial(';')) p.i++;
      out.push({ name: null, adl: null, mailbox: null, host: null });
      continue;
    }
    p.i = save;
    const a = p.mailbox(',;');
    if (a && (a.mailbox || a.host)) out.push(a);
    if (p.i === save) p.i++;
  }
  return out;
}
