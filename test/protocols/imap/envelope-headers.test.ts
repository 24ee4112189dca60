// The header reader behind ENVELOPE (what the store computes for every message it writes) splits
// and unfolds headers by the rules of libmime's decodeHeaders, without loading libmime: checked
// here against libmime itself on headers that bend the rules. The ENVELOPE octets on the wire are
// proven through a client in test/e2e/envelope-store.test.ts.
import { describe, expect, it } from 'vitest';
import libmime from 'libmime';
import { envelopeHeaders } from '../../../protocols/imap/mime.js';

const FIELDS = ['date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id'];

const HEADERS = [
  'From: a@x.example\r\nSubject: plain\r\n\r\nbody',
  'From: a@x.example\nSubject: LF only\n\nbody\n',
  'From: a@x.example\rSubject: bare CR\r\rbody',
  'Subject: folded\r\n  over\r\n\tthree lines\r\nTo: b@x.example\r\n\r\n',
  ' starts folded\r\nFrom: a@x.example\r\n\r\n',
  'A line without a colon\r\nFrom: a@x.example\r\n\r\n',
  'From : space before the colon\r\n   Subject: only a continuation\r\n\r\n',
  'From\r\n : the key folded\r\n\r\n',
  'To: first@x.example\r\nTo: second@x.example\r\nCC: upper-case key\r\nCc:\r\nBcc:   \r\n\r\n',
  'From: no empty line at all\r\nSubject: so the whole message is header',
  'Subject: caf\xe9 8-bit\r\nFrom: "\xe5\xb1\xb1" <y@x.example>\r\n\r\n',
  '__proto__: x\r\nconstructor: y\r\nMessage-ID: <m@x>\r\nIn-Reply-To: <a@x>\r\n\t<b@x>\r\n\r\n',
  'Date: Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)\r\nReply-To: g: a@x, b@y;\r\nSender:s@x\r\n\r\n',
  'X-Long: ' + 'y'.repeat(5000) + '\r\nSubject: after a long field\r\n\r\n',
  ':empty key\r\nSubject:: two colons\r\nFrom:a:b\r\n\r\n',
  '',
  '\r\n\r\nFrom: after blank lines\r\n\r\n',
];

/** What ENVELOPE read before: libmime's decodeHeaders over the same header bytes. */
function byLibmime(raw: Buffer): Record<string, string[]> {
  let end = raw.indexOf('\r\n\r\n');
  end = end < 0 ? raw.indexOf('\n\n') : end;
  const all = libmime.decodeHeaders((end < 0 ? raw : raw.subarray(0, end + 2)).toString('latin1')) as Record<string, string[]>;
  return Object.fromEntries(FIELDS.filter((f) => Object.hasOwn(all, f)).map((f) => [f, all[f]!]));
}

describe('the ENVELOPE header reader reads headers as libmime does', () => {
  it.each(HEADERS.map((h, i) => [i, h]))('case %i', (_i, text) => {
    const raw = Buffer.from(text as string, 'latin1');
    expect(envelopeHeaders(raw)).toEqual(byLibmime(raw));
  });
});
