
import type { CommandSpec } from '../types.js';

// IDLE (RFC 2177): `+ idling`, then updates as they happen until DONE (the
// session reads DONE). Stays open on a suspended server (emulator default);
// what changed meanwhile is reported at the resume.
export const idle: CommandSpec = {
  name: 'IDLE', capability: 'IDLE', args: [], states: ['authenticated', 'selected'], store: 'none',
  handle(session, cmd) {
    session.idleTag = cmd.tag;
    const pending = session.selected?.dirty ? session.updates(true) ?? [] : [];
    return { continuation: 'idling', untagged: pending, tagged: null };
  },
};
