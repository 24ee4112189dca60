// Durations as people write them in the CLI, the config and scenario files:
// `250ms`, `2s`, `1m`, or a number of milliseconds.

/** Milliseconds, or what the value should have been (a message fragment). */
export function parseDuration(value: unknown): number | string {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') return 'a duration like 250ms, 2s or 1m';
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return `a duration like 250ms, 2s or 1m, not ${JSON.stringify(value)}`;
  const n = Number(m[1]);
  return Math.round(n * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 1));
}
