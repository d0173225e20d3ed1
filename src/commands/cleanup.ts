import { Args } from '@oclif/core';
import { planCleanup } from '../procedures/moves.js';
import { moveFlags, MoveCommand } from '../ui/moves.js';

export default class Cleanup extends MoveCommand {
  static override summary = "Forget a resource's failures (fail counts, failed actions) so Pacemaker may run it again.";

  static override description = `Pacemaker: crm_resource --cleanup [--resource <resource>], then waits until the fail counts are gone. Do it after fixing what made the resource fail: a resource that reached migration-threshold on a node stays off it until cleaned up. Nothing to do on Heartbeat v1, which keeps no fail counts.`;

  static override examples = ['<%= config.bin %> cleanup -i inventory.yaml', '<%= config.bin %> cleanup p_svc_web -i inventory.yaml'];

  static override args = { resource: Args.string({ description: 'One resource (default: all).' }) };
  static override flags = moveFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Cleanup);
    await this.move(flags, (status, ctx) => planCleanup(status, ctx, args.resource));
  }
}
