// Use case: a failover drill. Record the data on the replicated volume
// (with a fresh marker file: the last write must survive), fail the primary
// (stop its cluster stack, power it off with the user's command, or kill
// the lab VM), time until the VIP serves again from the survivor, verify
// the data there, bring the failed node back and time until DRBD is
// UpToDate on both. The run lock is held on every node; a powered-off
// node's lock goes with its /run.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AuditedConnection, AuditLog } from '../engine/audit.js';
import { RunLocks } from '../engine/lock.js';
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { ClusterSpec } from '../inventory/model.js';
import type { ClusterReport } from '../cluster/status.js';
import { checksumScript, parseChecksums, planDrill, stackUnits, type DrillPlan, type VolumeChecksum } from '../procedures/drill.js';
import { drbdInSync, runsOn } from '../procedures/moves.js';
import type { ConnectOptions } from './connect.js';
import { labKill, labStart } from './lab.js';
import { pickCluster, planOrRefuse, runChecked, servicesAnswer, watchArrival, WATCH_SECONDS } from './moves.js';
import { readStatusWith, StatusConnections, type StatusSource } from './status.js';

export type DrillMethod = 'stop' | 'power-off' | 'lab';

export interface DrillRequest extends ConnectOptions {
  inventoryFile: string;
  cluster?: string;
  method: DrillMethod;
  /** power-off: local shell commands, {node} replaced by the node's name. */
  powerOffCommand?: string;
  powerOnCommand?: string;
  /** lab: the lab's name. */
  lab?: string;
  /** Seconds for each wait (failover, return, resync). */
  timeout?: number;
  check?: boolean;
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
  failure?: string;
  auditLog?: string;
}

const sh = promisify(execFile);

/** A source that never dials `down`: reading a powered-off node would only wait for a timeout. */
function without(source: StatusSource, down: string): StatusSource {
  return {
    get: async (nodes) => {
      const got = await source.get(nodes.filter((n) => n.name !== down));
      got.set(down, new Error(`${down} is failed on purpose by the drill`));
      return got;
    },
    drop: (name) => source.drop(name),
  };
}

async function exec(conns: StatusSource, cluster: ClusterSpec, node: string, argv: string[], kind: 'read' | 'change', what: string): Promise<string> {
  const conn = (await conns.get(cluster.nodes.filter((n) => n.name === node))).get(node);
  return runChecked(conn, node, argv, kind, what);
}

async function runLocal(template: string, node: string): Promise<void> {
  // The node's name is checked by the inventory schema (a host name), so it is safe in a shell word.
  const command = template.replaceAll('{node}', node);
  try {
    await sh('sh', ['-c', command], { timeout: 300_000 });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new UserError(`'${command}' failed on this workstation (exit ${e.code ?? '?'}): ${(e.stderr ?? '').trim()}`, { hint: 'check --power-off-command / --power-on-command' });
  }
}

export async function runDrill(req: DrillRequest): Promise<DrillReport> {
  const inventory = await loadInventory(req.inventoryFile);
  const cluster = pickCluster(inventory, req.cluster);
  if (req.method === 'power-off' && (!req.powerOffCommand || !req.powerOnCommand)) throw new UserError('--method power-off needs --power-off-command and --power-on-command', { hint: "e.g. --power-off-command 'ipmitool -H {node}-bmc -U admin -E chassis power off'" });
  if (req.method === 'lab' && !req.lab) throw new UserError('--method lab needs the lab\'s name', { hint: '--lab <name> (haforge lab status shows it)' });
  const audit = req.check ? new AuditLog() : AuditLog.forNewRun();
  const conns = new StatusConnections(req, audit);
  const locks = new RunLocks();
  try {
    const read = async (source: StatusSource = conns) => (await readStatusWith(inventory, [cluster], source, 'light')).clusters[0]!;
    // The drill is planned on a full reading (split-brain evidence included); the waits re-read light.
    const first = (await readStatusWith(inventory, [cluster], conns)).clusters[0]!;
    const plan = planOrRefuse(() => planDrill(first));
    const report: DrillReport = { cluster: cluster.name, method: req.method, status: 'planned', primary: plan.primary, survivor: plan.survivor, before: [], auditLog: audit.file };
    if (req.check) return report;
    const open = await conns.get(cluster.nodes);
    const unreachable = [...open.values()].find((c): c is Error => c instanceof Error);
    if (unreachable) throw unreachable;
    await locks.take(open.values());
    return await drill(req, cluster, plan, report, conns, read);
  } finally {
    // Through fresh connections where needed: the drill powered a node off and back on.
    const open = await conns.get(cluster.nodes.filter((n) => locks.hosts.includes(n.name))).catch(() => new Map<string, AuditedConnection | Error>());
    await locks.release(open.values());
    await conns.close();
  }
}

