import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, startTestSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

// Provenance per part (issue 15, items 4-6): every text, variant, placeholder
// fill and effect part says whether it is the seed's, the emulator's, or
// derived (a seed text with something of ours in it), and every `seed` part
// is the seed's bytes: the administrator guide's section is kept as a fixture.

const ROOT = resolve(__dirname, '..', '..');
const SEED = readFileSync(join(ROOT, 'test', 'fixtures', 'seed', '19.3.1.txt'), 'utf8');

type Part = { text: string; source: string; placeholder?: string; cite?: string };
type TextView = { text: string; source: string; parts: Part[] };
type Entry = {
  id: string; source: string; cite?: string[];
  provenance: { effect: Part[]; messages: TextView[]; variants?: Array<{ name: string; source: string; rc?: number; messages: TextView[] }>; placeholders?: Array<{ placeholder: string; source: string }> };
};

let catalog: Entry[];
beforeAll(async () => {
  // What ships: the built CLI's catalog.
  const r = await runCli(['catalog', '--json', '--data', join(ROOT, 'no-site-here')]);
  expect(r.code, r.stderr).toBe(0);
  catalog = JSON.parse(r.stdout).behaviours;
});
const entry = (id: string) => catalog.find((e) => e.id === id)!;
const texts = (e: Entry) => [...e.provenance.messages, ...(e.provenance.variants ?? []).flatMap((v) => v.messages)];

