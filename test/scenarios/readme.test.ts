// docs/scenarios.md documents the scenario format: its complete example runs and
// passes, and every step kind, action, check and expectation is described.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { CHECKS, EXPECT_DOCS, KINDS } from '../../scenarios/format.js';

const readme = readFileSync(join(ROOT, 'docs', 'scenarios.md'), 'utf8');
const section = readme.slice(readme.indexOf('<!-- section:scenarios -->'), readme.indexOf('<!-- /section:scenarios -->'));
const dir = tempDir('twemu-readme-');
afterAll(() => dir.remove());

describe('docs/scenarios.md', () => {
  it('describes every step kind, session action, check and expectation', () => {
    expect(section.length).toBeGreaterThan(1000);
    for (const [kind, spec] of Object.entries(KINDS)) {
      expect(section, kind).toMatch(new RegExp(`\\| \`${kind}[: ]`));
      for (const action of Object.keys(spec.actions ?? {})) expect(section, `${kind} ${action}`).toContain(`\`${action}`);
    }
    for (const check of Object.keys(CHECKS)) expect(section, check).toContain(`\`check: ${check}\``);
    for (const key of Object.keys(EXPECT_DOCS)) expect(section, key).toMatch(new RegExp(`\\| \`${key}\`|\`${key}\` /|/ \`${key}\``));
  });

  it('its complete example passes', { timeout: 120_000 }, async () => {
    const start = section.indexOf('```yaml\n') + 8;
    const file = join(dir.path, 'example.yaml');
    writeFileSync(file, section.slice(start, section.indexOf('```', start)));
    const r = await runCli(['scenario', 'run', file]);
    expect(r.stdout.trim().split('\n').at(-1), r.stdout + r.stderr).toBe('1 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});
