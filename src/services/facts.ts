// Use case: show what haforge learns about a node.
import { AuditLog } from '../engine/audit.js';
import { request } from '../engine/fact.js';
import { gatherFacts } from '../engine/gather.js';
import { withRun, type ConnectOptions } from '../engine/run-context.js';
import { systemFact, type SystemFacts } from '../facts/system.js';
import { findNode } from '../inventory/load.js';
import type { Inventory } from '../inventory/model.js';

export async function nodeFacts(inventory: Inventory, nodeName: string, opts: ConnectOptions): Promise<{ node: string; system: SystemFacts }> {
  const node = findNode(inventory, nodeName);
  return withRun([node], { ...opts, audit: AuditLog.forNewRun() }, async (run) => {
    const conn = await run.connection(node.name);
    if (conn instanceof Error) throw conn;
    const system = request(systemFact, undefined);
    return { node: node.name, system: (await gatherFacts(conn, [system])).get(system) };
  });
}
