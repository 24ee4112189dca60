import { describe, expect, it } from 'vitest';
import { html, multiline, query, SafeHtml } from '../../../protocols/web/html.js';
import { backButton, busyPage } from '../../../protocols/web/layout.js';

describe('the html template', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['"quoted" & \'single\'', '&quot;quoted&quot; &amp; &#39;single&#39;'],
    ['日本語', '日本語'],
    [42, '42'],
    [null, ''],
    [undefined, ''],
    [false, ''],
    [['<a>', '<b>'], '&lt;a&gt;&lt;b&gt;'],
  ])('escapes %j', (value, expected) => {
    expect(html`<p>${value as string}</p>`.value).toBe(`<p>${expected}</p>`);
  });

  it('keeps nested fragments and escapes attribute values', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(inner).toBeInstanceOf(SafeHtml);
    expect(html`<div title="${'" onmouseover="x'}">${inner}</div>`.value).toBe('<div title="&quot; onmouseover=&quot;x"><b>&lt;i&gt;</b></div>');
  });

  it('keeps line breaks as <br> and builds encoded query strings', () => {
    expect(multiline('a<\nb').value).toBe('a&lt;<br>\nb');
    expect(query({ a: 'x&y=z', b: undefined, c: '', d: 3 })).toBe('?a=x%26y%3Dz&d=3');
    expect(query({})).toBe('');
  });

  it('puts the 戻る target query into hidden fields, escaped', () => {
    expect(backButton('/memo/new?title=%3Cx%3E&body=a%22b').value).toBe('<form method="get" action="/memo/new"><input type="hidden" name="title" value="&lt;x&gt;"><input type="hidden" name="body" value="a&quot;b"><button type="submit" name="back" value="1">戻る</button></form>');
    expect(busyPage(['<m>']).value).toContain('<p class="busy">&lt;m&gt;</p>');
    expect(busyPage(['m']).value).not.toContain('戻る');
  });
});
