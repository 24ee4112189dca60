import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { frameSources, imapLogin, loginForm, pop3Login, webPage } from '../../../emulator/control/console/demo-clients.js';

// The console's demo clients against small fake servers on 127.0.0.1: they
// must report exactly the lines the server sent, and cope with servers that
// close, refuse, or answer nonsense.

const servers: Array<TcpServer | HttpServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((done) => {
    (s as HttpServer).closeAllConnections?.();
    s.close(() => done());
  })));
});

/** A TCP server scripted by (line received) -> replies; `greeting` first. */
async function fakeLineServer(greeting: string | null, answer: (line: string, socket: Socket) => string | null): Promise<number> {
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    if (greeting !== null) socket.write(greeting);
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const reply = answer(line, socket);
        if (reply !== null && !socket.destroyed) socket.write(reply);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('demo POP3 client', () => {
  it('reports every line of USER/PASS/QUIT as sent, with the password masked', async () => {
    const received: string[] = [];
    const port = await fakeLineServer('+OK ready <1.2@x>\r\n', (line, socket) => {
      received.push(line);
      if (line.startsWith('USER')) return '+OK send PASS\r\n';
      if (line.startsWith('PASS')) return '-ERR unable to lock maildrop\r\n';
      if (line === 'QUIT') {
        socket.end('+OK bye\r\n');
        return null;
      }
      return '-ERR ?\r\n';
    });
    const r = await pop3Login({ host: '127.0.0.1', port, user: 'alice', password: 's3cret' });
    expect(received).toEqual(['USER alice', 'PASS s3cret', 'QUIT']);
    expect(r.lines).toEqual([
      { from: 'S', text: '+OK ready <1.2@x>' },
      { from: 'C', text: 'USER alice' },
      { from: 'S', text: '+OK send PASS' },
      { from: 'C', text: 'PASS ********' },
      { from: 'S', text: '-ERR unable to lock maildrop' },
      { from: 'C', text: 'QUIT' },
      { from: 'S', text: '+OK bye' },
    ]);
    expect(r.summary).toBe('-ERR unable to lock maildrop');
    expect(r.ok).toBe(false);
  });

  it('shows a server that answers -ERR and hangs up at once', async () => {
    const server = createTcpServer((socket) => socket.end('-ERR POP3 service not implemented yet\r\n'));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const r = await pop3Login({ host: '127.0.0.1', port: (server.address() as { port: number }).port, user: 'alice', password: 'x' });
    expect(r.lines[0]).toEqual({ from: 'S', text: '-ERR POP3 service not implemented yet' });
    expect(r.lines.some((l) => l.from === 'C')).toBe(false);
    expect(r.summary).toBe('-ERR POP3 service not implemented yet');
    expect(r.ok).toBe(false);
  });

  it('says so when nothing listens', async () => {
    const r = await pop3Login({ host: '127.0.0.1', port: await closedPort(), user: 'alice', password: 'x' });
    expect(r).toEqual({ summary: 'connection refused', ok: false, lines: [{ from: 'note', text: 'connection refused' }] });
  });

  it('keeps a line without CRLF at close, and a server closing mid-dialogue', async () => {
    const port = await fakeLineServer('+OK hi\r\n', (line, socket) => {
      if (line.startsWith('USER')) socket.end('-ERR gone');
      return null;
    });
    const r = await pop3Login({ host: '127.0.0.1', port, user: 'bob', password: 'x' });
    expect(r.lines).toEqual([
      { from: 'S', text: '+OK hi' },
      { from: 'C', text: 'USER bob' },
      { from: 'S', text: '-ERR gone' },
    ]);
    expect(r.summary).toBe('-ERR gone');
  });
});

describe('demo IMAP client', () => {
  it('reads untagged lines until the tagged reply, quotes its arguments, logs out', async () => {
    const received: string[] = [];
    const port = await fakeLineServer('* OK IMAP4rev1 ready\r\n', (line, socket) => {
      received.push(line);
      if (line.startsWith('a1 LOGIN')) return '* CAPABILITY IMAP4rev1\r\na1 NO LOGIN failed:Server is busy\r\n';
      if (line === 'a2 LOGOUT') {
        socket.end('* BYE logging out\r\na2 OK LOGOUT completed\r\n');
        return null;
      }
      return null;
    });
    const r = await imapLogin({ host: '127.0.0.1', port, user: 'alice', password: 'pa"ss\\' });
    expect(received).toEqual(['a1 LOGIN "alice" "pa\\"ss\\\\"', 'a2 LOGOUT']);
    expect(r.lines).toEqual([
      { from: 'S', text: '* OK IMAP4rev1 ready' },
      { from: 'C', text: 'a1 LOGIN "alice" "********"' },
      { from: 'S', text: '* CAPABILITY IMAP4rev1' },
      { from: 'S', text: 'a1 NO LOGIN failed:Server is busy' },
      { from: 'C', text: 'a2 LOGOUT' },
      { from: 'S', text: '* BYE logging out' },
      { from: 'S', text: 'a2 OK LOGOUT completed' },
    ]);
    expect(r.summary).toBe('a1 NO LOGIN failed:Server is busy');
    expect(r.ok).toBe(false);
  });

  it('stops at a BYE greeting', async () => {
    const server = createTcpServer((socket) => socket.end('* BYE IMAP service not implemented yet\r\n'));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const r = await imapLogin({ host: '127.0.0.1', port: (server.address() as { port: number }).port, user: 'alice', password: 'x' });
    expect(r.summary).toBe('* BYE IMAP service not implemented yet');
    expect(r.lines.filter((l) => l.from === 'C')).toEqual([]);
  });
});

describe('demo web client', () => {
  it('finds frame sources and the login form', () => {
    expect(frameSources('<frameset><frame name="a" src="/menu"><frame src=\'/home\'><iframe src=/x></iframe></frameset>')).toEqual(['/menu', '/home', '/x']);
    expect(loginForm('<form method="post" action="/login"><input type="hidden" name="_csrf" value="t"><input name="user"><input type="password" name="password"></form>', 'alice', 'pw'))
      .toEqual({ action: '/login', fields: { _csrf: 't', user: 'alice', password: 'pw' } });
    expect(loginForm('<form action="/search"><input name="q"></form>', 'a', 'b')).toBeNull();
  });

  it('follows the redirect, logs in once, keeps the cookie, loads the frames, and never leaves the server', async () => {
    const seen: string[] = [];
    const server = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.cookie ?? '-'}`);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const send = (status: number, html: string, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
          res.end(html);
        };
        if (req.url === '/') return send(303, '', { location: '/login' });
        if (req.url === '/login' && req.method === 'GET') return send(200, '<p>ログイン</p><form method="post" action="/login"><input name="user"><input type="password" name="password"></form>');
        if (req.url === '/login') return body === 'user=alice&password=pw' ? send(303, '', { location: '/top', 'set-cookie': 'S=abc; Path=/; HttpOnly' }) : send(401, '<p>bad</p>');
        if (req.url === '/top') return send(200, '<frameset><frame src="/menu"><frame src="/main"><frame src="http://example.com/evil"></frameset>');
        if (req.url === '/menu') return send(200, '<p>メニュー</p>');
        if (req.url === '/main') return send(200, '<p class="busy">サーバに負荷がかかっています。しばらくしてからアクセスしてください。</p>');
        return send(404, 'not found');
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const r = await webPage({ base, path: '/', user: 'alice', password: 'pw' });
    expect(seen).toEqual(['GET / -', 'GET /login -', 'POST /login -', 'GET /top S=abc', 'GET /menu S=abc', 'GET /main S=abc']);
    expect(r.lines).toContainEqual({ from: 'C', text: 'POST /login (user=alice, password=********)' });
    expect(r.lines).toContainEqual({ from: 'S', text: 'HTTP 303 See Other -> /top' });
    expect(r.lines).toContainEqual({ from: 'S', text: 'サーバに負荷がかかっています。しばらくしてからアクセスしてください。' });
    expect(r.summary).toBe('HTTP 200: メニュー | サーバに負荷がかかっています。しばらくしてからアクセスしてください。');
    expect(r.ok).toBe(true);
  });

  it('stops a redirect loop', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const r = await webPage({ base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, path: '/', user: 'a', password: 'b' });
    expect(r.summary).toBe('too many redirects');
    expect(r.ok).toBe(false);
  });
});
