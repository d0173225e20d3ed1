// Use case: a failover drill, planned on a full status reading
// (procedures/drill.ts) and run through the executor under the run lock on
// every node: checksum what the user declared quiescent, start the write
// probe (fsync'd records through whichever node is primary, each
// acknowledgement stamped here), fail the primary (stop its cluster stack,
// power it off with the user's command, kill the lab VM, or freeze it), time
// until the services answer from the survivor, stop the probe and check
// there that every acknowledged record survived (RPO), read the survivor's
// log into a failover timeline, bring the failed node back and time until
// DRBD (if any) is UpToDate on both; then name the fencing the cluster did
// meanwhile.
// A powered-off node's lock goes with its /run; the run dials it anew once
// it is back.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AuditLog } from '../engine/audit.js';
import { execute, type Execution, type StepOutcome } from '../engine/execute.js';
import { pickCluster, withRun, type ConnectOptions } from '../engine/run-context.js';
import { UserError } from '../errors.js';
import type { ClusterSpec, Inventory } from '../inventory/model.js';
import { readClusterStatus } from '../cluster/read.js';
import type { ClusterReport } from '../cluster/status.js';
import { parseChecksums, planDrill, stackUnits, verifySections, type DrillEffect, type DrillPlan, type VolumeChecksum } from '../procedures/drill.js';
import { judgeProbe, PROBE_FILE, type ProbeAck } from '../procedures/write-probe.js';
import { clockOffset, failoverTimeline, recoveryMs, type TimelineEvent } from '../procedures/timeline.js';
import { WriteProbe } from './write-probe.js';
import type { FenceEvent } from '../pacemaker/crm-mon.js';
import { labFreeze, labKill, labStart } from './lab.js';
import { labOfInventory, listLabs } from '../lab/paths.js';
import { failureOf } from './moves.js';

export interface ProbeReport {
  /** Where the records went: <mount>/.haforge-probe. */
  file: string;
  acknowledged: number;
  /** RPO: acknowledged records the survivor does not have (0 with protocol C). */
  lost: number;
  lostRecords: ProbeAck[];
  /** Written, but not acknowledged before the failure: allowed either way. */
  unacknowledged: number;
  /** Nodes that acknowledged records (the failed primary, then the survivor). */
  writers: string[];
  /** ms without an acknowledged write: the last through the failed primary to the first through the survivor. */
  writeGapMs?: number;
  /** Why sessions ended other than by being stopped (shown when the probe found something wrong). */
  problems: string[];
}

export type DrillMethod = 'stop' | 'power-off' | 'lab' | 'hang';

export interface DrillRequest extends ConnectOptions {
  cluster?: string;
  method: DrillMethod;
  /** power-off: local shell commands; the node's name is $1 (and {node} is replaced by "$1"). */
  powerOffCommand?: string;
  powerOnCommand?: string;
  /** hang: local shell commands that freeze the node and let it run on (`virsh suspend "$1"`, `virsh resume "$1"`). */
  hangCommand?: string;
  resumeCommand?: string;
  /** lab, and hang in the lab: the lab's name. */
  lab?: string;
  /** Seconds for each wait (failover, return, resync). */
  timeout?: number;
  check?: boolean;
  /** Fail the primary without asking. */
  yes?: boolean;
  /** Asked (with the plan) before the primary is failed when yes is not set; absent: refuse. */
  confirm?: (report: DrillReport) => Promise<boolean>;
  onProgress?: (line: string) => void;
}

