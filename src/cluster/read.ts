// Reading a cluster: every node in ONE batched fact command (its DRBD
// resources, mounts, kernel log, running cluster manager and, for status,
// the manager's own view, addresses and service units), and, only where a
// split brain was found, one more command per node listing the files
// changed since the split. Status, moves, the drill and split-brain all read
// through here, over the run's connections.
import { request, type FactRequest } from '../engine/fact.js';
import { gatherFacts, type FactStore } from '../engine/gather.js';
import { describeError } from '../engine/describe-error.js';
import type { RunContext } from '../engine/run-context.js';
import { changedFilesFact, type ChangedFilesArgs } from '../facts/changed-files.js';
import { drbdLineageFact } from '../drbd/lineage.js';
import { drbdKernelLogFact } from '../drbd/kernel-log.js';
import { drbdStatusFact } from '../drbd/status.js';
import { addressesFact } from '../facts/addresses.js';
import { mountsFact } from '../facts/mounts.js';
import { runningManagerFact } from '../facts/running-manager.js';
import { serviceFact } from '../facts/services.js';
import { systemFact } from '../facts/system.js';
import { heartbeatViewFact } from '../heartbeat/view.js';
import { sbdHealthFact } from '../fencing/sbd-health.js';
import type { ClusterSpec, Inventory } from '../inventory/model.js';
import { crmMonFact } from '../pacemaker/crm-mon.js';
import { analyseResource, changesSince, resourceRefs, type NodeReading, type ResourceReport, type ResourceRef } from '../procedures/split-brain/detect.js';
import { clusterStatus, type ClusterReport, type StatusReading } from './status.js';

/** At most this many changed paths per side are listed (all are counted, and all are rescued). */
export const LISTED_FILES = 200;

export { resourceRefs };

const SYSTEM = request(systemFact, undefined);
const STATUS = request(drbdStatusFact, undefined);
const MOUNTS = request(mountsFact, undefined);
const LOG = request(drbdKernelLogFact, undefined);
const MANAGER = request(runningManagerFact, undefined);
const ADDRESSES = request(addressesFact, undefined);
const PACEMAKER = request(crmMonFact, undefined);
const HEARTBEAT = request(heartbeatViewFact, undefined);

/** The fact requests behind a NodeReading: everything split-brain detection needs about every resource. */
function readingRequests(refs: ResourceRef[]): FactRequest[] {
  return [SYSTEM, STATUS, MOUNTS, LOG, MANAGER, ...refs.map((r) => request(drbdLineageFact, r.name))];
}

function readingFrom(node: string, store: FactStore, refs: ResourceRef[]): NodeReading {
  return {
    node,
    family: store.get(SYSTEM).drbd.family,
    status: store.get(STATUS),
    mounts: store.get(MOUNTS),
    log: store.get(LOG),
    manager: store.get(MANAGER),
    lineage: Object.fromEntries(refs.map((r) => [r.name, store.get(request(drbdLineageFact, r.name))])),
  };
}

/**
 * What a wait re-reads (a move, a drill): roles, connections, mounts and the
 * running manager; no versions, kernel log or generation UUIDs, a third of
 * the processes of a full reading.
 */
const LIGHT_REQUESTS: FactRequest[] = [STATUS, MOUNTS, MANAGER];

/** One node, one command: everything detection needs about every resource. */
async function readNode(run: RunContext, node: string, refs: ResourceRef[]): Promise<NodeReading> {
  const conn = await run.connection(node);
  if (conn instanceof Error) return { node, error: describeError(conn) };
  try {
    return readingFrom(node, await gatherFacts(conn, readingRequests(refs)), refs);
  } catch (err) {
    await run.drop(node);
    return { node, error: describeError(err) };
  }
}

/** Every node of the cluster read, and each resource analysed (split-brain detection). */
export async function readResources(run: RunContext, cluster: ClusterSpec, refs: ResourceRef[]): Promise<{ readings: NodeReading[]; reports: ResourceReport[] }> {
  const readings = await Promise.all(cluster.nodes.map((n) => readNode(run, n.name, refs)));
  return { readings, reports: refs.map((ref) => analyseResource(ref, readings)) };
}

/**
 * Fills in each side's files changed since the split, where they can be
 * read: on the mounted filesystem, else read-only from the backing disk.
 */
