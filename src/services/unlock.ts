// Use case: remove the run lock a crashed haforge run left on the nodes.
import { AuditLog } from '../engine/audit.js';
import { LOCK_DIR, readLock, releaseLock } from '../engine/lock.js';
import { withRun, type ConnectOptions } from '../engine/run-context.js';
import { allNodes } from '../inventory/load.js';
import type { Inventory } from '../inventory/model.js';

export interface UnlockResult {
  node: string;
  /** Who held the lock, or null when there was none. */
  heldBy: string | null;
  error?: string;
}

export async function unlockNodes(inventory: Inventory, opts: ConnectOptions): Promise<UnlockResult[]> {
  const nodes = allNodes(inventory);
  return withRun(nodes, { ...opts, audit: AuditLog.forNewRun() }, async (run) => {
    const conns = await run.connections();
    return Promise.all(
      nodes.map(async (node): Promise<UnlockResult> => {
        const conn = conns.get(node.name)!;
        if (conn instanceof Error) return { node: node.name, heldBy: null, error: conn.message };
        const heldBy = await readLock(conn);
        if (heldBy !== null) await releaseLock(conn);
        return { node: node.name, heldBy };
      }),
    );
  });
}

export { LOCK_DIR };
