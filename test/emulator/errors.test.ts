import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, TwemuError, NotFound, RemoteError, ameRc, isErrorCode, type ErrorCode, type ErrorSpec } from '../../emulator/errors.js';
import { AME_CODES } from '../../protocols/ame/codes.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('the error catalogue', () => {
  const codes = Object.keys(ERRORS) as ErrorCode[];

  it('maps every 400 to AME rc -2 (E_LOCKED: -5), every 404 to -3, and only to rcs AME has', () => {
    const rcs = new Set<number>(AME_CODES.map((c) => c.rc));
    for (const code of codes) {
      const spec = ERRORS[code];
      expect(rcs.has(ameRc(code)), code).toBe(true);
      if (spec.status === 404) expect(ameRc(code), code).toBe(-3);
      if (spec.status === 400) expect(ameRc(code), code).toBe(code === 'E_LOCKED' ? -5 : -2);
    }
  });

  it('gives every code a message, and its status to the error', () => {
    for (const code of codes) {
      expect(ERRORS[code].message.length, code).toBeGreaterThan(0);
      const err = new TwemuError(code);
      expect(err.status).toBe(ERRORS[code].status);
      expect(err.toJSON()).toEqual({ error: code, message: ERRORS[code].message });
    }
    expect(new NotFound('E_NO_FOLDER', 'no folder "x"').status).toBe(404);
  });

  it('keeps an unknown remote code in the JSON but not as its own code', () => {
    const e = new RemoteError('E_SOMETHING_NEWER', 'from a newer site', 418);
    expect(e.code).toBe('E_HTTP');
    expect(e.status).toBe(418);
    expect(e.toJSON().error).toBe('E_SOMETHING_NEWER');
    expect(isErrorCode('E_NO_ACCOUNT')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('is the only place error codes are spelled: every E_* literal in the sources is in the table (or an AME rc name)', () => {
    const ameNames = new Set<string>(AME_CODES.map((c) => c.name));
    const unknown: string[] = [];
    for (const file of ['emulator', 'protocols', 'scenarios'].flatMap((d) => sources(join(ROOT, d)))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](E_[A-Z0-9_]+)['"`]/g)) {
        if (!isErrorCode(m[1]) && !ameNames.has(m[1]!)) unknown.push(`${file.slice(ROOT.length + 1)}: ${m[1]}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('has no code nothing raises (a code in the table is one a user can meet)', () => {
    const used = new Set<string>();
    for (const file of ['emulator', 'protocols', 'scenarios'].flatMap((d) => sources(join(ROOT, d)))) {
      if (file === join(ROOT, 'emulator', 'errors.ts')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](E_[A-Z0-9_]+)['"`]/g)) used.add(m[1]!);
    }
    expect(codes.filter((c) => !used.has(c))).toEqual([]);
  });

  it('docs/errors.md lists every code as the table says (status, IMAP, POP3, AME rc, exit)', () => {
    const ameName = new Map<number, string>(AME_CODES.map((c) => [c.rc, c.name]));
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    const expected = [
      '| code | condition | HTTP | IMAP | POP3 | AME rc | CLI exit |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...codes.map((code) => {
        const spec: ErrorSpec = ERRORS[code];
        return `| \`${code}\` | ${cell(spec.message)} | ${spec.status} | ${spec.imap ? `\`[${spec.imap}]\`` : ''} | ${spec.pop3 ? `\`[${spec.pop3}]\`` : ''} | ${ameRc(code)} (${ameName.get(ameRc(code))}) | ${spec.exit ?? 1} |`;
      }),
    ].join('\n');
    const page = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const table = /<!-- table: generated from ERRORS -->\n([\s\S]*?)\n<!-- end of table -->/.exec(page)?.[1];
    expect(table, 'docs/errors.md: paste the expected table between its markers').toBe(expected);
  });
});
