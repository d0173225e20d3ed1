// Runs one resource's repair plan, step by step, in order. Guarded steps
// first read both nodes again and run only if the split brain and the
// chosen victim still stand. After a failure nothing new starts; only the
// steps that undo a temporary change of a phase already begun still run
// (unmount, Secondary again, Pacemaker's maintenance mode back).
import type { AuditedConnection } from '../engine/audit.js';
import { describeError } from '../engine/describe-error.js';
import { waitFor } from '../engine/wait.js';
import { HaforgeError, RemoteCommandError, UserError } from '../errors.js';
import type { ResourceReport } from '../procedures/split-brain/detect.js';
import type { RepairPhase, RepairPlan, RepairStep } from '../procedures/split-brain/repair.js';
import { stillTheVictim, type VictimWish } from '../procedures/split-brain/victim.js';
import { quoteArgv } from '../util/shell.js';
import { streamArchive, type Rescued } from './split-brain-rescue.js';

export interface StepOutcome extends Pick<RepairStep, 'node' | 'phase' | 'description' | 'argv' | 'guarded' | 'destructive'> {
  status: 'planned' | 'ok' | 'failed' | 'skipped';
  exitCode?: number | null;
  /** Why a non-zero exit was fine, or why the step failed. */
  note?: string;
  ms?: number;
}

export interface Execution {
  steps: StepOutcome[];
  failure?: { message: string; hint?: string };
  rescued?: Rescued;
  /** Wall time of the rescue phase and of discard-to-synced. */
  rescueMs?: number;
  resyncMs?: number;
}

export interface ExecuteDeps {
  conns: Map<string, AuditedConnection | Error>;
  /** Both nodes read again (one command each) and analysed. */
  reread: () => Promise<ResourceReport>;
  wish: VictimWish;
  rescueFile: string;
  /** transient: a wait's progress, replaced by the next line on a terminal. */
  progress: (line: string, transient?: boolean) => void;
}

export function plannedSteps(plan: RepairPlan): StepOutcome[] {
  return plan.steps.map((s) => outcomeOf(s, 'planned'));
}

function outcomeOf(s: RepairStep, status: StepOutcome['status']): StepOutcome {
  return { node: s.node, phase: s.phase, description: s.description, argv: s.argv, guarded: s.guarded, destructive: s.destructive, status };
}

export async function executePlan(plan: RepairPlan, deps: ExecuteDeps): Promise<Execution> {
  const run: Execution = { steps: [] };
  const started = new Set<RepairPhase>();
  const phaseStart = new Map<RepairPhase, number>();
  let victimGeneration: string | undefined;
  for (const step of plan.steps) {
    const outcome = outcomeOf(step, 'skipped');
    run.steps.push(outcome);
    if (run.failure && !(step.undoes && started.has(step.undoes))) continue;
    const t0 = Date.now();
    try {
      if (step.guarded && !run.failure) {
        const now = await deps.reread();
        const why = stillTheVictim(now, deps.wish, { victim: plan.victim, current: victimGeneration, discarding: !!step.destructive });
        if (why) throw new UserError(`${plan.resource}: "${step.description}" not run: ${why}`, { hint: 'nothing of the victim was discarded; look again with haforge split-brain' });
        victimGeneration ??= now.sides.find((s) => s.node === plan.victim)?.current;
      }
      if (!started.has(step.phase)) phaseStart.set(step.phase, t0);
      started.add(step.phase);
      deps.progress(`${step.node}: ${step.description}`);
      await runStep(step, deps, run, outcome);
      outcome.status = 'ok';
    } catch (err) {
      outcome.status = 'failed';
      outcome.note = err instanceof RemoteCommandError ? remoteFailure(err) : describeError(err);
      run.failure ??= { message: err instanceof RemoteCommandError ? `${err.host}: ${outcome.note}` : outcome.note, hint: err instanceof HaforgeError ? err.hint : undefined };
    }
    outcome.ms = Date.now() - t0;
  }
  const until = (phase: RepairPhase, next: RepairPhase) => (phaseStart.has(phase) && phaseStart.has(next) ? phaseStart.get(next)! - phaseStart.get(phase)! : undefined);
  run.rescueMs = until('rescue', 'discard');
  const resyncDone = run.steps.filter((s) => s.phase === 'resync' && s.status === 'ok').length > 0;
  if (resyncDone && phaseStart.has('discard')) run.resyncMs = Date.now() - phaseStart.get('discard')!;
  return run;
}

async function runStep(step: RepairStep, deps: ExecuteDeps, run: Execution, outcome: StepOutcome): Promise<void> {
  const conn = deps.conns.get(step.node);
  if (!conn || conn instanceof Error) throw conn ?? new UserError(`${step.node} is not connected`);
  if (step.watch) {
    await waitFor(conn, step.node, { description: step.description, argv: step.argv, watch: step.watch }, (line) => deps.progress(`${step.node}: ${line}`, true));
    return;
  }
  if (step.archive) {
    run.rescued = await streamArchive(conn, step.argv, deps.rescueFile);
    deps.progress(`${step.node}: ${run.rescued.entries.length} path(s), ${run.rescued.bytes} bytes -> ${run.rescued.file}`);
    return;
  }
  const r = await conn.exec('change', step.argv, { destructive: step.destructive });
  outcome.exitCode = r.exitCode;
  if (r.exitCode === 0) return;
  const fine = step.alsoOk?.find((a) => a.code === r.exitCode);
  if (fine) {
    outcome.note = `exit ${r.exitCode}: ${fine.meaning}`;
    return;
  }
  throw new RemoteCommandError(step.node, step.argv, r.exitCode, r.stderr, undefined, r.signal);
}

/** The whole command, its exit code and the end of its stderr. */
function remoteFailure(err: RemoteCommandError): string {
  const stderr = err.stderr.trim().split('\n').slice(-3).join(' | ');
  return `${quoteArgv(err.argv)} exited ${err.exitCode ?? `on ${err.signal ?? 'a signal'}`}${stderr ? `: ${stderr}` : ''}`;
}
