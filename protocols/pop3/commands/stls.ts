import type { CommandSpec } from '../command.js';
import { err, ok } from '../replies.js';

/** STLS (RFC 2595 section 4): the TLS handshake follows the +OK; only before login. */
export const STLS: CommandSpec = {
  name: 'STLS', states: ['AUTHORIZATION'], syntax: 'STLS', args: { min: 0, max: 0 },
  run(ctx) {
    if (!ctx.server.site.tls) return err('STLS is not available on this server (TLS is off)');
    if (ctx.secure) return err('TLS is already in force');
    return ok('Begin TLS negotiation', { startTls: true });
  },
};

/** RFC 2595 section 4: with `tls.loginRequiresTls`, a login before STLS gets -ERR. */
export function plainLoginRefused(ctx: { secure: boolean; server: { site: { tls: { loginRequiresTls: boolean } | null } } }): string | null {
  const tls = ctx.server.site.tls;
  return tls?.loginRequiresTls && !ctx.secure ? '[AUTH] plain-text login is disabled on this server: send STLS first' : null;
}
