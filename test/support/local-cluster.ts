// A cluster of local nodes (src/transport/local.ts): each node a temporary
// root on this machine, commands run in namespaces of their own, no root
// rights and no SSH. The inventory names them; the connector dials them.
import type { Inventory } from '../../src/inventory/model.js';
import { parseInventory } from '../../src/inventory/load.js';
import { LocalCluster } from '../../src/transport/local.js';

export interface LocalTestCluster {
  inventory: Inventory;
  nodes: LocalCluster;
  remove(): void;
}

export function localCluster(names: string[] = ['alice', 'bob'], extra = ''): LocalTestCluster {
  const yaml = `version: 1
clusters:
  local:
    stack: pacemaker
    primary: ${names[0]}
    fencing: { enabled: false }
${extra}    nodes:
${names.map((n, i) => `      ${n}: { address: 192.0.2.${11 + i} }`).join('\n')}
`;
  const inventory = parseInventory('local-inventory.yaml', yaml);
  const nodes = new LocalCluster();
  for (const n of names) nodes.node(n);
  return { inventory, nodes, remove: () => nodes.remove() };
}