export async function readChanges(run: RunContext, reports: ResourceReport[], since?: number): Promise<void> {
  const wanted = new Map<string, { side: ResourceReport['sides'][number]; req: FactRequest<ReturnType<typeof changedFilesFact.parse>>; since: number }[]>();
  for (const report of reports.filter((r) => r.splitBrain)) {
    for (const side of report.sides) {
      const from = changesSince(report, side, since);
      if (!side.reachable || from === undefined || (!side.mountedAt && !side.lowerDevice)) continue;
      const args: ChangedFilesArgs = side.mountedAt ? { since: from, mount: side.mountedAt, limit: LISTED_FILES } : { since: from, lowerDevice: side.lowerDevice, fstype: report.filesystem, limit: LISTED_FILES };
      const list = wanted.get(side.node) ?? [];
      list.push({ side, req: request(changedFilesFact, args), since: from });
      wanted.set(side.node, list);
    }
  }
  await Promise.all(
    [...wanted].map(async ([node, items]) => {
      const conn = await run.connection(node);
      if (conn instanceof Error) return;
      try {
        const store = await gatherFacts(conn, items.map((i) => i.req));
        for (const i of items) i.side.changes = { ...store.get(i.req), since: i.since };
      } catch (err) {
        for (const i of items) i.side.changes = { files: [], total: 0, via: i.side.mountedAt ? 'mount' : 'read-only look', error: describeError(err), since: i.since };
      }
    }),
  );
}

// ---------------------------------------------------------------- status

export interface StatusReport {
  inventory: string;
  /** ISO time the reading finished. */
  readAt: string;
  /** How long the reading took. */
  readMs: number;
  clusters: ClusterReport[];
  /** Every cluster healthy (no critical warning). */
  healthy: boolean;
}

/** full: everything status shows; light: what a wait needs to see a move (no split-brain evidence). */
export type StatusDepth = 'full' | 'light';

/** SBD's state on a node, for a cluster fenced with SBD. */
function sbdHealthRequest(cluster: ClusterSpec) {
  const sbd = cluster.fencing?.enabled ? cluster.fencing.sbd : undefined;
  return sbd && request(sbdHealthFact, { devices: sbd.devices, watchdog: sbd.watchdog });
}

/** What status asks one node of `cluster`, on top of the split-brain reading. */
function statusRequests(cluster: ClusterSpec): FactRequest[] {
  const manager = cluster.stack === 'pacemaker' ? [PACEMAKER] : cluster.stack === 'heartbeat' ? [HEARTBEAT] : [];
  return [ADDRESSES, ...manager, ...cluster.services.map((s) => request(serviceFact, s.unit))];
}

async function readStatusNode(run: RunContext, cluster: ClusterSpec, node: string, depth: StatusDepth): Promise<StatusReading> {
  const conn = await run.connection(node);
  if (conn instanceof Error) return { node, error: describeError(conn) };
  const refs = resourceRefs(cluster);
  // A wait (light) watches roles and places; fencing health is for the full status.
  const sbd = depth === 'full' ? sbdHealthRequest(cluster) : undefined;
  const extra = [...statusRequests(cluster), ...(sbd ? [sbd] : [])];
  try {
    const store = await gatherFacts(conn, [...(depth === 'full' ? readingRequests(refs) : LIGHT_REQUESTS), ...extra]);
    return {
      ...(depth === 'full' ? readingFrom(node, store, refs) : { node, status: store.get(STATUS), mounts: store.get(MOUNTS), manager: store.get(MANAGER) }),
      addresses: store.get(ADDRESSES),
      pacemaker: extra.includes(PACEMAKER) ? store.get(PACEMAKER) : undefined,
      heartbeat: extra.includes(HEARTBEAT) ? store.get(HEARTBEAT) : undefined,
      sbd: sbd && store.get(sbd),
      services: Object.fromEntries(cluster.services.map((s) => [s.unit, store.get(request(serviceFact, s.unit))])),
    };
  } catch (err) {
    // Dialled again on the next reading (a watch, a wait).
    await run.drop(node);
    return { node, error: describeError(err) };
  }
}

/** One cluster's status, every node read at once. */
export async function readClusterStatus(run: RunContext, cluster: ClusterSpec, depth: StatusDepth = 'full'): Promise<ClusterReport> {
  const readings = await Promise.all(cluster.nodes.map((n) => readStatusNode(run, cluster, n.name, depth)));
  return clusterStatus(cluster, readings);
}

export async function readStatus(run: RunContext, inventory: Inventory, clusters: ClusterSpec[], depth: StatusDepth = 'full'): Promise<StatusReport> {
  const started = Date.now();
  const reports = await Promise.all(clusters.map((c) => readClusterStatus(run, c, depth)));
  return { inventory: inventory.file, readAt: new Date().toISOString(), readMs: Date.now() - started, clusters: reports, healthy: reports.every((r) => r.healthy) };
}
