import { Flags } from '@oclif/core';
import { loadInventory } from '../inventory/load.js';
import { parseVarFlags } from '../services/apply.js';
import { bootstrap } from '../services/bootstrap.js';
import { BaseCommand, inventoryFlag, secondsFlag } from '../ui/base-command.js';
import { runFlags, runView, showRun } from '../ui/run-view.js';
import { renderPreflight } from './preflight.js';

export default class Bootstrap extends BaseCommand {
  static override description = `Build the whole cluster: preflight, packages, DRBD, the cluster manager, the monitor, and a final check that the services answer on the virtual IP.

Preflight runs first on every node; if a check fails nothing is changed. Then the built-in bootstrap playbook (playbooks/bootstrap.yaml: drbd.yaml, then heartbeat.yaml or pacemaker.yaml) runs like any playbook: only what differs changes, destructive steps run only where facts read just before prove them safe, and a second bootstrap changes nothing.`;

  static override examples = [
    '<%= config.bin %> bootstrap -i inventory.yaml',
    '<%= config.bin %> bootstrap -i inventory.yaml --check --diff',
    '<%= config.bin %> bootstrap -i inventory.yaml --skip-initial-sync --yes   # truly blank disks only',
  ];

  static override flags = {
    inventory: inventoryFlag,
    'skip-initial-sync': Flags.boolean({ description: 'Disks are truly blank (zeroed): mark them in sync instead of copying; refused when they are not.' }),
    ...runFlags,
    'max-skew': secondsFlag('max-skew')({ description: 'Clock skew between nodes (seconds) above which preflight fails.', default: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Bootstrap);
    const human = !flags.json;
    const show = (text: string) => human && text && this.log(text);
    const report = await bootstrap(await loadInventory(flags.inventory), {
      skipInitialSync: flags['skip-initial-sync'],
      maxSkew: flags['max-skew'],
      check: flags.check,
      yes: flags.yes,
      vars: parseVarFlags(flags.var),
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: human,
      auditLog: flags['audit-log'],
      onPreflight: (checks) => show(renderPreflight(checks, process.stdout.isTTY ? process.stdout.columns : undefined)),
      ...(await runView(human, flags.diff, show)),
    });
    if (flags.json) this.printJson(report);
    else if (!report.run) show('preflight failed: nothing was changed. Fix the checks marked FAIL and run bootstrap again.');
    else {
      showRun(report.run, show);
      const t = report.timings;
      show(`bootstrap took ${(t.totalMs / 1000).toFixed(1)} s (preflight ${(t.preflightMs / 1000).toFixed(1)} s, playbook ${((t.applyMs ?? 0) / 1000).toFixed(1)} s)`);
    }
    if (!report.ok) process.exitCode = report.run ? 2 : 1;
  }
}
