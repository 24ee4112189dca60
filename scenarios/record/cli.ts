// `twemu record --upstream HOST:PORT [--listen HOST:PORT] --out FILE [--password P] [--name N] [--sessions N]`

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { TwemuError } from '../../emulator/errors.js';
import { parseAddress, Recorder } from './recorder.js';

export const RECORD_USAGE = `twemu record --upstream HOST:PORT [--listen HOST:PORT] --out FILE [--password P] [--name NAME] [--sessions N]

A recording proxy. Point a client (a mail program, a browser, an application
calling the AME) at the --listen address; every byte goes on to --upstream (a
twemu site's POP3, IMAP or web port, or any POP3/IMAP/HTTP server) and back.
What the client sent and what it was answered is written to --out as a
scenario file, rewritten after every session:

  POP3, IMAP   each connection is a raw session (pop3N / imapN): the greeting
               and each command as \`send\` steps, the replies as expectations
  HTTP         pages as \`web\` steps (cookies and the form token are the
               replay client's own), AME calls as \`ame\` steps (rc expected)

Volatile parts (greeting timestamps, UIDVALIDITY, dates, message sizes and
contents) become patterns; the password the client sends (PASS, LOGIN, a
password form field, HTTP Basic, and every occurrence of --password) becomes
\${password}: replay with \`twemu scenario run FILE --password P\` or
TWEMU_PASSWORD=P. TLS is forwarded but cannot be read: a session that
starts TLS is recorded up to STARTTLS and the file says INCOMPLETE. Stops on Ctrl-C (SIGINT/SIGTERM), or after --sessions N
sessions (HTTP: N requests). --listen defaults to 127.0.0.1 on a free port.`;

export async function recordCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${RECORD_USAGE}\n`);
    return 0;
  }
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { upstream: { type: 'string' }, listen: { type: 'string' }, out: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, sessions: { type: 'string' } },
    }));
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: 'see `twemu record --help`' });
  }
  if (!values.upstream) throw new TwemuError('E_USAGE', 'record needs --upstream HOST:PORT (the server to record)', { hint: 'see `twemu record --help`' });
  if (!values.out) throw new TwemuError('E_USAGE', 'record needs --out FILE (the scenario file to write)', { hint: 'see `twemu record --help`' });
  const upstream = parseAddress(values.upstream, '--upstream');
  if (typeof upstream === 'string') throw new TwemuError('E_USAGE', upstream);
  const listen = parseAddress(values.listen ?? '127.0.0.1:0', '--listen');
  if (typeof listen === 'string') throw new TwemuError('E_USAGE', listen);
  let sessions: number | undefined;
  if (values.sessions !== undefined) {
    sessions = Number(values.sessions);
    if (!Number.isInteger(sessions) || sessions < 1) throw new TwemuError('E_USAGE', `--sessions must be a positive integer, not ${JSON.stringify(values.sessions)}`);
  }
  const password = values.password || process.env.TWEMU_PASSWORD || undefined;
  const out = resolve(values.out);
  const rec = new Recorder({ upstream, listen, ...(password ? { password } : {}), ...(values.name ? { name: values.name } : {}), note: (l) => process.stderr.write(`twemu record: ${l}\n`) }, out);
  let at;
  try {
    at = await rec.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TwemuError(code === 'EACCES' ? 'E_PORT_ACCESS' : 'E_PORT_IN_USE', `cannot listen on ${listen.host}:${listen.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (err as Error).message}`, { hint: 'choose another --listen port (or 0 for a free one)' });
  }
  rec.write();
  process.stdout.write(`twemu recording ${at.host}:${at.port} -> ${upstream.host}:${upstream.port} into ${out}\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (sessions !== undefined) void rec.waitSessions(sessions).then(done);
  });
  await rec.stop();
  process.stdout.write(`twemu record: ${rec.steps.length} step(s) from ${rec.finished} session(s) written to ${out}\n`);
  return 0;
}
