import { Args } from '@oclif/core';
import { planMigrate } from '../procedures/moves.js';
import { moveFlags, MoveCommand } from '../ui/moves.js';

export default class Migrate extends MoveCommand {
  static override summary = 'Move the services away from a node and keep them off it until unmigrate.';

  static override description = `Pacemaker: bans the Primary of every DRBD promotable clone from the node (crm_resource --ban --promoted: constraint cli-ban-<clone>-on-<node>), and when the node held the services, waits until they run on another node. The ban stays until "haforge unmigrate <node>".
Heartbeat v1 has no lasting ban: when the node holds the resources it hands them over (hb_standby all) and the wait is the same.`;

  static override examples = ['<%= config.bin %> migrate node1 -i inventory.yaml', '<%= config.bin %> migrate node1 -i inventory.yaml --check'];

  static override args = { node: Args.string({ required: true, description: 'The node the services must leave.' }) };
  static override flags = moveFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Migrate);
    await this.move(flags, (status, ctx) => planMigrate(status, ctx, args.node));
  }
}
