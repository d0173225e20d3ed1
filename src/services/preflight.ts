// Use case: check that the nodes are ready for a cluster, one batched fact
// command per node, all nodes at once, and say what is wrong and how to fix it.
import { performance } from 'node:perf_hooks';
import { AuditLog } from '../engine/audit.js';
import { pickClusters, withRun, type ConnectOptions, type RunContext } from '../engine/run-context.js';
import { gatherFacts } from '../engine/gather.js';
import { ConnectionError, HaforgeError } from '../errors.js';
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
import type { ClusterSpec, Inventory } from '../inventory/model.js';

export interface PreflightRequest extends ConnectOptions, Partial<PreflightOptions> {
  cluster?: string;
  auditLog?: AuditLog;
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

/** Checks every node of the clusters, over `run`'s connections (bootstrap's) or a run of its own. */
export async function preflight(inventory: Inventory, req: PreflightRequest, run?: RunContext): Promise<PreflightReport> {
  const opts: PreflightOptions = {
    maxSkew: req.maxSkew ?? DEFAULT_PREFLIGHT_OPTIONS.maxSkew,
    warnSkew: Math.min(req.warnSkew ?? DEFAULT_PREFLIGHT_OPTIONS.warnSkew, req.maxSkew ?? Infinity),
    probeSeconds: req.probeSeconds ?? DEFAULT_PREFLIGHT_OPTIONS.probeSeconds,
    packagesInstalledLater: req.packagesInstalledLater,
  };
  const clusters = pickClusters(inventory, { cluster: req.cluster });
  const read = (r: RunContext) => readNodes(r, clusters, opts);
  const { facts, roundTripMs } = run ? await read(run) : await withRun(clusters.flatMap((c) => c.nodes), { ...req, audit: req.auditLog ?? AuditLog.forNewRun() }, read);
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

/** Every node's preflight facts, one batch each, all at once; how long each round trip took. */
async function readNodes(run: RunContext, clusters: ClusterSpec[], opts: PreflightOptions): Promise<{ facts: Map<string, NodeFacts>; roundTripMs: Record<string, number> }> {
  const facts = new Map<string, NodeFacts>();
  const roundTripMs: Record<string, number> = {};
  await Promise.all(
    clusters.flatMap((cluster) =>
      cluster.nodes.map(async (node) => {
        const conn = await run.connection(node.name);
        if (conn instanceof Error) {
          facts.set(node.name, { error: describeError(conn) });
          return;
        }
        const r = nodeRequests(cluster, node, opts);
        const sent = now();
        try {
          const store = await gatherFacts(conn, requestList(r));
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
            sbd: Object.fromEntries(Object.entries(r.sbd).map(([dev, q]) => [dev, store.get(q)])),
            watchdog: r.watchdog ? Object.values(store.get(r.watchdog).files)[0] : undefined,
            clock: remoteStart !== undefined && remoteEnd !== undefined ? clockOffset({ sent, remoteStart, remoteEnd, received }) : undefined,
          });
        } catch (err) {
          facts.set(node.name, { error: describeError(err) });
        }
      }),
    ),
  );
  return { facts, roundTripMs };
}

const round = (s: number) => Math.round(s * 1e6) / 1e6;

function describeError(err: unknown): { message: string; hint?: string } {
  if (err instanceof ConnectionError) return { message: err.message, hint: err.hint };
  if (err instanceof HaforgeError) return { message: err.message, hint: err.hint };
  if (err instanceof Error) return { message: err.message };
  return { message: 'could not connect' };
}
