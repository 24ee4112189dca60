import type { Session } from './session.js';
import type { ImapState } from './types.js';
import type { CapabilityProfile } from './options.js';

/** Capabilities before and after login (advertised in the greeting and the login OK, RFC 3501 7.2.1). */
export const CAPABILITIES = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'MOVE', 'SPECIAL-USE', 'CHILDREN'];

/**
 * The capabilities a profile offers (`services.imap.capabilities`): `standard`
 * (docs/imap.md says why each one), or `imap4rev1`, RFC 3501 alone, for
 * trying a client against a server that offers nothing more. A command of an
 * extension the profile does not offer is an unknown command there, and its
 * response codes (COPYUID, APPENDUID) are not sent.
 */
export const PROFILE_CAPABILITIES: Record<CapabilityProfile, readonly string[]> = {
  standard: CAPABILITIES,
  imap4rev1: ['IMAP4rev1'],
};

/** Whether the session's profile offers a capability. */
export const offers = (session: Pick<Session, 'options'>, capability: string): boolean =>
  PROFILE_CAPABILITIES[session.options.capabilities].includes(capability);
/**
 * The capabilities in a state. Before login: STARTTLS where TLS is on and not
 * yet in force; AUTH=PLAIN, or LOGINDISABLED where the site refuses
 * plain-text logins (`tls.loginRequiresTls`, RFC 3501 6.2.3).
 */
export const capabilityList = (state: ImapState, session?: Pick<Session, 'secure' | 'server' | 'options'>): string => {
  const offered = session ? PROFILE_CAPABILITIES[session.options.capabilities] : CAPABILITIES;
  if (state !== 'not-authenticated') return offered.join(' ');
  const tls = session?.server.site.tls;
  const starttls = tls && !session!.secure ? ['STARTTLS'] : [];
  return [...offered, ...starttls, ...(plainLoginRefused(session) ? ['LOGINDISABLED'] : ['AUTH=PLAIN'])].join(' ');
};

/** With `tls.loginRequiresTls`, LOGIN and AUTHENTICATE before STARTTLS are refused. */
export function plainLoginRefused(session: Pick<Session, 'secure' | 'server'> | undefined): boolean {
  return !!session && !session.secure && session.server.site.tls?.loginRequiresTls === true;
}
