// Shared by PASS and APOP: who may log in on this server, and the catalog's
// pop3.login when the server is suspended (RFC 1939 locks the maildrop here).

import type { Account } from '../../emulator/store/directory.js';
import type { Pop3Context } from './command.js';
import { Maildrop } from './maildrop.js';
import { plainLoginRefused } from './commands/stls.js';
import { bad, err, fromLine, ok, type Reply } from './replies.js';

export const AUTH_FAILED = '[AUTH] invalid user name or password';

/**
 * Logs `name` in when `password` (or APOP's check) holds: the site's one
 * login (access: credentials, slowed when wrong; the Mail service; the home
 * server), then asks the site whether the maildrop can be locked
 * (pop3.login), then takes the scan listing.
 */
export async function login(ctx: Pop3Context, name: string, operation: 'PASS' | 'APOP', password: string | ((account: Account) => boolean)): Promise<Reply> {
  const site = ctx.server.site;
  const refused = plainLoginRefused(ctx);
  if (refused) return err(refused);
  const result = await site.domain.access.login({
    client: 'pop3', server: ctx.server, operation, user: name, password, service: 'mail', home: true,
    wait: (ms) => ctx.delay(ms), delayMs: ctx.options.failedLoginDelayMs,
    // pop3.login, asked where the site's rule says (access.login-order: by default after the password).
    busy: () => {
      const gate = ctx.server.gate('pop3.login', { operation, client: 'pop3', user: name });
      // The catalog's line, then the configurable detail (the seed elides the rest of the line).
      return gate.allowed ? null : `${gate.messages[0]}${ctx.options.loginDetail}`;
    },
  });
  if (!result.ok) {
    switch (result.refused) {
      case 'busy': return fromLine(result.message);
      case 'bad-credentials': return bad(AUTH_FAILED);
      case 'service-unavailable': return bad('[AUTH] the Mail service is not available for this account');
      case 'wrong-server': {
        const home = result.home!;
        const port = home.ports.pop3 ? ` (POP3 port ${home.ports.pop3})` : '';
        return bad(`[AUTH] the mailbox of ${result.account!.name} is on server ${home.name}${port}; connect there`);
      }
    }
  }
  const account = result.value;
  let maildrop: Maildrop;
  try {
    maildrop = Maildrop.open(ctx.server, account);
  } catch (e) {
    site.log.error({ err: e, user: account.name }, 'pop3: cannot open maildrop');
    return err('[SYS/TEMP] unable to open maildrop');
  }
  ctx.user = account.name;
  ctx.maildrop = maildrop;
  ctx.state = 'TRANSACTION';
  const { count, octets } = maildrop.stat();
  return ok(`${account.name}'s maildrop has ${count} message${count === 1 ? '' : 's'} (${octets} octets)`);
}
