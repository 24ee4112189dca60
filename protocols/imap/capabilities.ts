import type { Session } from './session.js';
import type { ImapState } from './types.js';

/** Capabilities before and after login (advertised in the greeting and the login OK, RFC 3501 7.2.1). */
export const CAPABILITIES = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'MOVE', 'SPECIAL-USE', 'CHILDREN'];
/**
 * The capabilities in a state. Before login: STARTTLS where TLS is on and not
 * yet in force; AUTH=PLAIN, or LOGINDISABLED where the site refuses
 * plain-text logins (`tls.loginRequiresTls`, RFC 3501 6.2.3).
 */
export const capabilityList = (state: ImapState, session?: Pick<Session, 'secure' | 'server'>): string => {
  if (state !== 'not-authenticated') return CAPABILITIES.join(' ');
  const tls = session?.server.site.tls;
  const starttls = tls && !session!.secure ? ['STARTTLS'] : [];
  return [...CAPABILITIES, ...starttls, ...(plainLoginRefused(session) ? ['LOGINDISABLED'] : ['AUTH=PLAIN'])].join(' ');
};

/** With `tls.loginRequiresTls`, LOGIN and AUTHENTICATE before STARTTLS are refused. */
export function plainLoginRefused(session: Pick<Session, 'secure' | 'server'> | undefined): boolean {
  return !!session && !session.secure && session.server.site.tls?.loginRequiresTls === true;
}
