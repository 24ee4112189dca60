import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { LineSocket, splitLine } from '../../../protocols/common/line-client.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A server on an ephemeral port that runs `talk` on each connection. */
async function server(talk: (socket: Socket) => void): Promise<number> {
  const s = createServer(talk);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

describe('splitLine', () => {
  it('frames CRLF lines, and IMAP literals through their octets', () => {
    expect(splitLine(Buffer.from('+OK hi\r\nnext'), 'pop3')).toEqual({ line: '+OK hi', used: 8 });
    expect(splitLine(Buffer.from('+OK hi'), 'pop3')).toBeNull();
    const fetch = Buffer.from('* 1 FETCH (BODY[] {5}\r\na\r\nbc)\r\nA1 OK\r\n');
    expect(splitLine(fetch, 'imap')).toEqual({ line: '* 1 FETCH (BODY[] {5}\r\na\r\nbc)', used: 31 });
    expect(splitLine(Buffer.from('* 1 FETCH (BODY[] {5}\r\na\r'), 'imap')).toBeNull();
    expect(splitLine(fetch, 'pop3')!.line).toBe('* 1 FETCH (BODY[] {5}');
  });
});

describe('LineSocket', () => {
  it('reads lines as they come, then what is left of an unterminated one, then null', async () => {
    const port = await server((s) => {
      s.write('+OK one\r\n+OK tw');
      setTimeout(() => s.end('o\r\nlast without CRLF'), 20);
    });
    const c = await LineSocket.connect('127.0.0.1', port);
    expect(await c.readLine()).toBe('+OK one');
    expect(await c.readLine()).toBe('+OK two');
    expect(await c.readLine()).toBe('last without CRLF');
    expect(await c.readLine()).toBeNull();
    expect(c.closed).toBe(true);
  });

  it('cuts an endless line at maxLength and bounds every wait', async () => {
    const port = await server((s) => s.write('x'.repeat(100)));
    const c = await LineSocket.connect('127.0.0.1', port);
    expect(await c.readLine({ maxLength: 40 })).toBe(`${'x'.repeat(40)}...`);
    const started = Date.now();
    await expect(c.readLine({ timeoutMs: 150 })).rejects.toThrow(/timed out waiting for a line/);
    expect(Date.now() - started).toBeLessThan(5000);
    c.close();
    await c.closedPromise;
  });

  it('keeps every byte with keepAll (wire tests search from a mark)', async () => {
    const port = await server((s) => s.on('data', (d) => s.write(`echo ${d.toString('latin1')}`)));
    const c = await LineSocket.connect('127.0.0.1', port, { keepAll: true });
    c.write('a\r\n');
    await c.readLine();
    const mark = c.mark();
    c.write('b\r\n');
    await c.readLine();
    expect(c.textFrom(0)).toBe('echo a\r\necho b\r\n');
    expect(c.textFrom(mark)).toBe('echo b\r\n');
    c.close();
  });

  it('a refused connection rejects', async () => {
    const port = await server(() => undefined);
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 20));
    await expect(LineSocket.connect('127.0.0.1', port, { timeoutMs: 2000 })).rejects.toThrow();
  });
});
