import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from './clock.js';

/** Every kind of event on the stream (`GET /api/events`). */
export type EventType =
  | 'behaviour' // a catalog behaviour fired
  | 'behaviour-suppressed' // it could have fired, but its policy said no this time
  | 'state' // a server's lifecycle changed
  | 'command' // a procedure command succeeded
  | 'refused' // a procedure command was refused
  | 'warning' // lenient mode: a rule was broken on purpose
  | 'gateway-log' // a line a gateway (X.400, Fax) or SearchPro logged
  | 'login' // a login succeeded (any client: POP3, IMAP, SMTP, web, AME, desktop), before its answer is sent
  | 'login-failed'
  | 'staging' // staging area allocated, merged, released
  | 'backup' // differential backup progress and completion
  | 'client' // a demo client acted (console)
  | 'scenario' // a scenario run from the console: each step's expectation and outcome
  | 'info';

export interface TwEvent {
  seq: number;
  time: string;
  type: EventType;
  server?: string;
  /** Behaviour id, for `behaviour` and `behaviour-suppressed`. */
  behaviour?: string;
  /** The client's operation, or the command. */
  operation?: string;
  client?: string;
  user?: string;
  message?: string;
  messages?: string[];
  variant?: string;
  rule?: string;
  code?: string;
  /** For `behaviour` events: whose the entry, the variant that fired and each message are (seed, emulator, derived). */
  provenance?: { entry: 'seed' | 'emulator'; variant: 'seed' | 'emulator'; messages: Array<'seed' | 'emulator' | 'derived'> };
  data?: Record<string, unknown>;
}

export type EventInput = Omit<TwEvent, 'seq' | 'time'>;

/** The history keeps at most this many events... */
export const EVENT_HISTORY_MAX_EVENTS = 5000;
/** ...and at most about this many bytes of them (JSON), the oldest dropped first. */
export const EVENT_HISTORY_MAX_BYTES = 8 * 1024 * 1024;
/** A text field of an event (message, operation, user, ...) longer than this is cut. */
export const EVENT_TEXT_MAX = 4096;

/** Cuts every long string of an event (hostile input must not become a huge event). */
function clip<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (value.length > EVENT_TEXT_MAX ? `${value.slice(0, EVENT_TEXT_MAX)}... [${value.length - EVENT_TEXT_MAX} more characters cut]` : value) as T;
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value.length > 100 ? [...value.slice(0, 100).map((v) => clip(v, depth + 1)), `[${value.length - 100} more cut]`] : value.map((v) => clip(v, depth + 1))) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = clip(v, depth + 1);
  return out as T;
}

/** The site's event stream: a bounded history plus live listeners. */
export class EventLog {
  private readonly emitter = new EventEmitter();
  private readonly history: TwEvent[] = [];
  /** JSON size of each event in `history` (same order), and their sum. */
  private readonly sizes: number[] = [];
  private bytes = 0;
  private seq = 0;

  constructor(private readonly clock: Clock = systemClock) {
    this.emitter.setMaxListeners(0);
  }

  emit(input: EventInput): TwEvent {
    const event: TwEvent = { seq: ++this.seq, time: new Date(this.clock.now()).toISOString(), ...clip(input) };
    const size = JSON.stringify(event).length;
    this.history.push(event);
    this.sizes.push(size);
    this.bytes += size;
    let drop = 0;
    while (this.history.length - drop > 1 && (this.history.length - drop > EVENT_HISTORY_MAX_EVENTS || this.bytes > EVENT_HISTORY_MAX_BYTES)) this.bytes -= this.sizes[drop++]!;
    if (drop) {
      this.history.splice(0, drop);
      this.sizes.splice(0, drop);
    }
    this.emitter.emit('event', event);
    return event;
  }

  /** Events after `seq` still in memory, oldest first. */
  since(seq = 0, filter?: (e: TwEvent) => boolean): TwEvent[] {
    return this.history.filter((e) => e.seq > seq && (!filter || filter(e)));
  }

  get lastSeq(): number {
    return this.seq;
  }

  subscribe(listener: (event: TwEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Resolves with the first event (from now on) that matches, or rejects after `ms`. */
  waitFor(match: (e: TwEvent) => boolean, ms = 5000): Promise<TwEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching event within ${ms} ms`));
      }, ms);
      const off = this.subscribe((e) => {
        if (match(e)) {
          clearTimeout(timer);
          off();
          resolve(e);
        }
      });
    });
  }
}