describe('every part marked seed is the seed\'s bytes', () => {
  it('every seed text part and every cite is found byte for byte in the seed (fixture), and every seed entry cites it', () => {
    let checked = 0;
    for (const e of catalog) {
      for (const t of texts(e)) {
        expect(t.parts.map((p) => p.text).join(''), `${e.id}: parts join to the text`).toBe(t.text);
        for (const p of t.parts.filter((x) => x.source === 'seed')) {
          expect(SEED.includes(p.text), `${e.id}: seed part ${JSON.stringify(p.text)} is not in the seed`).toBe(true);
          checked++;
        }
        if (t.source === 'seed') expect(SEED.includes(t.text), `${e.id}: ${JSON.stringify(t.text)}`).toBe(true);
      }
      for (const p of e.provenance.effect.filter((x) => x.source === 'seed' && x.cite)) {
        expect(SEED.includes(p.cite!), `${e.id}: effect cite ${JSON.stringify(p.cite)}`).toBe(true);
        checked++;
      }
      if (e.source === 'seed') {
        expect(e.cite?.length, `${e.id} cites the seed`).toBeGreaterThan(0);
        for (const c of e.cite!) expect(SEED.includes(c), `${e.id}: cite ${JSON.stringify(c)}`).toBe(true);
        checked += e.cite!.length;
      }
      // An emulator default has no seed part at all.
      if (e.source === 'emulator') for (const t of texts(e)) expect(t.source, `${e.id}: ${t.text}`).toBe('emulator');
    }
    expect(checked).toBeGreaterThan(80);
  });

  it('the texts the audit found mislabelled say what they are', () => {
    // pop3.quit-after-dele: the seed gives no text; both QUIT replies and "not removed" are ours.
    const quit = entry('pop3.quit-after-dele');
    expect(quit.provenance.variants!.map((v) => [v.name, v.source, v.messages.map((t) => t.source)])).toEqual([['plain', 'emulator', ['emulator']], ['coded', 'emulator', ['emulator']]]);
    expect(quit.provenance.effect.map((p) => p.source)).toEqual(['seed', 'emulator']);
    expect(quit.provenance.effect[1]!.text).toContain('not removed');
    // The coded variants and POP3's leading '-' are ours: derived texts.
    for (const id of ['pop3.login', 'pop3.retr']) {
      const v = entry(id).provenance.variants!;
      expect(v.map((x) => [x.name, x.source])).toEqual([['plain', 'seed'], ['coded', 'emulator']]);
      expect(v.flatMap((x) => x.messages.map((t) => t.source))).toEqual(['derived', 'derived']);
      expect(v[1]!.messages[0]!.parts.filter((p) => p.source === 'emulator').map((p) => p.text)).toEqual(['-', id === 'pop3.login' ? ' [IN-USE]' : ' [SYS/TEMP]']);
    }
    expect(entry('pop3.login').provenance.effect.find((p) => p.source === 'emulator')!.text).toContain('detail');
    // AME: -9 and -10 are the seed's; "another error" is named by the seed, its -1 is ours.
    expect(entry('ame.server-call').provenance.variants!.map((v) => [v.name, v.rc, v.source])).toEqual([['rc-9', -9, 'seed'], ['rc-10', -10, 'seed'], ['other-error', -1, 'emulator']]);
    // The gateways: the seed's bytes (trailing space, placeholder) in the catalog; the fill is ours.
    expect(entry('fax.receive').provenance.messages[0]).toMatchObject({ text: 'FAXGW-J: 22605 No delivery-user(faxmastor) has been registered on the Directory(YESISU01) ', source: 'seed' });
    expect(entry('fax.report').provenance.messages[0]).toMatchObject({ text: 'Fetching INTERNET recipient " ユーザ名" from the Directoryfailed. ', source: 'seed' });
    expect(entry('fax.receive').provenance.placeholders).toEqual([expect.objectContaining({ placeholder: 'YESISU01', source: 'emulator' })]);
    expect(entry('admin.calendar-update').provenance.messages[0]!.text).toBe('ネットワークエラーが発生しました。(3,0) ');
  });

  it('`twemu catalog` (text) labels each part, and `--markdown` is the table docs/catalog.md holds', async () => {
    const r = await runCli(['catalog', '--data', join(ROOT, 'no-site-here')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('variant 1 coded [emulator]');
    expect(r.stdout).toContain('[derived] "-ERR [IN-USE] unable to lock maildrop"  = emulator "-" + seed "ERR" + emulator " [IN-USE]" + seed " unable to lock maildrop"');
    expect(r.stdout).toContain('placeholder "YESISU01" [emulator]');
    expect(r.stdout).toMatch(/effect: \[seed\] QUIT ends in an error \[emulator\] ; the marked messages are not removed/);
    const md = await runCli(['catalog', '--markdown', '--data', join(ROOT, 'no-site-here')]);
    expect(readFileSync(join(ROOT, 'docs', 'catalog.md'), 'utf8')).toContain(md.stdout.trim());
    expect(md.stdout).toContain('| `pop3.quit-after-dele` | seed | POP3 | QUIT after DELE | 0 plain *(emulator)*');
  });
});

describe('events say the provenance of what went on the wire', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2 });
  });
  afterAll(async () => emu?.stop());

  it('[behaviour:fax.report] the filled-in line is derived; [behaviour:fax.receive] with services.fax.directoryName YESISU01 it is the seed\'s bytes', async () => {
    await emu.command('to tran suspend');
    const report = await api(emu, 'POST', '/api/gateways/fax/report', { user: 'alice' });
    expect(report.body.logged).toEqual(['Fetching INTERNET recipient " alice" from the Directoryfailed. ']);
    const events = (await api(emu, 'GET', '/api/events?format=json')).body.events as Array<Record<string, any>>;
    const fired = events.filter((e) => e.type === 'behaviour' && e.behaviour === 'fax.report').at(-1)!;
    expect(fired.provenance).toEqual({ entry: 'seed', variant: 'seed', messages: ['derived'] });
    expect(events.filter((e) => e.type === 'gateway-log' && e.operation === 'report-error').at(-1)!.data.text).toBe('derived');
    await emu.command('to tran resume');
  });

  it('[behaviour:fax.receive] named like the seed\'s example (services.fax.directoryName YESISU01), the line is the seed\'s bytes, labelled seed', async () => {
    const site = await startTestSite({ services: { fax: { directoryName: 'YESISU01' } } });
    try {
      await site.command('to tran suspend');
      const r = await api(site, 'POST', '/api/gateways/fax/receive', { from: '+81-3-1234-5678', to: 'bob' });
      expect(r.body.logged).toEqual(['FAXGW-J: 22605 No delivery-user(faxmastor) has been registered on the Directory(YESISU01) ']);
      const events = (await api(site, 'GET', '/api/events?format=json')).body.events as Array<Record<string, any>>;
      expect(events.filter((e) => e.type === 'behaviour' && e.behaviour === 'fax.receive').at(-1)!.provenance.messages).toEqual(['seed']);
      expect(events.filter((e) => e.type === 'gateway-log' && e.operation === 'receive-error').at(-1)!.data.text).toBe('seed');
    } finally {
      await site.stop();
    }
  });
});
