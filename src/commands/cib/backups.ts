import { loadInventory } from '../../inventory/load.js';
import { listCibBackups } from '../../services/cib.js';
import { acceptNewFlag, BaseCommand, clusterFlag, inventoryFlag, jsonFlag } from '../../ui/base-command.js';
import { renderCibBackups } from '../../ui/cib.js';

export default class CibBackups extends BaseCommand {
  static override summary = 'List the Pacemaker configurations haforge saved before replacing them, on every node.';

  static override description = 'Before each change to the Pacemaker configuration haforge saves the live one on the node that makes the change (/var/lib/haforge/cib, readable by root only, the newest 10 kept). haforge cib restore puts one back.';

  static override examples = ['<%= config.bin %> cib backups -i inventory.yaml'];

  static override flags = {
    inventory: inventoryFlag,
    json: jsonFlag,
    cluster: clusterFlag,
    'accept-new-host-keys': acceptNewFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CibBackups);
    const listing = await listCibBackups(await loadInventory(flags.inventory), { cluster: flags.cluster, acceptNewHostKeys: flags['accept-new-host-keys'], interactive: !flags.json });
    if (flags.json) this.printJson(listing);
    else this.log(renderCibBackups(listing));
  }
}
