import escapeHtml from 'escape-html';

// The console's two HTML pages. Everything dynamic on the console page is
// filled in by assets/console.js from /console/state and the event stream.

const head = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>`;

/** The login form: the admin token, checked and then kept in an HttpOnly cookie. */
export function loginPage(error?: string): string {
  return `${head('twemu console: log in')}
<body class="login">
<main class="login-box">
  <h1>twemu training console</h1>
  <p class="subtitle">TeamWARE Office 200X V2.0 online backup</p>
  ${error ? `<p class="login-error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/console/login" id="login-form">
    <label for="token">Admin token</label>
    <input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
    <p class="help">The token is in <code>DATA_DIR/admin-token</code>.</p>
    <button type="submit">Log in</button>
  </form>
</main>
</body>
</html>
`;
}

/**
 * The console, laid out for a projector at 1280x800: the server cards across the
 * top; below them the command box, what the clients see, and the live feed, each
 * scrolling inside its own panel, so the page itself never scrolls. The catalog's
 * policies, the timeline and the scenarios open as dialogs.
 */
export function consolePage(): string {
  return `${head('twemu training console')}
<body class="console">
<a class="skip" href="#command">Skip to the command box</a>
<header class="top">
  <h1>twemu</h1>
  <span id="topology" class="pill"></span>
  <button type="button" id="next-step" class="primary" aria-describedby="next-step-why">Next step</button>
  <span id="next-step-why" class="why"></span>
  <span id="connection" class="pill off" title="the live event stream">connecting</span>
  <span class="tools">
    <button type="button" id="open-catalog" aria-haspopup="dialog">Catalog</button>
    <button type="button" id="open-timeline" aria-haspopup="dialog">Timeline</button>
    <button type="button" id="open-scenarios" aria-haspopup="dialog">Scenarios</button>
    <button type="button" id="reset-site" data-confirm="Really reset?">Reset site</button>
  </span>
  <form method="post" action="/console/logout" class="logout"><button type="submit">Log out</button></form>
</header>
<main class="layout">
  <section id="servers" class="servers" aria-label="site topology"></section>
  <div class="lower" id="lower">
    <section class="panel command-panel" aria-labelledby="command-title">
      <h2 id="command-title">Command</h2>
      <form id="command-form" autocomplete="off">
        <input id="command" name="command" placeholder="to tran suspend" spellcheck="false" aria-label="command" aria-describedby="command-help">
        <select id="command-server" aria-label="server"></select>
        <button type="submit">Run</button>
        <label class="mode"><input type="checkbox" id="lenient"> lenient mode</label>
      </form>
      <div id="result" class="result" role="status" aria-live="polite"></div>
      <details class="help" id="command-help"><summary>Commands</summary><code>to tran suspend</code>, <code>to backup on</code>, <code>tobkweb arc</code>, <code>to tran resume</code>, <code>twemu backup --level 0</code>, <code>tobkweb rm</code>, <code>to backup off</code>; <code>--server NAME</code> optional. Press <kbd>/</kbd> to come back here.</details>
    </section>
    <section class="panel clients-panel" aria-labelledby="clients-title">
      <h2 id="clients-title">What the clients see</h2>
      <div class="seen" id="seen">
        <button type="button" class="seen-box" data-demo="pop3-login" id="seen-pop3-login"><span class="label">POP3</span><span class="answer">run</span></button>
        <button type="button" class="seen-box" data-demo="imap-login" id="seen-imap-login"><span class="label">IMAP</span><span class="answer">run</span></button>
        <button type="button" class="seen-box" data-demo="web-page" id="seen-web-page"><span class="label">Web page</span><span class="answer">run</span></button>
        <button type="button" class="seen-box" data-demo="api-call" id="seen-api-call"><span class="label">AME call</span><span class="answer">run</span></button>
        <button type="button" class="seen-box" data-demo="smtp-login" id="seen-smtp-login"><span class="label">SMTP</span><span class="answer">run</span></button>
      </div>
      <form id="demo-form" autocomplete="off">
        <label>as <select id="demo-user"></select></label>
        <label>on <select id="demo-server"></select></label>
        <label class="auto"><input type="checkbox" id="clients-auto" checked> re-run on state change</label>
        <label class="hidden-password">password <input id="demo-password" type="password" value="teamware" size="8"></label>
        <details class="more"><summary>page, function</summary>
          <label>page <input id="demo-path" value="/" size="12"></label>
          <label>function <select id="demo-function"><option value="">(first listed)</option></select></label>
        </details>
      </form>
      <div id="demo-result" class="transcript" aria-live="polite"></div>
    </section>
    <section class="feed-panel" id="feed-panel" aria-labelledby="feed-title">
      <div class="feed-head">
        <h2 id="feed-title">Live events</h2>
        <span id="timezone" class="tz"></span>
        <button type="button" id="clear-feed">Clear</button>
        <button type="button" id="toggle-feed" aria-expanded="true" aria-controls="feed">Hide</button>
      </div>
      <ol id="feed" class="feed"></ol>
    </section>
  </div>
</main>
<dialog id="catalog-dialog" aria-labelledby="catalog-title">
  <div class="dialog-head"><h2 id="catalog-title">Behaviour catalog: policies</h2>
    <button type="button" id="reset-catalog">Reset every policy</button>
    <button type="button" class="close" data-close>Close</button></div>
  <div id="catalog-body" class="dialog-body"></div>
</dialog>
<dialog id="timeline-dialog" aria-labelledby="timeline-title">
  <div class="dialog-head"><h2 id="timeline-title">Timeline</h2>
    <a id="timeline-export" href="/console/timeline?download=1" download="twemu-timeline.json">Export JSON</a>
    <button type="button" class="close" data-close>Close</button></div>
  <div id="timeline-body" class="dialog-body"></div>
</dialog>
<dialog id="scenarios-dialog" aria-labelledby="scenarios-title">
  <div class="dialog-head"><h2 id="scenarios-title">Scenarios</h2>
    <button type="button" class="close" data-close>Close</button></div>
  <div id="scenarios-body" class="dialog-body"></div>
</dialog>
<script src="/console/assets/console.js" defer></script>
</body>
</html>
`;
}