export interface DrillReport {
  cluster: string;
  method: DrillMethod;
  status: 'planned' | 'passed' | 'failed';
  primary: string;
  survivor: string;
  /** Checksums of the quiescent paths on the primary before the failure, and on the survivor after it. */
  before: VolumeChecksum[];
  after?: VolumeChecksum[];
  /** The write probe's outcome (absent without a replicated filesystem). */
  probe?: ProbeReport;
  /** Every acknowledged write is on the survivor and every quiescent path is unchanged. */
  dataIntact?: boolean;
  /** RTO: ms from the failure to the services answering on the VIP from the survivor, and every service started (a VM has no port). */
  failoverMs?: number;
  /** ms from the failure to the first write acknowledged through the survivor. */
  writesBackMs?: number;
  /** What the survivor's log says happened, in order, with ms after the failure. */
  timeline?: TimelineEvent[];
  /** ms from the power-on/start to the node being a member again. */
  rejoinMs?: number;
  /** ms from the power-on/start to UpToDate/UpToDate on both nodes. */
  resyncMs?: number;
  totalMs?: number;
  /** The primary at the end (the survivor: no automatic fail-back). */
  finalPrimary?: string | null;
  /** Fencing actions during the drill, as the cluster's fencer recorded them (who fenced whom, when, the outcome). */
  fencing?: FenceEvent[];
  steps: StepOutcome[];
  failure?: string;
  auditLog?: string;
}

const sh = promisify(execFile);

/** The user's power command, run here with the node's name as $1 (never pasted into the command's text). */
async function runLocal(command: string, node: string): Promise<void> {
  try {
    await sh('sh', ['-c', command.replaceAll('{node}', '"$1"'), 'haforge-power', node], { timeout: 300_000 });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new UserError(`'${command}' failed on this workstation for ${node} (exit ${e.code ?? '?'}): ${(e.stderr ?? '').trim()}`, { hint: 'check --power-off-command / --power-on-command' });
  }
}

/** How the method fails the primary and brings it back. */
function effects(req: DrillRequest, cluster: ClusterSpec, primary: string, limitSec: number): { fail: DrillEffect; restore: DrillEffect } {
  if (req.method === 'stop') {
    const units = stackUnits(cluster);
    return {
      fail: { description: `stop the cluster stack (${[...units].reverse().join(', ')})`, argv: ['systemctl', 'stop', ...[...units].reverse()] },
      restore: { description: `start the cluster stack (${units.join(', ')})`, argv: ['systemctl', 'start', ...units] },
    };
  }
  if (req.method === 'lab') {
    return {
      fail: { description: `power off (lab ${req.lab}: kill the VM)`, local: async () => void (await labKill(req.lab!, primary)) },
      restore: { description: `power on (lab ${req.lab})`, local: async () => void (await labStart(req.lab!, primary, limitSec, req.onProgress ?? (() => undefined))) },
    };
  }
  if (req.method === 'hang' && req.lab) {
    return {
      fail: { description: `hang (lab ${req.lab}: the VM stopped, alive and silent)`, local: async () => void (await labFreeze(req.lab!, primary, true)) },
      restore: { description: `let it run on (lab ${req.lab}): fenced, it resets itself`, local: async () => void (await labFreeze(req.lab!, primary, false)) },
    };
  }
  if (req.method === 'hang') {
    return {
      fail: { description: `hang: ${req.hangCommand}`, local: () => runLocal(req.hangCommand!, primary) },
      restore: { description: `run on: ${req.resumeCommand}`, local: () => runLocal(req.resumeCommand!, primary) },
    };
  }
  return {
    fail: { description: `power off: ${req.powerOffCommand}`, local: () => runLocal(req.powerOffCommand!, primary) },
    restore: { description: `power on: ${req.powerOnCommand}`, local: () => runLocal(req.powerOnCommand!, primary) },
  };
}

