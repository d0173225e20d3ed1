// Use case: remove the run lock a crashed haforge run left on the nodes.
import { AuditLog, AuditedConnection } from '../engine/audit.js';
import { LOCK_DIR, readLock, releaseLock } from '../engine/lock.js';
import { allNodes, loadInventory } from '../inventory/load.js';
import { connectNodes, type ConnectOptions } from './connect.js';

export interface UnlockResult {
  node: string;
  /** Who held the lock, or null when there was none. */
  heldBy: string | null;
  error?: string;
}

export async function unlockNodes(inventoryFile: string, opts: ConnectOptions): Promise<UnlockResult[]> {
  const nodes = allNodes(await loadInventory(inventoryFile));
  const connections = await connectNodes(nodes, opts);
  const audit = AuditLog.forNewRun();
  return Promise.all(
    nodes.map(async (node): Promise<UnlockResult> => {
      const c = connections.get(node.name)!;
      if (c instanceof Error) return { node: node.name, heldBy: null, error: c.message };
      const conn = new AuditedConnection(c, audit);
      try {
        const heldBy = await readLock(conn);
        if (heldBy !== null) await releaseLock(conn);
        return { node: node.name, heldBy };
      } finally {
        await c.close();
      }
    }),
  );
}

export { LOCK_DIR };
