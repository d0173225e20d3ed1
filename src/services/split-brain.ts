// Use cases: find DRBD split brains and explain them (only reads: one fact
// command per node, and one more where a split brain was found, listing the
// files each side changed since the split); and repair them: pick the
// victim, plan DRBD's documented sequence for its version
// (procedures/split-brain/repair.ts) and, unless --check, run it through
// the executor: rescue the victim's changes to this workstation, discard
// them, resync, and check both sides are UpToDate and connected.
import path from 'node:path';
import { AuditLog } from '../engine/audit.js';
import { execute, phaseSpan, plannedOutcomes, type StepOutcome } from '../engine/execute.js';
import { pickClusters, withRun, type ConnectOptions, type RunContext } from '../engine/run-context.js';
import { UserError } from '../errors.js';
import type { ClusterSpec, Inventory } from '../inventory/model.js';
import { readChanges, readResources, resourceRefs } from '../cluster/read.js';
import { changesSince, type NodeReading, type ResourceReport } from '../procedures/split-brain/detect.js';
import { explain } from '../procedures/split-brain/explain.js';
import { planRepair, type RepairPlan } from '../procedures/split-brain/repair.js';
import { chooseVictim, type VictimWish } from '../procedures/split-brain/victim.js';
import { stateDir } from '../util/state-dir.js';

export interface SplitBrainRequest extends ConnectOptions {
  cluster?: string;
  resource?: string;
  /** Unix seconds: list changes since then instead of the split time the kernel logs give. */
  since?: number;
  auditLog?: AuditLog;
}

export interface ExplainedResource extends ResourceReport {
  explanation: string[];
}

export interface SplitBrainReport {
  inventory: string;
  /** Some resource is in split brain. */
  splitBrain: boolean;
  resources: ExplainedResource[];
  /** Nodes that could not be read, with why. */
  unreadable: { node: string; error: string }[];
}

export async function detectSplitBrain(inventory: Inventory, req: SplitBrainRequest): Promise<SplitBrainReport> {
  const clusters = pickClusters(inventory, { ...req, drbd: true });
  return withRun(clusters.flatMap((c) => c.nodes), { ...req, audit: req.auditLog ?? AuditLog.forNewRun() }, async (run) => {
    const resources: ExplainedResource[] = [];
    const unreadable: SplitBrainReport['unreadable'] = [];
    for (const cluster of clusters) {
      const { readings, reports } = await readResources(run, cluster, resourceRefs(cluster, req.resource));
      unreadable.push(...readings.filter((r) => r.error).map((r) => ({ node: r.node, error: r.error! })));
      await readChanges(run, reports, req.since);
      resources.push(...reports.map((r) => ({ ...r, explanation: explain(r) })));
    }
    return { inventory: inventory.file, splitBrain: resources.some((r) => r.splitBrain), resources, unreadable };
  });
}

// ---------------------------------------------------------------- repair

export interface RepairRequest extends SplitBrainRequest, VictimWish {
  check?: boolean;
  /** false: discard the victim's changes without archiving them (--no-rescue). */
  rescue?: boolean;
  rescueDir?: string;
  /** A policy picks the victim: run without asking. */
  yes?: boolean;
  /** Asked when a policy picked the victims and yes is not set; absent: refuse. Gets the planned repairs to show first. */
  confirm?: (plans: RepairPlan[], planned: ResourceRepair[]) => Promise<boolean>;
  progress?: (line: string, transient?: boolean) => void;
  resyncTimeoutSeconds?: number;
}

export type RepairStatus = 'repaired' | 'planned' | 'refused' | 'failed' | 'nothing-to-do';

export interface ResourceRepair {
  cluster: string;
  resource: string;
  status: RepairStatus;
  message: string;
  hint?: string;
  victim?: string;
  survivor?: string;
  reason?: string;
  steps: StepOutcome[];
  /** The rescue archive on this workstation. */
  rescue?: string;
  rescued?: { bytes: number; entries: string[] };
  timings?: { rescueMs?: number; resyncMs?: number; totalMs: number };
  /** The situation before the repair, in plain words. */
  explanation: string[];
}

export interface RepairReport {
  inventory: string;
  check: boolean;
  auditLog?: string;
  repairs: ResourceRepair[];
  /** Nothing refused or failed. */
  ok: boolean;
  durationMs: number;
}

export const defaultRescueDir = () => stateDir('rescue');

/** <dir>/<cluster>-<resource>-<victim>-<UTC timestamp>.tar.gz */
export function rescueFile(dir: string, cluster: string, resource: string, victim: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return path.join(dir, `${cluster}-${resource}-${victim}-${stamp}.tar.gz`);
}

interface Todo {
  plan: RepairPlan;
  entry: ResourceRepair;
  cluster: ClusterSpec;
}

