// Reading a cluster for split-brain detection: every node in ONE batched
// fact command (all resources at once), then, only where a split brain was
// found, one more command per node listing the files changed since the
// split (it needs the split time the first read found).
import { AuditedConnection, type AuditLog } from '../engine/audit.js';
import { request, type FactRequest } from '../engine/fact.js';
import { gatherFacts, type FactStore } from '../engine/gather.js';
import { describeError } from '../engine/describe-error.js';
import { changedFilesFact, type ChangedFilesArgs } from '../facts/changed-files.js';
import { drbdLineageFact } from '../drbd/lineage.js';
import { drbdKernelLogFact } from '../drbd/kernel-log.js';
import { drbdStatusFact } from '../drbd/status.js';
import { mountsFact } from '../facts/mounts.js';
import { runningManagerFact } from '../facts/running-manager.js';
import { systemFact } from '../facts/system.js';
import { UserError } from '../errors.js';
import { RunLocks } from '../engine/lock.js';
import type { ClusterSpec, Inventory, NodeSpec } from '../inventory/model.js';
import { didYouMean } from '../schema/suggest.js';
import { connectNodes, type ConnectOptions } from '../services/connect.js';
import { analyseResource, changesSince, resourceRefs, type NodeReading, type ResourceReport, type ResourceRef } from '../procedures/split-brain/detect.js';

/** At most this many changed paths per side are listed (all are counted, and all are rescued). */
export const LISTED_FILES = 200;

export { resourceRefs };

const SYSTEM = request(systemFact, undefined);
const STATUS = request(drbdStatusFact, undefined);
const MOUNTS = request(mountsFact, undefined);
const LOG = request(drbdKernelLogFact, undefined);
const MANAGER = request(runningManagerFact, undefined);

/** The fact requests behind a NodeReading: gathered alone here, or with more in one batch (status). */
export function readingRequests(refs: ResourceRef[]): FactRequest[] {
  return [SYSTEM, STATUS, MOUNTS, LOG, MANAGER, ...refs.map((r) => request(drbdLineageFact, r.name))];
}

/** A NodeReading out of a store that holds `readingRequests(refs)`. */
export function readingFrom(node: string, store: FactStore, refs: ResourceRef[]): NodeReading {
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
 * What a wait re-reads every second (a move, a drill): roles, connections,
 * mounts and the running manager; no versions, kernel log or generation
 * UUIDs, a third of the processes of a full reading.
 */
export const LIGHT_REQUESTS: FactRequest[] = [STATUS, MOUNTS, MANAGER];

export function lightReadingFrom(node: string, store: FactStore): NodeReading {
  return { node, status: store.get(STATUS), mounts: store.get(MOUNTS), manager: store.get(MANAGER) };
}

/** One node, one command: everything detection needs about every resource. */
export async function readNode(node: string, conn: AuditedConnection | Error, refs: ResourceRef[]): Promise<NodeReading> {
  if (conn instanceof Error) return { node, error: describeError(conn) };
  try {
    return readingFrom(node, await gatherFacts(conn, readingRequests(refs)), refs);
  } catch (err) {
    return { node, error: describeError(err) };
  }
}

export async function readCluster(cluster: ClusterSpec, conns: Map<string, AuditedConnection | Error>, refs: ResourceRef[]): Promise<NodeReading[]> {
  return Promise.all(cluster.nodes.map((n) => readNode(n.name, conns.get(n.name) ?? new Error('not connected'), refs)));
}

export function analyseCluster(refs: ResourceRef[], readings: NodeReading[]): ResourceReport[] {
  return refs.map((ref) => analyseResource(ref, readings));
}

/**
 * Fills in each side's files changed since the split, where they can be
 * read: on the mounted filesystem, else read-only from the backing disk.
 */
export async function readChanges(reports: ResourceReport[], conns: Map<string, AuditedConnection | Error>, since?: number): Promise<void> {
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
      const conn = conns.get(node);
      if (!conn || conn instanceof Error) return;
      try {
        const store = await gatherFacts(conn, items.map((i) => i.req));
        for (const i of items) i.side.changes = { ...store.get(i.req), since: i.since };
      } catch (err) {
        for (const i of items) i.side.changes = { files: [], total: 0, via: i.side.mountedAt ? 'mount' : 'read-only look', error: describeError(err), since: i.since };
      }
    }),
  );
}

/** The clusters a split-brain command looks at: --cluster, else the victim's, else all with DRBD resources. */
export function pickClusters(inventory: Inventory, want: { cluster?: string; node?: string; resource?: string }): ClusterSpec[] {
  let clusters = inventory.clusters.filter((c) => (c.drbd?.resources.length ?? 0) > 0);
  if (want.cluster !== undefined) {
    const names = inventory.clusters.map((c) => c.name);
    clusters = clusters.filter((c) => c.name === want.cluster);
    if (!clusters.length) throw new UserError(`no cluster '${want.cluster}' with DRBD resources in ${inventory.file}${didYouMean(want.cluster, names)}`, { hint: `clusters: ${names.join(', ')}` });
  }
  if (want.node !== undefined) {
    const names = clusters.flatMap((c) => c.nodes.map((n) => n.name));
    clusters = clusters.filter((c) => c.nodes.some((n) => n.name === want.node));
    if (!clusters.length) throw new UserError(`no node '${want.node}' in ${inventory.file}${didYouMean(want.node, names)}`, { hint: `nodes: ${names.join(', ')}` });
  }
  if (want.resource !== undefined) {
    const names = clusters.flatMap((c) => c.drbd!.resources.map((r) => r.name));
    clusters = clusters.filter((c) => c.drbd!.resources.some((r) => r.name === want.resource));
    if (!clusters.length) throw new UserError(`no DRBD resource '${want.resource}' in ${inventory.file}${didYouMean(want.resource, names)}`, { hint: `resources: ${names.join(', ')}` });
  }
  if (!clusters.length) throw new UserError(`${inventory.file} describes no DRBD resources`, { hint: 'split-brain works on the clusters whose inventory has a drbd: section' });
  return clusters;
}

/** Connections to every node, audited; closed (and unlocked) whatever happens in `work`. */
export async function withConnections<T>(
  nodes: NodeSpec[],
  opts: ConnectOptions & { audit: AuditLog; lock?: boolean },
  work: (conns: Map<string, AuditedConnection | Error>) => Promise<T>,
): Promise<T> {
  const raw = await connectNodes(nodes, opts);
  const conns = new Map<string, AuditedConnection | Error>([...raw].map(([name, c]) => [name, c instanceof Error ? c : new AuditedConnection(c, opts.audit)]));
  const locks = new RunLocks();
  try {
    if (opts.lock) await locks.take(conns.values());
    return await work(conns);
  } finally {
    await locks.release(conns.values());
    await Promise.allSettled([...raw.values()].map((c) => (c instanceof Error ? undefined : c.close())));
  }
}
