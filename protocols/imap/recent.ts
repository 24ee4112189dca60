import type { MailRepo } from '../../emulator/store/mail.js';

// \Recent (RFC 3501 2.3.2): a message is recent in the first session that
// selects its mailbox after it arrived. The claim is the highest UID some
// session has seen, per mailbox (owner, name, UIDVALIDITY), kept in memory
// per store: after a restart every message is recent again for the first
// session, as with a fresh Dovecot index (emulator choice).

const claims = new WeakMap<MailRepo, Map<string, number>>();

function table(mail: MailRepo): Map<string, number> {
  let t = claims.get(mail);
  if (!t) claims.set(mail, (t = new Map()));
  return t;
}

const key = (owner: string, name: string, uidValidity: number) => `${owner}/${name}/${uidValidity}`;

/**
 * The UIDs among `uids` that are recent for the caller. With `claim` (SELECT)
 * they stop being recent for everyone else; without it (EXAMINE, STATUS) the
 * caller only looks.
 */
export function recentAmong(mail: MailRepo, owner: string, name: string, uidValidity: number, uids: number[], claim: boolean): Set<number> {
  const t = table(mail);
  const k = key(owner, name, uidValidity);
  const last = t.get(k) ?? 0;
  const recent = new Set<number>();
  let highest = last;
  for (const u of uids) {
    if (u <= last) continue;
    recent.add(u);
    if (u > highest) highest = u;
  }
  if (claim) t.set(k, highest);
  return recent;
}
