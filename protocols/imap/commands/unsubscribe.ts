import { argCount } from '../parser.js';
import { ok, type CommandSpec } from '../types.js';
import { mailboxArg } from './util.js';

// UNSUBSCRIBE (RFC 3501 6.3.7).

export const unsubscribe: CommandSpec = {
  name: 'UNSUBSCRIBE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    session.mail.setSubscribed(session.user, mailboxArg(cmd.args[0]), false);
    return ok('UNSUBSCRIBE completed');
  },
};
