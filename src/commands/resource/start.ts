import { Args } from '@oclif/core';
import { planTargetRole } from '../../procedures/moves.js';
import { moveFlags, MoveCommand } from '../../ui/moves.js';

export default class ResourceStart extends MoveCommand {
  static override summary = 'Start a resource, a group or a clone stopped on purpose (target-role Started).';

  static override description = `Pacemaker: crm_resource --meta --set-parameter target-role --parameter-value Started, then waits until every instance runs (runbook 002's "forcestart"). Pacemaker places it as its constraints say. A resource that failed stays down until haforge cleanup. Heartbeat v1 has no per-resource start: refused.`;

  static override examples = ['<%= config.bin %> resource start p_svc_vm -i inventory.yaml'];

  static override args = { resource: Args.string({ required: true, description: 'The resource, group or clone id (haforge status lists them).' }) };
  static override flags = moveFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ResourceStart);
    await this.move(flags, (status, ctx) => planTargetRole(status, ctx, args.resource, 'Started'));
  }
}
