import { argCount } from '../parser.js';
import { SyntaxError, data, ok, quoted, type CommandSpec, type Value } from '../types.js';

export const idle: CommandSpec = {
  name: 'IDLE', states: ['authenticated', 'selected'], store: 'none',
  handle(session, cmd) {
    argCount(cmd.args, 0);
    // Stays open on a suspended server (emulator default); updates wait for the resume.
    session.idleTag = cmd.tag;
    const pending = session.selected?.dirty ? session.updates(true) ?? [] : [];
    return { continuation: 'idling', untagged: pending, tagged: null };
  },
};

export const namespace: CommandSpec = {
  name: 'NAMESPACE', states: ['authenticated', 'selected'], store: 'none',
  handle(_session, cmd) {
    argCount(cmd.args, 0);
    return ok('NAMESPACE completed', undefined, [data('NAMESPACE', [[quoted(''), quoted('/')]], null, null)]);
  },
};

export const id: CommandSpec = {
  name: 'ID', states: ['not-authenticated', 'authenticated', 'selected'], store: 'none',
  handle(_session, cmd) {
    argCount(cmd.args, 1);
    const arg = cmd.args[0]!;
    if (arg.type !== 'nil' && arg.type !== 'list') throw new SyntaxError('ID takes a list of field-value pairs or NIL');
    if (arg.type === 'list' && (arg.items.length % 2 || arg.items.length > 60)) throw new SyntaxError('ID takes field-value pairs (at most 30)');
    const fields: Value[] = [quoted('name'), quoted('twemu'), quoted('vendor'), quoted('twemu (TeamWARE Office 200X V2.0 emulator)'), quoted('version'), quoted('0.1.0')];
    return ok('ID completed', undefined, [data('ID', fields)]);
  },
};

export const enable: CommandSpec = {
  name: 'ENABLE', states: ['authenticated', 'selected'], store: 'none',
  handle(_session, cmd) {
    argCount(cmd.args, 1, 20);
    // No extension this server implements needs enabling: the list is empty (RFC 5161 3.1).
    return ok('ENABLE completed', undefined, [data('ENABLED')]);
  },
};
