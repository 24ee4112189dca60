// Shared by the desktop-client, gateway and SearchPro tests: real HTTP clients
// (fetch with HTTP Basic, the control API's JSON event history), a POP3 client
// (node-pop3) and an IMAP client (imapflow).
import Pop3Command from 'node-pop3';
import { ImapFlow } from 'imapflow';
import { expect } from 'vitest';
import { api, http, trustSite } from '../../helpers.js';
import type { Emulator, TwEvent } from '../../../emulator/index.js';

export const PASSWORD = 'teamware';

/** `POST /api/client/{path}` as `user` with HTTP Basic. */
export async function client<T = any>(emu: Emulator, user: string, path: string, body?: unknown, password = PASSWORD): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await http<T>(`${emu.endpoints.control}/api/client/${path}`, { method: 'POST', redirect: 'follow', basic: { user, password }, body });
  return { status: r.status, body: r.body, headers: r.headers };
}

/** The same call, expecting 200 (the desktop client's answer, ok or not). */
export async function call<T = any>(emu: Emulator, user: string, path: string, body?: unknown): Promise<T> {
  const r = await client<T>(emu, user, path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

export async function command(emu: Emulator, text: string, server?: string, lenient?: boolean): Promise<void> {
  const r = await api(emu, 'POST', '/api/commands', { command: text, ...(server ? { server } : {}), ...(lenient ? { lenient } : {}) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

export async function setPolicy(emu: Emulator, id: string, policy: Record<string, unknown>): Promise<void> {
  const r = await api(emu, 'PUT', `/api/catalog/${id}/policy`, policy);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

/** Events after `since` from the control API's history (`GET /api/events?format=json`). */
export async function eventsSince(emu: Emulator, since: number, type?: string): Promise<TwEvent[]> {
  const r = await api<{ events: TwEvent[] }>(emu, 'GET', `/api/events?format=json&since=${since}${type ? `&type=${type}` : ''}`);
  expect(r.status).toBe(200);
  return r.body.events;
}

export async function lastSeq(emu: Emulator): Promise<number> {
  return (await api<{ lastSeq: number }>(emu, 'GET', '/api/events?format=json&type=none')).body.lastSeq;
}

/** The `behaviour` events for `id` after `since`. */
export async function firedSince(emu: Emulator, since: number, id: string, type = 'behaviour'): Promise<TwEvent[]> {
  return (await eventsSince(emu, since, type)).filter((e) => e.behaviour === id);
}

/** Polls the event history until `match` holds for `count` events (bounded), then returns them. */
export async function waitForEvents(emu: Emulator, since: number, match: (e: TwEvent) => boolean, count = 1, ms = 5000): Promise<TwEvent[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = (await eventsSince(emu, since)).filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`only ${found.length} of ${count} matching event(s) within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The POP3 server of the user's home server. */
export function pop3Port(emu: Emulator, user: string): number {
  const home = emu.site.homeServer(user).name;
  return emu.endpoints.servers.find((s) => s.name === home)!.pop3!;
}

export function imapPort(emu: Emulator, user: string): number {
  const home = emu.site.homeServer(user).name;
  return emu.endpoints.servers.find((s) => s.name === home)!.imap!;
}

/** Logs in over POP3 and answers STAT's reply, or throws the server's error. */
export async function pop3Stat(emu: Emulator, user: string, password = PASSWORD): Promise<string> {
  const c = new Pop3Command({ user, password, host: '127.0.0.1', port: pop3Port(emu, user), timeout: 5000 });
  try {
    const stat = await c.STAT();
    await c.QUIT();
    return stat;
  } finally {
    // node-pop3 closes its socket on QUIT; after an error make sure it is gone.
    (c as unknown as { _socket?: { destroy(): void } })._socket?.destroy();
  }
}

/** An IMAP client logged in as `user` (connect throws when the login is refused). */
export async function imap(emu: Emulator, user: string, password = PASSWORD): Promise<ImapFlow> {
  const c = new ImapFlow({ host: '127.0.0.1', port: imapPort(emu, user), secure: false, tls: trustSite(emu), auth: { user, pass: password }, logger: false, connectionTimeout: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** The IMAP login's refusal text, or null when it succeeded. */
export async function imapLoginRefusal(emu: Emulator, user: string, password = PASSWORD): Promise<string | null> {
  try {
    const c = await imap(emu, user, password);
    await c.logout();
    return null;
  } catch (err) {
    const e = err as { responseText?: string; message: string };
    return e.responseText ?? e.message;
  }
}
