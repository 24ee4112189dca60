import type { CommandSpec } from '../command.js';
import { ok } from '../replies.js';

/** NOOP (RFC 1939 section 5). */
export const NOOP: CommandSpec = {
  name: 'NOOP', states: ['TRANSACTION'], syntax: 'NOOP', args: { min: 0, max: 0 },
  run: () => ok(''),
};
