// `twemu record --upstream HOST:PORT [--listen HOST:PORT] ... --out FILE [--password P] [--name N] [--sessions N]`

import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { TwemuError } from '../../emulator/errors.js';
import { parseAddress, Recorder } from './recorder.js';

export const RECORD_USAGE = `twemu record --upstream HOST:PORT [--listen HOST:PORT] --out FILE [--password P] [--name NAME] [--sessions N]
             [--data DIR | --cert FILE --key FILE] [--listen-tls] [--upstream HOST:PORT [--listen HOST:PORT]]...

A recording proxy. Point a client (a mail program, a browser, an application
calling the AME) at the --listen address; every byte goes on to --upstream (a
twemu site's POP3, IMAP, SMTP or web port, or any POP3/IMAP/SMTP/HTTP server)
and back. Give --upstream more than once (each with its own --listen, or a
free port) to record a client's IMAP and SMTP servers into one file. What
the client sent and what it was answered is written to --out as a scenario
file, rewritten after every session:

  POP3, IMAP,  each connection is a raw session (pop3N / imapN / smtpN): the
  SMTP         greeting and each command as \`send\` steps, the replies as
               expectations (SMTP: DATA's step holds the message, sent after
               the server's 354; STARTTLS like STLS/STARTTLS below)
  HTTP         pages as \`web\` steps (cookies and the form token are the
               replay client's own), AME calls as \`ame\` steps (rc expected)

Volatile parts (greeting timestamps, UIDVALIDITY, dates, message sizes and
contents) become patterns; the password the client sends (PASS, LOGIN, a
password form field, HTTP Basic, and every occurrence of --password) becomes
\${password}, and what a client computes from it becomes the expression
that computes it at replay: SASL PLAIN and LOGIN (IMAP AUTHENTICATE, POP3
and SMTP AUTH) \${base64:alice\\0alice\\0\${password}}, APOP
\${md5:\${apop}\${password}} (\${apop}: the greeting's timestamp at replay).
Replay with \`twemu scenario run FILE --password P\` or TWEMU_PASSWORD=P.

TLS: with a certificate the proxy answers the client's TLS itself and
records inside it. --data DIR takes the site's (DIR/tls/cert.pem and
key.pem, created at the site's first start; clients trust DIR/tls/ca.pem,
endpoints.json \`ca\`); --cert/--key take any PEM certificate and key.
  STARTTLS, STLS  forwarded; on the server's yes the proxy does the TLS
               handshake with the client and with the upstream, and the
               session goes on recorded (replayed the same way)
  --listen-tls implicit TLS: clients speak TLS from the first byte (as to
               POP3S/IMAPS, or HTTPS) and the proxy reaches --upstream over
               TLS when it speaks TLS (the site's POP3S or IMAPS port; the
               sessions are written with \`tls: true\` and replay on those
               ports), in plain text when it does not: HTTPS clients in front
               of the site's web or AME port are recorded as http steps
  TLS from the first byte without --listen-tls: a client that opens with a
               TLS handshake is answered the same way (the upstream asked
               once whether it speaks TLS), so one recording can hold an
               IMAPS session and an SMTP session with STARTTLS
The upstream's certificate is not checked (it is the server you named).
Without a certificate TLS passes unread: a session is recorded up to
STARTTLS and the file says INCOMPLETE.

Stops on Ctrl-C (SIGINT/SIGTERM), or after --sessions N sessions (HTTP: N
requests). --listen defaults to 127.0.0.1 on a free port.`;

