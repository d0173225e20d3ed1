// Use case: repair DRBD split brains. Detect (as `split-brain` does), pick
// the victim, plan the documented sequence per DRBD version, and, unless
// --check, run it: rescue the victim's changes to this workstation, discard
// them, resync, and check both sides are UpToDate and connected.
import { AuditLog } from '../engine/audit.js';
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { ClusterSpec } from '../inventory/model.js';
import { changesSince, type NodeReading, type ResourceReport } from '../procedures/split-brain/detect.js';
import { explain } from '../procedures/split-brain/explain.js';
import { planRepair, type RepairPlan } from '../procedures/split-brain/repair.js';
import { chooseVictim, type VictimWish } from '../procedures/split-brain/victim.js';
import type { SplitBrainRequest } from './split-brain.js';
import { executePlan, plannedSteps, type StepOutcome } from './split-brain-execute.js';
import { analyseCluster, pickClusters, readChanges, readCluster, readNode, resourceRefs, withConnections } from '../cluster/read.js';
import { defaultRescueDir, rescueFile } from './split-brain-rescue.js';

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

export async function repairSplitBrain(req: RepairRequest): Promise<RepairReport> {
  const started = Date.now();
  if (req.victim !== undefined && req.policy !== undefined) throw new UserError('--victim and --policy both given', { hint: 'name the victim, or let a policy choose it, not both' });
  const inventory = await loadInventory(req.inventoryFile);
  const clusters = pickClusters(inventory, { ...req, node: req.victim });
  const audit = req.auditLog ?? AuditLog.forNewRun();
  const progress = req.progress ?? (() => {});
  const repairs = await withConnections(clusters.flatMap((c) => c.nodes), { ...req, audit, lock: !req.check }, async (conns) => {
    const out: ResourceRepair[] = [];
    const todo: { plan: RepairPlan; entry: ResourceRepair; cluster: ClusterSpec; report: ResourceReport }[] = [];
    for (const cluster of clusters) {
      const refs = resourceRefs(cluster, req.resource);
      const readings = await readCluster(cluster, conns, refs);
      const reports = analyseCluster(refs, readings);
      await readChanges(reports, conns, req.since);
      for (const report of reports) {
        const entry = decide(report, readings, req);
        out.push(entry.repair);
        if (entry.plan) todo.push({ plan: entry.plan, entry: entry.repair, cluster, report });
      }
    }
    if (req.check || todo.length === 0) return out;
    await confirm(todo.map((t) => t.plan), out, req);
    for (const t of todo) {
      const t0 = Date.now();
      const ref = resourceRefs(t.cluster, t.plan.resource);
      const reread = async () => analyseCluster(ref, await Promise.all(t.cluster.nodes.map((n) => readNode(n.name, conns.get(n.name)!, ref))))[0]!;
      const file = rescueFile(req.rescueDir ?? defaultRescueDir(), t.cluster.name, t.plan.resource, t.plan.victim);
      const run = await executePlan(t.plan, { conns, reread, wish: req, rescueFile: file, progress });
      Object.assign(t.entry, { steps: run.steps, rescue: run.rescued?.file, rescued: run.rescued && { bytes: run.rescued.bytes, entries: run.rescued.entries } });
      if (run.failure) Object.assign(t.entry, { status: 'failed', message: run.failure.message, hint: run.failure.hint });
      else finalCheck(t.entry, await reread());
      t.entry.timings = { rescueMs: run.rescueMs, resyncMs: run.resyncMs, totalMs: Date.now() - t0 };
    }
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

/** What to do about one resource: nothing, refuse (with why), or a plan. */
function decide(report: ResourceReport, readings: NodeReading[], req: RepairRequest): { repair: ResourceRepair; plan?: RepairPlan } {
  const base = { cluster: report.cluster, resource: report.name, steps: [], explanation: explain(report) };
  if (!report.splitBrain) return { repair: { ...base, status: 'nothing-to-do', message: `${report.name}: no split brain, nothing to repair (${report.verdict})` } };
  const choice = chooseVictim(report, req);
  if ('refusal' in choice) return { repair: { ...base, status: 'refused', message: choice.refusal, hint: choice.hint } };
  const victim = report.sides.find((s) => s.node === choice.victim)!;
  const outcome = planRepair(report, {
    ...choice,
    families: Object.fromEntries(readings.map((r) => [r.node, r.family])),
    managers: Object.fromEntries(readings.map((r) => [r.node, r.manager])),
    rescue: req.rescue !== false,
    rescueSince: changesSince(report, victim, req.since),
    resyncTimeoutSeconds: req.resyncTimeoutSeconds,
  });
  if ('refusal' in outcome) return { repair: { ...base, ...choice, status: 'refused', message: outcome.refusal, hint: outcome.hint } };
  const message = `${report.name}: discard ${choice.victim}'s changes${req.rescue === false ? ' (no rescue archive)' : ' after archiving them'}, keep ${choice.survivor}'s`;
  return { repair: { ...base, ...choice, status: 'planned', message, steps: plannedSteps(outcome.plan) }, plan: outcome.plan };
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

