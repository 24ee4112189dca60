import type { Site } from '../site.js';
import type { SiteServer } from '../server.js';
import type { SiteExtension } from '../extensions.js';
import type { CommandCheck } from '../procedure.js';
import { BadRequest, CommandRefused, TwemuError } from '../errors.js';
import { GATEWAY_LOG_TEXTS as T } from '../catalog/defaults/gateways.js';
import { bodyObject, guarded, numberOption, onlyFields } from './options.js';

// SearchPro (administrator guide 19.3.1, ◆SearchPro): the full-text index over
// the library, built in the background on the site's gateway server.
// - While a build runs, the online backup cannot start (searchpro.backup-blocked):
//   it starts with step 1, so `to tran suspend` on the gateway server (where the
//   index is built) is refused; the policy `never` lets it through (and the
//   build then fails at its next step: searchpro.index-error).
// - A build that is running while the gateway server is suspended fails at
//   its next step with `096116 An internal error occurred in the SearchPro
//   service` (searchpro.index-error) and must be started again.
//
// Options (config `services.searchpro`):
//   durationMs  how long a build takes (default 10000; `POST /api/searchpro/index`
//               may give {"durationMs": N} for one build)
//   tickMs      time between two steps (progress events) of a build (default 500)

export const SEARCHPRO_DEFAULTS = { durationMs: 10_000, tickMs: 500 } as const;

export type BuildState = 'idle' | 'indexing' | 'completed' | 'failed';

interface Build {
  startedAt: string;
  durationMs: number;
  tickMs: number;
  ticks: number;
  done: number;
  documents: Array<{ id: number; title: string; body: string }>;
  timer: NodeJS.Timeout;
}

/** SearchPro on a site: one index, one build at a time. */
export class SearchPro implements SiteExtension {
  readonly name = 'searchpro';
  private siteRef: Site | null = null;
  private build: Build | null = null;
  private durationMs: number = SEARCHPRO_DEFAULTS.durationMs;
  private tickMs: number = SEARCHPRO_DEFAULTS.tickMs;
  state: BuildState = 'idle';
  progress = 0;
  lastError: string | null = null;
  /** The last completed index: document id -> searchable text. */
  private index: Map<number, { title: string; text: string }> | null = null;
  lastBuild: { startedAt: string; finishedAt: string; result: 'completed' | 'failed'; documents: number } | null = null;

  readonly checks: SiteExtension['checks'] = { 'to tran suspend': [((server, site) => this.checkSuspend(server, site)) satisfies CommandCheck] };

  private get site(): Site {
    if (!this.siteRef) throw new TwemuError('E_NOT_STARTED', 'SearchPro is not running (the site is not started)');
    return this.siteRef;
  }

  start(site: Site): void {
    this.durationMs = numberOption(site, 'searchpro', 'durationMs', SEARCHPRO_DEFAULTS.durationMs, 0, 3_600_000);
    this.tickMs = numberOption(site, 'searchpro', 'tickMs', SEARCHPRO_DEFAULTS.tickMs, 5, 600_000);
    this.siteRef = site;
  }

  stop(): void {
    if (this.build) clearInterval(this.build.timer);
    this.build = null;
    this.siteRef = null;
  }

  get indexing(): boolean {
    return this.build !== null;
  }

  status(server: SiteServer): Record<string, unknown> | undefined {
    if (!this.siteRef || server !== this.siteRef.gatewayServer) return undefined;
    return { searchpro: this.view() };
  }

