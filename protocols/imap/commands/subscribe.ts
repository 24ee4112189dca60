import { argCount } from '../parser.js';
import { ok, type CommandSpec } from '../types.js';
import { mailboxArg } from './util.js';

// SUBSCRIBE (RFC 3501 6.3.6).

export const subscribe: CommandSpec = {
  name: 'SUBSCRIBE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    session.mail.setSubscribed(session.user, mailboxArg(cmd.args[0]), true);
    return ok('SUBSCRIBE completed');
  },
};
