// Shared by the AME tests: a raw HTTP caller (fetch, HTTP Basic) and, for
// every function, arguments that pass validation.
import type { Emulator } from '../../../emulator/index.js';
import { api, http } from '../../helpers.js';

export const PASSWORD = 'teamware';

export interface AmeHttpReply { status: number; headers: Headers; body: any }

/** POST <ame>/<fn> as a user; `body: undefined` sends no body, a string is sent as is. */
export async function ameHttp(base: string, fn: string, body?: unknown, opts: { user?: string; password?: string; auth?: string | null } = {}): Promise<AmeHttpReply> {
  const auth = opts.auth !== undefined ? opts.auth : `Basic ${Buffer.from(`${opts.user ?? 'alice'}:${opts.password ?? PASSWORD}`).toString('base64')}`;
  // A string body is sent as it is, but labelled JSON (malformed-JSON tests); the reply's body is left as text when it is not JSON.
  const r = await http(`${base}/${fn}`, {
    method: 'POST',
    redirect: 'follow',
    headers: { ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, body: r.body };
}

/** Every function that touches the server, with arguments that pass validation. */
export const SERVER_CALLS: Record<string, Record<string, unknown>> = {
  mail_list: {},
  mail_read: { uid: 1 },
  mail_send: { to: 'bob', subject: 'while suspended', body: 'hello' },
  mail_delete: { uids: [1] },
  mail_move: { uids: [1], to: 'WasteBox' },
  calendar_list: {},
  calendar_create: { title: 'suspended', start: '2026-12-01T10:00', end: '2026-12-01T11:00' },
  calendar_update: { id: 1, title: 'renamed' },
  calendar_delete: { id: 1 },
  forum_list: {},
  forum_read: { forumId: 1 },
  forum_post: { forumId: 1, title: 'while suspended', body: 'x' },
  directory_lookup: { name: 'bob' },
  directory_list: {},
  library_list: {},
  library_lock: { id: 1 },
  library_unlock: { id: 1 },
};

/** Every function that does not touch the server, with arguments and what it answers. */
export const LOCAL_CALLS: Record<string, Record<string, unknown>> = {
  ame_version: {},
  date_parse: { text: '2026/11/26 10:30' },
  date_format: { date: '2026-11-26T10:30', format: 'YYYY年MM月DD日(ddd) hh:mm' },
  mail_address_build: { user: 'alice', displayName: '佐藤 亜里沙' },
  folder_name_validate: { name: '報告書' },
};

export const suspend = (emu: Emulator, server?: string) => api(emu, 'POST', '/api/commands', { command: 'to tran suspend', ...(server ? { server } : {}) });
export const resume = (emu: Emulator, server?: string) => api(emu, 'POST', '/api/commands', { command: 'to tran resume', ...(server ? { server } : {}) });
export const setPolicy = (emu: Emulator, id: string, policy: unknown) => api(emu, 'PUT', `/api/catalog/${id}/policy`, policy);
