// `${...}` in a scenario's values: a variable (`${password}`, a value kept by
// `save` or by a `match` expectation's named group) or a computed value,
// `${FUNCTION:TEXT}`, whose TEXT may hold variables and the escapes `\0`
// (NUL), `\\`, `\$`, `\}`. A recording writes what a client computed from the
// password this way: SASL PLAIN `${base64:\0alice\0${password}}`, SASL LOGIN
// `${base64:${password}}`, APOP `${md5:${apop}${password}}`. The validator
// checks the syntax, the runner evaluates it (one parser for both).

import { createHash } from 'node:crypto';

/** The functions of `${FUNCTION:TEXT}`: what each makes of its text. */
export const FUNCTIONS: Record<string, { doc: string; apply: (text: string) => string }> = {
  base64: { doc: 'the text (UTF-8) in base64: SASL PLAIN and LOGIN responses', apply: (t) => Buffer.from(t, 'utf8').toString('base64') },
  md5: { doc: 'the MD5 digest of the text (UTF-8) in lower-case hex: the APOP digest of the greeting\'s timestamp and the password', apply: (t) => createHash('md5').update(t, 'utf8').digest('hex') },
};

type Part = string | { variable: string } | { fn: string; arg: Part[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const ESCAPES: Record<string, string> = { '0': '\0', '\\': '\\', $: '$', '}': '}' };

class SyntaxProblem extends Error {}

/**
 * Parses a text into literal parts, variables and function calls. Outside a function's text anything that is not
 * `${NAME}` or `${NAME:` stays literal (a regular expression's `\$\{` or `{n}` is text); inside it, `}` ends it.
 */
function parse(text: string, at: number, inArg: boolean): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let lit = '';
  let i = at;
  const flush = () => {
    if (lit) parts.push(lit);
    lit = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (inArg && c === '}') {
      flush();
      return { parts, end: i + 1 };
    }
    if (inArg && c === '\\') {
      const e = ESCAPES[text[i + 1] ?? ''];
      if (e === undefined) throw new SyntaxProblem(`unknown escape \\${text[i + 1] ?? ''} in a \${FUNCTION:TEXT} (the escapes are \\0 for NUL, \\\\, \\$ and \\})`);
      lit += e;
      i += 2;
      continue;
    }
    if (c === '$' && text[i + 1] === '{') {
      const name = NAME.exec(text.slice(i + 2))?.[0];
      const after = name ? text[i + 2 + name.length] : undefined;
      if (name && after === '}') {
        flush();
        parts.push({ variable: name });
        i += 3 + name.length;
        continue;
      }
      if (name && after === ':') {
        if (!Object.hasOwn(FUNCTIONS, name)) throw new SyntaxProblem(`unknown function \${${name}:...}; the functions are: ${Object.keys(FUNCTIONS).join(', ')}`);
        const inner = parse(text, i + 3 + name.length, true);
        flush();
        parts.push({ fn: name, arg: inner.parts });
        i = inner.end;
        continue;
      }
      if (inArg) throw new SyntaxProblem('in a ${FUNCTION:TEXT}, `${` starts a variable `${NAME}` or a function (write \\$ for a dollar sign)');
    }
    lit += c;
    i++;
  }
  if (inArg) throw new SyntaxProblem('a ${FUNCTION:TEXT} is not closed with `}`');
  flush();
  return { parts, end: i };
}

/** Why a text's `${...}` cannot be evaluated, or null when it can. */
export function expressionProblem(text: string): string | null {
  try {
    parse(text, 0, false);
    return null;
  } catch (err) {
    if (err instanceof SyntaxProblem) return err.message;
    throw err;
  }
}

/** The variables a text uses (in functions too). */
export function variablesOf(text: string): string[] {
  const out: string[] = [];
  const walk = (parts: Part[]) => {
    for (const p of parts) {
      if (typeof p === 'string') continue;
      if ('variable' in p) out.push(p.variable);
      else walk(p.arg);
    }
  };
  walk(parse(text, 0, false).parts);
  return out;
}

/**
 * The text with its variables and functions evaluated; `lookup` gives a variable's value (or throws). A text that
 * is one variable and nothing else keeps the value's type (a number stays a number).
 */
export function evaluate(text: string, lookup: (name: string) => unknown): unknown {
  let parsed;
  try {
    parsed = parse(text, 0, false);
  } catch (err) {
    if (err instanceof SyntaxProblem) throw new Error(`${JSON.stringify(text)}: ${err.message}`);
    throw err;
  }
  const [only] = parsed.parts;
  if (parsed.parts.length === 1 && typeof only === 'object' && 'variable' in only) return lookup(only.variable);
  const render = (parts: Part[]): string => parts.map((p) => (typeof p === 'string' ? p : 'variable' in p ? String(lookup(p.variable)) : FUNCTIONS[p.fn]!.apply(render(p.arg)))).join('');
  return render(parsed.parts);
}

/** A literal text written inside a `${FUNCTION:TEXT}` (its `\`, `$`, `}` and NULs escaped). */
export function quoteArg(text: string): string {
  return text.replace(/[\\$}\0]/g, (c) => (c === '\0' ? '\\0' : `\\${c}`));
}

/** The SASL PLAIN response (RFC 4616 `authzid NUL authcid NUL password`) of a user, computed from `${password}`. */
export function saslPlain(authzid: string, user: string): string {
  return `\${base64:${quoteArg(authzid)}\\0${quoteArg(user)}\\0\${password}}`;
}

/**
 * The user a recorded SASL or APOP line names: `${base64:\0alice\0${password}}` (PLAIN), `${base64:alice}` (the
 * user of SASL LOGIN), `APOP alice ${md5:...}`; undefined for any other line.
 */
export function saslUser(line: string): string | undefined {
  const plain = /\$\{base64:(?:[^\\}]|\\[^0])*\\0((?:[^\\}]|\\[^0])+)\\0\$\{password\}\}/.exec(line);
  if (plain) return plain[1]!.replace(/\\(.)/g, '$1');
  const login = /^\$\{base64:((?:[^\\}$]|\\[\\$}])+)\}$/.exec(line.trim());
  if (login) return login[1]!.replace(/\\(.)/g, '$1');
  return /^APOP (\S+) /i.exec(line)?.[1];
}
