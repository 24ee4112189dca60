// A small typed client of the application execution module, for applications
// under test: `import { AmeClient } from 'twemu'`. It speaks HTTP+JSON to
// `<ame>/<function>` (endpoints.json `servers[i].ame`) with HTTP Basic and
// never throws for an rc: every method resolves with `{rc, ...}`; it throws
// only when the endpoint cannot be reached or does not answer JSON.

import type { AmeFunctionInfo, AmeFunctionName, AmeFunctions, AmeReply } from './types.js';

export type { AmeFunctionInfo, AmeFunctionName, AmeFunctions, AmeReply, AmeFailure, MailSummary, Reservation, ForumInfo, Post, DirectoryUser, LibraryDocument, ServerCallArgs } from './types.js';
export type { AmeCode, AmeErrorCode } from './codes.js';

export interface AmeClientOptions {
  /** The server's AME endpoint, e.g. `emu.endpoints.servers[0].ame` (`http://127.0.0.1:8080/ame`). */
  baseUrl: string;
  user: string;
  password: string;
  /** Abort a call after this many ms (default 30000). */
  timeoutMs?: number;
}

type Args<N extends AmeFunctionName> = AmeFunctions[N]['args'];
type Reply<N extends AmeFunctionName> = Promise<AmeReply<AmeFunctions[N]['result']>>;

export class AmeClient {
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;

  constructor(opts: AmeClientOptions) {
    if (!opts || typeof opts.baseUrl !== 'string' || !/^https?:\/\//.test(opts.baseUrl)) throw new TypeError('AmeClient: baseUrl must be an http:// URL (endpoints.json servers[i].ame)');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${opts.user}:${opts.password}`, 'utf8').toString('base64')}`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Calls any function by name; the typed methods below call this. */
  async call<N extends AmeFunctionName>(name: N, args?: Args<N>): Reply<N> {
    const res = await fetch(`${this.baseUrl}/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(args ?? {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`AME ${name}: HTTP ${res.status} without a JSON answer`);
    }
    if (typeof body !== 'object' || body === null || typeof (body as { rc?: unknown }).rc !== 'number') throw new Error(`AME ${name}: HTTP ${res.status}, answer without an rc`);
    return body as AmeReply<AmeFunctions[N]['result']>;
  }

  /** `GET <ame>/functions`: every function, its arguments, whether it touches the server, its codes. */
  async functions(): Promise<AmeFunctionInfo[]> {
    const res = await fetch(`${this.baseUrl}/functions`, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`AME functions: HTTP ${res.status}`);
    return (await res.json()) as AmeFunctionInfo[];
  }

  // mail
  mailList(args: Args<'mail_list'> = {}): Reply<'mail_list'> { return this.call('mail_list', args); }
  mailRead(args: Args<'mail_read'>): Reply<'mail_read'> { return this.call('mail_read', args); }
  mailSend(args: Args<'mail_send'>): Reply<'mail_send'> { return this.call('mail_send', args); }
  mailDelete(args: Args<'mail_delete'>): Reply<'mail_delete'> { return this.call('mail_delete', args); }
  mailMove(args: Args<'mail_move'>): Reply<'mail_move'> { return this.call('mail_move', args); }
  // calendar
  calendarList(args: Args<'calendar_list'> = {}): Reply<'calendar_list'> { return this.call('calendar_list', args); }
  calendarCreate(args: Args<'calendar_create'>): Reply<'calendar_create'> { return this.call('calendar_create', args); }
  calendarUpdate(args: Args<'calendar_update'>): Reply<'calendar_update'> { return this.call('calendar_update', args); }
  calendarDelete(args: Args<'calendar_delete'>): Reply<'calendar_delete'> { return this.call('calendar_delete', args); }
  // forum
  forumList(args: Args<'forum_list'> = {}): Reply<'forum_list'> { return this.call('forum_list', args); }
  forumRead(args: Args<'forum_read'>): Reply<'forum_read'> { return this.call('forum_read', args); }
  forumPost(args: Args<'forum_post'>): Reply<'forum_post'> { return this.call('forum_post', args); }
  // directory
  directoryLookup(args: Args<'directory_lookup'>): Reply<'directory_lookup'> { return this.call('directory_lookup', args); }
  directoryList(args: Args<'directory_list'> = {}): Reply<'directory_list'> { return this.call('directory_list', args); }
  // library
  libraryList(args: Args<'library_list'> = {}): Reply<'library_list'> { return this.call('library_list', args); }
  libraryLock(args: Args<'library_lock'>): Reply<'library_lock'> { return this.call('library_lock', args); }
  libraryUnlock(args: Args<'library_unlock'>): Reply<'library_unlock'> { return this.call('library_unlock', args); }
  // local: never touch the server
  ameVersion(): Reply<'ame_version'> { return this.call('ame_version', {}); }
  dateParse(args: Args<'date_parse'>): Reply<'date_parse'> { return this.call('date_parse', args); }
  dateFormat(args: Args<'date_format'>): Reply<'date_format'> { return this.call('date_format', args); }
  mailAddressBuild(args: Args<'mail_address_build'>): Reply<'mail_address_build'> { return this.call('mail_address_build', args); }
  folderNameValidate(args: Args<'folder_name_validate'>): Reply<'folder_name_validate'> { return this.call('folder_name_validate', args); }
}
