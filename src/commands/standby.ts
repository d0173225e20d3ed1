import { Args, Flags } from '@oclif/core';
import { planStandby } from '../procedures/moves.js';
import { moveFlags, MoveCommand } from '../ui/moves.js';

export default class Standby extends MoveCommand {
  static override summary = 'Put a node in standby (it runs nothing; its services move away), or take it out with --off.';

  static override description = `Pacemaker: crm_attribute --node <node> --name standby --update on|off, then waits until the node is standby (and the services run elsewhere, when it held them) or online again.
Heartbeat v1: standby is a one-time hand-over (hb_standby all on the node when it holds the resources); --off has nothing to undo.`;

  static override examples = ['<%= config.bin %> standby node1 -i inventory.yaml', '<%= config.bin %> standby node1 -i inventory.yaml --off'];

  static override args = { node: Args.string({ required: true, description: 'The node.' }) };
  static override flags = { ...moveFlags, off: Flags.boolean({ description: 'Take the node out of standby.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Standby);
    await this.move(flags, (status, ctx) => planStandby(status, ctx, args.node, !flags.off));
  }
}