export async function recordCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${RECORD_USAGE}\n`);
    return 0;
  }
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { upstream: { type: 'string', multiple: true }, listen: { type: 'string', multiple: true }, out: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, sessions: { type: 'string' },
        data: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, 'listen-tls': { type: 'boolean' } },
    }));
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: 'see `twemu record --help`' });
  }
  const upstreams = (values.upstream as string[] | undefined) ?? [];
  const listens = (values.listen as string[] | undefined) ?? [];
  if (!upstreams.length) throw new TwemuError('E_USAGE', 'record needs --upstream HOST:PORT (the server to record)', { hint: 'see `twemu record --help`' });
  if (!values.out) throw new TwemuError('E_USAGE', 'record needs --out FILE (the scenario file to write)', { hint: 'see `twemu record --help`' });
  const tls = certificate(values as Record<string, string | undefined>);
  if (values['listen-tls'] && !tls) throw new TwemuError('E_USAGE', '--listen-tls needs the certificate to present to clients', { hint: 'give --data DIR (the site\'s data directory) or --cert FILE --key FILE' });
  if (listens.length > upstreams.length) throw new TwemuError('E_USAGE', `${listens.length} --listen for ${upstreams.length} --upstream: give one --listen per --upstream (in the same order), or none`);
  // One proxy address per upstream (a mail client's IMAP and SMTP servers): the sessions of all go into the one file.
  const routes = upstreams.map((u, i) => {
    const upstream = parseAddress(u, '--upstream');
    if (typeof upstream === 'string') throw new TwemuError('E_USAGE', upstream);
    const listen = parseAddress(listens[i] ?? '127.0.0.1:0', '--listen');
    if (typeof listen === 'string') throw new TwemuError('E_USAGE', listen);
    return { upstream, listen };
  });
  const [{ upstream, listen }, ...more] = routes as [(typeof routes)[0], ...typeof routes];
  let sessions: number | undefined;
  if (values.sessions !== undefined) {
    sessions = Number(values.sessions);
    if (!Number.isInteger(sessions) || sessions < 1) throw new TwemuError('E_USAGE', `--sessions must be a positive integer, not ${JSON.stringify(values.sessions)}`);
  }
  const password = (values.password as string | undefined) || process.env.TWEMU_PASSWORD || undefined;
  const out = resolve(String(values.out));
  const rec = new Recorder({
    upstream, listen, ...(more.length ? { more } : {}), ...(password ? { password } : {}), ...(values.name ? { name: String(values.name) } : {}),
    ...(tls ? { tls } : {}), ...(values['listen-tls'] ? { listenTls: true } : {}),
    note: (l) => process.stderr.write(`twemu record: ${l}\n`),
  }, out);
  let at;
  try {
    at = await rec.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const a = (err as { address?: string; port?: number });
    throw new TwemuError(code === 'EACCES' ? 'E_PORT_ACCESS' : 'E_PORT_IN_USE', `cannot listen on ${a.address ?? listen.host}:${a.port ?? listen.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (err as Error).message}`, { hint: 'choose another --listen port (or 0 for a free one)' });
  }
  rec.write();
  for (const r of at) {
    if (values['listen-tls'] && !r.upstreamTls) process.stderr.write(`twemu record: ${r.upstream.host}:${r.upstream.port} does not answer TLS: the clients' TLS ends at the proxy and the upstream is reached in plain text (HTTPS clients recorded as http steps)\n`);
  }
  process.stdout.write(at.map((r) => `twemu recording ${r.host}:${r.port}${values['listen-tls'] ? ' (TLS)' : ''} -> ${r.upstream.host}:${r.upstream.port} into ${out}\n`).join(''));
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (sessions !== undefined) void rec.waitSessions(sessions).then(done);
  });
  await rec.stop();
  process.stdout.write(`twemu record: ${rec.steps.length} step(s) from ${rec.finished} session(s) written to ${out}\n`);
  return 0;
}

/** The proxy's certificate: the site's (--data DIR) or --cert/--key; undefined without either. */
function certificate(values: Record<string, string | undefined>): { cert: string; key: string } | undefined {
  const { data, cert, key } = values as Record<string, string | undefined>;
  if (data && (cert || key)) throw new TwemuError('E_USAGE', 'give --data DIR or --cert/--key, not both');
  if ((cert === undefined) !== (key === undefined)) throw new TwemuError('E_USAGE', '--cert and --key go together');
  const files = data ? { cert: join(resolve(data), 'tls', 'cert.pem'), key: join(resolve(data), 'tls', 'key.pem') } : cert && key ? { cert: resolve(cert), key: resolve(key) } : undefined;
  if (!files) return undefined;
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TwemuError('E_USAGE', `cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: data ? 'DIR must be the data directory of a site started with TLS (it creates DIR/tls/ at first start)' : 'give a PEM certificate and its key',
      });
    }
  };
  const pem = { cert: read(files.cert, 'certificate'), key: read(files.key, 'key') };
  try {
    createSecureContext({ ...pem, minVersion: 'TLSv1.2' });
  } catch (err) {
    throw new TwemuError('E_USAGE', `the TLS certificate and key cannot be used: ${(err as Error).message}`, { hint: 'give a PEM certificate and its matching PEM key' });
  }
  return pem;
}
