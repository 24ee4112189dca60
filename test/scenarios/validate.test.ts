// The scenario format's JSON Schema (checked by ajv) and the messages it gives:
// each problem in its own words, at the place of the value or key it is about.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parseScenario } from '../../scenarios/validate.js';
import { scenarioSchema } from '../../scenarios/schema.js';
import { runCli, tempDir } from '../helpers.js';

const problems = (text: string) => parseScenario('f.yaml', text).errors.map((e) => `${e.line}:${e.col} ${e.message}`);

describe('scenario validation messages', () => {
  it.each([
    ['steps: []', '1:8 `steps` must be a non-empty list of steps'],
    ['foo: 1\nsteps:\n  - delay: 1s', '1:1 unknown field `foo`; a scenario has: name, description, tags, site, variables, steps'],
    ['site: {appServers: 40}\nsteps:\n  - delay: 1s', '1:20 site.appServers must be from 1 to 16'],
    ['site: {policies: {pop3.login: sometimes}}\nsteps:\n  - delay: 1s', '1:31 policy mode for pop3.login must be "always", "never" or "probability", not "sometimes"'],
    ['site: {services: {pop3: 3}}\nsteps:\n  - delay: 1s', '1:25 site.services.pop3 must be a mapping of options'],
    ['steps:\n  - name: x', '2:5 the step has no kind; the step kinds are: operator, until, window, delay, pop3, imap, smtp, web, ame, desktop, gateway, searchpro, api, deliver, user, policy, reseed, check, restore, background, stop, repeat'],
    ['steps:\n  - pop3: a\n    imap: b', '3:5 a step has one kind, this one has `pop3` and `imap`; split it into two steps'],
    ['steps:\n  - pop3: a\n    stat: true\n    noop: true', '4:5 a pop3 step does one action, this one has `stat` and `noop`; split it into two steps'],
    ['steps:\n  - pop3: a\n    login: {user: a, password: b, x: 1}', '3:35 `login`: unknown field `x` (allowed: user, password)'],
    ['steps:\n  - pop3: a\n    stat: true\n    foo: 1', '4:5 unknown field `foo` in a pop3 step (did you mean "top"?); allowed: open, send, close, login, stat, list, uidl, retr, top, dele, rset, noop, quit, server, tls, name, expect, timeout, save'],
    ['steps:\n  - pop3: a\n    stat: true\n    expect: {replyy: x}', '4:14 unknown expectation `replyy` (did you mean "reply"?); allowed for a pop3 step: ok, reply, lines, match, text, notText, behaviour, suppressed, noBehaviour, variant, json, log'],
    ['steps:\n  - web: a\n    get: /\n    expect: {status: 700}', '4:22 expect.status must be an HTTP status (100-599)'],
    ['steps:\n  - operator: to tran suspend\n    expect: {warning: [suspend-order, x]}', expect.stringMatching(/^3:39 unknown rule id "x"; the rules are: /)],
    ['steps:\n  - delay: 2m', '2:12 a delay is at most 60 s'],
    ['steps:\n  - delay: 1s\n    timeout: x', '3:14 timeout must be a duration like 250ms, 2s or 1m, not "x"'],
    ['steps:\n  - gateway: x400 recieve', '2:14 unknown x400 operation "recieve"; one of: receive, reload, change-details (did you mean "receive"?)'],
    ['steps:\n  - deliver: {to: a, cc: b}', '2:22 deliver: unknown field `cc` (allowed: to, from, subject, body, raw)'],
    ['steps:\n  - check: mesages', '2:12 unknown check "mesages" (did you mean "messages"?); one of: messages, staging, hash, status, fired, logged'],
    ['steps:\n  - check: messages\n    user: a\n    count: 1\n    server: x', '5:5 `server` does not apply to check messages; allowed: user, folder, count, min, site'],
    ['steps:\n  - check: hash\n    server: a\n    same: x\n    changed: y', '2:5 check hash needs exactly one of `remember: NAME`, `same: NAME`, `changed: NAME`'],
    ['steps:\n  - background: x\n    steps:\n      - stop: x', '2:5 a background loop cannot hold a stop step (line 4)'],
    ['steps:\n  - api: GET /x\n    save: {1a: x}', '3:12 save: "1a" is not a variable name (letters, digits, _)'],
    ['steps:\n  - delay: 1s\n  - delay: 1s\n    delay: 2s', '4:5 `delay` is given twice'],
    ['steps:\n  - pop3:\n    stat: true', '2:10 `pop3` (the session) must be a text, not empty'],
    ['steps:\n  - imap: a\n    send: a1 AUTHENTICATE PLAIN ${base46:\\0a\\0${password}}', '2:5 `a1 AUTHENTICATE PLAIN ${base46:\\0a\\0${password}}`: unknown function ${base46:...}; the functions are: base64, md5'],
    ['steps:\n  - imap: a\n    send: a1 AUTHENTICATE PLAIN ${base64:\\0a\\0${password}', '2:5 `a1 AUTHENTICATE PLAIN ${base64:\\0a\\0${password}`: a ${FUNCTION:TEXT} is not closed with `}`'],
    ['steps:\n  - pop3: a\n    send: AUTH PLAIN ${base64:\\n}', '2:5 `AUTH PLAIN ${base64:\\n}`: unknown escape \\n in a ${FUNCTION:TEXT} (the escapes are \\0 for NUL, \\\\, \\$ and \\})'],
  ])('%j', (text, message) => {
    expect(problems(text)).toEqual([message]);
  });

  it('a step that is not a mapping is one problem, not one per kind', () => {
    expect(problems('steps:\n  - 3')).toEqual([expect.stringMatching(/^2:5 a step must be a mapping like `- operator: to tran suspend`/)]);
  });

  it('`twemu scenario validate`: `tls` on a raw POP3/IMAP step other than `open` is refused before anything runs, naming the step; on `open` it is valid', async () => {
    const dir = tempDir('twemu-validate-');
    try {
      const bad = join(dir.path, 'tls.yaml');
      writeFileSync(bad, [
        'steps:',
        '  - pop3: p', '    open: true', '    tls: true',
        '  - pop3: p', '    send: CAPA', '    tls: true',
        '  - imap: i', '    name: log in', '    login: {user: alice, password: teamware}', '    tls: false',
        '',
      ].join('\n'));
      const r = await runCli(['scenario', 'validate', bad]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${bad}:7:5: the pop3 step of session "p" (send) has \`tls\`: \`tls: true\` goes with \`open: true\` only (it opens the raw session on the POP3S port, and the session's later steps use that connection); move it to the session's open step`);
      expect(r.stderr).toContain(`${bad}:11:5: the imap step "log in" of session "i" (login) has \`tls\`: \`tls: true\` goes with \`open: true\` only (it opens the raw session on the IMAPS port`);
      expect(r.stderr).not.toMatch(/:3:5:|:4:5:/);
      const good = join(dir.path, 'ok.yaml');
      writeFileSync(good, 'steps:\n  - imap: i\n    open: true\n    tls: true\n  - imap: i\n    send: a1 CAPABILITY\n');
      const ok = await runCli(['scenario', 'validate', good]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout.trim()).toBe('1 scenario file(s) valid');
    } finally {
      dir.remove();
    }
  });

  it('the schema is a JSON Schema an editor can use; `twemu scenario schema` prints it', async () => {
    const schema = scenarioSchema();
    // A plain ajv without twemu's keywords compiles it once they are declared: it is standard JSON Schema plus annotations.
    const ajv = new Ajv({ strict: false });
    expect(() => ajv.compile(schema)).not.toThrow();
    const r = await runCli(['scenario', 'schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});
