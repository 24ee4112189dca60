// `npm run bench`: every area's benchmark, one after the other; each prints its figures.
// A benchmark module exports `run(): Promise<Record<string, string | number>>`.
const AREAS = ['core', 'staging', 'pop3', 'imap', 'web'] as const;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
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
