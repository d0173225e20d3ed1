import { Args } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { labFreeze } from '../../services/lab.js';

export default class LabResume extends BaseCommand {
  static override description = 'Let a node that `lab hang` stopped run on from where it stopped.';

  static override examples = ['<%= config.bin %> lab resume node1'];

  static override args = { node: Args.string({ description: 'node name', required: true }) };

  static override flags = { name: labNameFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabResume);
    await labFreeze(flags.name, args.node, false);
    this.log(`${args.node} runs on`);
  }
}
