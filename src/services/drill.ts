// Use case: a failover drill, planned on a full status reading
// (procedures/drill.ts) and run through the executor under the run lock on
// every node: record the data on the replicated volume, fail the primary
// (stop its cluster stack, power it off with the user's command, kill the
// lab VM, or freeze it), time until the services answer from the survivor,
// verify the data there, bring the failed node back and time until DRBD is
// UpToDate on both; then name the fencing the cluster did meanwhile. A powered-off node's lock goes with its /run; the run dials it anew
// once it is back.
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
import { parseChecksums, planDrill, stackUnits, type DrillEffect, type DrillPlan, type VolumeChecksum } from '../procedures/drill.js';
import type { FenceEvent } from '../pacemaker/crm-mon.js';
import { labFreeze, labKill, labStart } from './lab.js';
import { labOfInventory, listLabs } from '../lab/paths.js';
import { failureOf } from './moves.js';

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
  before: VolumeChecksum[];
  after?: VolumeChecksum[];
  dataIntact?: boolean;
  /** ms from the failure to the services answering on the VIP from the survivor. */
  failoverMs?: number;
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
    const marker = `drill ${new Date().toISOString()} ${randomBytes(6).toString('hex')}`;
    const plan = planDrill(first, { cluster, timeoutSeconds: limitSec, marker, needsFencing: req.method === 'hang', ...effects(req, cluster, first.primary ?? '', limitSec) });
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
    return judge(report, plan, done, first, now);
  });
}

/** Fencing actions in the last reading's history that the first did not have (the clocks of workstation and nodes need not agree). */
function newFenceEvents(first: ClusterReport, last: ClusterReport): FenceEvent[] {
  const key = (e: FenceEvent) => `${e.action} ${e.target} ${e.status} ${e.completed ?? ''}`;
  const before = new Set(first.fencing.history.map(key));
  return last.fencing.history.filter((e) => !before.has(key(e)));
}

/** The report from the steps' outcomes: the data check, the timings, and what failed. */
function judge(report: DrillReport, plan: DrillPlan, done: Execution, first: ClusterReport, last: ClusterReport): DrillReport {
  const at = (phase: string) => done.outcomes.find((o) => o.phase === phase && o.status === 'ok');
  const end = (o: StepOutcome) => o.startedAt! + o.ms!;
  const [record, fail, failover, verify, restore, rejoin, resync] = ['record', 'fail', 'failover', 'verify', 'restore', 'rejoin', 'resync'].map(at);
  if (!record) throw failureOf(done.failure!);
  report.steps = done.outcomes;
  report.before = parseChecksums(record.stdout ?? '');
  if (verify) {
    report.after = parseChecksums(verify.stdout ?? '');
    report.dataIntact = JSON.stringify(report.after) === JSON.stringify(report.before);
  }
  // Until the survivor served, as its watch saw it; the status reading after it only confirms.
  if (fail && failover) report.failoverMs = failover.doneAt! - fail.startedAt!;
  if (restore && rejoin) report.rejoinMs = end(rejoin) - restore.startedAt!;
  if (restore && resync) report.resyncMs = end(resync) - restore.startedAt!;
  if (fail) report.totalMs = end(done.outcomes.filter((o) => o.status !== 'skipped').pop()!) - fail.startedAt!;
  report.finalPrimary = last.primary;
  report.fencing = newFenceEvents(first, last);
  if (done.failure) report.failure = done.failure.message;
  else if (!report.dataIntact) report.failure = `the data on ${plan.survivor} differs from what ${plan.primary} had before the failure`;
  report.status = report.failure ? 'failed' : 'passed';
  return report;
}
