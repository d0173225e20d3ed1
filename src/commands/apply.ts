import { Args, Flags } from '@oclif/core';
import { applyPlaybook, parseVarFlags } from '../services/apply.js';
import { acceptNewFlag, BaseCommand, inventoryFlag, jsonFlag } from '../ui/base-command.js';
import { formatPlan, formatRecap, formatResults } from '../ui/plan.js';

export default class Apply extends BaseCommand {
  static override description = `Run a playbook against the inventory's nodes.

Facts are read with one command per node, every task is planned against them,
the plan is shown, and only what differs is changed. A second run changes
nothing. Destructive steps need --yes (or a yes at the prompt).`;

  static override examples = [
    '<%= config.bin %> apply -i inventory.yaml playbooks/site.yaml --check --diff',
    '<%= config.bin %> apply -i inventory.yaml playbooks/site.yaml',
    '<%= config.bin %> apply -i inventory.yaml site.yaml --limit node1 --var vip=192.0.2.50',
    '<%= config.bin %> apply -i inventory.yaml site.yaml --json > report.json',
  ];

  static override args = {
    playbook: Args.string({ required: true, description: 'Playbook file, or the name of a built-in one (e.g. bootstrap).' }),
  };

  static override flags = {
    inventory: inventoryFlag,
    check: Flags.boolean({ char: 'C', description: 'Show what would change; change nothing.' }),
    diff: Flags.boolean({ char: 'D', description: 'Show unified diffs of file changes (secrets never).' }),
    yes: Flags.boolean({ char: 'y', description: 'Run destructive steps without asking.' }),
    json: jsonFlag,
    var: Flags.string({ char: 'e', multiple: true, description: 'Set a variable (highest precedence): key=value.' }),
    limit: Flags.string({ char: 'l', multiple: true, description: 'Only these nodes, groups or clusters.' }),
    'accept-new-host-keys': acceptNewFlag,
    'audit-log': Flags.string({ description: 'Write the audit log (JSON lines) here instead of ~/.local/state/haforge/runs/.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const human = !flags.json;
    const show = (text: string) => human && text && this.log(text);
    const report = await applyPlaybook({
      inventoryFile: flags.inventory,
      playbook: args.playbook,
      check: flags.check,
      yes: flags.yes,
      vars: parseVarFlags(flags.var),
      limit: flags.limit,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: human,
      auditLog: flags['audit-log'],
      // listr2 and the prompts load only when a person is watching (start-up time counts).
      reporter: human ? (await import('../ui/listr.js')).listrReporter((plan) => show(formatPlan(plan, { diff: flags.diff, showOutput: false }))) : undefined,
      confirm:
        human && process.stdin.isTTY
          ? async (destructive) =>
              (await import('@inquirer/prompts')).confirm({ message: `Run ${destructive.length} destructive step(s) listed above?`, default: false })
          : undefined,
    });
    if (flags.json) this.printJson(report);
    else {
      if (!report.check) show(formatResults(report.results, { diff: false }));
      show(formatRecap(report));
    }
    if (!report.ok) process.exitCode = 2;
  }
}
