// An IMAP session driven by imapflow (a real client library). A refused
// command is given back as its tagged status line without the tag
// (`NO LOGIN failed:Server is busy`), put together from imapflow's error.

import { ImapFlow } from 'imapflow';
import type { Outcome } from './outcome.js';

type ImapError = Error & { responseStatus?: string; responseText?: string; serverResponseCode?: string; code?: string };

export class ImapScenarioClient {
  private client: ImapFlow | null = null;
  selected: string | null = null;

  constructor(private readonly host: string, private readonly port: number) {}

  async login(user: string, password: string, timeoutMs: number): Promise<Outcome> {
    await this.close();
    const client = new ImapFlow({
      host: this.host, port: this.port, secure: false, doSTARTTLS: false, auth: { user, pass: password },
      logger: false, disableAutoIdle: true, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: Math.max(timeoutMs, 30_000),
    });
    client.on('error', () => undefined);
    this.client = client;
    try {
      await client.connect();
      return ok('OK', { user });
    } catch (err) {
      this.client = null;
      client.close();
      return failure(err as ImapError);
    }
  }

  private need(): ImapFlow {
    if (!this.client) throw Object.assign(new Error('not logged in: log in first'), { code: 'NotLoggedIn' });
    return this.client;
  }

  async select(mailbox: string): Promise<Outcome> {
    return this.wrap(async () => {
      const box = await this.need().mailboxOpen(mailbox);
      this.selected = box.path;
      return ok('OK', { path: box.path, exists: box.exists, uidNext: box.uidNext, uidValidity: Number(box.uidValidity) });
    });
  }

  async status(mailbox: string): Promise<Outcome> {
    return this.wrap(async () => {
      const s = await this.need().status(mailbox, { messages: true, unseen: true, uidNext: true });
      if (s === false) return { ok: false, reply: 'NO (STATUS failed)', body: 'NO (STATUS failed)' };
      return ok('OK', { path: s.path, messages: s.messages, unseen: s.unseen, uidNext: s.uidNext });
    });
  }

  async list(): Promise<Outcome> {
    return this.wrap(async () => {
      const boxes = await this.need().list();
      return ok('OK', { mailboxes: boxes.map((b) => b.path) });
    });
  }

  async fetch(range: string, mailbox?: string): Promise<Outcome> {
    return this.wrap(async () => {
      const client = this.need();
      if (mailbox && mailbox !== this.selected) await this.select(mailbox);
      if (!this.selected) await this.select('INBOX');
      const messages = await client.fetchAll(range, { uid: true, envelope: true, source: true });
      const data = { count: messages.length, uids: messages.map((m) => m.uid), subjects: messages.map((m) => m.envelope?.subject ?? '') };
      const sources = messages.map((m) => m.source?.toString('utf8') ?? '').join('\n');
      return { ok: true, reply: 'OK', json: data, body: `${JSON.stringify(data)}\n${sources}` };
    });
  }

  async append(mailbox: string, raw: string, flags: string[]): Promise<Outcome> {
    return this.wrap(async () => {
      const r = await this.need().append(mailbox, raw, flags);
      if (r === false) return { ok: false, reply: 'NO (APPEND failed)', body: 'NO (APPEND failed)' };
      return ok('OK', { destination: r.destination, uid: r.uid ?? null });
    });
  }

  async delete(uid: number, mailbox?: string): Promise<Outcome> {
    return this.wrap(async () => {
      if (mailbox && mailbox !== this.selected) await this.select(mailbox);
      if (!this.selected) await this.select('INBOX');
      const done = await this.need().messageDelete(String(uid), { uid: true });
      return done ? ok('OK', { deleted: uid }) : { ok: false, reply: 'NO (delete failed)', body: 'NO (delete failed)' };
    });
  }

  async flag(uid: number, flags: string[], mailbox?: string): Promise<Outcome> {
    return this.wrap(async () => {
      if (mailbox && mailbox !== this.selected) await this.select(mailbox);
      if (!this.selected) await this.select('INBOX');
      const done = await this.need().messageFlagsAdd(String(uid), flags, { uid: true });
      return done ? ok('OK', { uid, flags }) : { ok: false, reply: 'NO (STORE failed)', body: 'NO (STORE failed)' };
    });
  }

  async noop(): Promise<Outcome> {
    return this.wrap(async () => {
      await this.need().noop();
      return ok('OK', {});
    });
  }

  async logout(): Promise<Outcome> {
    return this.wrap(async () => {
      await this.need().logout();
      this.client = null;
      return ok('OK', {});
    });
  }

  private async wrap(fn: () => Promise<Outcome>): Promise<Outcome> {
    try {
      return await fn();
    } catch (err) {
      return failure(err as ImapError);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.selected = null;
    if (c) c.close();
  }
}

function ok(reply: string, data: Record<string, unknown>): Outcome {
  return { ok: true, reply, json: data, body: `${reply}\n${JSON.stringify(data)}` };
}

function failure(err: ImapError): Outcome {
  if (err.responseStatus) {
    const reply = `${err.responseStatus}${err.serverResponseCode ? ` [${err.serverResponseCode}]` : ''}${err.responseText ? ` ${err.responseText}` : ''}`;
    return { ok: false, reply, body: reply, lines: [reply] };
  }
  const text = `(${err.code ? `${err.code}: ` : ''}${err.message})`;
  return { ok: false, reply: text, body: text, lines: [] };
}
