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

/** The console: topology cards, checklist, command box, demo clients, live feed. */
export function consolePage(): string {
  return `${head('twemu training console')}
<body class="console">
<header class="top">
  <h1>twemu training console</h1>
  <span class="subtitle">TeamWARE Office 200X V2.0 &mdash; online backup</span>
  <span id="topology" class="pill"></span>
  <label class="mode"><input type="checkbox" id="lenient"> lenient mode</label>
  <span id="connection" class="pill off" title="live event stream">feed: connecting</span>
  <form method="post" action="/console/logout" class="logout"><button type="submit">Log out</button></form>
</header>
<main class="layout">
  <div class="left">
    <section id="servers" class="servers" aria-label="site topology"></section>
    <section class="panel" aria-label="command box">
      <h2>Command</h2>
      <form id="command-form" autocomplete="off">
        <input id="command" name="command" placeholder="to tran suspend" spellcheck="false" aria-label="command">
        <select id="command-server" aria-label="server"></select>
        <button type="submit">Run</button>
      </form>
      <p class="help">Type a documented command: <code>to tran suspend</code>, <code>to backup on</code>, <code>tobkweb arc</code>, <code>to tran resume</code>, <code>twemu backup --level 0</code>, <code>tobkweb rm</code>, <code>to backup off</code> (<code>--server NAME</code> optional).</p>
      <div id="result" class="result" role="status" aria-live="polite"></div>
    </section>
    <section class="panel" aria-label="demo client">
      <h2>Demo client</h2>
      <form id="demo-form" autocomplete="off">
        <label>server <select id="demo-server"></select></label>
        <label>user <input id="demo-user" value="alice" size="8"></label>
        <label>password <input id="demo-password" type="password" value="teamware" size="8"></label>
        <label>page <input id="demo-path" value="/" size="10"></label>
        <label>function <select id="demo-function"><option value="">(first listed)</option></select></label>
      </form>
      <div class="demo-buttons">
        <button type="button" data-demo="pop3-login">POP3 login</button>
        <button type="button" data-demo="imap-login">IMAP login</button>
        <button type="button" data-demo="web-page">Web page</button>
        <button type="button" data-demo="api-call">API call (AME)</button>
      </div>
      <div id="demo-result" class="transcript" aria-live="polite"></div>
    </section>
  </div>
  <section class="feed-panel" aria-label="live events">
    <h2>Live events</h2>
    <ol id="feed" class="feed"></ol>
  </section>
</main>
<script src="/console/assets/console.js" defer></script>
</body>
</html>
`;
}
