// Thunderbird through `twemu record` (issue 19's client impact matrix): with
// its defaults (STARTTLS trusting the site CA, AUTHENTICATE PLAIN, two cached
// connections, IDLE) pointed at the recording proxy, which holds the site's
// certificate (--data). Its startup (log in, list the folders, open the
// INBOX, download the messages, idle) is recorded whole and replays green
// against a fresh site. The file is kept (test-artifacts/clients/
// thunderbird.record.yaml); the library's clients.thunderbird is one such
// recording, with a header saying how it was made.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, record, runCli, startTestSite, tempDir } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';
import { ARTIFACTS, describeClient } from './harness.js';
import { PROGRAMS, Thunderbird } from './thunderbird.js';

// Thunderbird does not run under libfaketime (CI's second run): skipped there, with the reason.
const describeThunderbird = process.env.FAKETIME ? (name: string, body: () => void) => describe.skip(`${name} (Thunderbird does not run under libfaketime: the first run drives it)`, body) : (name: string, body: () => void) => describeClient(name, PROGRAMS, body);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The commands of a recording, without their tags (Thunderbird numbers them across its connections), each once. */
function commands(file: string): string[] {
  const steps = (parse(readFileSync(file, 'utf8')) as { steps: Array<Record<string, unknown>> }).steps;
  return [...new Set(steps.filter((s) => typeof s.send === 'string').map((s) => (s.send as string).replace(/^\d+ /, '')))].sort();
}

describeThunderbird('Thunderbird through twemu record', () => {
  let emu: Emulator | undefined;
  let tb: Thunderbird | undefined;
  const dir = tempDir('twemu-tb-rec-');
  afterAll(async () => {
    await tb?.stop();
    await emu?.stop();
    dir.remove();
  });

  it('Thunderbird\'s startup with its defaults through the proxy holding the site\'s certificate: every connection recorded inside STARTTLS, AUTHENTICATE PLAIN computed from ${password}, IDLE kept; replays green against a fresh site', { timeout: 90_000 }, async () => {
    emu = await startTestSite();
    const out = join(dir.path, 'thunderbird.yaml');
    const rec = await record(['--upstream', `127.0.0.1:${emu.endpoints.servers[0]!.imap}`, '--data', emu.dataDir, '--out', out, '--name', 'clients.thunderbird']);
    tb = new Thunderbird(emu, dir.path, { kind: 'imap', user: 'alice', port: rec.port });
    await tb.firstStart();
    const deadline = Date.now() + 30_000;
    while (!tb.imapLog().some((l) => /^S-INBOX C: \d+ IDLE$/.test(l))) {
      if (Date.now() > deadline) throw new Error(`Thunderbird did not reach IDLE:\n${tb.imapLog().slice(-20).join('\n')}`);
      await sleep(200);
    }
    const connections = tb.imapLog().filter((l) => /^NA S: \* OK /.test(l)).length;
    // Thunderbird ends: its connections close, each one a recorded session; then the proxy (Ctrl-C).
    await tb.stop();
    await sleep(500);
    rec.stop();
    const r = await rec.done;
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    mkdirSync(ARTIFACTS, { recursive: true });
    copyFileSync(out, join(ARTIFACTS, 'thunderbird.record.yaml'));
    expect(text).not.toContain('INCOMPLETE');
    expect(text).not.toContain('teamware\n');
    expect(new Set(text.match(/^ {2}- imap: (imap\d+)$/gm)).size).toBe(connections);
    expect(text).toMatch(/send: \S+ STARTTLS\n/);
    expect(text).toMatch(/send: \S+ authenticate PLAIN\n/i);
    expect(text).toContain('${base64:');
    expect(text).toMatch(/send: \S+ IDLE\n/);
    // Nothing the library's clients.thunderbird does not hold: when Thunderbird idles, and whether it has
    // fetched the first message's preview by then, depends on timing, so the order and the number of its
    // commands vary from run to run; a command it never sent before means it changed (record it again).
    const library = commands(join(ROOT, 'scenarios', 'library', 'clients.thunderbird.yaml'));
    expect(commands(out).filter((c) => !library.includes(c)), 'Thunderbird sends what scenarios/library/clients.thunderbird.yaml does not hold: record it again (how is in its header)').toEqual([]);
    const replay = await runCli(['scenario', 'run', out, '--password', 'teamware'], { timeoutMs: 60_000 });
    expect(replay.stdout.trim().split('\n').at(-1), replay.stdout + replay.stderr).toBe('1 passed, 0 failed');
  });
});
