
import { ImapSyntaxError, data, ok, quoted, type CommandSpec, type Value } from '../types.js';

// ID (RFC 2971): valid in every state; the client's fields are checked, not kept.
export const id: CommandSpec = {
  name: 'ID', capability: 'ID', args: [{ name: 'parameters', kind: 'any' }], states: ['not-authenticated', 'authenticated', 'selected'], store: 'none',
  handle(_session, cmd) {
    const arg = cmd.args[0]!;
    if (arg.type !== 'nil' && arg.type !== 'list') throw new ImapSyntaxError('ID takes a list of field-value pairs or NIL');
    if (arg.type === 'list' && (arg.items.length % 2 || arg.items.length > 60)) throw new ImapSyntaxError('ID takes field-value pairs (at most 30)');
    const fields: Value[] = [quoted('name'), quoted('twemu'), quoted('vendor'), quoted('twemu (TeamWARE Office 200X V2.0 emulator)'), quoted('version'), quoted('0.1.0')];
    return ok('ID completed', undefined, [data('ID', fields)]);
  },
};
