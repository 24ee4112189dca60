// Every command through the real client node-pop3 (what a Node mail tool would use).
import { createHash } from 'node:crypto';
import Pop3Command from 'node-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

let emu: Emulator;
let port: number;
const pop3 = (user: string, password: string) => new Pop3Command({ user, password, host: '127.0.0.1', port, timeout: 5000 });

beforeAll(async () => {
  emu = await startTestSite({ services: { pop3: { failedLoginDelayMs: 0 } } });
  port = emu.endpoints.servers[0]!.pop3!;
});
afterAll(async () => {
  await emu.stop();
});

describe('pop3 with node-pop3', () => {
  it('USER/PASS, STAT, LIST, UIDL, TOP, RETR, NOOP, CAPA, QUIT', async () => {
    const p = pop3('alice', 'teamware');
    const stat = await p.STAT();
    expect(stat).toMatch(/^3 (\d+)$/);
    const list = (await p.LIST()) as string[][];
    expect(list.map((l) => l[0])).toEqual(['1', '2', '3']);
    expect(list.reduce((n, l) => n + Number(l[1]), 0)).toBe(Number(stat.split(' ')[1]));
    expect(await p.LIST(2)).toEqual(['2', list[1]![1]]);
    const uidl = (await p.UIDL()) as string[][];
    expect(uidl).toHaveLength(3);
    expect(await p.UIDL(3)).toEqual(uidl[2]);
    const top = await p.TOP(2, 1);
    expect(top).toContain('Subject: Quarterly figures\r\n');
    expect(top.endsWith('\r\n\r\nHello,')).toBe(true);
    const retr = await p.RETR(2);
    // node-pop3 does not undo byte-stuffing: the single-dot line arrives as "..".
    expect(retr).toContain('\r\n..\r\nA line with a single dot above.');
    expect(retr.length).toBe(Number(list[1]![1]) + 1 /* the stuffed dot */ - 2 /* the CRLF node-pop3 strips with the terminator */);
    await p.NOOP();
    const [capaInfo, capaStream] = await p.command('CAPA');
    expect(capaInfo).toBe('Capability list follows');
    // node-pop3 treats CAPA as a one-line reply: it gets no stream (the list comes in the same write and is dropped by it).
    expect(capaStream).toBeNull();
    expect(await p.QUIT()).toBe('signing off (3 messages left)');
  });

  it('DELE, RSET, DELE and QUIT remove exactly the marked message', async () => {
    expect((await api(emu, 'POST', '/api/users', { name: 'np', password: 'pw' })).status).toBe(201);
    for (let i = 1; i <= 3; i++) emu.site.deliver('np', `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
    const p = pop3('np', 'pw');
    const before = (await p.UIDL()) as string[][];
    expect(await p.DELE(1)).toBe('message 1 deleted');
    expect(await p.RSET()).toMatch(/^maildrop has 3 messages/);
    expect(await p.DELE(3)).toBe('message 3 deleted');
    await expect(p.RETR(3)).rejects.toThrow('no such message 3');
    expect(await p.QUIT()).toBe('signing off (1 message removed, 2 left)');
    const q = pop3('np', 'pw');
    expect(((await q.UIDL()) as string[][]).map((l) => l[1])).toEqual([before[0]![1], before[1]![1]]);
    await q.QUIT();
  });

  it('APOP through node-pop3\'s command()', async () => {
    const p = new Pop3Command({ user: 'bob', password: 'teamware', host: '127.0.0.1', port, timeout: 5000 });
    const greeting = await new Promise<string>((resolve) => {
      p.once('response', (info: string) => resolve(info));
      void p.connect();
    });
    const ts = /(<[^>]+>)$/.exec(greeting)![1]!;
    const [info] = await p.command('APOP', 'bob', createHash('md5').update(`${ts}teamware`).digest('hex'));
    expect(info).toMatch(/^bob's maildrop has 3 messages \(\d+ octets\)$/);
    const [stat] = await p.command('STAT');
    expect(stat).toMatch(/^3 \d+$/);
    await expect(p.command('APOP', 'bob', '0'.repeat(32))).rejects.toThrow('APOP is not valid in the TRANSACTION state');
    const [quit] = await p.command('QUIT');
    expect(quit).toBe('signing off (3 messages left)');
  });

  it('a wrong password is a rejected promise with the server\'s text', async () => {
    await expect(pop3('alice', 'wrong').STAT()).rejects.toThrow('[AUTH] invalid user name or password');
  });
});
