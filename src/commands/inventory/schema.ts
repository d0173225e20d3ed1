import { Flags } from '@oclif/core';
import { schemaFiles, writeSchemaFiles } from '../../services/inventory.js';
import { BaseCommand } from '../../ui/base-command.js';

export default class InventorySchema extends BaseCommand {
  static override description = 'Print the JSON Schema of inventories (and playbooks), for editors.';
  static override examples = [
    '<%= config.bin %> inventory schema > inventory.schema.json',
    '<%= config.bin %> inventory schema --playbook',
    '<%= config.bin %> inventory schema --write   # refresh schemas/ in the haforge tree',
  ];
  static override flags = {
    playbook: Flags.boolean({ description: 'The playbook schema instead.' }),
    write: Flags.boolean({ description: "Write both into haforge's schemas/ directory, and the operations reference into docs/operations.md." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(InventorySchema);
    if (flags.write) {
      for (const file of await writeSchemaFiles()) this.log(`wrote ${file}`);
      return;
    }
    const files = schemaFiles();
    this.log(files[flags.playbook ? 'playbook.schema.json' : 'inventory.schema.json']);
  }
}
