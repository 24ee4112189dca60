// `twemu scenario matrix` (the built CLI): the bundled mbsync recording
// replayed at each point of the procedure on both topologies, with the seed's
// behaviours where the seed says they occur; an undocumented failure sets the
// exit code; `--shard` splits a list and `scenario merge` recombines the
// shards' reports into the unsharded run's.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { escapeRegex } from '../../scenarios/record/volatile.js';

const dir = tempDir('twemu-matrix-');
afterAll(() => dir.remove());

function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

type Cell = { kind: string; behaviours?: Array<{ id: string; source: string }>; text?: string };
type Report = { kind: string; undocumented: number; matrices: Array<{ topology: string; columns: Array<{ id: string }>; scenarios: Array<{ name: string; rows: Array<{ operation: string; cells: Cell[] }> }> }> };

describe('scenario matrix', { timeout: 240_000 }, () => {
  it('the recorded mbsync session (its defaults: STARTTLS, AUTHENTICATE PLAIN) over the 7 steps on both topologies: imap4.login from step 1 until the resume, ok before and after; JSON, JUnit and Markdown reports', async () => {
    const json = join(dir.path, 'm.json');
    const junit = join(dir.path, 'm.xml');
    const md = join(dir.path, 'm.md');
    const r = await runCli(['scenario', 'matrix', 'clients.mbsync', '--topology', 'both', '--jobs', '3', '--report', json, '--junit', junit], { timeoutMs: 220_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('no undocumented failures');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.kind).toBe('matrix');
    expect(report.matrices.map((m) => m.topology)).toEqual(['single', 'multi']);
    for (const m of report.matrices) {
      const ids = m.columns.map((c) => c.id);
      expect(ids).toEqual(['before', ...[1, 2, 3, 4, 5, 6, 7].flatMap((n) => [`during-${n}`, `after-${n}`])]);
      const rows = m.scenarios[0]!.rows;
      const login = rows.find((row) => row.operation.includes('AUTHENTICATE PLAIN'))!;
      const at = (id: string) => login.cells[ids.indexOf(id)]!;
      // Suspended from step 1 to step 4: a new login gets the seed's text.
      for (const id of ['after-1', 'during-2', 'after-2', 'during-3', 'after-3', 'during-4']) {
        expect(at(id), `${m.topology} ${id}`).toEqual({ kind: 'behaviour', behaviours: [{ id: 'imap4.login', source: 'seed' }], text: 'NO LOGIN failed:Server is busy' });
      }
      for (const id of ['before', 'during-1', 'after-4', 'during-5', 'after-5', 'during-6', 'after-6', 'during-7', 'after-7']) expect(at(id).kind, `${m.topology} ${id}`).toBe('ok');
      // The commands after a refused login are its consequence, not undocumented failures.
      const select = rows.find((row) => row.operation.includes('SELECT'))!;
      expect(select.cells[ids.indexOf('after-1')]!.kind).toBe('after-behaviour');
      expect(rows.flatMap((row) => row.cells).filter((c) => c.kind === 'undocumented')).toEqual([]);
    }
    expect(r.stdout).toMatch(/^imap imap1: send 3 AUTHENTICATE PLAIN \$\{base64:… +\| ok +\| ok +\| imap4\.login /m);
    expect(r.stdout).toContain('imap4.login: NO LOGIN failed:Server is busy');
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).toMatchObject({ tests: '30', failures: '0' });
    // The Markdown table, for a test report or the docs.
    const mdRun = await runCli(['scenario', 'matrix', 'clients.mbsync', '--topology', 'single', '--jobs', '3', '--report', md], { timeoutMs: 120_000 });
    expect(mdRun.code).toBe(0);
    const table = readFileSync(md, 'utf8');
    expect(table).toContain('| operation | before | ~1 | 1 | ~2 | 2 | ~3 | 3 | ~4 | 4 | ~5 | 5 | ~6 | 6 | ~7 | 7 |');
    expect(table).toMatch(/\| `imap imap1: send 3 AUTHENTICATE PLAIN \$\{base64:alice\\0alice\\0\$\{password\}\}` \| ok \| ok \| imap4\.login \|/);
    // docs/scenarios.md shows exactly this matrix.
    const docs = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    for (const row of table.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('### ') || l.startsWith('- '))) expect(docs, `docs/scenarios.md lacks: ${row}`).toContain(row);
  });

  it('[behaviour:ame.server-call] [behaviour:ame.local-call] the recorded AME application: a server call gets rc -9/-10 and a local call fires ame.local-call from step 1 until the resume', async () => {
    const json = join(dir.path, 'ame.json');
    const r = await runCli(['scenario', 'matrix', 'clients.ame-app', '--topology', 'single', '--jobs', '3', '--report', json], { timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const m = (JSON.parse(readFileSync(json, 'utf8')) as Report).matrices[0]!;
    const ids = m.columns.map((c) => c.id);
    const row = (fn: string) => m.scenarios[0]!.rows.find((x) => x.operation === `ame ame-bob: call ${fn}`)!;
    for (const id of ['after-1', 'after-2', 'after-3']) {
      expect(row('mail_list').cells[ids.indexOf(id)]).toMatchObject({ kind: 'behaviour', behaviours: [{ id: 'ame.server-call', source: 'seed' }], text: expect.stringMatching(/^rc -(9|10)$/) });
      expect(row('ame_version').cells[ids.indexOf(id)]).toMatchObject({ kind: 'behaviour', behaviours: [{ id: 'ame.local-call', source: 'seed' }] });
    }
    for (const id of ['before', 'after-4', 'after-7']) expect(row('mail_list').cells[ids.indexOf(id)]!.kind).toBe('ok');
  });

  it('[behaviour:pop3.login] [behaviour:imap4.login] [behaviour:pop3.retr] the recorded Python clients (poplib, imaplib) and mpop (STLS/STARTTLS inside each recording) over the 7 steps on both topologies: the seed\'s login refusals from step 1 to the resume, no undocumented failure, and docs/scenarios.md shows exactly these matrices', async () => {
    const md = join(dir.path, 'python.md');
    const r = await runCli(['scenario', 'matrix', 'clients.python-poplib', 'clients.python-imaplib', 'clients.mpop', '--topology', 'both', '--jobs', '3', '--report', md], { timeoutMs: 220_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('no undocumented failures');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pop3 pop31: send PASS \$\{password\} +\| ok +\| pop3\.login /m);
    expect(r.stdout).toMatch(/^imap imap1: send \S+ LOGIN alice "\$\{password\}" +\| ok +\| ok +\| imap4\.login /m);
    expect(r.stdout).toMatch(/^pop3 pop31: send STLS( +\| ok){15}\s*$/m);
    const table = readFileSync(md, 'utf8');
    const docs = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    const rows = table.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('### ') || l.startsWith('- '));
    expect(rows.filter((l) => l.startsWith('### ')).length).toBe(6);
    expect(table).toMatch(/\| `pop3 pop31: send RETR 1` \| ok \| pop3\.retr \|/);
    // mpop's APOP, its digest computed from each replay's greeting: refused from step 1 to the resume like PASS.
    expect(table).toMatch(/\| `pop3 pop31: send APOP bob \$\{md5:\$\{apop\}\$\{password\}\}` \| ok \| ok( \| pop3\.login){6}( \| ok){7} \|/);
    for (const row of rows) expect(docs, `docs/scenarios.md lacks: ${row}`).toContain(row);
  });

  it('[behaviour:pop3.login] [behaviour:pop3.retr] [behaviour:imap4.login] the recorded fetchmail (STLS), node-pop3 (POP3S) and imapflow (STARTTLS, AUTHENTICATE PLAIN) sessions over the 7 steps on both topologies: pop3.retr for each RETR and the in-flight store refusal for imapflow\'s SELECT and APPEND while to tran suspend comes, the login refusals from step 1 to the resume, no undocumented failure, and docs/scenarios.md shows exactly these matrices', async () => {
    const md = join(dir.path, 'more-clients.md');
    const r = await runCli(['scenario', 'matrix', 'clients.fetchmail', 'clients.node-pop3', 'clients.imapflow', '--topology', 'both', '--jobs', '3', '--report', md], { timeoutMs: 220_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('no undocumented failures');
    expect(r.code).toBe(0);
    const table = readFileSync(md, 'utf8');
    const sections = table.split(/^### /m).slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual(['single', 'multi'].flatMap((t) => ['fetchmail', 'node-pop3', 'imapflow'].map((c) => `clients.${c} (${t}-server site)`)));
    const cells = (...words: string[]) => ` ${words.join(' | ')} |`;
    const refused = (id: string) => cells(...Array<string>(6).fill(id));
    const after = cells(...Array<string>(6).fill('(after)'));
    const resumed = cells(...Array<string>(7).fill('ok'));
    const row = (s: string, op: RegExp) => s.split('\n').filter((l) => op.test(l));
    for (const s of sections) {
      if (s.startsWith('clients.imapflow')) {
        // The SASL answer is the login: refused from step 1 until the resume; logged in before the suspension (~1), SELECT and APPEND are refused as in-flight store commands.
        expect(s).toContain(`| \`imap imap1: send \${base64:\\0alice\\0\${password}}\` |${cells('ok', 'ok')}${refused('imap4.login')}${resumed}`);
        for (const op of [/^\| `imap imap1: send \S+ SELECT INBOX`/, /^\| `imap imap1: send \S+ APPEND OUTBOX \(\\Seen\) \{\d+\+\} …`/]) {
          expect(row(s, op), String(op)).toEqual([expect.stringMatching(new RegExp(`\` \\|${escapeRegex(cells('ok', 'imap4.in-flight-store*'))}${escapeRegex(after)}${escapeRegex(resumed)}$`))]);
        }
        expect(s).toContain('- imap4.login: NO LOGIN failed:Server is busy');
        continue;
      }
      // Before, ~1 (logged in before the suspension), 1 to ~4 refused, from 4 on as before.
      expect(s).toContain(`| \`pop3 pop31: send PASS \${password}\` |${cells('ok', 'ok')}${refused('pop3.login')}${resumed}`);
      const retrs = row(s, /^\| `pop3 pop31: send RETR /);
      expect(retrs.length).toBeGreaterThan(0);
      for (const l of retrs) expect(l).toMatch(new RegExp(`^\\| \`pop3 pop31: send RETR \\d\` \\|${escapeRegex(cells('ok', 'pop3.retr'))}${escapeRegex(after)}${escapeRegex(resumed)}$`));
      expect(s).toContain('- pop3.retr: -ERR failed to read message');
    }
    const docs = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    for (const l of table.split('\n').filter((x) => x.startsWith('| ') || x.startsWith('### ') || x.startsWith('- '))) expect(docs, `docs/scenarios.md lacks: ${l}`).toContain(l);
  });

  it('[behaviour:imap4.login] [behaviour:imap4.in-flight-store] the recorded Thunderbird startup (two connections, STARTTLS, AUTHENTICATE PLAIN, IDLE) over the 7 steps on both topologies: imap4.login on each SASL response from step 1 to the resume, in-flight refusals mid-session at step 1 while NOOP and IDLE go on, no undocumented failure, and docs/scenarios.md shows exactly these matrices', async () => {
    const md = join(dir.path, 'thunderbird.md');
    const r = await runCli(['scenario', 'matrix', 'clients.thunderbird', '--topology', 'both', '--jobs', '3', '--report', md], { timeoutMs: 220_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('no undocumented failures');
    expect(r.code).toBe(0);
    const table = readFileSync(md, 'utf8');
    const sections = table.split(/^### /m).slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual(['clients.thunderbird (single-server site)', 'clients.thunderbird (multi-server site)']);
    for (const s of sections) {
      const rows = s.split('\n').filter((l) => l.startsWith('| `imap '));
      const sasl = rows.filter((l) => l.includes('${base64:'));
      expect(sasl.length).toBe(2);
      for (const row of sasl) expect(row).toMatch(/\| ok \| ok( \| imap4\.login){6}( \| ok){7} \|$/);
      expect(rows.find((l) => / send \d+ noop` /.test(l))).toMatch(/( \| ok){15} \|$/);
      expect(rows.find((l) => / send \d+ IDLE` /.test(l))).toMatch(/\| ok \| ok \| \(after\) /);
      expect(rows.filter((l) => / send \d+ UID fetch 1:3 \(UID RFC822\.SIZE BODY\.PEEK\[\]\)` /.test(l))[0]).toMatch(/\| ok \| imap4\.in-flight-store\* \| \(after\) /);
    }
    const docs = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    for (const row of table.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('### ') || l.startsWith('- '))) expect(docs, `docs/scenarios.md lacks: ${row}`).toContain(row);
  });

  it('[behaviour:smtp.login] [behaviour:smtp.submit] [behaviour:imap4.login] the recorded clients that send (python-smtplib, msmtp, curl, neomutt: SMTP, and IMAP with SMTP in one file) over the 7 steps on both topologies: smtp.login from step 1 to the resume, smtp.submit for a session logged in before step 1, no undocumented failure, and docs/scenarios.md shows exactly these matrices', async () => {
    const md = join(dir.path, 'send.md');
    const r = await runCli(['scenario', 'matrix', 'clients.python-smtplib', 'clients.msmtp', 'clients.curl', 'clients.neomutt', '--topology', 'both', '--jobs', '3', '--report', md], { timeoutMs: 230_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('no undocumented failures');
    expect(r.code).toBe(0);
    const table = readFileSync(md, 'utf8');
    expect(table).toMatch(/\| `smtp smtp1: send AUTH PLAIN \$\{base64:\\0alice\\0\$\{password\}\}` \| ok \| ok \| smtp\.login\* \|/);
    expect(table).toMatch(/\| `smtp smtp1: send MAIL FROM:<alice@teamware\.example>` \| ok \| smtp\.submit\* \| \(after\) \|/);
    expect(table).toMatch(/\| `imap imap1: send a0002 AUTHENTICATE PLAIN \$\{base64:alice\\0alice\\0\$\{password\}\}` \| ok \| ok \| imap4\.login \|/);
    expect(table).toContain('- smtp.login (emulator default): 454 4.7.0 Temporary authentication failure: the server is suspended for an online backup, try again later');
    const docs = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    const rows = table.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('### ') || l.startsWith('- '));
    expect(rows.filter((l) => l.startsWith('### ')).length).toBe(8);
    for (const row of rows) expect(docs, `docs/scenarios.md lacks: ${row}`).toContain(row);
  });

  it('[behaviour:pop3.login] [behaviour:pop3.retr] [behaviour:imap4.login] [behaviour:smtp.login] [behaviour:imap4.in-flight-store] the recorded getmail6 (POP3S), s-nail (IMAPS read, SMTP send) and offlineimap (IMAPS) sessions over the 7 steps on both topologies: pop3.retr for each RETR and imap4.in-flight-store for offlineimap\'s next commands while to tran suspend comes, the login refusals from step 1 to the resume, and docs/scenarios.md shows exactly these matrices', async () => {
    const md = join(dir.path, 'getmail.md');
    const r = await runCli(['scenario', 'matrix', 'clients.getmail', 'clients.s-nail', 'clients.offlineimap', '--topology', 'both', '--jobs', '3', '--report', md], { timeoutMs: 220_000 });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('no undocumented failures');
    expect(r.code).toBe(0);
    const table = readFileSync(md, 'utf8');
    for (const n of [1, 2, 3]) expect(table).toMatch(new RegExp(`\\| \`pop3 pop31: send RETR ${n}\` \\| ok \\| pop3\\.retr \\|`));
    expect(table).toMatch(/\| `pop3 pop31: send PASS \$\{password\}` \| ok \| ok( \| pop3\.login){6}( \| ok){7} \|/);
    const docs = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
    const rows = table.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('### ') || l.startsWith('- '));
    // s-nail: IMAPS (its TLS answered by the proxy) and SMTP in one recording.
    expect(table).toMatch(/\| `imap imap1: send T2 LOGIN "alice" "\$\{password\}"` \| ok \| ok( \| imap4\.login){6}( \| ok){7} \|/);
    expect(table).toMatch(/\| `smtp smtp1: send \$\{base64:\\0alice\\0\$\{password\}\}` \| ok( \| smtp\.login\*){6}( \| ok){8} \|/);
    // offlineimap: suspended mid-sync, each next command meets the in-flight refusal.
    expect(table).toMatch(/\| `imap imap1: send [A-Z]{4}20 UID FETCH 3 \(BODY\.PEEK\[\]\)` \| ok \| imap4\.in-flight-store\* \| \(after\) \|/);
    expect(rows.filter((l) => l.startsWith('### ')).length).toBe(6);
    for (const row of rows) expect(docs, `docs/scenarios.md lacks: ${row}`).toContain(row);
  });

  it('an undocumented failure is a FAIL cell with what the client got, a failed JUnit case, and exit 1; each JUnit case takes its column\'s real time, which `scenario merge` keeps; a client scenario that drives the procedure itself is refused', async () => {
    const right = file('right.yaml', ['name: right', 'steps:', '  - pop3: raw', '    open: true', '  - pop3: raw', '    send: CAPA', "    expect: {match: '^[+]OK'}", ''].join('\n'));
    const f = file('wrong.yaml', [
      'name: wrong',
      'steps:',
      '  - pop3: raw',
      '    open: true',
      '  - pop3: raw',
      '    send: NOOP',
      '    expect: {reply: "+OK this is not what the server says"}',
      '',
    ].join('\n'));
    const junit = join(dir.path, 'wrong.xml');
    const junit2 = join(dir.path, 'right.xml');
    const [r, r2] = await Promise.all([
      runCli(['scenario', 'matrix', f, right, '--shard', '1/2', '--junit', junit, '--jobs', '2'], { timeoutMs: 150_000 }),
      runCli(['scenario', 'matrix', f, right, '--shard', '2/2', '--junit', junit2, '--jobs', '2'], { timeoutMs: 150_000 }),
    ]);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^pop3 raw: send NOOP +\| FAIL +\| FAIL/m);
    expect(r.stdout).toContain('FAIL pop3 raw: send NOOP at before: expected reply "+OK this is not what the server says"');
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ undocumented failure\(s\)$/);
    const parse = (path: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(path, 'utf8'));
    const doc = parse(junit);
    expect(Number(doc.testsuites.failures)).toBeGreaterThan(0);
    // Each case's time is its column's run (a fresh site, the procedure steps, the client): never 0; the totals are their sum.
    const times = (d: any) => (d.testsuites.testsuite.testcase as Array<{ name: string; time: string }>).map((c) => [c.name, c.time] as const);
    const sum = (d: any) => times(d).reduce((t, [, x]) => t + Number(x), 0);
    for (const d of [doc, parse(junit2)]) {
      expect(times(d)).toHaveLength(15);
      for (const [name, time] of times(d)) expect(Number(time), name).toBeGreaterThan(0);
      expect(Number(d.testsuites.time)).toBeCloseTo(sum(d), 2);
    }
    const merged = join(dir.path, 'merged-matrix.xml');
    const merge = await runCli(['scenario', 'merge', junit2, junit, '--junit', merged]);
    expect(merge.code, merge.stderr).toBe(0);
    const whole = parse(merged);
    expect(times(whole)).toEqual([...times(doc), ...times(parse(junit2))]);
    expect(Number(whole.testsuites.time)).toBeCloseTo(sum(doc) + sum(parse(junit2)), 2);
    const own = file('own.yaml', 'steps:\n  - operator: to tran suspend\n');
    const refused = await runCli(['scenario', 'matrix', own]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${own}:2:5: a matrix replays a client's steps at each point of the procedure; this scenario has its own \`operator\` step`);
  });
});

describe('--shard and scenario merge', { timeout: 240_000 }, () => {
  it('the shards of the bundled library are disjoint and cover it; --list shows each', async () => {
    const all = await runCli(['scenario', 'run', '--list']);
    const names = (out: string) => out.trim().split('\n').slice(0, -1).map((l) => l.split(/\s+/)[0]);
    const whole = names(all.stdout);
    const parts = await Promise.all([1, 2, 3].map((i) => runCli(['scenario', 'run', '--list', '--shard', `${i}/3`])));
    expect(parts.map((p) => p.code)).toEqual([0, 0, 0]);
    expect(parts.flatMap((p) => names(p.stdout))).toEqual(whole);
    expect(parts[1]!.stdout).toMatch(/\n\d+ of \d+ bundled scenarios \(shard 2\/3\) in /);
    const bad = await runCli(['scenario', 'run', '--shard', '4/3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('twemu: --shard must be I/N with 1 <= I <= N (e.g. 2/4), not "4/3"');
  });

  it('shards of a matrix merge by topology and index; the bundled client sessions are what `scenario matrix` takes with no files', async () => {
    const m = (index: number, topology: 'single' | 'multi', undocumented = false) => ({
      topology, columns: [{ id: 'before', label: 'before' }], undocumented: undocumented ? 1 : 0,
      scenarios: [{ name: `s${index}`, file: `s${index}.yaml`, index, problems: [], ms: 1, rows: [{ operation: 'op', line: 1, cells: [{ kind: undocumented ? 'undocumented' : 'ok' }] }] }],
    });
    const shard = (index: number, total: number, ...matrices: unknown[]) => ({ kind: 'matrix', shard: { index, total }, undocumented: 0, matrices });
    const a = file('ma.json', JSON.stringify(shard(2, 2, m(1, 'single', true), m(1, 'multi'))));
    const b = file('mb.json', JSON.stringify(shard(1, 2, m(0, 'single'), m(0, 'multi'))));
    const out = join(dir.path, 'merged-matrix.json');
    expect((await runCli(['scenario', 'merge', a, b, '--report', out])).code).toBe(0);
    const merged = JSON.parse(readFileSync(out, 'utf8'));
    expect(merged.matrices.map((x: { topology: string; scenarios: Array<{ name: string }> }) => [x.topology, x.scenarios.map((s) => s.name)])).toEqual([['single', ['s0', 's1']], ['multi', ['s0', 's1']]]);
    expect(merged.undocumented).toBe(1);
    const list = await runCli(['scenario', 'matrix', '--list']);
    expect(list.stdout).toMatch(/^clients\.mbsync\s+single /m);
    expect(list.stdout).toMatch(/\n\d+ bundled client scenarios in /);
  });

  it('three shards of a run, merged, give the unsharded run\'s JSON and JUnit reports (times aside)', async () => {
    const files = ['a', 'b', 'c', 'd', 'e'].map((n, i) => file(`shard-${n}.yaml`, [
      `name: shard-${n}`, 'steps:', '  - check: status', '    server: twsv01', `    service: ${i === 3 ? 'suspended' : 'available'}`, '',
    ].join('\n')));
    const whole = await runCli(['scenario', 'run', ...files, '--report', join(dir.path, 'whole.json'), '--junit', join(dir.path, 'whole.xml'), '--jobs', '2']);
    expect(whole.code).toBe(1); // shard-d expects a suspended server: one failure, so the merge carries a failure too
    for (const i of [1, 2, 3]) {
      const part = await runCli(['scenario', 'run', ...files, '--shard', `${i}/3`, '--report', join(dir.path, `part${i}.json`), '--junit', join(dir.path, `part${i}.xml`)]);
      expect(part.stdout).toContain(`shard ${i}/3: `);
    }
    // Merged in any order of the inputs.
    const merge = await runCli(['scenario', 'merge', join(dir.path, 'part3.json'), join(dir.path, 'part1.json'), join(dir.path, 'part2.json'),
      join(dir.path, 'part2.xml'), join(dir.path, 'part3.xml'), join(dir.path, 'part1.xml'), '--report', join(dir.path, 'merged.json'), '--junit', join(dir.path, 'merged.xml')]);
    expect(merge.code, merge.stderr).toBe(0);
    const untimed = (text: string) => JSON.parse(text, (k, v: unknown) => (k === 'ms' ? 0 : k === 'draws' ? [] : v));
    const a = untimed(readFileSync(join(dir.path, 'whole.json'), 'utf8'));
    const b = untimed(readFileSync(join(dir.path, 'merged.json'), 'utf8'));
    expect(b).toEqual(a);
    expect(a.scenarios.map((s: { name: string }) => s.name)).toEqual(['shard-a', 'shard-b', 'shard-c', 'shard-d', 'shard-e']);
    const xml = (f: string) => readFileSync(join(dir.path, f), 'utf8')
      .replace(/ time="[\d.]+"/g, ' time="T"').replace(/ timestamp="[^"]+"/g, '').replace(/\(\d+ ms\)/g, '(N ms)').replace(/, \d+ ms\)/g, ', N ms)').replace(/twemu-scenario-[A-Za-z0-9]+/g, 'TMP');
    expect(xml('merged.xml')).toBe(xml('whole.xml'));
    const missing = await runCli(['scenario', 'merge', join(dir.path, 'part1.json'), join(dir.path, 'part3.json'), '--report', join(dir.path, 'x.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('twemu: shard(s) 2/3 missing: merge needs all 3');
  });
});
