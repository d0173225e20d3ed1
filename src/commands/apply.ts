import { Args, Flags } from '@oclif/core';
import { loadInventory } from '../inventory/load.js';
import { applyPlaybook, parseVarFlags } from '../services/apply.js';
import { BaseCommand, inventoryFlag } from '../ui/base-command.js';
import { runFlags, runView, showRun } from '../ui/run-view.js';

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
    ...runFlags,
    limit: Flags.string({ char: 'l', multiple: true, description: 'Only these nodes, groups or clusters.' }),
    'template-dir': Flags.string({ multiple: true, description: "Also read template: files from this directory (by default only the playbook's directory and haforge's templates)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const human = !flags.json;
    const show = (text: string) => human && text && this.log(text);
    const report = await applyPlaybook(await loadInventory(flags.inventory), {
      playbook: args.playbook,
      check: flags.check,
      yes: flags.yes,
      vars: parseVarFlags(flags.var),
      limit: flags.limit,
      templateDirs: flags['template-dir'],
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: human,
      auditLog: flags['audit-log'],
      ...(await runView(human, flags.diff, show)),
    });
    if (flags.json) this.printJson(report);
    else showRun(report, show);
    if (!report.ok) process.exitCode = 2;
  }
}
