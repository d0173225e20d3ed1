// Use case: a planned move (switchover, migrate, unmigrate, standby,
// cleanup). Under the run lock on every node: read the status, plan (pure,
// src/procedures/moves.ts), run the commands, wait until the status shows
// the move (watching the target cheaply in between), run what comes after,
// and report how long each part took. --check plans and runs nothing.
import { AuditedConnection, AuditLog } from '../engine/audit.js';
import { RemoteCommandError, UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { ClusterSpec, Inventory } from '../inventory/model.js';
import type { ClusterReport } from '../cluster/status.js';
import { arrivedScript, MoveRefused, servesScript, type MovePlan, type MoveStep, type MoveWait } from '../procedures/moves.js';
import { didYouMean } from '../schema/suggest.js';
import { quoteArgv } from '../util/shell.js';
import type { ConnectOptions } from './connect.js';
import { withConnections } from '../cluster/read.js';
import { readStatusWith, type StatusDepth, type StatusSource } from './status.js';

export interface MoveRequest extends ConnectOptions {
  inventoryFile: string;
  cluster?: string;
  check?: boolean;
  /** Seconds to wait for the move to show (default 300). */
  timeout?: number;
  auditLog?: AuditLog;
  /** Progress lines while waiting. */
  onProgress?: (line: string) => void;
}

export interface StepRun extends MoveStep {
  ms?: number;
}

export interface MoveReport {
  cluster: string;
  action: string;
  status: 'planned' | 'done' | 'noop';
  noop?: string;
  steps: StepRun[];
  waitFor?: string;
  after: StepRun[];
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

/** The one cluster a move is about: --cluster, else the only one. */
export function pickCluster(inventory: Inventory, name?: string): ClusterSpec {
  const names = inventory.clusters.map((c) => c.name);
  if (name === undefined) {
    if (inventory.clusters.length === 1) return inventory.clusters[0]!;
    throw new UserError(`${inventory.file} has ${names.length} clusters: say which`, { hint: `--cluster ${names[0]} (clusters: ${names.join(', ')})` });
  }
  const found = inventory.clusters.find((c) => c.name === name);
  if (!found) throw new UserError(`no cluster '${name}' in ${inventory.file}${didYouMean(name, names)}`, { hint: `clusters: ${names.join(', ')}` });
  return found;
}

/** Runs a planner; its refusal becomes the user's error (message and hint). */
export function planOrRefuse<T>(planner: () => T): T {
  try {
    return planner();
  } catch (err) {
    if (err instanceof MoveRefused) throw new UserError(err.message, { hint: err.hint });
    throw err;
  }
}

/** A fixed set of connections as a status source (the move holds them for its whole length). */
function fixedSource(conns: Map<string, AuditedConnection | Error>): StatusSource {
  return { get: async (nodes) => new Map(nodes.map((n) => [n.name, conns.get(n.name) ?? new Error('not connected')])), drop: async () => undefined };
}

/** Runs argv on a node; a refused or failed command is an error naming the node, the command and what to do. */
export async function runChecked(conn: AuditedConnection | Error | undefined, node: string, argv: string[], kind: 'read' | 'change', what: string): Promise<string> {
  if (!conn || conn instanceof Error) throw new UserError(`${node} is not connected: cannot ${what}`, { hint: `${conn?.message ?? 'no connection'}; haforge status shows which nodes answer` });
  const r = await conn.exec(kind, argv);
  if (r.exitCode !== 0) throw new RemoteCommandError(node, argv, r.exitCode, r.stderr, `haforge status shows where the cluster stands; ${what} failed`, r.signal);
  return r.stdout;
}

/** Every service port answers on the VIP, seen from `node` (the cluster manager's "started" can come before a daemon listens). */
export async function servicesAnswer(cluster: ClusterSpec, conn: AuditedConnection | Error | undefined): Promise<boolean> {
  const argv = servesScript(cluster);
  if (!argv) return true;
  return !!conn && !(conn instanceof Error) && (await conn.exec('read', argv)).exitCode === 0;
}

async function runStep(conns: Map<string, AuditedConnection | Error>, step: MoveStep): Promise<StepRun> {
  const started = Date.now();
  await runChecked(conns.get(step.node), step.node, step.argv, 'change', step.description);
  return { ...step, ms: Date.now() - started };
}

/** Longest a watch of the target runs before a status reading (progress, and a move that went elsewhere). */
export const WATCH_SECONDS = 60;

/**
 * Watches `conn`'s node for up to `seconds` (arrivedScript): the time it saw
 * the node hold the VIP and the services answer there, or undefined. Only a
 * hint that saves status readings: the caller's reading decides.
 */
export async function watchArrival(cluster: ClusterSpec, conn: AuditedConnection | Error | undefined, seconds: number): Promise<number | undefined> {
  const argv = arrivedScript(cluster, seconds);
  if (!argv || !(conn instanceof AuditedConnection)) return undefined;
  return (await conn.exec('read', argv)).exitCode === 0 ? Date.now() : undefined;
}

/**
 * Until the status shows the move done. When the target is known, one
 * remote command watches it (arrivedScript) and the status, a process or
 * more per fact on every node, is read only when the target looks done or
 * the watch ran out: on emulated nodes a status reading each second slowed
 * Pacemaker's own move from 72 s to 118 s.
 */
async function waitForMove(
  req: MoveRequest,
  cluster: ClusterSpec,
  conns: Map<string, AuditedConnection | Error>,
  plan: MovePlan,
  wait: MoveWait,
  read: () => Promise<ClusterReport>,
  started: number,
): Promise<{ now: ClusterReport; servedAt?: number }> {
  const limitMs = (req.timeout ?? 300) * 1000;
  for (;;) {
    if (wait.to) req.onProgress?.(`waiting for ${wait.description}: watching ${wait.to}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const servedAt = wait.to ? await watchArrival(cluster, conns.get(wait.to), Math.min(WATCH_SECONDS, (limitMs - (Date.now() - started)) / 1000)) : undefined;
    const now = await read();
    // The watch saw the services answer on the new primary just now: no need to ask again.
    const watched = servedAt !== undefined && now.primary === wait.to;
    if (wait.done(now) && (!wait.services || watched || (now.primary !== null && (await servicesAnswer(cluster, conns.get(now.primary)))))) {
      // The watch's moment counts only when the status confirms the services there.
      return { now, servedAt: watched ? servedAt : undefined };
    }
    const waited = Date.now() - started;
    if (waited > limitMs) {
      throw new UserError(`${plan.action}: ${wait.description} did not show within ${req.timeout ?? 300} s (primary now: ${now.primary ?? 'none'})`, {
        hint: `haforge status shows where things stand; the commands ran (see the audit log), the cluster manager may still be moving${
          plan.after.length ? `; once it is done, remove what the move left: ${plan.after.map((s) => quoteArgv(s.argv)).join('; ')}` : ''
        }`,
      });
    }
    req.onProgress?.(`waiting for ${wait.description}: primary ${now.primary ?? 'none'}, ${(waited / 1000).toFixed(0)} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function runMove(req: MoveRequest, planFor: (report: ClusterReport) => MovePlan): Promise<MoveReport> {
  const inventory = await loadInventory(req.inventoryFile);
  const cluster = pickCluster(inventory, req.cluster);
  const audit = req.auditLog ?? (req.check ? new AuditLog() : AuditLog.forNewRun());
  return withConnections(cluster.nodes, { ...req, audit, lock: !req.check }, async (conns) => {
    const source = fixedSource(conns);
    const read = async (depth: StatusDepth = 'light') => (await readStatusWith(inventory, [cluster], source, depth)).clusters[0]!;
    // The plan is made on a full reading (split-brain evidence included); the waits re-read light.
    const before = await read('full');
    const plan = planOrRefuse(() => planFor(before));
    const report: MoveReport = { cluster: plan.cluster, action: plan.action, status: plan.noop ? 'noop' : 'planned', noop: plan.noop, steps: plan.steps, waitFor: plan.wait?.description, after: plan.after, from: before.primary, auditLog: audit.file };
    if (plan.noop || req.check) return report;
    const started = Date.now();
    report.steps = [];
    for (const step of plan.steps) report.steps.push(await runStep(conns, step));
    const { now, servedAt } = plan.wait ? await waitForMove(req, cluster, conns, plan, plan.wait, read, started) : { now: before, servedAt: undefined };
    report.confirmedMs = Date.now() - started;
    report.movedMs = (servedAt ?? Date.now()) - started;
    report.after = [];
    for (const step of plan.after) report.after.push(await runStep(conns, step));
    report.totalMs = Date.now() - started;
    report.to = (plan.after.length ? await read() : now).primary;
    report.status = 'done';
    return report;
  });
}
