import type { CommandSpec } from '../command.js';
import { ok } from '../replies.js';
import { plainLoginRefused } from './stls.js';

/** CAPA (RFC 2449 section 5), in both states. APOP is offered through the greeting's timestamp. */
export const CAPA: CommandSpec = {
  name: 'CAPA', states: ['AUTHORIZATION', 'TRANSACTION'], syntax: 'CAPA', args: { min: 0, max: 0 },
  run: (ctx) => {
    const tls = ctx.server.site.tls;
    // RFC 2595 section 4: STLS until TLS is in force; USER only where a plain-text login is allowed.
    const plainRefused = ctx.state === 'AUTHORIZATION' && plainLoginRefused(ctx) !== null;
    return ok('Capability list follows', {
      lines: [...(plainRefused ? [] : ['USER']), 'TOP', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'EXPIRE NEVER',
        ...(tls && !ctx.secure && ctx.state === 'AUTHORIZATION' ? ['STLS'] : []), 'IMPLEMENTATION twemu (TeamWARE Office emulator)'],
    });
  },
};
