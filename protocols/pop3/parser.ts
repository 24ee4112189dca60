// A command line -> keyword and arguments (RFC 1939 section 3, RFC 2449 section 4).

export interface ParsedCommand {
  /** Upper-cased keyword, e.g. `RETR`. */
  verb: string;
  /** Arguments split on spaces (printable ASCII only). */
  args: string[];
  /** Everything after the keyword and its space, as UTF-8 (PASS: a password may hold spaces). */
  rest: string;
  /** False when the arguments hold octets outside printable ASCII (only PASS accepts that). */
  printable: boolean;
}

export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; error: string };

const SPACE = 0x20;

export function parseCommand(line: Buffer): ParseResult {
  if (line.length === 0) return { ok: false, error: 'empty command line' };
  const space = line.indexOf(SPACE);
  const keyword = line.subarray(0, space < 0 ? line.length : space).toString('latin1');
  // Keywords are 3 or 4 letters (RFC 2449 section 4); allow a little more so an unknown word gets "unknown command".
  if (!/^[A-Za-z]{1,8}$/.test(keyword)) return { ok: false, error: 'unknown command' };
  const verb = keyword.toUpperCase();
  const restBytes = space < 0 ? Buffer.alloc(0) : line.subarray(space + 1);
  const rest = restBytes.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = !/[^\x20-\x7e]/.test(restBytes.toString('latin1'));
  const args = printable ? rest.split(' ').filter((a) => a.length > 0) : [];
  return { ok: true, command: { verb, args, rest, printable } };
}

/** A message number: 1.. (RFC 1939 section 5), or null. */
export function messageNumber(text: string | undefined): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,8}$/.test(text)) return null;
  return Number(text);
}

/** A non-negative line count for TOP, or null. */
export function lineCount(text: string | undefined): number | null {
  if (text === undefined || !/^[0-9]{1,9}$/.test(text)) return null;
  return Number(text);
}
