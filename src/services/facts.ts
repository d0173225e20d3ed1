// Use case: show what haforge learns about a node.
import { AuditLog, AuditedConnection } from '../engine/audit.js';
import { request } from '../engine/fact.js';
import { gatherFacts } from '../engine/gather.js';
import { systemFact, type SystemFacts } from '../facts/system.js';
import { findNode, loadInventory } from '../inventory/load.js';
import { connectNodes, type ConnectOptions } from './connect.js';

export async function nodeFacts(inventoryFile: string, nodeName: string, opts: ConnectOptions): Promise<{ node: string; system: SystemFacts }> {
  const inventory = await loadInventory(inventoryFile);
  const node = findNode(inventory, nodeName);
  const conn = (await connectNodes([node], opts)).get(node.name)!;
  if (conn instanceof Error) throw conn;
  try {
    const system = request(systemFact, undefined);
    const store = await gatherFacts(new AuditedConnection(conn, AuditLog.forNewRun()), [system]);
    return { node: node.name, system: store.get(system) };
  } finally {
    await conn.close();
  }
}
