// Use case: find DRBD split brains and explain them. Only reads: one fact
// command per node, and one more where a split brain was found (the files
// each side changed since the split).
import { AuditLog } from '../engine/audit.js';
import { loadInventory } from '../inventory/load.js';
import type { ResourceReport } from '../procedures/split-brain/detect.js';
import { explain } from '../procedures/split-brain/explain.js';
import type { ConnectOptions } from './connect.js';
import { analyseCluster, pickClusters, readChanges, readCluster, resourceRefs, withConnections } from '../cluster/read.js';

export interface SplitBrainRequest extends ConnectOptions {
  inventoryFile: string;
  cluster?: string;
  resource?: string;
  /** Unix seconds: list changes since then instead of the split time the kernel logs give. */
  since?: number;
  auditLog?: AuditLog;
}

export interface ExplainedResource extends ResourceReport {
  explanation: string[];
}

export interface SplitBrainReport {
  inventory: string;
  /** Some resource is in split brain. */
  splitBrain: boolean;
  resources: ExplainedResource[];
  /** Nodes that could not be read, with why. */
  unreadable: { node: string; error: string }[];
}

export async function detectSplitBrain(req: SplitBrainRequest): Promise<SplitBrainReport> {
  const inventory = await loadInventory(req.inventoryFile);
  const clusters = pickClusters(inventory, req);
  const audit = req.auditLog ?? AuditLog.forNewRun();
  return withConnections(clusters.flatMap((c) => c.nodes), { ...req, audit }, async (conns) => {
    const resources: ExplainedResource[] = [];
    const unreadable: SplitBrainReport['unreadable'] = [];
    for (const cluster of clusters) {
      const refs = resourceRefs(cluster, req.resource);
      const readings = await readCluster(cluster, conns, refs);
      unreadable.push(...readings.filter((r) => r.error).map((r) => ({ node: r.node, error: r.error! })));
      const reports = analyseCluster(refs, readings);
      await readChanges(reports, conns, req.since);
      resources.push(...reports.map((r) => ({ ...r, explanation: explain(r) })));
    }
    return { inventory: inventory.file, splitBrain: resources.some((r) => r.splitBrain), resources, unreadable };
  });
}
