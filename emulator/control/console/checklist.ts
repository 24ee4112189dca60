import { STEP_SPECS, brokenRules, pendingStep, allowedNow, type StepName, type NextAction } from '../../procedure.js';
import type { Site } from '../../site.js';
import type { SiteServer } from '../../server.js';

// The 7 steps of the online backup procedure (administrator guide 19.3.1) as
// the console's checklist. Nothing is decided here: which steps ran comes from
// the site's backup cycle (`site.cycle`), whether a step may run and what
// comes next from the procedure module (`procedure.ts`), the same answers the
// refusals give.

export interface StepDefinition {
  step: number;
  /** The command as the administrator types it. */
  command: string;
  /** The procedure command behind it; step 5 is the differential backup utility. */
  procedure: StepName;
  title: string;
}

const TITLES: Record<number, string> = {
  1: 'suspend the service', 2: 'backup mode on (staging area)', 3: 'archive web-service data', 4: 'resume the service',
  5: 'differential backup', 6: 'remove the web archive', 7: 'backup mode off (merge staging)',
};

export const STEPS: StepDefinition[] = STEP_SPECS.map((spec) => ({
  step: spec.step, procedure: spec.name, title: TITLES[spec.step]!,
  command: spec.name === 'backup' ? 'twemu backup --level N --dest DIR' : spec.name,
}));

export interface BrokenRule {
  rule: string;
  kind: 'state' | 'order';
  message: string;
  hint: string;
}

export interface StepView extends StepDefinition {
  /** Run on this server in the current backup cycle. */
  done: boolean;
  /** Running it now breaks no rule (strict mode). */
  runnable: boolean;
  /** The highlighted step: the server's first step not done, when strict mode allows it now. */
  next: boolean;
  /** False where the step does not apply to the server (no web service). */
  applies: boolean;
  broken: BrokenRule[];
}

export interface Checklist {
  steps: StepView[];
  /** Number of the next valid step, or null. */
  next: number | null;
  /** Why nothing can run yet, and the next allowed command on the site. */
  waiting: string | null;
}

export function checklist(server: SiteServer, site: Site, allowed: NextAction[] = allowedNow(site)): Checklist {
  const pending = pendingStep(site, server);
  const mine = allowed.find((a) => a.server === server.name) ?? null;
  const steps: StepView[] = STEP_SPECS.map((spec, i) => {
    const applies = spec.applies(server);
    const broken = brokenRules(site, server, spec).map((r) => ({ rule: r.id, kind: r.kind, message: r.message(server, site), hint: r.hint(server, site) }));
    return { ...STEPS[i]!, applies, done: applies && site.cycle.ran(server.name, spec.step), runnable: applies && broken.length === 0, next: mine?.step === spec.step, broken };
  });
  let waiting: string | null = null;
  if (pending && !mine) {
    const view = steps.find((s) => s.step === pending.step)!;
    const reason = view.broken.find((b) => b.kind === 'order') ?? view.broken[0];
    if (reason) waiting = `step ${pending.step} (${view.command}): ${reason.message}${allowed[0] ? `; next allowed: ${allowed[0].command}` : ''}`;
  }
  return { steps, next: mine?.step ?? null, waiting };
}

/** The next step of the whole site (the console's "next step" button): the procedure's next step, on every server it may run on now (documented order). */
export function nextSiteStep(site: Site, allowed: NextAction[] = allowedNow(site)): { step: StepDefinition; servers: string[] } | { waiting: string } {
  const first = allowed[0];
  if (!first) {
    const waiting = site.servers.map((s) => {
      const w = checklist(s, site, allowed).waiting;
      return w && `${s.name}: ${w}`;
    }).filter(Boolean).join('; ');
    return { waiting: waiting || 'no step can run now' };
  }
  return { step: STEPS.find((d) => d.step === first.step)!, servers: allowed.filter((a) => a.step === first.step).map((a) => a.server) };
}
