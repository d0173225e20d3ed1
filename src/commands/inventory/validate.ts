import { validateInventory } from '../../services/inventory.js';
import { BaseCommand, inventoryFlag, jsonFlag } from '../../ui/base-command.js';

export default class InventoryValidate extends BaseCommand {
  static override description = 'Check an inventory file: every error with file:line:column and a hint.';
  static override examples = ['<%= config.bin %> inventory validate -i inventory.yaml'];
  static override flags = { inventory: inventoryFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(InventoryValidate);
    const summary = await validateInventory(flags.inventory);
    if (flags.json) return this.printJson(summary);
    this.log(`${summary.file}: valid`);
    for (const c of summary.clusters) this.log(`  cluster ${c.name} (${c.stack}): ${c.nodes.join(', ')}; primary ${c.primary}`);
    for (const w of summary.warnings) this.warn(w);
  }
}