export async function repairSplitBrain(inventory: Inventory, req: RepairRequest): Promise<RepairReport> {
  const started = Date.now();
  if (req.victim !== undefined && req.policy !== undefined) throw new UserError('--victim and --policy both given', { hint: 'name the victim, or let a policy choose it, not both' });
  const clusters = pickClusters(inventory, { ...req, node: req.victim, drbd: true });
  const audit = req.auditLog ?? AuditLog.forNewRun();
  const repairs = await withRun(clusters.flatMap((c) => c.nodes), { ...req, audit, lock: !req.check }, async (run) => {
    const out: ResourceRepair[] = [];
    const todo: Todo[] = [];
    for (const cluster of clusters) {
      const { readings, reports } = await readResources(run, cluster, resourceRefs(cluster, req.resource));
      await readChanges(run, reports, req.since);
      for (const report of reports) {
        const entry = decide(report, readings, req);
        out.push(entry.repair);
        if (entry.plan) todo.push({ plan: entry.plan, entry: entry.repair, cluster });
      }
    }
    if (req.check || todo.length === 0) return out;
    await confirm(todo.map((t) => t.plan), out, req);
    for (const t of todo) await repairOne(run, t, req);
    return out;
  });
  return {
    inventory: inventory.file,
    check: !!req.check,
    auditLog: audit.file,
    repairs,
    ok: repairs.every((r) => r.status !== 'failed' && r.status !== 'refused'),
    durationMs: Date.now() - started,
  };
}

/** Runs one resource's plan; the guards read both nodes again, the final check once more after. */
async function repairOne(run: RunContext, t: Todo, req: RepairRequest): Promise<void> {
  const t0 = Date.now();
  const refs = resourceRefs(t.cluster, t.plan.resource);
  const reread = async () => (await readResources(run, t.cluster, refs)).reports[0]!;
  const done = await execute(t.plan.steps, { connection: (n) => run.connection(n), reread, powered: (n, s) => run.powered(n, s), progress: req.progress });
  const archive = done.outcomes.find((o) => o.file)?.file;
  Object.assign(t.entry, { steps: done.outcomes, rescue: archive?.path, rescued: archive && { bytes: archive.bytes, entries: archive.entries } });
  if (done.failure) Object.assign(t.entry, { status: 'failed', message: done.failure.message, hint: done.failure.hint });
  else finalCheck(t.entry, await reread());
  const resynced = done.outcomes.some((o) => o.phase === 'resync' && o.status === 'ok') && done.phaseStarts.has('discard');
  t.entry.timings = { rescueMs: phaseSpan(done, 'rescue', 'discard'), resyncMs: resynced ? Date.now() - done.phaseStarts.get('discard')! : undefined, totalMs: Date.now() - t0 };
}

/** What to do about one resource: nothing, refuse (with why), or a plan. */
function decide(report: ResourceReport, readings: NodeReading[], req: RepairRequest): { repair: ResourceRepair; plan?: RepairPlan } {
  const base = { cluster: report.cluster, resource: report.name, steps: [], explanation: explain(report) };
  if (!report.splitBrain) return { repair: { ...base, status: 'nothing-to-do', message: `${report.name}: no split brain, nothing to repair (${report.verdict})` } };
  const choice = chooseVictim(report, req);
  if ('refusal' in choice) return { repair: { ...base, status: 'refused', message: choice.refusal, hint: choice.hint } };
  const victim = report.sides.find((s) => s.node === choice.victim)!;
  const plan = planRepair(report, {
    ...choice,
    wish: { victim: req.victim, policy: req.policy },
    families: Object.fromEntries(readings.map((r) => [r.node, r.family])),
    managers: Object.fromEntries(readings.map((r) => [r.node, r.manager])),
    rescue: req.rescue !== false,
    rescueSince: changesSince(report, victim, req.since),
    rescueFile: rescueFile(req.rescueDir ?? defaultRescueDir(), report.cluster, report.name, choice.victim),
    resyncTimeoutSeconds: req.resyncTimeoutSeconds,
  });
  if (plan.refusal) return { repair: { ...base, ...choice, status: 'refused', message: plan.refusal.message, hint: plan.refusal.hint } };
  const message = `${report.name}: discard ${choice.victim}'s changes${req.rescue === false ? ' (no rescue archive)' : ' after archiving them'}, keep ${choice.survivor}'s`;
  return { repair: { ...base, ...choice, status: 'planned', message, steps: plannedOutcomes(plan.steps) }, plan };
}

/** A named victim is the user's decision; a policy's choice is confirmed (or --yes). */
async function confirm(plans: RepairPlan[], planned: ResourceRepair[], req: RepairRequest): Promise<void> {
  if (req.victim !== undefined || req.yes) return;
  if (req.confirm && (await req.confirm(plans, planned))) return;
  throw new UserError(`the policy chose ${plans.map((p) => `${p.victim} for ${p.resource}`).join(', ')} and that was not confirmed`, {
    hint: 'check the choice with --check, then run again with --yes, or name the victim with --victim',
  });
}

/** Both sides connected, UpToDate and at the same generation. */
function finalCheck(entry: ResourceRepair, after: ResourceReport): void {
  const sides = after.sides.map((s) => `${s.node} ${s.connection ?? 'not up'} ${s.role ?? ''} ${s.disk ?? ''}`.replace(/\s+/g, ' ').trim()).join(', ');
  const good = after.verdict === 'healthy' && after.sides.every((s) => s.disk === 'UpToDate') && after.lineage === 'same';
  if (good) Object.assign(entry, { status: 'repaired', message: `${entry.resource}: repaired, ${entry.victim}'s changes discarded; ${sides}` });
  else Object.assign(entry, { status: 'failed', message: `${entry.resource}: the repair ran but the final check failed: ${sides}`, hint: 'look at haforge split-brain and the kernel logs' });
}
