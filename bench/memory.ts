// Memory under hostile input (issue 12 row 8): the server's RSS before, during
// and after two attacks, each on a fresh `twemu serve` process:
//   - 40 x POST /api/commands {"command": <20 MB string>}
//   - 40 IMAP sessions each announcing APPEND {26214400+} and sending 5 MB of it
// The limits (docs/backup.md "Limits"): 16 KB per command request, an event
// history of 5000 events / ~8 MB, 100 MB of IMAP literals in flight per site.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssMb, serveSite, stopSite } from './serve.js';

const ATTACKERS = 40;
const COMMAND_BYTES = 20 * 1024 * 1024;
const LITERAL_ANNOUNCED = 26_214_400;
const LITERAL_SENT = 5 * 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function serve(data: string): Promise<{ child: ChildProcess; control: string; imap: number; token: string }> {
  const site = await serveSite(data);
  return { child: site.child, control: site.control, imap: site.endpoints.servers[0]!.imap!, token: site.token };
}

/** Samples the RSS every 50 ms while `work` runs; returns the peak. */
async function peakDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  try {
    await work();
    peak = Math.max(peak, rssMb(pid));
  } finally {
    clearInterval(timer);
  }
  return peak;
}

async function commandsAttack(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'twemu-bench-mem-'));
  const site = await serve(dir);
  try {
    await sleep(500);
    const before = rssMb(site.child.pid!);
    const body = JSON.stringify({ command: 'x'.repeat(COMMAND_BYTES) });
    const statuses: number[] = [];
    const during = await peakDuring(site.child.pid!, async () => {
      await Promise.all(Array.from({ length: ATTACKERS }, async () => {
        const r = await fetch(`${site.control}/api/commands`, { method: 'POST', headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' }, body }).catch(() => null);
        statuses.push(r?.status ?? 0); // 0: the server closed the connection before reading the body
        await r?.arrayBuffer().catch(() => undefined);
      }));
    });
    const events = await fetch(`${site.control}/api/events?format=json`, { headers: { authorization: `Bearer ${site.token}` } });
    const eventsBytes = (await events.text()).length;
    await sleep(2000);
    const after = rssMb(site.child.pid!);
    return {
      'POST /api/commands with a 20 MB text x 40: answers': [...new Set(statuses)].sort().map((st) => `${st === 0 ? 'closed before the body was read' : st} x ${statuses.filter((x) => x === st).length}`).join(', '),
      'POST /api/commands x 40: server RSS before / peak during / 2 s after, MB': `${before.toFixed(0)} / ${during.toFixed(0)} / ${after.toFixed(0)}`,
      'GET /api/events?format=json after the attack': `${events.status}, ${(eventsBytes / 1024).toFixed(0)} KB`,
    };
  } finally {
    await stopSite(site.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function imapSession(port: number): Promise<{ sock: Socket; buf: () => string }> {
  const sock = connect(port, '127.0.0.1');
  let buf = '';
  sock.on('data', (d) => (buf += d.toString('latin1')));
  sock.on('error', () => undefined);
  sock.on('close', () => sock.destroy());
  for (let i = 0; i < 200 && !buf.includes('* OK'); i++) await sleep(10);
  sock.write('a LOGIN alice teamware\r\n');
  for (let i = 0; i < 500 && !/a OK/.test(buf); i++) await sleep(10);
  return { sock, buf: () => buf };
}

/** One round: ATTACKERS sessions announce a big literal and send part of it; then every socket closes. */
async function literalRound(site: { child: ChildProcess; imap: number }): Promise<{ peak: number; after: number; refused: number }> {
  const sessions: Array<{ sock: Socket; buf: () => string }> = [];
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  try {
    const peak = await peakDuring(site.child.pid!, async () => {
      for (let i = 0; i < ATTACKERS; i++) sessions.push(await imapSession(site.imap));
      await Promise.all(sessions.map(async (s) => {
        s.sock.write(`b APPEND INBOX {${LITERAL_ANNOUNCED}+}\r\n`);
        for (let sent = 0; sent < LITERAL_SENT && !s.sock.destroyed; sent += chunk.length) {
          if (!s.sock.write(chunk)) {
            // Wait for room, or for the server to close the connection (a refused literal).
            await new Promise<void>((r) => {
              const done = () => { s.sock.off('drain', done); s.sock.off('close', done); r(); };
              s.sock.once('drain', done);
              s.sock.once('close', done);
            });
          }
        }
      }));
      await sleep(1000);
    });
    const refused = sessions.filter((s) => /b NO \[LIMIT\]/.test(s.buf())).length;
    for (const s of sessions) s.sock.destroy();
    await sleep(3000);
    return { peak, after: rssMb(site.child.pid!), refused };
  } finally {
    for (const s of sessions) s.sock.destroy();
  }
}

async function literalAttack(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'twemu-bench-mem-'));
  const site = await serve(dir);
  try {
    await sleep(500);
    const before = rssMb(site.child.pid!);
    const first = await literalRound(site);
    // A second round on the same server: what the first one held was given back (reused, not added to).
    const second = await literalRound(site);
    return {
      [`IMAP: ${ATTACKERS} sessions announcing APPEND {${LITERAL_ANNOUNCED}+} and sending 5 MB: refused with NO [LIMIT]`]: `${first.refused} of ${ATTACKERS}`,
      'IMAP literal attack: server RSS before / peak during / 3 s after the sockets close, MB': `${before.toFixed(0)} / ${first.peak.toFixed(0)} / ${first.after.toFixed(0)}`,
      'IMAP literal attack, second round on the same server: peak during / after, MB': `${second.peak.toFixed(0)} / ${second.after.toFixed(0)}`,
    };
  } finally {
    await stopSite(site.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, string>> {
  return { ...(await commandsAttack()), ...(await literalAttack()) };
}
