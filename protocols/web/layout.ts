import { html, SafeHtml } from './html.js';

/** The stylesheet of every page: the classic groupware look (navy title bars, ruled tables, grey when blank). */
export const STYLESHEET = `
body { font-family: "MS PGothic", "IPAPGothic", "Noto Sans CJK JP", sans-serif; font-size: 13px; margin: 6px; background: #ffffff; color: #000000; }
body.blank { background: #c0c0c0; }
body.menu { background: #dfe6f2; }
h1 { font-size: 14px; background: #1f3f8f; color: #ffffff; padding: 3px 6px; margin: 0 0 6px 0; }
h2 { font-size: 13px; border-bottom: 1px solid #1f3f8f; color: #1f3f8f; margin: 10px 0 4px 0; }
table.list { border-collapse: collapse; width: 100%; }
table.list th { background: #c8d2e6; border: 1px solid #8090b0; padding: 2px 4px; text-align: left; font-weight: normal; }
table.list td { border: 1px solid #b0b8c8; padding: 2px 4px; }
table.form th { background: #e8ecf4; text-align: right; padding: 2px 6px; font-weight: normal; white-space: nowrap; }
.busy { color: #c00000; font-weight: bold; padding: 12px 4px; }
.error { color: #c00000; padding: 8px 4px; }
.notice { color: #006000; padding: 4px; }
.buttons { margin: 8px 0; }
.buttons form { display: inline; }
.menu a { display: block; padding: 3px 2px; }
.user { font-size: 12px; color: #333333; }
pre.body { font-family: inherit; white-space: pre-wrap; border: 1px solid #b0b8c8; padding: 6px; background: #fbfbfb; }
.muted { color: #666666; }
`;

/** A complete HTML page (one frame's document). */
export function page(title: string, body: SafeHtml, opts: { bodyClass?: string } = {}): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="stylesheet" href="/tw.css">
</head>
<body class="${opts.bodyClass ?? 'page'}">
${body}
</body>
</html>
`;
}

export interface FrameSpec { name: string; src: string }

/** A frameset document (HTML 4.01 Frameset), as the product's web client uses. */
export function frameset(title: string, layout: { cols?: string; rows?: string }, frames: Array<FrameSpec | SafeHtml>): SafeHtml {
  const attr = layout.cols ? html`cols="${layout.cols}"` : html`rows="${layout.rows ?? '*'}"`;
  return html`<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Frameset//EN" "http://www.w3.org/TR/html4/frameset.dtd">
<html lang="ja">
<head>
<meta charset="utf-8">
<title>${title}</title>
</head>
${framesetElement(layout, frames, attr)}
</html>
`;
}

/** A `<frameset>` element (nestable). */
export function framesetElement(layout: { cols?: string; rows?: string }, frames: Array<FrameSpec | SafeHtml>, attr?: SafeHtml): SafeHtml {
  const a = attr ?? (layout.cols ? html`cols="${layout.cols}"` : html`rows="${layout.rows ?? '*'}"`);
  return html`<frameset ${a} frameborder="1" border="2">
${frames.map((f) => (f instanceof SafeHtml ? f : html`<frame name="${f.name}" src="${f.src}" scrolling="auto">\n`))}</frameset>`;
}

/**
 * A 戻る button: a GET form to `target` (a path on this site, query kept as
 * hidden fields so the browser does not drop it).
 */
export function backButton(target: string, label = '戻る'): SafeHtml {
  const url = new URL(target, 'http://twemu.invalid');
  const fields = [...url.searchParams.entries()].map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form method="get" action="${url.pathname}">${fields}<button type="submit" name="back" value="1">${label}</button></form>`;
}

/** The busy page, rendered into the frame of the operation (web.busy). */
export function busyPage(messages: string[], back?: string): SafeHtml {
  return page('TeamWARE Office', html`${messages.map((m) => html`<p class="busy">${m}</p>\n`)}${back ? html`<div class="buttons">${backButton(back)}</div>` : ''}`, { bodyClass: 'page busy-page' });
}

/** A refused form submission: the reason (the busy message, or what to correct), then the form as it was filled in. */
export function formPage(messages: string[], kind: 'busy' | 'error', form: SafeHtml): SafeHtml {
  return page('TeamWARE Office', html`${messages.map((m) => html`<p class="${kind}">${m}</p>\n`)}${form}`, { bodyClass: kind === 'busy' ? 'page busy-page' : 'page' });
}

/** A blank, grey frame (web.top-blank-frames). */
export function blankPage(): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title></title><link rel="stylesheet" href="/tw.css"></head><body class="blank"></body></html>
`;
}

/** An error page with a 戻る button (bad input, not found, not allowed). */
export function errorPage(message: string, back?: string): SafeHtml {
  return page('エラー - TeamWARE Office', html`<h1>エラー</h1><p class="error">${message}</p>${back ? html`<div class="buttons">${backButton(back)}</div>` : ''}`);
}

/** The csrf field every state-changing form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}
