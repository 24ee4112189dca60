// `npm run bench`: every area's benchmark, one after the other; each prints its figures.
// A benchmark module exports `run(): Promise<Record<string, string | number>>`.
// `npm run bench -- --against dovecot [--rounds N] [--figures GROUP,...] [AREA...]`: first twemu side by side with a
// Dovecot from Debian, default and tuned (bench/versus.ts; IMAPTEST=/path adds imaptest's
// stress profile), then the areas named (none named: core, web and staging, whose targets
// are not Dovecot's). `--figures envelope,body` measures only those groups of figures
// (memory, imaptest, pop3, logins, envelope, body, active) and no other area unless named.
import { parseArgs } from 'node:util';

const AREAS = ['core', 'staging', 'pop3', 'imap', 'web', 'memory'] as const;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { against: { type: 'string' }, rounds: { type: 'string' }, figures: { type: 'string' } }, allowPositionals: true });
  let only = positionals;
  if (values.against !== undefined) {
    if (values.against !== 'dovecot') throw new Error(`--against knows only dovecot, not ${JSON.stringify(values.against)}`);
    const rounds = Number(values.rounds ?? 3);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be an integer from 1 to 20');
    const { against, FIGURE_GROUPS } = await import('./versus.js');
    const figures = values.figures === undefined ? [...FIGURE_GROUPS] : values.figures.split(',').map((f) => f.trim());
    const unknown = figures.filter((f) => !(FIGURE_GROUPS as readonly string[]).includes(f));
    if (unknown.length || !figures.length) throw new Error(`--figures takes a comma-separated list of ${FIGURE_GROUPS.join(', ')}; not ${JSON.stringify(unknown.join(',') || values.figures)}`);
    console.log('\n## twemu against Dovecot\n');
    const t0 = performance.now();
    console.log(await against(rounds, figures as typeof FIGURE_GROUPS[number][]));
    console.log(`(took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    // With --figures, only what was asked for: no other area unless named.
    if (!only.length && values.figures !== undefined) return;
    if (!only.length) only = ['core', 'web', 'staging'];
  }
  if (values.figures !== undefined && values.against === undefined) throw new Error('--figures selects figures of --against dovecot');
  for (const area of AREAS) {
    if (only.length && !only.includes(area)) continue;
    let mod: { run(): Promise<Record<string, string | number>> };
    try {
      mod = (await import(`./${area}.js`)) as typeof mod;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
        console.log(`\n## ${area}: no benchmark yet`);
        continue;
      }
      throw err;
    }
    console.log(`\n## ${area}`);
    const t0 = performance.now();
    const figures = await mod.run();
    for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`);
    console.log(`(${area} took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
