import { Args } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { labFreeze } from '../../services/lab.js';

export default class LabHang extends BaseCommand {
  static override description = "A hang: stop a node's VM where it is (alive, silent; its clocks and watchdog stand still). `lab resume` lets it run on.";

  static override examples = ['<%= config.bin %> lab hang node1', '<%= config.bin %> lab resume node1'];

  static override args = { node: Args.string({ description: 'node name', required: true }) };

  static override flags = { name: labNameFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabHang);
    await labFreeze(flags.name, args.node, true);
    this.log(`${args.node} hangs (its VM is stopped); \`haforge lab resume ${args.node}\` lets it run on`);
  }
}
