// Arguments and results of the AME functions, shared by the server side
// (functions.ts) and the typed client (client.ts). No runtime code: the
// client imports nothing from the emulator.

import type { AmeErrorCode } from './codes.js';

/** Every function that touches the server takes `holdMs` (emulator test aid, see docs/ame.md: "a call in progress"). */
export interface ServerCallArgs {
  /** Hold the server access for up to this many ms (0..10000) before doing the work; a suspension meanwhile cuts the call. */
  holdMs?: number;
}

export interface MailSummary { uid: number; size: number; date: string; flags: string[]; from: string; to: string; subject: string }
export interface Reservation { id: number; owner: string; title: string; start: string; end: string; facilityId: number | null; note: string; /** The server holding it (facility reservations: the shared server). */ server: string }
export interface ForumInfo { id: number; name: string; posts: number }
export interface Post { id: number; forumId: number; author: string; title: string; body: string; createdAt: string }
export interface DirectoryUser { name: string; displayName: string; department: string; homeServer: string; isAdmin: boolean; services: Record<string, boolean> }
export interface LibraryDocument { id: number; title: string; lockedBy: string | null; updatedAt: string }

export interface AmeFunctions {
  // mail (the caller's home server)
  mail_list: { args: ServerCallArgs & { folder?: string; offset?: number; limit?: number }; result: { folder: string; total: number; messages: MailSummary[] } };
  mail_read: { args: ServerCallArgs & { folder?: string; uid: number; peek?: boolean }; result: { folder: string; uid: number; size: number; flags: string[]; raw: string; rawBase64: string } };
  mail_send: { args: ServerCallArgs & { to: string | string[]; cc?: string | string[]; subject: string; body: string }; result: { messageId: string | null; delivered: Array<{ user: string; uid: number }>; outboxUid: number } };
  mail_delete: { args: ServerCallArgs & { folder?: string; uids: number[] }; result: { folder: string; deleted: number[]; missing: number[]; permanently: boolean } };
  mail_move: { args: ServerCallArgs & { folder?: string; uids: number[]; to: string }; result: { folder: string; to: string; moved: Array<{ uid: number; newUid: number }>; missing: number[] } };
  // calendar (personal reservations on the home server, facility reservations on the shared server)
  calendar_list: { args: ServerCallArgs & { from?: string; to?: string }; result: { reservations: Reservation[] } };
  calendar_create: { args: ServerCallArgs & { title: string; start: string; end: string; note?: string; facilityId?: number }; result: { reservation: Reservation } };
  calendar_update: { args: ServerCallArgs & { id: number; server?: string; title?: string; start?: string; end?: string; note?: string }; result: { reservation: Reservation } };
  calendar_delete: { args: ServerCallArgs & { id: number; server?: string }; result: { id: number } };
  // forum (the shared server)
  forum_list: { args: ServerCallArgs; result: { forums: ForumInfo[] } };
  forum_read: { args: ServerCallArgs & { forumId: number; postId?: number }; result: { forum: ForumInfo; posts: Post[] } };
  forum_post: { args: ServerCallArgs & { forumId: number; title: string; body: string }; result: { post: Post } };
  // directory (the directory server)
  directory_lookup: { args: ServerCallArgs & { name: string }; result: { user: DirectoryUser } };
  directory_list: { args: ServerCallArgs & { department?: string }; result: { users: DirectoryUser[] } };
  // library (the shared server)
  library_list: { args: ServerCallArgs; result: { documents: LibraryDocument[] } };
  library_lock: { args: ServerCallArgs & { id: number }; result: { document: LibraryDocument } };
  library_unlock: { args: ServerCallArgs & { id: number }; result: { document: LibraryDocument } };
  // local: never touch the server
  ame_version: { args: Record<string, never>; result: { version: string; product: string; emulated: true } };
  date_parse: { args: { text: string }; result: { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number; iso: string } };
  date_format: { args: { date: string; format?: string }; result: { text: string } };
  mail_address_build: { args: { user: string; domain?: string; displayName?: string }; result: { address: string; addrSpec: string } };
  folder_name_validate: { args: { name: string }; result: { valid: boolean; reserved: boolean; reason?: string } };
}

export type AmeFunctionName = keyof AmeFunctions;

/** A failed call: the documented rc, a stable error name, one line saying why. */
export interface AmeFailure { rc: AmeErrorCode; error: string; message: string }

/** What every function answers: `{rc: 0, ...result}` or a failure. Narrow on `rc === 0`. */
export type AmeReply<T> = ({ rc: 0 } & T) | AmeFailure;

/** One entry of `GET <ame>/functions`. */
export interface AmeFunctionInfo {
  name: AmeFunctionName;
  service: 'mail' | 'calendar' | 'forum' | 'directory' | 'library' | 'local';
  touchesServer: boolean;
  description: string;
  arguments: Array<{ name: string; type: string; required: boolean; description: string }>;
  codes: number[];
}
