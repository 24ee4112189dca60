import { capabilityList } from '../capabilities.js';
import { data, ok, type CommandSpec } from '../types.js';

export const capability: CommandSpec = {
  name: 'CAPABILITY', args: [],
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(session, cmd) {
    return ok('CAPABILITY completed', undefined, [data(`CAPABILITY ${capabilityList(session.state, session)}`)]);
  },
};
