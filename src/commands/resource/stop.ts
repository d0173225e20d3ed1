import { Args, Flags } from '@oclif/core';
import { planTargetRole } from '../../procedures/moves.js';
import { moveFlags, MoveCommand } from '../../ui/moves.js';

export default class ResourceStop extends MoveCommand {
  static override summary = 'Stop a resource, a group or a clone on purpose (target-role Stopped), wherever it runs.';

  static override description = `Pacemaker: crm_resource --meta --set-parameter target-role --parameter-value Stopped, then waits until every instance is stopped (runbook 002's "forcestop"). An outage of what it stops: asks first (--yes: without asking; without a terminal --yes is needed). It stays stopped, through failovers and restarts, until haforge resource start. Heartbeat v1 has no per-resource stop: refused.`;

  static override examples = ['<%= config.bin %> resource stop p_svc_vm -i inventory.yaml --yes', '<%= config.bin %> resource stop g_services -i inventory.yaml --check'];

  static override args = { resource: Args.string({ required: true, description: 'The resource, group or clone id (haforge status lists them).' }) };
  static override flags = { ...moveFlags, yes: Flags.boolean({ char: 'y', description: 'Stop it without asking.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ResourceStop);
    await this.move(flags, (status, ctx) => planTargetRole(status, ctx, args.resource, 'Stopped'));
  }
}
