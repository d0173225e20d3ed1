// Use case: the status of every cluster in the inventory. Only reads: one
// batched fact command per node, no lock, no audit file, so it works on a
// cluster haforge did not build and while another run holds the lock.
// --watch keeps the connections and reads again; a node that stops
// answering is dialled again on the next round.
import { pickClusters, withRun, type ConnectOptions } from '../engine/run-context.js';
import type { Inventory } from '../inventory/model.js';
import { readStatus, type StatusReport } from '../cluster/read.js';

export type { StatusReport };

export interface StatusRequest extends ConnectOptions {
  cluster?: string;
}

export async function clusterStatus(inventory: Inventory, req: StatusRequest): Promise<StatusReport> {
  const clusters = pickClusters(inventory, { cluster: req.cluster });
  return withRun(clusters.flatMap((c) => c.nodes), req, (run) => readStatus(run, inventory, clusters));
}

/** Reads every `intervalMs` until `signal` aborts, handing each report to `show`. */
export async function watchStatus(inventory: Inventory, req: StatusRequest, intervalMs: number, show: (r: StatusReport) => void, signal: AbortSignal): Promise<void> {
  const clusters = pickClusters(inventory, { cluster: req.cluster });
  await withRun(clusters.flatMap((c) => c.nodes), req, async (run) => {
    while (!signal.aborted) {
      const started = Date.now();
      show(await readStatus(run, inventory, clusters));
      const wait = Math.max(0, intervalMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  });
}
