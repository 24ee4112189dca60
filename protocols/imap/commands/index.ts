import type { CommandSpec } from '../types.js';
import { capability } from './capability.js';
import { noop } from './noop.js';
import { check } from './check.js';
import { logout } from './logout.js';
import { login } from './login.js';
import { authenticate } from './authenticate.js';
import { select } from './select.js';
import { examine } from './examine.js';
import { create } from './create.js';
import { del } from './delete.js';
import { rename } from './rename.js';
import { subscribe } from './subscribe.js';
import { unsubscribe } from './unsubscribe.js';
import { listCommand } from './list.js';
import { lsub } from './lsub.js';
import { statusCommand } from './status.js';
import { append } from './append.js';
import { fetch } from './fetch.js';
import { store } from './store.js';
import { copy } from './copy.js';
import { move } from './move.js';
import { expunge } from './expunge.js';
import { close } from './close.js';
import { unselect } from './unselect.js';
import { search } from './search.js';
import { idle } from './idle.js';
import { namespace } from './namespace.js';
import { id } from './id.js';
import { enable } from './enable.js';
import { starttls } from './starttls.js';

/** Every command, by name: the dispatcher's one table (one file per command). */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  [capability, noop, check, logout, login, authenticate, select, examine, create, del, rename, subscribe, unsubscribe,
    listCommand, lsub, statusCommand, append, fetch, store, copy, move, expunge, close, unselect, search, idle, namespace, id, enable, starttls]
    .map((c) => [c.name, c]),
);
