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

const KEEP = 5000;

/** The site's event stream: a bounded history plus live listeners. */
export class EventLog {
  private readonly emitter = new EventEmitter();
  private readonly history: TwEvent[] = [];
  private seq = 0;

  constructor(private readonly clock: Clock = systemClock) {
    this.emitter.setMaxListeners(0);
  }

  emit(input: EventInput): TwEvent {
    const event: TwEvent = { seq: ++this.seq, time: new Date(this.clock.now()).toISOString(), ...input };
    this.history.push(event);
    if (this.history.length > KEEP) this.history.splice(0, this.history.length - KEEP);
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
