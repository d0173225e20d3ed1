// Use case: a planned move (switchover, migrate, unmigrate, standby,
// cleanup). Under the run lock on every node: read the status, plan (pure,
// src/procedures/moves.ts), run the plan through the executor (the commands,
// the wait until the status shows the move, what comes after), and report
// how long each part took. --check plans and runs nothing.
import { AuditLog } from '../engine/audit.js';
import { execute, plannedOutcomes, type StepOutcome } from '../engine/execute.js';
import { pickCluster, withRun, type ConnectOptions } from '../engine/run-context.js';
import { HaforgeError, RemoteCommandError, UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import { readClusterStatus } from '../cluster/read.js';
import type { ClusterReport } from '../cluster/status.js';
import type { MoveContext, MovePlan } from '../procedures/moves.js';

export interface MoveRequest extends ConnectOptions {
  cluster?: string;
  check?: boolean;
  /** Seconds to wait for the move to show (default 300). */
  timeout?: number;
  auditLog?: AuditLog;
  /** Progress lines while waiting. */
  onProgress?: (line: string) => void;
  /** Run destructive steps (fencing a node) without asking. */
  yes?: boolean;
  /** Asked before destructive steps when yes is not set; absent: refuse. */
  confirm?: (plan: MovePlan) => Promise<boolean>;
}

export interface MoveReport {
  cluster: string;
  action: string;
  status: 'planned' | 'done' | 'noop';
  noop?: string;
  steps: StepOutcome[];
  waitFor?: string;
  /**
   * From the first command until the services answered on the VIP from the
   * new holder, as the watch on it saw them (moves with a known target), else
   * until the status showed the move.
   */
  movedMs?: number;
  /** From the first command until the status confirmed the move. */
  confirmedMs?: number;
  totalMs?: number;
  /** The primary before and after. */
  from: string | null;
  to?: string | null;
  auditLog?: string;
}

export type MovePlanner = (report: ClusterReport, ctx: MoveContext) => MovePlan;

export async function runMove(inventory: Inventory, req: MoveRequest, planFor: MovePlanner): Promise<MoveReport> {
  const cluster = pickCluster(inventory, req.cluster);
  const audit = req.auditLog ?? (req.check ? new AuditLog() : AuditLog.forNewRun());
  return withRun(cluster.nodes, { ...req, audit, lock: !req.check }, async (run) => {
    // The plan is made on a full reading (split-brain evidence included); the waits read light.
    const before = await readClusterStatus(run, cluster, 'full');
    const plan = planFor(before, { cluster, timeoutSeconds: req.timeout ?? 300 });
    if (plan.refusal) throw new UserError(plan.refusal.message, { hint: plan.refusal.hint });
    const report: MoveReport = {
      cluster: plan.cluster,
      action: plan.action,
      status: plan.steps.length ? 'planned' : 'noop',
      noop: plan.steps.length ? undefined : plan.reason,
      steps: plannedOutcomes(plan.steps),
      waitFor: plan.waitFor,
      from: before.primary,
      auditLog: audit.file,
    };
    if (!plan.steps.length || req.check) return report;
    await confirmDestructive(plan, req);
    let now = before;
    const done = await execute(plan.steps, {
      connection: (n) => run.connection(n),
      reread: async () => (now = await readClusterStatus(run, cluster, 'light')),
      progress: req.onProgress && ((line) => req.onProgress!(line)),
    });
    report.steps = done.outcomes;
    if (done.failure) throw failureOf(done.failure);
    const started = done.outcomes[0]!.startedAt!;
    const wait = done.outcomes.find((o) => o.phase === 'wait');
    if (wait) {
      report.confirmedMs = wait.startedAt! + wait.ms! - started;
      report.movedMs = (plan.to ? wait.doneAt! : wait.startedAt! + wait.ms!) - started;
    }
    const last = done.outcomes[done.outcomes.length - 1]!;
    report.totalMs = last.startedAt! + last.ms! - started;
    report.to = (wait && last.phase !== 'after' ? now : await readClusterStatus(run, cluster, 'light')).primary;
    report.status = 'done';
    return report;
  });
}

async function confirmDestructive(plan: MovePlan, req: MoveRequest): Promise<void> {
  const destructive = plan.steps.filter((s) => s.destructive);
  if (!destructive.length || req.yes) return;
  if (req.confirm && (await req.confirm(plan))) return;
  throw new UserError(`${plan.action}: ${destructive.map((s) => s.description).join('; ')}: not confirmed`, { hint: 'look at it with --check, then run again with --yes' });
}

/** A failed step of a move or a drill as the error to show: a remote command's with its host, command, exit code and stderr. */
export function failureOf(failure: { message: string; hint?: string; error: unknown }): HaforgeError {
  const e = failure.error;
  const hint = failure.hint ?? 'haforge status shows where the cluster stands';
  if (e instanceof RemoteCommandError) return new RemoteCommandError(e.host, e.argv, e.exitCode, e.stderr, hint, e.signal);
  return new UserError(failure.message, { hint });
}
