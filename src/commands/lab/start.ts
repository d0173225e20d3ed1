import { Args, Flags } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { renderStatus } from '../../lab/render.js';
import { labStart } from '../../services/lab.js';

export default class LabStart extends BaseCommand {
  static override description = 'Power a node on again: same disks, same SSH port; waits until SSH works.';

  static override examples = ['<%= config.bin %> lab start node1'];

  static override args = { node: Args.string({ description: 'node name', required: true }) };

  static override flags = {
    name: labNameFlag,
    'boot-timeout': Flags.integer({ description: 'seconds to wait for the VM to accept SSH', default: 240, min: 10 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabStart);
    const status = await labStart(flags.name, args.node, flags['boot-timeout'], this.report);
    this.log(renderStatus(status));
  }
}
