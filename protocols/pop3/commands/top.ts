import type { CommandSpec } from '../command.js';
import { lineCount } from '../parser.js';
import { bad, ok, topOf } from '../replies.js';
import { readMessage } from './retr.js';

/** TOP msg n (RFC 1939 section 7): the header, a blank line, and the first n lines of the body. */
export const TOP: CommandSpec = {
  name: 'TOP', states: ['TRANSACTION'], syntax: 'TOP message-number lines', args: { min: 2, max: 2 },
  run(ctx, [arg, lines]) {
    const n = lineCount(lines);
    if (n === null) return bad(`invalid number of lines ${lines}`);
    const m = readMessage(ctx, 'TOP', arg!);
    if ('ok' in m) return m;
    return ok('top of message follows', { body: topOf(m.octets, n) });
  },
};
