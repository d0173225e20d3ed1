import { Args, Flags } from '@oclif/core';
import { BaseCommand, labNameFlag } from '../../ui/base-command.js';
import { LINK_IDS, type LinkId } from '../../lab/network.js';
import { labCut } from '../../services/lab.js';

export default class LabCut extends BaseCommand {
  static override description = `Network partition: take the first node's private links down (QEMU set_link: no carrier).
The private networks are shared segments, so with three nodes the first node is cut off from every
other node, and the others still reach each other. SSH from this machine keeps working. Undo with \`lab heal\`.`;

  static override examples = ['<%= config.bin %> lab cut node1 node2', '<%= config.bin %> lab cut node1 node2 --link replication'];

  static override args = {
    a: Args.string({ description: 'the node that loses its links', required: true }),
    b: Args.string({ description: 'the node on the other side', required: true }),
  };

  static override flags = {
    name: labNameFlag,
    link: Flags.string({ description: 'which private link to cut', options: ['all', ...LINK_IDS], default: 'all' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LabCut);
    const links = flags.link === 'all' ? LINK_IDS : [flags.link as LinkId];
    const r = await labCut(flags.name, args.a, args.b, links);
    this.log(`${r.node}: ${r.links.join(', ')} down; cut off from ${r.isolatedFrom.join(', ')}`);
  }
}
