// Use case: the status of every cluster in the inventory. Only reads: one
// batched fact command per node (DRBD, mounts, kernel log, the cluster
// manager's view, addresses, the services' units), no lock, no audit file,
// so it works on a cluster haforge did not build and while another run
// holds the lock. --watch keeps the connections and re-reads; a node that
// stops answering is dialled again on the next round.
import { AuditedConnection, AuditLog } from '../engine/audit.js';
import { request, type FactRequest } from '../engine/fact.js';
import { gatherFacts } from '../engine/gather.js';
import { describeError } from '../engine/describe-error.js';
import { UserError } from '../errors.js';
import { addressesFact } from '../facts/addresses.js';
import { heartbeatViewFact } from '../heartbeat/view.js';
import { crmMonFact } from '../pacemaker/crm-mon.js';
import { serviceFact } from '../facts/services.js';
import { loadInventory } from '../inventory/load.js';
import type { ClusterSpec, Inventory, NodeSpec } from '../inventory/model.js';
import { clusterStatus, type ClusterReport, type StatusReading } from '../cluster/status.js';
import { resourceRefs } from '../procedures/split-brain/detect.js';
import { didYouMean } from '../schema/suggest.js';
import type { Connection } from '../transport/types.js';
import { connectNodes, type ConnectOptions } from './connect.js';
import { LIGHT_REQUESTS, lightReadingFrom, readingFrom, readingRequests } from '../cluster/read.js';

export interface StatusRequest extends ConnectOptions {
  inventoryFile: string;
  cluster?: string;
}

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

const ADDRESSES = request(addressesFact, undefined);
const PACEMAKER = request(crmMonFact, undefined);
const HEARTBEAT = request(heartbeatViewFact, undefined);

/** What status asks one node of `cluster`, on top of the split-brain reading. */
function statusRequests(cluster: ClusterSpec): FactRequest[] {
  const manager = cluster.stack === 'pacemaker' ? [PACEMAKER] : cluster.stack === 'heartbeat' ? [HEARTBEAT] : [];
  return [ADDRESSES, ...manager, ...cluster.services.map((s) => request(serviceFact, s.unit))];
}

/** full: everything status shows; light: what a wait needs to see a move (no split-brain evidence). */
export type StatusDepth = 'full' | 'light';

async function readStatusNode(cluster: ClusterSpec, node: string, conn: AuditedConnection | Error | undefined, depth: StatusDepth): Promise<StatusReading> {
  if (!conn) return { node, error: 'not connected' };
  if (conn instanceof Error) return { node, error: describeError(conn) };
  const refs = resourceRefs(cluster);
  const extra = statusRequests(cluster);
  try {
    const store = await gatherFacts(conn, [...(depth === 'full' ? readingRequests(refs) : LIGHT_REQUESTS), ...extra]);
    return {
      ...(depth === 'full' ? readingFrom(node, store, refs) : lightReadingFrom(node, store)),
      addresses: store.get(ADDRESSES),
      pacemaker: extra.includes(PACEMAKER) ? store.get(PACEMAKER) : undefined,
      heartbeat: extra.includes(HEARTBEAT) ? store.get(HEARTBEAT) : undefined,
      services: Object.fromEntries(cluster.services.map((s) => [s.unit, store.get(request(serviceFact, s.unit))])),
    };
  } catch (err) {
    return { node, error: describeError(err) };
  }
}

export function pickStatusClusters(inventory: Inventory, name?: string): ClusterSpec[] {
  if (name === undefined) return inventory.clusters;
  const found = inventory.clusters.filter((c) => c.name === name);
  if (!found.length) {
    const names = inventory.clusters.map((c) => c.name);
    throw new UserError(`no cluster '${name}' in ${inventory.file}${didYouMean(name, names)}`, { hint: `clusters: ${names.join(', ')}` });
  }
  return found;
}

/** Where a reading gets its connections, and tells which one failed. */
export interface StatusSource {
  get(nodes: NodeSpec[]): Promise<Map<string, AuditedConnection | Error>>;
  drop(name: string): Promise<void>;
}

/**
 * Connections kept across readings: dialled on first use, dropped when a
 * reading through them fails, dialled again on the next reading.
 */
export class StatusConnections implements StatusSource {
  private readonly open = new Map<string, Connection>();

  /** audit: memory only by default (status only reads); the drill passes its run's log. */
  constructor(
    private readonly opts: ConnectOptions,
    private readonly audit = new AuditLog(),
  ) {}

  async get(nodes: NodeSpec[]): Promise<Map<string, AuditedConnection | Error>> {
    const missing = nodes.filter((n) => !this.open.has(n.name));
    const dialled = missing.length ? await connectNodes(missing, this.opts) : new Map<string, Connection | Error>();
    for (const [name, c] of dialled) if (!(c instanceof Error)) this.open.set(name, c);
    return new Map(nodes.map((n) => {
      const c = this.open.get(n.name) ?? dialled.get(n.name) ?? new Error('not connected');
      return [n.name, c instanceof Error ? c : new AuditedConnection(c, this.audit)];
    }));
  }

  async drop(name: string): Promise<void> {
    const c = this.open.get(name);
    this.open.delete(name);
    await c?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.open.keys()].map((n) => this.drop(n)));
  }
}

export async function readStatusWith(inventory: Inventory, clusters: ClusterSpec[], conns: StatusSource, depth: StatusDepth = 'full'): Promise<StatusReport> {
  const started = Date.now();
  const reports = await Promise.all(
    clusters.map(async (cluster) => {
      const open = await conns.get(cluster.nodes);
      const readings = await Promise.all(cluster.nodes.map((n) => readStatusNode(cluster, n.name, open.get(n.name), depth)));
      await Promise.all(readings.filter((r) => r.error).map((r) => conns.drop(r.node)));
      return clusterStatus(cluster, readings);
    }),
  );
  return { inventory: inventory.file, readAt: new Date().toISOString(), readMs: Date.now() - started, clusters: reports, healthy: reports.every((r) => r.healthy) };
}

export async function readStatus(req: StatusRequest): Promise<StatusReport> {
  const inventory = await loadInventory(req.inventoryFile);
  const conns = new StatusConnections(req);
  try {
    return await readStatusWith(inventory, pickStatusClusters(inventory, req.cluster), conns);
  } finally {
    await conns.close();
  }
}

/** Reads every `intervalMs` until `signal` aborts, handing each report to `show`. */
export async function watchStatus(req: StatusRequest, intervalMs: number, show: (r: StatusReport) => void, signal: AbortSignal): Promise<void> {
  const inventory = await loadInventory(req.inventoryFile);
  const clusters = pickStatusClusters(inventory, req.cluster);
  const conns = new StatusConnections(req);
  try {
    while (!signal.aborted) {
      const started = Date.now();
      show(await readStatusWith(inventory, clusters, conns));
      const wait = Math.max(0, intervalMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  } finally {
    await conns.close();
  }
}
