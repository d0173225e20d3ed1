// The inventory `lab up` writes for its VMs, in the format of
// inventory.example.yaml. Kept in one place so later issues can add their
// keys (DRBD resources, services) here.
import { stringify } from 'yaml';
import { writeFileAtomic } from './atomic.js';
import { DATA_DISK_DEVICE } from './network.js';
import type { LabPaths } from './paths.js';
import type { LabState } from './state.js';

export const LAB_CLUSTER = 'lab';

export function inventoryDocument(state: LabState, paths: LabPaths): object {
  const nodes: Record<string, object> = {};
  for (const n of state.nodes) {
    nodes[n.name] = {
      address: '127.0.0.1',
      ssh: { port: n.sshPort },
      replication_address: n.addresses.replication,
      vars: { data_disk: DATA_DISK_DEVICE, ring1_address: n.addresses.ring1 },
    };
  }
  return {
    version: 1,
    defaults: { ssh: { user: 'root', identity_file: paths.privateKey, known_hosts: paths.knownHosts } },
    clusters: {
      [LAB_CLUSTER]: { stack: state.stack, primary: state.nodes[0].name, nodes },
    },
  };
}

export async function writeInventory(state: LabState, paths: LabPaths): Promise<string> {
  const header = `# Written by \`haforge lab up --name ${state.name}\`: the lab's VMs. Rewritten by every \`lab up\`.\n`;
  await writeFileAtomic(paths.inventory, header + stringify(inventoryDocument(state, paths)), 0o644);
  return paths.inventory;
}
