import type { Session } from '../session.js';
import { offers } from '../capabilities.js';
import { atom } from '../parser.js';
import { bad, no, type CommandSpec, type Reply } from '../types.js';
import { logIn } from './auth.js';

/** SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`, base64. */
function plain(session: Session, response: string): Reply | Promise<Reply> {
  const line = response.trim();
  if (line === '*') return bad('AUTHENTICATE cancelled');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) return bad('Invalid base64 in SASL response');
  const parts = Buffer.from(line, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return bad('Invalid SASL PLAIN response');
  const [authz, user, password] = parts as [string, string, string];
  if (authz && authz !== user) return no('Proxy authorisation is not supported', 'AUTHORIZATIONFAILED');
  return logIn(session, user, password, 'AUTHENTICATE');
}

export const authenticate: CommandSpec = {
  name: 'AUTHENTICATE', args: [{ name: 'mechanism', kind: 'atom' }, { name: 'initial response', kind: 'astring', optional: true }],
  states: ['not-authenticated'],
  store: 'none',
  handle(session, cmd) {
    const mechanism = atom(cmd.args[0], 'SASL mechanism').toUpperCase();
    if (mechanism !== 'PLAIN') return no(`Unsupported authentication mechanism ${mechanism.slice(0, 20)}`, 'CANNOT');
    const initial = cmd.args[1];
    if (initial && !offers(session, 'SASL-IR')) return bad('An initial response needs SASL-IR, which is not offered');
    if (initial) {
      // SASL-IR (RFC 4959); `=` is an empty initial response.
      const text = initial.type === 'atom' ? initial.value : initial.type === 'string' ? initial.value.toString('latin1') : '';
      return plain(session, text === '=' ? '' : text);
    }
    session.authWaiting = { tag: cmd.tag, handle: (line) => plain(session, line) };
    return { continuation: '', tagged: null };
  },
};
