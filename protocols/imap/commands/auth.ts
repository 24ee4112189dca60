import type { Session } from '../session.js';
import { capabilityList, plainLoginRefused } from '../capabilities.js';
import type { Reply } from '../types.js';

/**
 * LOGIN and AUTHENTICATE: the seed's `imap4.login` on a suspended server
 * (`<tag> NO LOGIN failed:Server is busy`, 19.3.1), then the directory, the
 * account's Mail service, and its home server.
 */
export function logIn(session: Session, user: string, password: string, operation: 'LOGIN' | 'AUTHENTICATE'): Reply {
  if (plainLoginRefused(session)) {
    session.loginFailed(user, 'plain-text login refused before STARTTLS');
    return { tagged: { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Plain-text login is disabled on this server; use STARTTLS first' } };
  }
  const gate = session.server.gate('imap4.login', { operation, client: 'imap', user });
  if (!gate.allowed) {
    session.loginFailed(user, gate.messages[0]!);
    return { tagged: { exact: gate.messages[0]! } };
  }
  const account = session.site.directory.authenticate(user, password);
  if (!account) {
    session.loginFailed(user, 'invalid user name or password');
    return { tagged: { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed' } };
  }
  if (!account.services.mail) {
    session.loginFailed(user, 'the Mail service is not available for this account');
    return { tagged: { status: 'NO', code: 'AUTHORIZATIONFAILED', text: 'The Mail service is not available for this account' } };
  }
  const home = session.site.homeServer(account);
  if (home !== session.server) {
    session.loginFailed(user, `mailbox is on ${home.name}`);
    return { tagged: { status: 'NO', code: 'UNAVAILABLE', text: `The mailbox of ${account.name} is on server ${home.name}${home.ports.imap ? ` (IMAP port ${home.ports.imap})` : ''}; connect there` } };
  }
  session.loggedIn(account);
  return { tagged: { status: 'OK', code: `CAPABILITY ${capabilityList('authenticated')}`, text: `${operation} completed` } };
}
