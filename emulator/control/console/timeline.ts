import type { TwEvent } from '../../events.js';
import type { Site } from '../../site.js';

// The console's timeline: one lane per server with the procedure's steps, the
// windows in which it was suspended or in backup mode, and the clients that met
// a behaviour. Built from the event history (what is still in memory), so it
// is the same record the feed shows; `GET /console/timeline` exports it as JSON.

export interface TimelineWindow {
  kind: 'suspended' | 'backup-mode';
  from: string;
  /** null: still open. */
  to: string | null;
}

export interface TimelineMark {
  time: string;
  kind: 'command' | 'refused' | 'warning' | 'backup';
  /** The command, e.g. `to tran suspend`, or `twemu backup`. */
  operation: string;
  message?: string;
}

export interface TimelineClient {
  time: string;
  client: string;
  user?: string;
  behaviour: string;
  operation?: string;
}

export interface TimelineLane {
  server: string;
  role: string;
  windows: TimelineWindow[];
  marks: TimelineMark[];
  clients: TimelineClient[];
}

export interface Timeline {
  timeZone: string;
  /** The first and last event times covered (ISO). */
  from: string | null;
  to: string;
  lanes: TimelineLane[];
}

type StateSummary = { service?: string; backupMode?: string };

export function timeline(site: Site, events: TwEvent[], timeZone: string, now: string): Timeline {
  const start = events[0]?.time ?? null;
  const lanes = site.servers.map((s): TimelineLane => ({ server: s.name, role: s.role, windows: [], marks: [], clients: [] }));
  const lane = new Map(lanes.map((l) => [l.server, l]));
  const open = new Map<string, TimelineWindow>();
  const key = (server: string, kind: TimelineWindow['kind']) => `${server}\u0000${kind}`;
  const openWindow = (server: string, kind: TimelineWindow['kind'], from: string) => {
    if (open.has(key(server, kind))) return;
    const w: TimelineWindow = { kind, from, to: null };
    lane.get(server)?.windows.push(w);
    open.set(key(server, kind), w);
  };
  const closeWindow = (server: string, kind: TimelineWindow['kind'], to: string) => {
    const w = open.get(key(server, kind));
    if (!w) return;
    w.to = to;
    open.delete(key(server, kind));
  };
  // A window already open when the history starts begins with the history.
  const firstState = new Map<string, StateSummary>();
  for (const e of events) if (e.type === 'state' && e.server && !firstState.has(e.server)) firstState.set(e.server, (e.data?.before ?? {}) as StateSummary);
  for (const s of site.servers) {
    const before = firstState.get(s.name) ?? { service: s.state.service, backupMode: s.state.backupMode };
    if (start && before.service === 'suspended') openWindow(s.name, 'suspended', start);
    if (start && before.backupMode && before.backupMode !== 'off') openWindow(s.name, 'backup-mode', start);
  }
  for (const e of events) {
    const l = e.server ? lane.get(e.server) : undefined;
    if (!l) continue;
    switch (e.type) {
      case 'state': {
        const after = (e.data?.after ?? {}) as StateSummary;
        if (after.service === 'suspended') openWindow(l.server, 'suspended', e.time);
        else if (after.service === 'available') closeWindow(l.server, 'suspended', e.time);
        if (after.backupMode && after.backupMode !== 'off') openWindow(l.server, 'backup-mode', e.time);
        else if (after.backupMode === 'off') closeWindow(l.server, 'backup-mode', e.time);
        break;
      }
      case 'command':
      case 'refused':
      case 'warning':
        l.marks.push({ time: e.time, kind: e.type, operation: e.operation ?? '', ...(e.message ? { message: e.message } : {}) });
        break;
      case 'backup':
        if (e.operation !== 'progress') l.marks.push({ time: e.time, kind: 'backup', operation: 'twemu backup', ...(e.message ? { message: e.message } : {}) });
        break;
      case 'behaviour':
        l.clients.push({ time: e.time, client: e.client ?? 'client', ...(e.user ? { user: e.user } : {}), behaviour: e.behaviour ?? '', ...(e.operation ? { operation: e.operation } : {}) });
        break;
      default:
        break;
    }
  }
  return { timeZone, from: start, to: now, lanes };
}
