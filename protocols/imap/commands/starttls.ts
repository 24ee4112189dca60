import { bad, type CommandSpec } from '../types.js';

/** STARTTLS (RFC 3501 6.2.1): OK, then the TLS handshake; the client asks CAPABILITY again after it. */
export const starttls: CommandSpec = {
  name: 'STARTTLS', args: [],
  states: ['not-authenticated'],
  store: 'none',
  handle(session) {
    if (!session.server.site.tls) return bad('STARTTLS is not available on this server (TLS is off)');
    if (session.secure) return bad('TLS is already in force');
    return { tagged: { status: 'OK', text: 'Begin TLS negotiation now' }, startTls: true };
  },
};
