import { Args } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { labSsh } from '../../services/lab.js';

export default class LabSsh extends BaseCommand {
  static override description = `Open a shell on a lab node, or run one command there and exit with its code.
One word after -- is a shell command line (as with ssh); several words are run as an argv, each quoted.
Host keys are checked strictly against the lab's known_hosts.`;

  static override examples = [
    '<%= config.bin %> lab ssh node1',
    "<%= config.bin %> lab ssh node1 -- 'cat /proc/drbd'",
    '<%= config.bin %> lab ssh node2 -- ip -br addr',
  ];

  static override strict = false;

  static override args = {
    node: Args.string({ description: 'node name, e.g. node1', required: true }),
  };

  static override flags = { name: labNameFlag };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(LabSsh);
    const command = (argv as string[]).slice(1);
    const code = await labSsh(flags.name, args.node, command);
    if (code !== 0) this.exit(code);
  }
}
