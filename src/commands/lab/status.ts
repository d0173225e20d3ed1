import { Flags } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { renderStatus } from '../../lab/render.js';
import { labStatus } from '../../services/lab.js';

export default class LabStatus extends BaseCommand {
  static override description = "Show the lab's nodes: power, SSH port, addresses, cut links, and the inventory path.";

  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --json'];

  static override flags = {
    name: labNameFlag,
    json: Flags.boolean({ description: 'machine-readable output', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LabStatus);
    const status = await labStatus(flags.name);
    this.log(flags.json ? JSON.stringify(status, null, 2) : renderStatus(status));
  }
}
