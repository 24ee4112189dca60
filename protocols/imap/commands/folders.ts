import { argCount } from '../parser.js';
import { no, ok, type CommandSpec } from '../types.js';
import { mailboxArg } from './util.js';

// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE: the store enforces the
// product's folder rules (64 characters, no `\ " ( ) { }`) and answers NO.

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

export const del: CommandSpec = {
  name: 'DELETE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    const name = mailboxArg(cmd.args[0]);
    if (session.selected?.name === name) return no('Cannot delete the selected mailbox; close it first', 'INUSE');
    session.mail.deleteFolder(session.user, name);
    return ok('DELETE completed');
  },
};

export const rename: CommandSpec = {
  name: 'RENAME', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 2);
    const from = mailboxArg(cmd.args[0]);
    const to = mailboxArg(cmd.args[1]);
    if (session.selected?.name === from) return no('Cannot rename the selected mailbox; close it first', 'INUSE');
    session.mail.renameFolder(session.user, from, to);
    return ok('RENAME completed');
  },
};

export const subscribe: CommandSpec = {
  name: 'SUBSCRIBE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    session.mail.setSubscribed(session.user, mailboxArg(cmd.args[0]), true);
    return ok('SUBSCRIBE completed');
  },
};

export const unsubscribe: CommandSpec = {
  name: 'UNSUBSCRIBE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    session.mail.setSubscribed(session.user, mailboxArg(cmd.args[0]), false);
    return ok('UNSUBSCRIBE completed');
  },
};
