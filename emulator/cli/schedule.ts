// `twemu schedule suspend [at +DURATION] for DURATION [--server NAME]`,
// `twemu schedule list`, `twemu schedule cancel ID`: outage windows on the
// running site (control/schedule.ts keeps the timers in the site's process).

import { parseArgs } from 'node:util';
import { TwemuError } from '../errors.js';
import { parseDuration } from '../duration.js';
import { callApi, findSite } from './client.js';
import type { OutageWindow } from '../control/schedule.js';

const USAGE = 'twemu schedule suspend [at +DURATION] for DURATION [--server NAME] | schedule list | schedule cancel ID  [--data DIR | --url URL [--token T]] [--json]';

function duration(text: string | undefined, what: string): number {
  const d = parseDuration((text ?? '').replace(/^\+/, ''));
  if (text === undefined || typeof d === 'string') throw new TwemuError('E_USAGE', `${what} needs a duration like +30s, 2m or 1h${text === undefined ? '' : `, not ${JSON.stringify(text)}`}`, { hint: `usage: ${USAGE}` });
  return d;
}

const line = (w: OutageWindow) => `window ${w.id}: suspend ${w.server} from ${w.startsAt} to ${w.endsAt}: ${w.state}${w.problem ? ` (${w.problem})` : ''}`;

export async function scheduleCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { server: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } } });
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: `usage: ${USAGE}` });
  }
  const { values, positionals } = parsed;
  const [action, ...words] = positionals;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  if (action === 'list') {
    const r = await callApi<{ windows: OutageWindow[] }>(findSite(values), 'GET', '/api/schedule');
    if (values.json) out(JSON.stringify(r, null, 2));
    else out(r.windows.length ? r.windows.map(line).join('\n') : 'no outage windows');
    return 0;
  }
  if (action === 'cancel') {
    const id = Number(words[0]);
    if (!Number.isInteger(id)) throw new TwemuError('E_USAGE', 'schedule cancel needs the window\'s number (see `twemu schedule list`)');
    const w = await callApi<OutageWindow>(findSite(values), 'DELETE', `/api/schedule/${id}`);
    out(values.json ? JSON.stringify(w, null, 2) : line(w));
    return 0;
  }
  if (action !== 'suspend') throw new TwemuError('E_USAGE', action ? `unknown schedule action ${JSON.stringify(action)}` : 'schedule needs an action', { hint: `usage: ${USAGE}` });
  let atMs = 0;
  let forMs: number | undefined;
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] === 'at') atMs = words[i + 1] === 'now' ? 0 : duration(words[i + 1], '`at`');
    else if (words[i] === 'for') forMs = duration(words[i + 1], '`for`');
    else throw new TwemuError('E_USAGE', `unexpected ${JSON.stringify(words[i])}`, { hint: `usage: ${USAGE}` });
  }
  if (forMs === undefined || forMs < 1) throw new TwemuError('E_USAGE', 'schedule suspend needs `for DURATION` (how long the outage lasts)', { hint: `usage: ${USAGE}` });
  const w = await callApi<OutageWindow>(findSite(values), 'POST', '/api/schedule', { action: 'suspend', atMs, forMs, ...(values.server ? { server: values.server } : {}) });
  out(values.json ? JSON.stringify(w, null, 2) : line(w));
  return 0;
}
