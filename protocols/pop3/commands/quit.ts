import { POP3_QUIT_AFTER_DELE_TEXTS } from '../../../emulator/catalog/defaults/pop3.js';
import type { CommandSpec, Pop3Context } from '../command.js';
import { fromLine, ok, err } from '../replies.js';

const BEHAVIOUR = 'pop3.quit-after-dele';

/**
 * pop3.quit-after-dele: the seed entry has no text, so the emulator's (chosen
 * by services.pop3.quitAfterDeleVariant) goes on the event stream with it.
 * Same trigger as server.gate (this server suspended), same policy draw.
 */
function quitRefused(ctx: Pop3Context): string | null {
  if (!ctx.server.suspended) return null;
  const decision = ctx.server.site.catalog.decide(BEHAVIOUR);
  const text = POP3_QUIT_AFTER_DELE_TEXTS[ctx.options.quitAfterDeleVariant];
  ctx.server.site.events.emit({
    type: decision.fires ? 'behaviour' : 'behaviour-suppressed', server: ctx.server.name, behaviour: BEHAVIOUR,
    operation: 'QUIT', client: 'pop3', user: ctx.user ?? undefined, messages: [text], variant: `${ctx.options.quitAfterDeleVariant} (emulator text)`,
  });
  return decision.fires ? text : null;
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
      ctx.server.site.log.error({ err: e, user: ctx.user }, 'pop3: QUIT could not remove the marked messages');
      return err('some deleted messages not removed', { close: true });
    }
  },
};
