import type { CommandSpec } from '../types.js';
import { capability } from './capability.js';
import { noop, check } from './noop.js';
import { logout } from './logout.js';
import { login } from './login.js';
import { authenticate } from './authenticate.js';
import { select, examine } from './select.js';
import { create, del, rename, subscribe, unsubscribe } from './folders.js';
import { listCommand, lsub } from './list.js';
import { statusCommand } from './status.js';
import { append } from './append.js';
import { fetch } from './fetch.js';
import { store } from './store.js';
import { copy, move } from './copy.js';
import { expunge, close, unselect } from './expunge.js';
import { search } from './search.js';
import { idle, namespace, id, enable } from './misc.js';

/** Every command, by name: the dispatcher's one table. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  [capability, noop, check, logout, login, authenticate, select, examine, create, del, rename, subscribe, unsubscribe,
    listCommand, lsub, statusCommand, append, fetch, store, copy, move, expunge, close, unselect, search, idle, namespace, id, enable]
    .map((c) => [c.name, c]),
);