export async function runDrill(inventory: Inventory, req: DrillRequest): Promise<DrillReport> {
  const cluster = pickCluster(inventory, req.cluster);
  if (req.method === 'power-off' && (!req.powerOffCommand || !req.powerOnCommand)) throw new UserError('--method power-off needs --power-off-command and --power-on-command', { hint: "e.g. --power-off-command 'ipmitool -H \"$1\"-bmc -U admin -E chassis power off' ($1 is the node's name)" });
  // In the lab, the lab is the one the inventory belongs to (or the only one).
  if ((req.method === 'lab' || (req.method === 'hang' && !req.hangCommand)) && !req.lab) req = { ...req, lab: labOfInventory(inventory.file) };
  if (req.method === 'lab' && !req.lab) throw new UserError("--method lab needs the lab's name: the inventory is no lab's, and there is not exactly one lab", { hint: `--lab <name>; labs here: ${listLabs().join(', ') || 'none'}` });
  if (req.method === 'hang' && !req.lab && (!req.hangCommand || !req.resumeCommand)) {
    throw new UserError('--method hang needs --lab, or --hang-command and --resume-command', { hint: "for a VM under libvirt: --hang-command 'virsh suspend \"$1\"' --resume-command 'virsh resume \"$1\"' ($1 is the node's name)" });
  }
  const audit = req.check ? new AuditLog() : AuditLog.forNewRun();
  const limitSec = req.timeout ?? 600;
  return withRun(cluster.nodes, { ...req, audit }, async (run) => {
    // Planned on a full reading (split-brain evidence included); the waits read light.
    const first = await readClusterStatus(run, cluster, 'full');
    const drillId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const mount = cluster.drbd?.resources.find((r) => r.mount)?.mount;
    const probe = mount === undefined ? undefined : new WriteProbe((n) => run.connection(n), cluster.nodes.map((n) => n.name), mount, drillId);
    const plan = planDrill(first, {
      cluster,
      timeoutSeconds: limitSec,
      quiescent: cluster.drill.quiescent,
      probe: probe && { mount: probe.mount, start: () => probe.start(first.primary ?? ''), stop: () => probe.stop() },
      needsFencing: req.method === 'hang',
      ...effects(req, cluster, first.primary ?? '', limitSec),
    });
    if (plan.refusal) throw new UserError(plan.refusal.message, { hint: plan.refusal.hint });
    const report: DrillReport = { cluster: cluster.name, method: req.method, status: 'planned', primary: plan.primary, survivor: plan.survivor, before: [], steps: [], auditLog: audit.file };
    if (req.check) return report;
    if (!req.yes && !(req.confirm && (await req.confirm(report)))) {
      throw new UserError(`drill: ${plan.primary} is to fail (${req.method}) and the services to move to ${plan.survivor}: not confirmed`, { hint: 'look at it with --check, then run again with --yes' });
    }
    await run.lock();
    let now = first;
    const done = await execute(plan.steps, {
      connection: (n) => run.connection(n),
      reread: async () => (now = await readClusterStatus(run, cluster, 'light')),
      powered: (n, s) => run.powered(n, s),
      progress: req.onProgress && ((line) => req.onProgress!(line)),
    });
    await probe?.clean();
    judge(report, plan, done, first, now);
    if (probe) judgeWrites(report, probe, done);
    report.timeline = timeline(cluster, plan, done);
    if (report.failoverMs !== undefined) report.failoverMs = recoveryMs(report.failoverMs, report.timeline);
    return finish(report, plan);
  });
}

/** The step of a phase that ran to its end. */
const phaseDone = (done: Execution, phase: string) => done.outcomes.find((o) => o.phase === phase && o.status === 'ok');

/** The probe's records on the survivor against the acknowledgements seen here. */
function judgeWrites(report: DrillReport, probe: WriteProbe, done: Execution): void {
  const [verify, fail] = [phaseDone(done, 'verify'), phaseDone(done, 'fail')];
  if (!verify) return;
  const v = judgeProbe(probe.acks, verifySections(verify.stdout ?? '').probe, probe.id, report.primary);
  report.probe = {
    file: `${probe.mount}/${PROBE_FILE}`,
    acknowledged: v.acknowledged,
    lost: v.lost.length,
    lostRecords: v.lost.slice(0, 20),
    unacknowledged: v.unacknowledged,
    writers: v.writers,
    writeGapMs: v.lastBeforeFailure !== undefined && v.firstAfterFailure !== undefined ? v.firstAfterFailure - v.lastBeforeFailure : undefined,
    problems: probe.problems.slice(-5),
  };
  if (fail && v.firstAfterFailure !== undefined) report.writesBackMs = v.firstAfterFailure - fail.startedAt!;
}

