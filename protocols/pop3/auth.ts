// Shared by PASS and APOP: who may log in on this server, and the catalog's
// pop3.login when the server is suspended (RFC 1939 locks the maildrop here).

import type { Account } from '../../emulator/store/directory.js';
import type { Pop3Context } from './command.js';
import { Maildrop } from './maildrop.js';
import { plainLoginRefused } from './commands/stls.js';
import { bad, err, fromLine, ok, type Reply } from './replies.js';

export const AUTH_FAILED = '[AUTH] invalid user name or password';

function failed(ctx: Pop3Context, name: string, operation: string, reason: string): void {
  ctx.server.site.events.emit({ type: 'login-failed', server: ctx.server.name, client: 'pop3', operation, user: name, message: reason });
}

/**
 * Logs `name` in when `verify(account)` holds: checks the account, its Mail
 * service, its home server, then asks the site whether the maildrop can be
 * locked (pop3.login), then takes the scan listing.
 */
export async function login(ctx: Pop3Context, name: string, operation: 'PASS' | 'APOP', verify: (account: Account) => boolean): Promise<Reply> {
  const site = ctx.server.site;
  const refused = plainLoginRefused(ctx);
  if (refused) return err(refused);
  const account = site.account(name);
  if (!account || !verify(account)) {
    await ctx.delay(ctx.options.failedLoginDelayMs);
    failed(ctx, name, operation, account ? 'wrong password' : 'no such account');
    return bad(AUTH_FAILED);
  }
  if (!account.services.mail) {
    failed(ctx, account.name, operation, 'the Mail service is not available for this account');
    return bad('[AUTH] the Mail service is not available for this account');
  }
  const home = site.homeServer(account);
  if (home !== ctx.server) {
    const port = home.ports.pop3 ? ` (POP3 port ${home.ports.pop3})` : '';
    failed(ctx, account.name, operation, `mailbox is on ${home.name}`);
    return bad(`[AUTH] the mailbox of ${account.name} is on server ${home.name}${port}; connect there`);
  }
  const gate = ctx.server.gate('pop3.login', { operation, client: 'pop3', user: account.name });
  if (!gate.allowed) {
    // The catalog's line, then the configurable detail (the seed elides the rest of the line).
    return fromLine(`${gate.messages[0]}${ctx.options.loginDetail}`);
  }
  let maildrop: Maildrop;
  try {
    maildrop = Maildrop.open(ctx.server, account.name);
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
