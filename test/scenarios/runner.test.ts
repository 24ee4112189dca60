// The scenario runner itself (`twemu scenario run`), through the compiled CLI:
// validation with file:line:column before anything runs, a failing
// expectation reported in full with a non-zero exit, JUnit XML of the common
// shape, determinism with a seed, targeting a running site with --data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { api, runCli, startTestSite, tempDir } from '../helpers.js';
import { parseScenario } from '../../scenarios/validate.js';
import { allBehaviours } from '../../emulator/catalog/catalog.js';

const dir = tempDir('twemu-scenario-test-');
afterAll(() => dir.remove());

/** Writes a scenario file into the temp dir and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

describe('validation: problems point at file, line and column, and nothing runs', { timeout: 90_000 }, () => {
  it('reports an unknown step kind, a misspelt behaviour id, a missing field, a misspelt rule id and a bad regex, each at its place', () => {
    const text = [
      'name: broken',                          // 1
      'steps:',                                // 2
      '  - operator: to tran suspend',         // 3
      '  - pop4: mua',                         // 4
      '    login: {user: alice}',              // 5
      '  - pop3: mua',                         // 6
      '    login: {user: alice}',              // 7
      '    expect:',                           // 8
      '      behaviour: pop3.logn',            // 9
      '  - operator: to tran resume',          // 10
      '    expect: {refused: resume-ordr}',    // 11
      '  - pop3: mua',                         // 12
      '    stat: true',                        // 13
      '    expect: {match: "(unclosed"}',      // 14
      '',
    ].join('\n');
    const r = parseScenario('broken.yaml', text);
    expect(r.scenario).toBeUndefined();
    const at = r.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
    expect(at).toEqual([
      expect.stringMatching(/^4:5 unknown step kind `pop4` \(did you mean "pop3"\?\)/),
      expect.stringMatching(/^7:12 `login` needs `password`$/),
      expect.stringMatching(/^9:18 unknown behaviour id "pop3\.logn" \(did you mean "pop3\.login"\?\)/),
      expect.stringMatching(/^11:23 unknown rule id "resume-ordr" \(did you mean "resume-order"\?\)/),
      expect.stringMatching(/^14:21 expect\.match is not a valid regular expression/),
    ]);
  });

  it('takes no name of Object.prototype for a step kind, field, action, check or gateway (no crash, no run-time TypeError)', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      for (const text of [`steps:\n  - ${name}: x\n`, `steps:\n  - pop3: a\n    stat: true\n    ${name}: 1\n`, `steps:\n  - pop3: a\n    ${name}: 1\n`,
        `steps:\n  - check: ${name}\n`, `steps:\n  - gateway: ${name} receive\n`]) {
        const r = parseScenario('proto.yaml', text);
        expect(r.scenario, text).toBeUndefined();
        expect(r.errors.length, text).toBeGreaterThan(0);
      }
    }
  });

  it('reports YAML syntax errors, unknown fields, wrong types, unknown operator commands and expectations that do not apply', () => {
    const r = parseScenario('more.yaml', [
      'site: {topology: singel, seeed: 3}',      // 1
      'steps:',                                  // 2
      '  - operator: to tran suspnd',            // 3
      '  - delay: soon',                         // 4
      '  - ame: app',                            // 5
      '    call: mail_list',                     // 6
      '    user: alice',                         // 7
      '    password: teamware',                  // 8
      '    expect: {reply: "+OK"}',              // 9
      '  - check: messages',                     // 10
      '    user: alice',                         // 11
      '',
    ].join('\n'));
    expect(r.errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual([
      expect.stringMatching(/^1:18 site\.topology must be single or multi, not "singel"$/),
      expect.stringMatching(/^1:26 unknown field `seeed` in site \(did you mean "seed"\?\)/),
      expect.stringMatching(/^3:15 unknown operator command "to tran suspnd".*\(did you mean "to tran suspend"\?\)$/),
      expect.stringMatching(/^4:12 `delay` \(the duration\) must be a duration like 250ms/),
      expect.stringMatching(/^9:14 `reply` cannot be expected of a ame step; allowed: ok, rc/),
      expect.stringMatching(/^10:5 check messages needs `count` or `min`$/),
    ]);
    const yaml = parseScenario('syntax.yaml', 'steps:\n  - operator: "to tran suspend\n');
    expect(yaml.errors[0]).toMatchObject({ file: 'syntax.yaml', line: expect.any(Number), col: expect.any(Number) });
    expect(yaml.errors[0]!.message).toMatch(/^YAML: /);
    expect(parseScenario('empty.yaml', 'name: x\n').errors[0]).toMatchObject({ line: 1, col: 1, message: 'the scenario has no `steps`' });
  });

  it('the CLI prints every problem as file:line:column, runs none of the files (not even the valid ones), and exits 1', async () => {
    const good = file('good.yaml', 'steps:\n  - operator: to tran suspend\n');
    const bad = file('bad.yaml', 'steps:\n  - operator: to tran suspend\n  - imap: s\n    login: {user: alice, password: teamware}\n    expect: {behaviour: imap4.logon}\n');
    const r = await runCli(['scenario', 'run', good, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:25: unknown behaviour id "imap4.logon" (did you mean "imap4.login"?)`);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('twemu: 1 problem(s) in the scenario files; nothing was run');
    expect(r.stdout).not.toContain('scenario good');
    expect(r.stdout).not.toMatch(/passed/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('usage mistakes are one line each, exit 2; a missing file is one line, exit 1', async () => {
    const none = await runCli(['scenario', 'run']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toMatch(/^twemu: no scenario files given; e\.g\. `twemu scenario run scenarios\/library\/\*\.yaml`/);
    const seed = await runCli(['scenario', 'run', '--seed', 'abc', 'x.yaml']);
    expect(seed.code).toBe(2);
    expect(seed.stderr.trim()).toBe('twemu: --seed must be an integer, not "abc"');
    const missing = await runCli(['scenario', 'run', join(dir.path, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('no scenario file');
    const sub = await runCli(['scenario', 'play', 'x.yaml']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown scenario command "play"');
  });

  it('`scenario validate` checks without running; `scenario run --list` shows the bundled scenarios', async () => {
    const ok = file('valid.yaml', 'steps:\n  - operator: to tran suspend\n');
    const v = await runCli(['scenario', 'validate', ok]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe('1 scenario file(s) valid');
    const list = await runCli(['scenario', 'run', '--list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^pop3\.login\s+single\s+POP3 USER\/PASS while the server is suspended/m);
    expect(list.stdout).toMatch(/^procedure\.multi\s+multi\s+/m);
    const count = Number(/(\d+) bundled scenarios in /.exec(list.stdout)![1]);
    expect(count).toBeGreaterThanOrEqual(allBehaviours.filter((b) => b.source === 'seed').length);
  });
});

describe('running', { timeout: 120_000 }, () => {
  it('a failing expectation fails the scenario with expected vs actual in full, the failing step\'s place, and exit 1; the others still run', async () => {
    const failing = file('failing.yaml', [
      'name: wrong-text',
      'steps:',
      '  - operator: to tran suspend',
      '  - pop3: raw',
      '    open: true',
      '  - pop3: raw',
      '    send: USER alice',
      '  - pop3: raw',
      '    send: PASS teamware',
      '    expect: {reply: "-ERR unable to lock the maildrop"}',
      '  - operator: to tran resume',
      '',
    ].join('\n'));
    const passing = file('passing.yaml', 'name: fine\nsteps:\n  - operator: to tran suspend\n  - check: status\n    server: twsv01\n    service: suspended\n');
    const r = await runCli(['scenario', 'run', '--jobs', '1', failing, passing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  FAIL 4 pop3 raw: send PASS teamware');
    expect(r.stdout).toContain('expected reply: "-ERR unable to lock the maildrop"');
    expect(r.stdout).toContain('actual reply:   "-ERR unable to lock maildrop (emulator detail: the server is suspended for an online backup)"');
    expect(r.stdout).toContain(`step 4 (${failing}:8:5) pop3 raw: send PASS teamware`);
    expect(r.stdout).toContain('behaviours fired during the step: pop3.login');
    // The steps after the failing one do not run; the next scenario does.
    expect(r.stdout).not.toContain('5 operator to tran resume');
    expect(r.stdout).toContain('PASS fine');
    expect(r.stdout).toMatch(/^FAIL wrong-text /m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed');
  });

  it('a mismatch of reply lines shows a line diff; a missing behaviour names what fired instead', async () => {
    const f = file('lines.yaml', [
      'steps:',
      '  - imap: raw',
      '    open: true',
      '  - imap: raw',
      '    send: a1 LOGIN alice teamware',
      '    expect:',
      '      lines: [a1 NO LOGIN failed:Server is busy]',
      '      behaviour: imap4.login',
      '',
    ].join('\n'));
    const r = await runCli(['scenario', 'run', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('- a1 NO LOGIN failed:Server is busy');
    expect(r.stdout).toMatch(/\+ a1 OK .*LOGIN completed/);
    expect(r.stdout).toContain('expected behaviour: imap4.login fired');
    expect(r.stdout).toContain('actual behaviour:   fired: none');
  });

  it('data checks and waits fail too: a wrong message count, a changed hash, a condition never reached (bounded by its timeout)', async () => {
    const count = file('count.yaml', 'name: count\nsteps:\n  - check: messages\n    user: alice\n    count: 99\n');
    const hash = file('hash.yaml', [
      'name: hash',
      'steps:',
      '  - check: hash', '    server: twsv01', '    remember: before',
      '  - check: hash', '    server: twsv01', '    changed: before',
      '',
    ].join('\n'));
    const wait = file('wait.yaml', 'name: wait\nsteps:\n  - until: server twsv01 suspended\n    timeout: 300ms\n');
    const r = await runCli(['scenario', 'run', count, hash, wait]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('expected messages in alice/INBOX: 99');
    expect(r.stdout).toContain('actual messages in alice/INBOX:   3');
    expect(r.stdout).toMatch(/expected sha256 of twsv01\/twoffice\.db: changed since before\n\s+actual sha256 of twsv01\/twoffice\.db:   still [0-9a-f]{64}/);
    expect(r.stdout).toContain('expected condition: server twsv01 suspended');
    expect(r.stdout).toContain('not reached within 300 ms (twsv01: service available');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0 passed, 3 failed');
  });

  it('a node-pop3 session outlives its steps\' timeouts while idle between them; a step with no reply in its timeout fails saying so and closes the session', async () => {
    const idle = file('pop3-idle.yaml', [
      'name: pop3-idle',
      'steps:',
      '  - pop3: s', '    login: {user: bob, password: teamware}', '    timeout: 1s',
      '  - delay: 2500ms',
      '  - pop3: s', '    stat: true', '    timeout: 1s', '    expect: {match: "^[+]OK 3 "}',
      '  - pop3: s', '    retr: 1', '    timeout: 1s',
      '  - pop3: s', '    quit: true',
      '',
    ].join('\n'));
    const hang = file('pop3-hang.yaml', [
      'name: pop3-hang',
      'site: {policies: {pop3.net-timeout: {mode: always, variant: 0}}}',
      'steps:',
      '  - pop3: h', '    login: {user: bob, password: teamware}', '    timeout: 700ms', '    expect: {ok: false, reply: "(no reply to the greeting in time)"}',
      '  - pop3: h', '    stat: true', '    expect: {ok: false, reply: "(not connected: log in first)"}',
      '',
    ].join('\n'));
    const r = await runCli(['scenario', 'run', idle, hang]);
    expect(r.stdout.trim().split('\n').at(-1), r.stdout).toBe('2 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('a background loop runs concurrently; its first failing step fails the `stop` step; `stop` needs a started loop', async () => {
    const f = file('bg.yaml', [
      'name: bg',
      'steps:',
      '  - background: pollers',
      '    steps:',
      '      - pop3: bg',
      '        login: {user: bob, password: teamware}',
      '        expect: {reply: "+OK bob has 3 messages (999 octets)"}',
      '      - pop3: bg',
      '        quit: true',
      '  - operator: to tran suspend',
      '  - operator: to tran resume',
      '  - stop: pollers',
      '',
    ].join('\n'));
    const r = await runCli(['scenario', 'run', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('---- 1 background pollers: 2 step(s) looping until `stop: pollers`');
    expect(r.stdout).toMatch(/FAIL 4 stop pollers: background pollers: 0 complete round\(s\)/);
    expect(r.stdout).toContain('actual background pollers:   step 1.1.1 failed');
    expect(r.stdout).toContain('expected reply: "+OK bob has 3 messages (999 octets)"');
    const bad = parseScenario('stop.yaml', 'steps:\n  - background: a\n    steps:\n      - delay: 1ms\n  - stop: b\n');
    expect(bad.errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual(['5:5 no background loop named "b" was started before (did you mean "a"?)']);
  });

  it('writes JUnit XML of the common shape (testsuites/testsuite/testcase/failure) that a parser reads', async () => {
    const ok = file('j-ok.yaml', 'name: j-ok\nsteps:\n  - operator: to tran suspend\n');
    const bad = file('j-bad.yaml', 'name: j-bad <&>\nsteps:\n  - operator: to tran resume\n');
    const out = join(dir.path, 'reports', 'junit.xml');
    const r = await runCli(['scenario', 'run', '--junit', out, ok, bad]);
    expect(r.code).toBe(1);
    const xml = readFileSync(out, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suites = doc.testsuites;
    expect(suites).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    const suite = suites.testsuite;
    expect(suite).toMatchObject({ name: 'twemu scenarios', tests: '2', failures: '1' });
    const cases = suite.testcase as Array<Record<string, any>>;
    expect(cases.map((c) => c.name)).toEqual(['j-ok', 'j-bad <&>']);
    expect(Number(cases[0]!.time)).toBeGreaterThanOrEqual(0);
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[1]!.failure.message).toContain('step 1');
    expect(cases[1]!.failure['#text']).toContain('refused (E_NOT_SUSPENDED');
    expect(cases[1]!['system-out']).toContain('drawn behaviours');
  });

  it('the same seed gives the same results and the same sequence of drawn behaviours; another seed draws another sequence', async () => {
    // Probabilistic policies draw from the site seed: 12 logins and 12 server calls.
    const steps = ['steps:', '  - operator: to tran suspend'];
    for (let i = 0; i < 12; i++) {
      steps.push('  - pop3: p', '    login: {user: alice, password: teamware}', '    expect: {}');
      steps.push('  - ame: a', '    user: bob', '    password: teamware', '    call: mail_list', '    expect: {}');
    }
    const f = file('dice.yaml', [
      'name: dice',
      'site:',
      '  policies:',
      '    pop3.login: {mode: probability, probability: 0.5}',
      '    ame.server-call: {mode: probability, probability: 0.7}',
      ...steps,
      '',
    ].join('\n'));
    const run = async (seed: number, n: number) => {
      const report = join(dir.path, `report-${seed}-${n}.json`);
      const r = await runCli(['scenario', 'run', '--seed', String(seed), '--report', report, f]);
      expect(r.code).toBe(0);
      const json = JSON.parse(readFileSync(report, 'utf8')) as { scenarios: Array<{ seed: number; draws: string[]; passed: boolean; steps: Array<{ fired: string[] }> }> };
      return json.scenarios[0]!;
    };
    const a = await run(42, 1);
    const b = await run(42, 2);
    const c = await run(43, 1);
    expect(a.seed).toBe(42);
    // Every draw is recorded, in order: 12 of each, some fired, some suppressed by the policy.
    const logins = a.draws.filter((d) => d.includes(' pop3.login '));
    const calls = a.draws.filter((d) => d.includes(' ame.server-call'));
    expect(logins).toHaveLength(12);
    expect(calls).toHaveLength(12);
    expect(logins.some((d) => d.endsWith('suppressed'))).toBe(true);
    expect(logins.some((d) => !d.endsWith('suppressed'))).toBe(true);
    expect(new Set(calls.map((d) => d.split(' ')[2])).size).toBeGreaterThan(1); // variants drawn too
    expect(b.draws).toEqual(a.draws);
    expect(b.steps.map((s) => s.fired)).toEqual(a.steps.map((s) => s.fired));
    expect(c.draws).not.toEqual(a.draws);
  });

  it('targets a running site with --data: resets its catalog to the seed, applies the policies, drives its real listeners', async () => {
    const data = tempDir('twemu-scenario-target-');
    const emu = await startTestSite({ dataDir: data.path });
    try {
      const f = file('target.yaml', [
        'site:',
        '  policies: {pop3.login: {mode: always, variant: 1}}',
        'steps:',
        '  - operator: to tran suspend',
        '  - pop3: mua',
        '    login: {user: bob, password: teamware}',
        '    expect: {ok: false, match: "^-ERR \\\\[IN-USE\\\\] unable to lock maildrop", variant: coded}',
        '  - operator: to tran resume',
        '',
      ].join('\n'));
      const r = await runCli(['scenario', 'run', '--data', data.path, '--seed', '9', f]);
      expect(r.stdout).toContain('running site');
      expect(r.code).toBe(0);
      expect(emu.site.catalog.seed).toBe(9);
      expect(emu.site.catalog.policy('pop3.login')).toEqual({ mode: 'always', variant: 1 });
      // The data checks' hash route answers 4xx to files it cannot hash (a folder, outside the server's directory).
      expect((await api(emu, 'GET', '/api/inspect/hash/twsv01?file=ini')).status).toBe(404);
      expect((await api(emu, 'GET', '/api/inspect/hash/twsv01?file=../site.json')).status).toBe(400);
      expect((await api(emu, 'GET', '/api/inspect/hash/twsv01')).body).toMatchObject({ file: 'twoffice.db', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      // A scenario for another topology is refused clearly.
      const multi = file('target-multi.yaml', 'site: {topology: multi}\nsteps:\n  - operator: to tran suspend\n');
      const m = await runCli(['scenario', 'run', '--data', data.path, multi]);
      expect(m.code).toBe(1);
      expect(m.stdout).toContain('this scenario needs a multi-server site');
    } finally {
      await emu.stop();
      data.remove();
    }
  });
});
