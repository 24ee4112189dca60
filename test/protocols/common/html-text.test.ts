import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlText } from '../../../protocols/common/html-text.js';

describe('htmlText', () => {
  it('one line per block, as a browser shows it', () => {
    const cases: Array<[string, string]> = [
      ['<p>a</p><p>b &amp; c</p>', 'a\nb & c'],
      ['<script>alert(1)</script><div>x&#12354;&#x3042;</div>', 'xああ'],
      ['<head><title>t</title></head><body>  spaced   out </body>', 'spaced out'],
      ['<!-- hidden --><br>サーバに負荷がかかっています。', 'サーバに負荷がかかっています。'],
    ];
    for (const [html, text] of cases) expect(htmlText(html)).toBe(text);
  });

  it('flat: one line for "contains" checks', () => {
    expect(htmlText('<style>p{}</style><p>a</p>\n<p>b&nbsp;&lt;c&gt;</p>', 'flat')).toBe('a b <c>');
  });

  it('leaves an entity outside Unicode as written instead of throwing (the scenario copy threw RangeError)', () => {
    expect(() => htmlText('<p>&#x110000; &#1114112; &#99999999999999999999;</p>', 'flat')).not.toThrow();
    expect(htmlText('<p>&#x110000; &#1114112; &#0;</p>', 'flat')).toBe('&#x110000; &#1114112; &#0;');
    expect(decodeEntities('&#x10FFFF;')).toBe(String.fromCodePoint(0x10ffff));
    expect(decodeEntities('&bogus; &AMP;')).toBe('&bogus; &');
  });
});
