import type { CommandSpec } from '../command.js';
import { ok } from '../replies.js';

/** CAPA (RFC 2449 section 5), in both states. APOP is offered through the greeting's timestamp. */
export const CAPA: CommandSpec = {
  name: 'CAPA', states: ['AUTHORIZATION', 'TRANSACTION'], syntax: 'CAPA', args: { min: 0, max: 0 },
  run: () => ok('Capability list follows', {
    lines: ['USER', 'TOP', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'EXPIRE NEVER', 'IMPLEMENTATION twemu (TeamWARE Office emulator)'],
  }),
};