async function drill(
  req: DrillRequest,
  cluster: ClusterSpec,
  plan: DrillPlan,
  report: DrillReport,
  conns: StatusConnections,
  read: (source?: StatusSource) => Promise<ClusterReport>,
): Promise<DrillReport> {
  const limitMs = (req.timeout ?? 600) * 1000;
  const say = req.onProgress ?? (() => undefined);
  const waitUntil = async (what: string, since: number, done: () => Promise<boolean>) => {
    while (!(await done())) {
      if (Date.now() - since > limitMs) throw new UserError(`drill: ${what} did not happen within ${limitMs / 1000} s`, { hint: 'haforge status shows where the cluster stands' });
      say(`waiting for ${what} (${((Date.now() - since) / 1000).toFixed(0)} s)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return Date.now() - since;
  };

  const marker = `drill ${new Date().toISOString()} ${randomBytes(6).toString('hex')}`;
  report.before = parseChecksums(await exec(conns, cluster, plan.primary, checksumScript(plan.mounts, marker), 'change', 'write the marker and checksum the volume'));
  say(`data on ${plan.primary}: ${report.before.map((c) => `${c.mount} ${c.files} files ${c.sha256.slice(0, 12)}`).join(', ')}`);

  const started = Date.now();
  say(`failing ${plan.primary} (${req.method})`);
  if (req.method === 'stop') await exec(conns, cluster, plan.primary, ['systemctl', 'stop', ...stackUnits(cluster).reverse()], 'change', 'stop the cluster stack');
  else if (req.method === 'lab') await labKill(req.lab!, plan.primary);
  else await runLocal(req.powerOffCommand!, plan.primary);
  if (req.method !== 'stop') await conns.drop(plan.primary);
  const failed = req.method === 'stop' ? conns : without(conns, plan.primary);

  let servedAt: number | undefined;
  const confirmedMs = await waitUntil(`the services on ${plan.survivor}`, started, async () => {
    const survivor = (await conns.get(cluster.nodes.filter((n) => n.name === plan.survivor))).get(plan.survivor);
    // The survivor watched cheaply first: status readings each second slow the failover they measure.
    servedAt = await watchArrival(cluster, survivor, Math.min(WATCH_SECONDS, (limitMs - (Date.now() - started)) / 1000));
    if (!runsOn(await read(failed), plan.survivor)) return false;
    return servedAt !== undefined || servicesAnswer(cluster, survivor);
  });
  // Until the survivor served, as its watch saw it; the status reading after it only confirms.
  report.failoverMs = servedAt !== undefined ? servedAt - started : confirmedMs;
  say(`the services answer from ${plan.survivor} after ${(report.failoverMs / 1000).toFixed(1)} s`);

  report.after = parseChecksums(await exec(conns, cluster, plan.survivor, checksumScript(plan.mounts), 'read', 'checksum the volume'));
  report.dataIntact = JSON.stringify(report.after) === JSON.stringify(report.before);

  const back = Date.now();
  say(`bringing ${plan.primary} back`);
  if (req.method === 'stop') await exec(conns, cluster, plan.primary, ['systemctl', 'start', ...stackUnits(cluster)], 'change', 'start the cluster stack');
  else if (req.method === 'lab') await labStart(req.lab!, plan.primary, Math.ceil(limitMs / 1000), say);
  else await runLocal(req.powerOnCommand!, plan.primary);
  report.rejoinMs = await waitUntil(`${plan.primary} to rejoin`, back, async () => {
    const now = await read();
    return now.nodes.find((n) => n.name === plan.primary)?.membership === 'online';
  });
  report.resyncMs = await waitUntil('DRBD UpToDate/UpToDate on both nodes', back, async () => {
    const now = await read();
    report.finalPrimary = now.primary;
    return drbdInSync(now);
  });
  report.totalMs = Date.now() - started;
  report.status = report.dataIntact ? 'passed' : 'failed';
  if (!report.dataIntact) report.failure = `the data on ${plan.survivor} differs from what ${plan.primary} had before the failure`;
  return report;
}
