// Mail submission (RFC 6409) on each mail server, with nodemailer's
// smtp-server: EHLO, STARTTLS (the site certificate), AUTH PLAIN and LOGIN with
// TeamWARE accounts (the domain's access service), MAIL/RCPT/DATA. Local
// recipients get the message in their home server's INBOX through the same
// store write as every delivery (Site.deliver: staged in backup mode); other
// recipients are refused (no relaying). No copy is kept for the sender: mail
// clients APPEND their own to the Sent folder.
//
// While the server is suspended: `smtp.greeting` (off by default), `smtp.login`
// (AUTH) and `smtp.submit` (MAIL FROM or end of DATA in a session that
// authenticated before the suspension): temporary failures a client queues
// and retries (emulator/catalog/defaults/smtp.ts).

import { createRequire } from 'node:module';
import type { SMTPServer as SMTPServerType, SMTPServerOptions, SMTPServerSession, SMTPServerError } from 'smtp-server';
import type { Listener, ListenerFactory } from '../../emulator/listeners.js';
import { listenTcp } from '../common/tcp.js';
import { smtpOptions } from './options.js';

/** An smtp-server error whose reply is exactly `line` (`451 4.3.2 ...`: code, then the text as written). */
function replyError(line: string): SMTPServerError {
  const m = /^(\d{3}) (.*)$/s.exec(line);
  const e = new Error(m ? m[2] : line) as SMTPServerError;
  e.responseCode = m ? Number(m[1]) : 451;
  return e;
}

/** What a session knows beyond smtp-server's: who logged in, and whether before a suspension. */
interface SessionState {
  user: string;
  /** Authenticated while the server was available: a session in flight once it is suspended. */
  inFlight: boolean;
}

export const startSmtp: ListenerFactory = async (server, opts) => {
  const options = smtpOptions(server.site.config.services?.smtp);
  const site = server.site;
  const tls = site.tls;
  const sessions = new Map<string, SessionState>();

  const submitRefused = (session: SMTPServerSession, operation: string): SMTPServerError | null => {
    const state = sessions.get(session.id);
    if (!server.suspended || !state?.inFlight) return null;
    const decision = server.fire('smtp.submit', { operation, client: 'smtp', user: state.user });
    return decision.fires ? replyError(decision.messages[0]!) : null;
  };

  const config: SMTPServerOptions = {
    name: server.name,
    banner: 'TeamWARE Office emulator mail submission',
    secure: opts.implicitTls === true,
    ...(tls ? { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' } : {}),
    disabledCommands: tls ? [] : ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: !tls?.loginRequiresTls,
    size: options.maxMessageSize,
    rejectOversized: true,
    maxClients: options.maxConnections,
    closeTimeout: 500,
    logger: false,
    onConnect(session, callback) {
      const gate = server.gate('smtp.greeting', { operation: 'connect', client: 'smtp' });
      callback(gate.allowed ? undefined : replyError(gate.messages[0]!));
    },
    onAuth(auth, session, callback) {
      const operation = `AUTH ${auth.method}`;
      void site.domain.access.login({
        client: 'smtp', server, operation, user: auth.username, password: auth.password ?? '', service: 'mail',
        busy: () => {
          const gate = server.gate('smtp.login', { operation, client: 'smtp', user: auth.username });
          return gate.allowed ? null : gate.messages[0]!;
        },
      }).then((outcome) => {
        if (outcome.ok) {
          sessions.set(session.id, { user: outcome.value.name, inFlight: !server.suspended });
          callback(null, { user: outcome.value.name });
        } else if (outcome.refused === 'busy') {
          callback(replyError(outcome.message));
        } else if (outcome.refused === 'service-unavailable') {
          callback(replyError(`535 5.7.8 ${outcome.message}`));
        } else {
          callback(replyError('535 5.7.8 Authentication credentials invalid'));
        }
      }, (err: unknown) => {
        site.log.error({ err, server: server.name }, 'smtp: login failed');
        callback(replyError('454 4.7.0 Temporary authentication failure'));
      });
    },
    onMailFrom(address, session, callback) {
      callback(submitRefused(session, 'MAIL FROM') ?? undefined);
    },
    onRcptTo(address, session, callback) {
      const local = address.address.replace(/@.*$/, '');
      const account = local ? site.domain.access.account(local) : null;
      if (!account) return callback(replyError(`550 5.1.1 <${address.address}>: no such user here (only local TeamWARE accounts; this server does not relay)`));
      if (!account.services.mail) return callback(replyError(`550 5.2.1 <${address.address}>: the Mail service is not available for this account`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) return callback(replyError(`552 5.3.4 Message too big (limit ${options.maxMessageSize} bytes)`));
        const refused = submitRefused(session, 'DATA');
        if (refused) return callback(refused);
        try {
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const raw = site.stamp(Buffer.concat(chunks), { envelopeFrom, server: server.name });
          const names = [...new Set(session.envelope.rcptTo.map((r) => site.domain.access.account(r.address.replace(/@.*$/, ''))!.name))];
          const delivered = names.map((name) => site.deliver(name, raw));
          const user = sessions.get(session.id)?.user;
          site.events.emit({
            type: 'info', server: server.name, client: 'smtp', operation: 'DATA', user,
            message: `SMTP: message from ${user} delivered to ${delivered.map((d) => `${d.user} (${d.server})`).join(', ')}`,
          });
          callback(null, `Message accepted, delivered to ${delivered.length} recipient${delivered.length === 1 ? '' : 's'}`);
        } catch (err) {
          site.log.error({ err, server: server.name }, 'smtp: delivery failed');
          callback(replyError('451 4.3.0 Local error in processing; the message was not delivered, try again'));
        }
      });
    },
    onClose(session) {
      sessions.delete(session.id);
    },
  };
  // smtp-server (and its share of nodemailer) loads on the first connection, not at start-up;
  // our listener accepts, smtp-server speaks the protocol on the socket.
  let smtp: SMTPServerType | null = null;
  const engine = (): SMTPServerType => {
    if (smtp) return smtp;
    const { SMTPServer } = createRequire(import.meta.url)('smtp-server') as typeof import('smtp-server');
    smtp = new SMTPServer(config);
    smtp.on('error', (err) => site.log.warn({ err, server: server.name }, 'smtp: connection error'));
    return smtp;
  };
  const listener: Listener = await listenTcp(opts, (socket) => engine().connect(socket, {}));
  return listener;
};
