import { Flags } from '@oclif/core';
import { planSwitchover } from '../procedures/moves.js';
import { moveFlags, MoveCommand } from '../ui/moves.js';

export default class Switchover extends MoveCommand {
  static override summary = 'Move the services to the other node, planned, and wait until they run there.';

  static override description = `Pacemaker: moves the Primary of every DRBD promotable clone to the target (crm_resource --move --promoted; the group follows it), waits until DRBD is Primary there, the VIP is there and every group member runs there, then removes the temporary constraint so that stickiness keeps the services on the new node.
Heartbeat: hb_standby all on the node that holds the resources, then the same wait.

Refused when the target is not a member, or its DRBD disk is not UpToDate and connected. Runs under the run lock. Reports how long the move took.`;

  static override examples = [
    '<%= config.bin %> switchover -i inventory.yaml',
    '<%= config.bin %> switchover -i inventory.yaml --to node2',
    '<%= config.bin %> switchover -i inventory.yaml --check',
  ];

  static override flags = { ...moveFlags, to: Flags.string({ description: 'The node to move to (default: the other node of a two-node cluster).' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Switchover);
    await this.move(flags, (status, ctx) => planSwitchover(status, ctx, flags.to));
  }
}
