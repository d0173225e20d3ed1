// Use case: check that the nodes are ready for a cluster, one batched fact
// command per node, all nodes at once, and say what is wrong and how to fix it.
import { performance } from 'node:perf_hooks';
import { AuditLog, AuditedConnection } from '../engine/audit.js';
import { gatherFacts } from '../engine/gather.js';
import { ConnectionError, HaforgeError, UserError } from '../errors.js';
import { clockOffset, type SkewResult } from '../facts/preflight.js';
import {
  DEFAULT_PREFLIGHT_OPTIONS,
  evaluateCluster,
  nodeRequests,
  requestList,
  summarise,
  type Check,
  type NodeFacts,
  type PreflightOptions,
} from '../procedures/preflight/checks.js';
import { loadInventory } from '../inventory/load.js';
import type { ClusterSpec, NodeSpec, Stack } from '../inventory/model.js';
import { didYouMean } from '../schema/suggest.js';
import type { Connection } from '../transport/types.js';
import { closeAll, connectNodes, type ConnectOptions } from './connect.js';

export interface PreflightRequest extends ConnectOptions, Partial<PreflightOptions> {
  inventoryFile: string;
  /** Check for this cluster manager whatever the inventory says. */
  stack?: Stack;
  cluster?: string;
  auditLog?: AuditLog;
  /** Connections the caller opened (and closes): bootstrap's, kept for its playbook. */
  connections?: Map<string, Connection | Error>;
}

export interface PreflightReport {
  inventory: string;
  ok: boolean;
  summary: { ok: number; warn: number; fail: number };
  /** The inventory's own warnings (e.g. automatic split-brain policies). */
  warnings: string[];
  checks: Check[];
  clusters: { name: string; stack: string; nodes: string[]; skewSeconds?: number; skewUncertaintySeconds?: number }[];
  /** Per node: how long its one round trip took (ms). */
  roundTripMs: Record<string, number>;
}

/** Wall clock in seconds with sub-millisecond resolution. */
const now = () => (performance.timeOrigin + performance.now()) / 1000;

export async function preflight(req: PreflightRequest): Promise<PreflightReport> {
  const inventory = await loadInventory(req.inventoryFile, { stack: req.stack });
  const opts: PreflightOptions = {
    maxSkew: req.maxSkew ?? DEFAULT_PREFLIGHT_OPTIONS.maxSkew,
    warnSkew: Math.min(req.warnSkew ?? DEFAULT_PREFLIGHT_OPTIONS.warnSkew, req.maxSkew ?? Infinity),
    probeSeconds: req.probeSeconds ?? DEFAULT_PREFLIGHT_OPTIONS.probeSeconds,
    packagesInstalledLater: req.packagesInstalledLater,
  };
  let clusters: ClusterSpec[] = inventory.clusters;
  if (req.cluster) {
    clusters = inventory.clusters.filter((c) => c.name === req.cluster);
    if (clusters.length === 0) {
      const names = inventory.clusters.map((c) => c.name);
      throw new UserError(`no cluster '${req.cluster}' in ${inventory.file}${didYouMean(req.cluster, names)}`, { hint: `clusters: ${names.join(', ')}` });
    }
  }
  const nodes: NodeSpec[] = clusters.flatMap((c) => c.nodes);
  const log = req.auditLog ?? AuditLog.forNewRun();
  const conns = req.connections ?? (await connectNodes(nodes, req));
  const facts = new Map<string, NodeFacts>();
  const roundTripMs: Record<string, number> = {};
  try {
    await Promise.all(
      clusters.flatMap((cluster) =>
        cluster.nodes.map(async (node) => {
          const conn = conns.get(node.name);
          if (!conn || conn instanceof Error) {
            facts.set(node.name, { error: describeError(conn) });
            return;
          }
          const r = nodeRequests(cluster, node, opts);
          const sent = now();
          try {
            const store = await gatherFacts(new AuditedConnection(conn, log), requestList(r));
            const received = now();
            roundTripMs[node.name] = Math.round((received - sent) * 1000);
            const remoteStart = store.get(r.clockStart);
            const remoteEnd = store.get(r.clockEnd);
            facts.set(node.name, {
              system: store.get(r.system),
              timeSync: store.get(r.timeSync),
              versions: store.get(r.versions),
              resolve: store.get(r.resolve),
              drbd: store.get(r.drbd),
              mounts: store.get(r.mounts),
              disks: Object.fromEntries(Object.entries(r.disks).map(([dev, q]) => [dev, store.get(q)])),
              presence: store.get(r.presence),
              packages: store.get(r.packages),
              listeners: store.get(r.listeners),
              probe: store.get(r.probe),
              clock: remoteStart !== undefined && remoteEnd !== undefined ? clockOffset({ sent, remoteStart, remoteEnd, received }) : undefined,
            });
          } catch (err) {
            facts.set(node.name, { error: describeError(err) });
          }
        }),
      ),
    );
  } finally {
    if (!req.connections) await closeAll(conns);
  }

  const checks: Check[] = [];
  const clusterReports: PreflightReport['clusters'] = [];
  for (const cluster of clusters) {
    const result: { checks: Check[]; skew?: SkewResult } = evaluateCluster(cluster, facts, opts);
    checks.push(...result.checks);
    const measured = result.skew && Object.keys(result.skew.nodes).length > 1;
    clusterReports.push({
      name: cluster.name,
      stack: cluster.stack,
      nodes: cluster.nodes.map((n) => n.name),
      skewSeconds: measured ? round(result.skew!.skew) : undefined,
      skewUncertaintySeconds: measured ? round(result.skew!.uncertainty) : undefined,
    });
  }
  const summary = summarise(checks);
  return { inventory: inventory.file, ok: summary.fail === 0, summary, warnings: inventory.warnings, checks, clusters: clusterReports, roundTripMs };
}

const round = (s: number) => Math.round(s * 1e6) / 1e6;

function describeError(err: unknown): { message: string; hint?: string } {
  if (err instanceof ConnectionError) return { message: err.message, hint: err.hint };
  if (err instanceof HaforgeError) return { message: err.message, hint: err.hint };
  if (err instanceof Error) return { message: err.message };
  return { message: 'could not connect' };
}
