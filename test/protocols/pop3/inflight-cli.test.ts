// A session starts, the operator suspends the server through the CLI (a separate
// process), each in-flight behaviour shows, the CLI resumes it and the session
// works again. Then backup mode: DELE+QUIT removals land in the staging area.
// Needs the compiled CLI (`npx tsc -p .`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Pop3Command from 'node-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, sseEvents, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { RawPop3 } from './rawclient.js';

let emu: Emulator;
let port: number;
const open: RawPop3[] = [];

beforeAll(async () => {
  emu = await startTestSite({ services: { pop3: { failedLoginDelayMs: 0 } } });
  port = emu.endpoints.servers[0]!.pop3!;
});
afterAll(async () => {
  for (const c of open) c.close();
  await emu.stop();
});

async function cli(...args: string[]): Promise<void> {
  const r = await runCli([...args, '--data', emu.dataDir]);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
}

describe('pop3 sessions across a suspension made through the CLI', () => {
  it('[behaviour:pop3.retr] [behaviour:pop3.quit-after-dele] [behaviour:pop3.login] in-flight sessions, then resume', async () => {
    const sse = await sseEvents(emu);
    try {
      const a = await RawPop3.open(port);
      const b = await RawPop3.open(port);
      open.push(a, b);
      await a.login('alice');
      await b.login('bob');
      const p = new Pop3Command({ user: 'alice', password: 'teamware', host: '127.0.0.1', port, timeout: 5000 });
      expect(await p.STAT()).toMatch(/^3 /);
      expect(await a.cmd('DELE 1')).toBe('+OK message 1 deleted');
      const since = emu.site.events.lastSeq;

      await cli('to', 'tran', 'suspend');
      expect(emu.site.servers[0]!.suspended).toBe(true);

      // In flight: RETR and TOP fail; STAT, LIST, UIDL answer from the listing (emulator default).
      expect(await a.cmd('RETR 2')).toBe('-ERR failed to read message');
      expect(await a.cmd('TOP 2 0')).toBe('-ERR failed to read message');
      await expect(p.RETR(1)).rejects.toThrow('failed to read message');
      expect(await a.cmd('STAT')).toMatch(/^\+OK 2 \d+$/);
      expect((await a.multi('LIST')).lines).toHaveLength(2);
      expect((await a.multi('UIDL')).lines).toHaveLength(2);
      expect(await b.cmd('NOOP')).toBe('+OK');
      // A new login is refused; QUIT after DELE fails and removes nothing.
      const n = await RawPop3.open(port);
      open.push(n);
      expect(await n.cmd('USER alice')).toBe('+OK send PASS for alice');
      expect(await n.cmd('PASS teamware')).toMatch(/^-ERR unable to lock maildrop/);
      expect(await a.cmd('QUIT')).toBe('-ERR some deleted messages not removed');
      await a.closedPromise;
      expect(emu.site.homeStore('alice').mail.count('alice', 'INBOX')).toBe(3);
      for (const id of ['pop3.retr', 'pop3.login', 'pop3.quit-after-dele']) {
        expect(await sse.waitFor((e) => e.seq > since && e.type === 'behaviour' && e.behaviour === id)).toMatchObject({ server: 'twsv01', client: 'pop3' });
      }

      await cli('to', 'tran', 'resume');
      expect(emu.site.servers[0]!.suspended).toBe(false);
      // The sessions that lived through it work again.
      expect(await b.cmd('RETR 1')).toMatch(/^\+OK \d+ octets$/);
      await b.body();
      expect(await p.RETR(1)).toContain('Subject:');
      expect(await b.cmd('DELE 1')).toBe('+OK message 1 deleted');
      expect(await b.cmd('QUIT')).toBe('+OK signing off (1 message removed, 2 left)');
      await p.QUIT();
      expect(await n.cmd('USER alice')).toBe('+OK send PASS for alice');
      expect(await n.cmd('PASS teamware')).toMatch(/^\+OK alice's maildrop has 3 messages/);
      n.close();
    } finally {
      sse.close();
    }
  });

  it('in backup mode (available again), DELE+QUIT removals land in the staging area and the database file does not change', async () => {
    for (const command of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) {
      expect((await api(emu, 'POST', '/api/commands', { command })).status, command).toBe(200);
    }
    const dbFile = join(emu.dataDir, 'twsv01', 'twoffice.db');
    const digest = () => createHash('sha256').update(readFileSync(dbFile)).digest('hex');
    const fileBefore = digest();
    const before = (await api(emu, 'GET', '/api/servers/twsv01/staging')).body;
    expect(before.backupMode).toBe('on');
    const c = await RawPop3.open(port);
    open.push(c);
    await c.login('alice');
    const uidl = (await c.multi('UIDL')).lines;
    expect(await c.cmd('DELE 2')).toBe('+OK message 2 deleted');
    expect(await c.cmd('QUIT')).toBe('+OK signing off (1 message removed, 2 left)');
    const after = (await api(emu, 'GET', '/api/servers/twsv01/staging')).body;
    expect(after.writes).toBe(before.writes + 1);
    const change = after.changes[after.changes.length - 1];
    expect(JSON.stringify(change)).toMatch(/expunge/);
    // The client sees the removal at once.
    const d = await RawPop3.open(port);
    open.push(d);
    expect(await d.login('alice')).toMatch(/^\+OK alice's maildrop has 2 messages/);
    expect((await d.multi('UIDL')).lines.map((l) => l.split(' ')[1])).toEqual([uidl[0]!.split(' ')[1], uidl[2]!.split(' ')[1]]);
    d.close();
    expect(digest()).toBe(fileBefore);
  });
});
