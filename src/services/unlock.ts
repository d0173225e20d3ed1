// Use case: remove the run lock a crashed haforge run left on the nodes.
// A lock whose run may still be going (its process alive here, or taken on
// another workstation) stays unless forced: removing it would let two runs
// interleave on the cluster.
import { AuditLog } from '../engine/audit.js';
import { LOCK_DIR, ownerMayRun, readLock, releaseLock } from '../engine/lock.js';
import { withRun, type ConnectOptions } from '../engine/run-context.js';
import { allNodes } from '../inventory/load.js';
import type { Inventory } from '../inventory/model.js';

export interface UnlockResult {
  node: string;
  /** Who held the lock, or null when there was none. */
  heldBy: string | null;
  /** Why the lock was left in place (its run may still be going; --force removes it). */
  kept?: string;
  error?: string;
}

export async function unlockNodes(inventory: Inventory, opts: ConnectOptions & { force?: boolean }): Promise<UnlockResult[]> {
  const nodes = allNodes(inventory);
  return withRun(nodes, { ...opts, audit: AuditLog.forNewRun() }, async (run) => {
    const conns = await run.connections();
    return Promise.all(
      nodes.map(async (node): Promise<UnlockResult> => {
        const conn = conns.get(node.name)!;
        if (conn instanceof Error) return { node: node.name, heldBy: null, error: conn.message };
        const heldBy = await readLock(conn);
        if (heldBy === null) return { node: node.name, heldBy };
        const mayRun = opts.force ? undefined : ownerMayRun(heldBy);
        if (mayRun) return { node: node.name, heldBy, kept: mayRun };
        await releaseLock(conn);
        return { node: node.name, heldBy };
      }),
    );
  });
}

export { LOCK_DIR };
