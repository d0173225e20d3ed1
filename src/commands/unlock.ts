import { loadInventory } from '../inventory/load.js';
import { unlockNodes, LOCK_DIR } from '../services/unlock.js';
import { acceptNewFlag, BaseCommand, inventoryFlag, jsonFlag } from '../ui/base-command.js';

export default class Unlock extends BaseCommand {
  static override description = `Remove the run lock that a crashed haforge run left on the nodes.

haforge takes ${LOCK_DIR} on every node for the length of a run so that two
runs never interleave. Use this only when you are sure no run is going on.`;
  static override examples = ['<%= config.bin %> unlock -i inventory.yaml'];
  static override flags = { inventory: inventoryFlag, json: jsonFlag, 'accept-new-host-keys': acceptNewFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Unlock);
    const results = await unlockNodes(await loadInventory(flags.inventory), { acceptNewHostKeys: flags['accept-new-host-keys'], interactive: !flags.json });
    if (flags.json) this.printJson(results);
    else for (const r of results) this.log(`${r.node}: ${r.error ? `error: ${r.error}` : r.heldBy ? `removed lock held by ${r.heldBy}` : 'no lock'}`);
    if (results.some((r) => r.error)) process.exitCode = 2;
  }
}
