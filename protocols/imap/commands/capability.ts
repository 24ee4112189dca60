import { capabilityList } from '../session.js';
import { argCount } from '../parser.js';
import { data, ok, type CommandSpec } from '../types.js';

export const capability: CommandSpec = {
  name: 'CAPABILITY',
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(session, cmd) {
    argCount(cmd.args, 0);
    return ok('CAPABILITY completed', undefined, [data(`CAPABILITY ${capabilityList(session.state)}`)]);
  },
};
