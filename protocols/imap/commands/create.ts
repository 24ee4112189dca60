import { argCount } from '../parser.js';
import { no, ok, type CommandSpec } from '../types.js';
import { mailboxArg } from './util.js';

// CREATE (RFC 3501 6.3.3): the store enforces the product's folder rules
// (64 characters, no `\ " ( ) { }`) and the refusal is a NO.

export const create: CommandSpec = {
  name: 'CREATE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    // A trailing hierarchy delimiter only says the client wants children under it (RFC 3501 6.3.3).
    const name = mailboxArg(cmd.args[0]).replace(/\/+$/, '');
    if (name === 'INBOX') return no('INBOX already exists', 'ALREADYEXISTS');
    session.mail.createFolder(session.user, name);
    return ok('CREATE completed');
  },
};
