import { Args, Flags } from '@oclif/core';
import { planFence, planFenceTest } from '../procedures/fence.js';
import { moveFlags, MoveCommand } from '../ui/moves.js';

export default class Fence extends MoveCommand {
  static override summary = 'Fence a node with the cluster\'s fencing (SBD or fence devices), or test that every node can be fenced.';

  static override description = `fence NODE: Pacemaker, on another member, reboots NODE with the configured fencing (stonith_admin --reboot), as it would a node that stopped answering; the fencing shows in Pacemaker's history. Refused when no other node is an online member, or when NODE is Primary and DRBD is not in sync. Destructive: asks first (or --yes).

fence --test: fences nobody. With SBD a test message goes into each node's slot and that node's sbd must take it out within 15 s (the path a poison pill takes); each fence device is asked for its status for each node it fences.`;

  static override examples = [
    '<%= config.bin %> fence --test -i inventory.yaml',
    '<%= config.bin %> fence node2 -i inventory.yaml --check',
    '<%= config.bin %> fence node2 -i inventory.yaml --yes',
  ];

  static override args = { node: Args.string({ description: 'The node to fence.' }) };

  static override flags = {
    ...moveFlags,
    test: Flags.boolean({ description: 'Check that every node can be fenced; fence nobody.' }),
    yes: Flags.boolean({ char: 'y', description: 'Fence without asking.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Fence);
    if (flags.test === (args.node !== undefined)) this.error('name the node to fence, or --test', { exit: 1 });
    await this.move(flags, (status, ctx) => (flags.test ? planFenceTest(status, ctx) : planFence(status, ctx, args.node!)));
  }
}
