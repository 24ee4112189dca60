// The bundled scenario library (`scenarios/library/*.yaml`) through the CLI, as CI
// runs it: every scenario passes, JUnit XML is written, and the library holds
// one scenario per documented catalog id, named after it.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { allBehaviours } from '../../emulator/catalog/catalog.js';
import { parseScenario } from '../../scenarios/validate.js';

const SCENARIOS = join(ROOT, 'scenarios', 'library');
const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
const out = tempDir('twemu-library-');
afterAll(() => out.remove());

describe('the bundled scenario library', () => {
  it('has one scenario per documented catalog id, named after it, that expects the behaviour to fire', () => {
    const seedIds = allBehaviours.filter((b) => b.source === 'seed').map((b) => b.id);
    expect(seedIds.length).toBeGreaterThanOrEqual(35);
    for (const id of seedIds) {
      expect(files, `scenarios/library/${id}.yaml`).toContain(`${id}.yaml`);
      const text = readFileSync(join(SCENARIOS, `${id}.yaml`), 'utf8');
      const { scenario, errors } = parseScenario(`${id}.yaml`, text);
      expect(errors).toEqual([]);
      expect(scenario!.name).toBe(id);
      // The behaviour is asserted, not only mentioned: an `expect.behaviour` (or `until`/`check fired`) names it.
      const names = JSON.stringify(scenario!.steps.map((s) => [s.expect.behaviour, s.kind === 'until' || s.kind === 'check' ? s.value : null, s.fields.behaviour]));
      expect(names, id).toContain(id);
    }
  });

  it('has the procedure on single and multi-server sites, a training scenario per ordering rule, and the soak', () => {
    for (const f of ['procedure.single.yaml', 'procedure.multi.yaml', 'soak.backup-night.yaml']) expect(files).toContain(f);
    for (const rule of ['suspend-order', 'resume-order', 'arc-order', 'all-backups-done', 'suspend-first', 'backup-on-first', 'arc-before-resume', 'backup-before-rm']) {
      const text = readFileSync(join(SCENARIOS, `training.${rule}.yaml`), 'utf8');
      expect(text, rule).toContain(`rule: ${rule}`);
      expect(text, rule).toContain(`warning: ${rule}`);
    }
  });

  it('`twemu scenario run scenarios/library/*.yaml` passes, with a JUnit report', { timeout: 400_000 }, async () => {
    const junit = join(out.path, 'junit.xml');
    const r = await runCli(['scenario', 'run', '--jobs', '6', '--quiet', '--junit', junit, ...files.map((f) => join('scenarios', 'library', f))], { timeoutMs: 380_000 });
    const summary = r.stdout.trim().split('\n').at(-1);
    expect(summary, r.stdout + r.stderr).toBe(`${files.length} passed, 0 failed`);
    expect(r.code).toBe(0);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'));
    expect(doc.testsuites).toMatchObject({ tests: String(files.length), failures: '0', errors: '0' });
  });
});