  view(): Record<string, unknown> {
    return {
      state: this.state, indexing: this.indexing, progress: this.progress,
      ...(this.build ? { startedAt: this.build.startedAt, documents: this.build.documents.length } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      indexedDocuments: this.index?.size ?? 0, lastBuild: this.lastBuild,
    };
  }

  private log(operation: string, message: string, text: 'seed' | 'emulator default', data: Record<string, unknown> = {}): string {
    const site = this.site;
    site.events.emit({ type: 'gateway-log', server: site.gatewayServer.name, operation, client: 'SearchPro', message, data: { gateway: 'searchpro', text, ...data } });
    site.log.info({ gateway: 'searchpro', operation }, message);
    return message;
  }

  /** インデックスの作成: starts a build over the library (409 while one runs). */
  startBuild(input: unknown): Record<string, unknown> {
    const body = bodyObject(input);
    onlyFields(body, ['durationMs']);
    let durationMs = this.durationMs;
    if (body.durationMs !== undefined) {
      if (typeof body.durationMs !== 'number' || !Number.isInteger(body.durationMs) || body.durationMs < 0 || body.durationMs > 3_600_000) {
        throw new BadRequest('E_BAD_REQUEST', '"durationMs" must be an integer from 0 to 3600000');
      }
      durationMs = body.durationMs;
    }
    const site = this.site;
    if (this.build) {
      throw new TwemuError('E_SEARCHPRO_BUSY', `an index build is already in progress (${this.progress}%)`, { hint: 'wait for it to finish (GET /api/searchpro)' });
    }
    const documents = site.domain.library.documents().map((d) => ({ id: d.id, title: d.title, body: d.body }));
    const ticks = Math.max(1, Math.ceil(durationMs / this.tickMs));
    this.state = 'indexing';
    this.progress = 0;
    this.lastError = null;
    const startedAt = new Date(site.clock.now()).toISOString();
    const timer = setInterval(guarded(() => this.siteRef, 'SearchPro index build', () => this.step()), this.tickMs);
    timer.unref();
    this.build = { startedAt, durationMs, tickMs: this.tickMs, ticks, done: 0, documents, timer };
    const logged = [this.log('index-start', T.searchproStarted(documents.length), 'emulator default', { documents: documents.length, durationMs })];
    return { ok: true, logged, searchpro: this.view() };
  }

  /** One step of the build: fails when the gateway server is suspended (in flight), else progresses. */
  private step(): void {
    const build = this.build;
    if (!build || !this.siteRef) return;
    const server = this.site.gatewayServer;
    if (server.suspended) {
      const decision = server.fire('searchpro.index-error', { operation: 'index build', client: 'SearchPro' });
      if (decision.fires) {
        this.finish('failed');
        this.lastError = decision.messages[0] ?? null;
        for (const m of decision.messages) this.log('index-error', m, 'seed', { behaviour: 'searchpro.index-error', progress: this.progress });
        this.log('index-failed', T.searchproFailed, 'emulator default');
        return;
      }
    }
    build.done++;
    this.progress = Math.min(100, Math.floor((100 * build.done) / build.ticks));
    const docsDone = Math.floor((build.documents.length * build.done) / build.ticks);
    this.log('index-progress', T.searchproProgress(this.progress, docsDone, build.documents.length), 'emulator default', { progress: this.progress });
    if (build.done >= build.ticks) {
      this.index = new Map(build.documents.map((d) => [d.id, { title: d.title, text: `${d.title}\n${d.body}`.toLowerCase() }]));
      this.finish('completed');
      this.log('index-complete', T.searchproCompleted(build.documents.length), 'emulator default', { documents: build.documents.length });
    }
  }

  private finish(result: 'completed' | 'failed'): void {
    const build = this.build!;
    clearInterval(build.timer);
    this.build = null;
    this.state = result;
    this.lastBuild = { startedAt: build.startedAt, finishedAt: new Date(this.site.clock.now()).toISOString(), result, documents: build.documents.length };
  }

  /** Searches the last completed index (404-free: no index yet is an empty answer with a note). */
  search(q: string): Record<string, unknown> {
    if (typeof q !== 'string' || q.trim().length === 0 || q.length > 200) throw new BadRequest('E_BAD_REQUEST', 'query "q" must be 1-200 characters');
    if (!this.index) return { query: q, indexed: false, hits: [], note: 'no index has been built yet: POST /api/searchpro/index' };
    const needle = q.toLowerCase();
    const hits = [...this.index.entries()].filter(([, d]) => d.text.includes(needle)).map(([id, d]) => ({ id, title: d.title }));
    return { query: q, indexed: true, hits };
  }

  /** `to tran suspend` of the gateway server while a build runs: searchpro.backup-blocked (policy never: the suspension goes ahead). */
  private checkSuspend(server: SiteServer, site: Site): void {
    if (!this.build || server !== site.gatewayServer) return;
    const gate = site.gatewayServer.gate('searchpro.backup-blocked', { operation: 'to tran suspend', client: 'SearchPro' });
    if (gate.allowed) return;
    throw new CommandRefused('E_SEARCHPRO_INDEXING',
      `${server.name}: the online backup cannot start while SearchPro is building an index on it (${this.progress}%)`,
      'wait until the index build has finished (`twemu status` shows its progress), then run `to tran suspend` again', 'searchpro-indexing');
  }
}

export function searchProOf(site: Site): SearchPro {
  const s = site.extensions.find((e): e is SearchPro => e instanceof SearchPro);
  if (!s) throw new TwemuError('E_NOT_STARTED', 'this site runs no SearchPro');
  return s;
}
