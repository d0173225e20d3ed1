import { Args, Flags } from '@oclif/core';
import { restoreCibBackup } from '../../services/cib.js';
import { moveFlags, MoveCommand } from '../../ui/moves.js';

export default class CibRestore extends MoveCommand {
  static override summary = 'Put back a Pacemaker configuration haforge saved before replacing it.';

  static override description = `Replaces the live configuration with a saved one (default: the newest on any node; haforge cib backups lists them), on the node that saved it, after saving the live one too: a restore can be undone the same way. Resources may stop, move or go away as the restored configuration says: asks first (--yes: without asking). A later haforge apply or bootstrap pushes the inventory's configuration again.`;

  static override examples = ['<%= config.bin %> cib restore -i inventory.yaml --check', '<%= config.bin %> cib restore 20261206T104512.123456789Z.xml -i inventory.yaml --yes'];

  static override args = { backup: Args.string({ description: 'The saved configuration (default: the newest).' }) };
  static override flags = { ...moveFlags, yes: Flags.boolean({ char: 'y', description: 'Restore without asking.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CibRestore);
    await this.moveWith(flags, (inventory, req) => restoreCibBackup(inventory, { ...req, backup: args.backup }));
  }
}
