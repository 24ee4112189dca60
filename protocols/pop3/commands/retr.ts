import type { CommandSpec, Pop3Context } from '../command.js';
import type { MaildropEntry } from '../maildrop.js';
import { messageNumber } from '../parser.js';
import { bad, err, fromLine, ok, type Reply } from '../replies.js';

/** The message for RETR and TOP, or the reply that refuses it (pop3.retr while suspended). */
export function readMessage(ctx: Pop3Context, operation: 'RETR' | 'TOP', arg: string): { entry: MaildropEntry; octets: Buffer } | Reply {
  const n = messageNumber(arg);
  if (n === null) return bad(`invalid message number ${arg}`);
  const entry = ctx.maildrop!.get(n);
  if (!entry) return err(`no such message ${n}`);
  const gate = ctx.server.gate('pop3.retr', { operation, client: 'pop3', user: ctx.user ?? undefined });
  if (!gate.allowed) return fromLine(gate.messages[0]!);
  const octets = ctx.maildrop!.read(entry);
  if (!octets) return err(`message ${n} was removed by another session`);
  return { entry, octets };
}

/** RETR msg (RFC 1939 section 5). */
export const RETR: CommandSpec = {
  name: 'RETR', states: ['TRANSACTION'], syntax: 'RETR message-number', args: { min: 1, max: 1 },
  run(ctx, [arg]) {
    const m = readMessage(ctx, 'RETR', arg!);
    if ('ok' in m) return m;
    return ok(`${m.entry.size} octets`, { body: m.octets });
  },
};
