import { Flags } from '@oclif/core';
import { AuditLog } from '../../engine/audit.js';
import { VICTIM_POLICIES, type VictimPolicy } from '../../procedures/split-brain/victim.js';
import { loadInventory } from '../../inventory/load.js';
import { repairSplitBrain } from '../../services/split-brain.js';
import { BaseCommand, secondsFlag } from '../../ui/base-command.js';
import { progressPrinter, renderPlanned, renderRepair } from '../../ui/split-brain.js';
import { splitBrainFlags } from '../../ui/split-brain-flags.js';

export default class SplitBrainRepair extends BaseCommand {
  static override summary = "Repair a DRBD split brain: archive the victim's changes, discard them, resync.";

  static override description = `The victim, whose changes since the split are discarded, is named with --victim or chosen by --policy:
  fewer-changes        the side that changed fewer KiB (DRBD's bitmap)
  younger-primary      the side that became Primary while the nodes were apart
  not-current-primary  the side that is not Primary now
A policy that cannot tell (equal changes, no single Primary, ...) refuses. A policy's choice is confirmed at a prompt (or with --yes); a named victim is not asked again.

Before anything is discarded, the victim's changes are rescued: it is made Primary alone (it is StandAlone), its filesystem mounted read-only, the files changed since the split archived to this workstation (streamed over SSH, never written on the node) in ~/.local/state/haforge/rescue/, unmounted, Secondary again. Then DRBD's documented sequence: victim secondary, disconnect, connect --discard-my-data (8.3: drbdadm -- --discard-my-data connect); survivor connect; the resync with its progress; a final check that both sides are UpToDate and connected. Facts are read again right before each guarded step. Pacemaker, if it runs, is in maintenance mode for the duration (restored after, also on failure).

--check prints the exact command sequence, per node, in order, and changes nothing. With no split brain, repair does nothing (exit 0).
Exit codes: 0 repaired or nothing to do, 1 refused or bad input, 2 the repair failed.`;

  static override examples = [
    '<%= config.bin %> split-brain repair -i inventory.yaml --victim node2 --check',
    '<%= config.bin %> split-brain repair -i inventory.yaml --victim node2',
    '<%= config.bin %> split-brain repair -i inventory.yaml --policy fewer-changes --yes --json',
  ];

  static override flags = {
    ...splitBrainFlags,
    victim: Flags.string({ description: 'The node whose changes since the split are discarded (after they are archived).' }),
    policy: Flags.string({ description: 'Choose the victim by a rule (refused when the rule cannot tell).', options: [...VICTIM_POLICIES] }),
    check: Flags.boolean({ char: 'C', description: 'Print the exact command sequence; change nothing.' }),
    yes: Flags.boolean({ char: 'y', description: "Run a policy's choice without asking." }),
    'no-rescue': Flags.boolean({ description: "Discard the victim's changes without archiving them first." }),
    'rescue-dir': Flags.string({ description: 'Keep rescue archives here instead of ~/.local/state/haforge/rescue/.' }),
    'resync-timeout': secondsFlag('resync-timeout')({ description: 'Seconds to wait for the resync (default 3600).' }),
    'audit-log': Flags.string({ description: 'Write the audit log (JSON lines) here instead of ~/.local/state/haforge/runs/.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SplitBrainRepair);
    const human = !flags.json;
    const report = await repairSplitBrain(await loadInventory(flags.inventory), {
      cluster: flags.cluster,
      resource: flags.resource,
      since: flags.since,
      victim: flags.victim,
      policy: flags.policy as VictimPolicy | undefined,
      check: flags.check,
      yes: flags.yes,
      rescue: !flags['no-rescue'],
      rescueDir: flags['rescue-dir'],
      resyncTimeoutSeconds: flags['resync-timeout'],
      auditLog: flags['audit-log'] ? new AuditLog(flags['audit-log']) : undefined,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: human,
      progress: human ? progressPrinter() : undefined,
      confirm:
        human && process.stdin.isTTY
          ? async (plans, planned) => {
              this.log(renderPlanned(planned));
              const question = `Discard ${plans.map((p) => `${p.victim}'s changes to ${p.resource}`).join(', ')}${flags['no-rescue'] ? ' (no archive)' : ' (archived first)'}?`;
              return (await import('@inquirer/prompts')).confirm({ message: question, default: false });
            }
          : undefined,
    });
    if (flags.json) this.printJson(report);
    else this.log(renderRepair(report));
    const worst = report.repairs.some((r) => r.status === 'failed') ? 2 : report.repairs.some((r) => r.status === 'refused') ? 1 : 0;
    process.exitCode = worst;
  }
}
