import { Flags } from '@oclif/core';
import { loadInventory } from '../inventory/load.js';
import { unlockNodes, LOCK_DIR } from '../services/unlock.js';
import { acceptNewFlag, BaseCommand, inventoryFlag, jsonFlag } from '../ui/base-command.js';

export default class Unlock extends BaseCommand {
  static override description = `Remove the run lock that a crashed haforge run left on the nodes.

haforge takes ${LOCK_DIR} on every node for the length of a run so that two
runs never interleave. A lock is removed when the run that took it is gone
(its process on this machine has ended); one taken by a process that still
runs here, or on another workstation, stays unless --force.`;
  static override examples = ['<%= config.bin %> unlock -i inventory.yaml', '<%= config.bin %> unlock -i inventory.yaml --force'];
  static override flags = {
    inventory: inventoryFlag,
    json: jsonFlag,
    force: Flags.boolean({ description: 'Remove the lock even when its run may still be going (taken on another workstation, or its process still runs here).' }),
    'accept-new-host-keys': acceptNewFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Unlock);
    const results = await unlockNodes(await loadInventory(flags.inventory), { acceptNewHostKeys: flags['accept-new-host-keys'], interactive: !flags.json, force: flags.force });
    if (flags.json) this.printJson(results);
    else for (const r of results) this.log(`${r.node}: ${r.error ? `error: ${r.error}` : r.kept ? `kept the lock held by ${r.heldBy}: ${r.kept} (--force removes it)` : r.heldBy ? `removed lock held by ${r.heldBy}` : 'no lock'}`);
    if (results.some((r) => r.error)) process.exitCode = 2;
    else if (results.some((r) => r.kept)) process.exitCode = 1;
  }
}
