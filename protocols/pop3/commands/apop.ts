import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandSpec } from '../command.js';
import { login } from '../auth.js';
import { bad } from '../replies.js';

/** APOP name digest (RFC 1939 section 7): digest = MD5(greeting timestamp + password), 32 hex digits. */
export const APOP: CommandSpec = {
  name: 'APOP', states: ['AUTHORIZATION'], syntax: 'APOP name digest', args: { min: 2, max: 2 },
  run(ctx, [name, digest]) {
    if (!/^[0-9a-fA-F]{32}$/.test(digest!)) return bad('usage: APOP name digest (digest: 32 hexadecimal digits)');
    const given = Buffer.from(digest!.toLowerCase(), 'latin1');
    return login(ctx, name!, 'APOP', (account) => {
      // The emulator keeps passwords in clear, which is what APOP needs.
      const expected = Buffer.from(createHash('md5').update(ctx.timestamp + account.password, 'utf8').digest('hex'), 'latin1');
      return timingSafeEqual(expected, given);
    });
  },
};
