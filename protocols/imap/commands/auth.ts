import type { Session } from '../session.js';
import { capabilityList, plainLoginRefused } from '../capabilities.js';
import { status, type Reply } from '../types.js';

/**
 * LOGIN and AUTHENTICATE: the seed's `imap4.login` on a suspended server
 * (`<tag> NO LOGIN failed:Server is busy`, 19.3.1), then the site's one login
 * (access: credentials, slowed when wrong; the Mail service; the home server).
 * After `services.access.maxFailedLogins` wrong credentials on one connection
 * (default 3) the server says BYE and closes it.
 */
export async function logIn(session: Session, user: string, password: string, operation: 'LOGIN' | 'AUTHENTICATE'): Promise<Reply> {
  const access = session.site.domain.access;
  if (plainLoginRefused(session)) {
    access.failed({ client: 'imap', server: session.server, operation, user }, 'tls-required', 'plain-text login refused before STARTTLS');
    return { tagged: { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Plain-text login is disabled on this server; use STARTTLS first' } };
  }
  // imap4.login, asked where the site's rule says (access.login-order: by default after the password).
  const busy = () => {
    const gate = session.server.gate('imap4.login', { operation, client: 'imap', user });
    return gate.allowed ? null : gate.messages[0]!;
  };
  const login = await access.login({ client: 'imap', server: session.server, operation, user, password, service: 'mail', home: true, wait: (ms) => session.delay(ms), busy });
  if (login.ok) {
    session.loggedIn(login.value);
    return { tagged: { status: 'OK', code: `CAPABILITY ${capabilityList('authenticated', session)}`, text: `${operation} completed` } };
  }
  switch (login.refused) {
    case 'busy':
      return { tagged: { exact: login.message } };
    case 'bad-credentials': {
      const failed: Reply = { tagged: { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Authentication failed' } };
      if (++session.failedLogins < access.options.maxFailedLogins) return failed;
      return { ...failed, untagged: [status('BYE', `Too many failed logins (${session.failedLogins}); closing the connection`)], close: true };
    }
    case 'service-unavailable':
      return { tagged: { status: 'NO', code: 'AUTHORIZATIONFAILED', text: 'The Mail service is not available for this account' } };
    case 'wrong-server': {
      const home = login.home!;
      return { tagged: { status: 'NO', code: 'UNAVAILABLE', text: `The mailbox of ${login.account!.name} is on server ${home.name}${home.ports.imap ? ` (IMAP port ${home.ports.imap})` : ''}; connect there` } };
    }
  }
}