/** The survivor's log since the failure, placed on this workstation's clock. */
function timeline(cluster: ClusterSpec, plan: DrillPlan, done: Execution): TimelineEvent[] | undefined {
  const [verify, fail] = [phaseDone(done, 'verify'), phaseDone(done, 'fail')];
  if (!verify || !fail) return undefined;
  const sections = verifySections(verify.stdout ?? '');
  const offset = clockOffset(sections.clock, verify.startedAt!);
  if (offset === undefined) return undefined;
  return failoverTimeline(sections.log, { stack: cluster.stack, failed: plan.primary, survivor: plan.survivor, vip: cluster.vip?.address, services: cluster.services, failedAt: fail.startedAt!, clockOffsetMs: offset });
}

/** Fencing actions in the last reading's history that the first did not have (the clocks of workstation and nodes need not agree). */
function newFenceEvents(first: ClusterReport, last: ClusterReport): FenceEvent[] {
  const key = (e: FenceEvent) => `${e.action} ${e.target} ${e.status} ${e.completed ?? ''}`;
  const before = new Set(first.fencing.history.map(key));
  return last.fencing.history.filter((e) => !before.has(key(e)));
}

/** The report from the steps' outcomes: the quiescent paths' checksums, the timings, the fencing. */
function judge(report: DrillReport, plan: DrillPlan, done: Execution, first: ClusterReport, last: ClusterReport): void {
  const end = (o: StepOutcome) => o.startedAt! + o.ms!;
  const [record, fail, failover, verify, restore, rejoin, resync] = ['record', 'fail', 'failover', 'verify', 'restore', 'rejoin', 'resync'].map((p) => phaseDone(done, p));
  if (!record) throw failureOf(done.failure!);
  // The outputs were read above (the probe's records, the survivor's log): the report keeps the steps, not them.
  report.steps = done.outcomes.map(({ stdout: _read, ...step }) => step);
  report.before = parseChecksums(record.stdout ?? '');
  if (verify) report.after = parseChecksums(verifySections(verify.stdout ?? '').checksums);
  // Until the survivor served, as its watch saw it; the status reading after it only confirms.
  if (fail && failover) report.failoverMs = failover.doneAt! - fail.startedAt!;
  if (restore && rejoin) report.rejoinMs = end(rejoin) - restore.startedAt!;
  if (restore && resync) report.resyncMs = end(resync) - restore.startedAt!;
  if (fail) report.totalMs = end(done.outcomes.filter((o) => o.status !== 'skipped').pop()!) - fail.startedAt!;
  report.finalPrimary = last.primary;
  report.fencing = newFenceEvents(first, last);
  if (done.failure) report.failure = done.failure.message;
}

/** Passed when every step ran, no acknowledged write was lost and the quiescent paths are unchanged. */
function finish(report: DrillReport, plan: DrillPlan): DrillReport {
  const changed = report.after && report.before.filter((b) => JSON.stringify(b) !== JSON.stringify(report.after!.find((a) => a.path === b.path)));
  const lost = report.probe?.lost ?? 0;
  report.dataIntact = report.after !== undefined && !changed?.length && lost === 0 && (report.probe === undefined || report.probe.acknowledged > 0);
  if (!report.failure) {
    if (lost) report.failure = `${lost} of ${report.probe!.acknowledged} acknowledged writes are not on ${plan.survivor}`;
    else if (changed?.length) report.failure = `the quiescent ${changed.map((c) => c.path).join(', ')} on ${plan.survivor} differ${changed.length === 1 ? 's' : ''} from what ${plan.primary} had before the failure`;
    else if (report.after === undefined) report.failure = `the data on ${plan.survivor} was not read`;
  }
  report.status = report.failure ? 'failed' : 'passed';
  return report;
}
