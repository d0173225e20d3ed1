import { Args } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { labKill } from '../../services/lab.js';

export default class LabKill extends BaseCommand {
  static override description = "Power failure: kill a node's QEMU process (SIGKILL). Its disks stay; `lab start` boots it again.";

  static override examples = ['<%= config.bin %> lab kill node1'];

  static override args = { node: Args.string({ description: 'node name', required: true }) };

  static override flags = { name: labNameFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabKill);
    const r = await labKill(flags.name, args.node);
    this.log(r.pid === null ? `${r.node} was already off` : `${r.node} powered off (killed QEMU pid ${r.pid})`);
  }
}
