import type { CommandSpec, Pop3Context } from '../command.js';
import { fromLine, ok, err } from '../replies.js';
import { TwemuError, errorSpec } from '../../../emulator/errors.js';

const BEHAVIOUR = 'pop3.quit-after-dele';
const VARIANTS = { plain: 0, coded: 1 } as const;

/**
 * pop3.quit-after-dele: the seed entry has no text, so its variants carry the
 * emulator's; services.pop3.quitAfterDeleVariant is the preferred one (a
 * policy's `variant` overrides it). Trigger: this server suspended.
 */
function quitRefused(ctx: Pop3Context): string | null {
  const gate = ctx.server.gate(BEHAVIOUR, { operation: 'QUIT', client: 'pop3', user: ctx.user ?? undefined }, VARIANTS[ctx.options.quitAfterDeleVariant]);
  return gate.allowed ? null : gate.messages[0]!;
}

/** QUIT (RFC 1939 sections 4 and 6): in TRANSACTION, enters UPDATE and removes the marked messages. */
export const QUIT: CommandSpec = {
  name: 'QUIT', states: ['AUTHORIZATION', 'TRANSACTION'], syntax: 'QUIT', args: { min: 0, max: 0 },
  run(ctx) {
    if (ctx.state === 'AUTHORIZATION') return ok('signing off', { close: true });
    ctx.state = 'UPDATE';
    const maildrop = ctx.maildrop!;
    if (maildrop.marked().length === 0) return ok(`signing off (${maildrop.stat().count} messages left)`, { close: true });
    const refused = quitRefused(ctx);
    if (refused) return fromLine(refused, { close: true }); // nothing removed: nothing lost
    try {
      const removed = maildrop.commit();
      return ok(`signing off (${removed} message${removed === 1 ? '' : 's'} removed, ${maildrop.remaining()} left)`, { close: true });
    } catch (e) {
      // A condition with a POP3 response code (a full disk: [SYS/TEMP], RFC 2449) is said as such: the client may retry.
      const code = e instanceof TwemuError ? errorSpec(e.code).pop3 : undefined;
      if (code) return err(`[${code}] some deleted messages not removed: ${(e as TwemuError).message}`, { close: true });
      ctx.server.site.log.error({ err: e, user: ctx.user }, 'pop3: QUIT could not remove the marked messages');
      return err('some deleted messages not removed', { close: true });
    }
  },
};
