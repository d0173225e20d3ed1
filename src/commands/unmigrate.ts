import { Args } from '@oclif/core';
import { planUnmigrate } from '../procedures/moves.js';
import { moveFlags, MoveCommand } from '../ui/moves.js';

export default class Unmigrate extends MoveCommand {
  static override summary = 'Lift what migrate (or a move by hand) left on a node; the services stay where they are.';

  static override description = `Pacemaker: removes the cli-* constraints (bans and preferences left by crm_resource --move/--ban, haforge migrate) that name the node. The services do not move back: resource stickiness keeps them where they run. Nothing to do on Heartbeat v1, which keeps no ban.`;

  static override examples = ['<%= config.bin %> unmigrate node1 -i inventory.yaml'];

  static override args = { node: Args.string({ required: true, description: 'The node to allow again.' }) };
  static override flags = moveFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Unmigrate);
    await this.move(flags, (status, ctx) => planUnmigrate(status, ctx, args.node));
  }
}
