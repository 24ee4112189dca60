import type { CommandSpec } from '../command.js';
import { APOP } from './apop.js';
import { CAPA } from './capa.js';
import { DELE } from './dele.js';
import { LIST } from './list.js';
import { NOOP } from './noop.js';
import { PASS } from './pass.js';
import { QUIT } from './quit.js';
import { RETR } from './retr.js';
import { TOP } from './top.js';
import { RSET } from './rset.js';
import { STAT } from './stat.js';
import { UIDL } from './uidl.js';
import { USER } from './user.js';
import { STLS } from './stls.js';

/** Every command the server knows, by keyword. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  [USER, PASS, APOP, STAT, LIST, RETR, DELE, NOOP, RSET, QUIT, TOP, UIDL, CAPA, STLS].map((c) => [c.name, c]),
);
