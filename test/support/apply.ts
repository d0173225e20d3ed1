// Runs a playbook against an inventory file, as `haforge apply -i FILE` does.
import type { RunReport } from '../../src/engine/results.js';
import { loadInventory } from '../../src/inventory/load.js';
import { applyPlaybook, type ApplyRequest } from '../../src/services/apply.js';

export async function applyFile(inventoryFile: string, req: ApplyRequest): Promise<RunReport> {
  return applyPlaybook(await loadInventory(inventoryFile), req);
}
