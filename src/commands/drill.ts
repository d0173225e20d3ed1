import { Flags } from '@oclif/core';
import { loadInventory } from '../inventory/load.js';
import { runDrill, type DrillReport } from '../services/drill.js';
import { acceptNewFlag, BaseCommand, clusterFlag, inventoryFlag, jsonFlag } from '../ui/base-command.js';
import { renderDrill } from '../ui/drill.js';

export default class Drill extends BaseCommand {
  static override summary = 'A failover drill: fail the primary, time until the VIP serves again, verify the data, bring the node back.';

  static override description = `Refused unless the cluster could survive a failure (a primary, an online standby, DRBD UpToDate/UpToDate). Then:
1. on the primary, checksums the paths the inventory declares quiescent (drill.quiescent) and starts the write probe: sequence-numbered, fsync'd records appended to a file on the replicated volume, each acknowledgement recorded on this workstation (it moves to whichever node holds the volume);
2. fails the primary: --method stop (default) stops its cluster stack; --method power-off runs your --power-off-command on this workstation; --method lab powers the lab VM off; --method hang freezes it, alive and silent (the lab VM stopped, or your --hang-command such as virsh suspend): refused without fencing, since only fencing makes taking over from a node that still runs safe;
3. times until the services run on the other node and answer on the VIP (a TCP connect to every service port, from that node);
4. reads there every record the probe wrote: each acknowledged one must be there (RPO in records: 0 with protocol C), and the quiescent paths must be unchanged; the report gives RTO and a failover timeline read from the survivor's log (membership lost, fencing, DRBD promoted, filesystem mounted, VIP up, each service started);
5. brings the failed node back (starts its stack, or --power-on-command, or powers the lab VM on; a hung node runs on, finds itself fenced and resets) and times until it is a member again and DRBD is UpToDate on both nodes.
It asks before failing the primary (--yes: without asking; without a terminal --yes is needed). The report names every fencing action during the drill (who fenced whom, when, the outcome). The services stay on the survivor (no fail-back: haforge switchover moves them back). Exit 0 when the drill passed, 2 when it failed (a step failed, an acknowledged write was lost or a quiescent path changed).`;

  static override examples = [
    '<%= config.bin %> drill -i inventory.yaml --check',
    '<%= config.bin %> drill -i inventory.yaml --yes',
    "<%= config.bin %> drill -i inventory.yaml --method power-off --power-off-command 'ipmitool -I lanplus -H \"$1\"-bmc -U admin -E chassis power off' --power-on-command 'ipmitool -I lanplus -H \"$1\"-bmc -U admin -E chassis power on'",
    '<%= config.bin %> drill -i "$(haforge lab status --json | jq -r .inventory)" --method lab --yes',
    '<%= config.bin %> drill -i "$(haforge lab status --json | jq -r .inventory)" --method hang --yes',
    "<%= config.bin %> drill -i inventory.yaml --method hang --hang-command 'virsh suspend \"$1\"' --resume-command 'virsh resume \"$1\"'",
  ];

  static override flags = {
    inventory: inventoryFlag,
    json: jsonFlag,
    cluster: clusterFlag,
    method: Flags.string({ description: 'How the primary fails.', options: ['stop', 'power-off', 'lab', 'hang'], default: 'stop' }),
    'power-off-command': Flags.string({ description: 'With --method power-off: a shell command run here; the node\'s name is its $1 ({node} stands for "$1").' }),
    'power-on-command': Flags.string({ description: 'With --method power-off: the command that powers the node on again.' }),
    'hang-command': Flags.string({ description: 'With --method hang: a shell command run here that freezes the node (its name is $1), e.g. virsh suspend "$1".' }),
    'resume-command': Flags.string({ description: 'With --method hang: the command that lets it run on, e.g. virsh resume "$1".' }),
    lab: Flags.string({ description: 'With --method lab or hang: the lab\'s name (default: the lab the inventory belongs to, or the only one).' }),
    yes: Flags.boolean({ char: 'y', description: 'Fail the primary without asking.' }),
    timeout: Flags.integer({ description: 'Seconds for each wait (failover, rejoin, resync).', default: 600, min: 1 }),
    check: Flags.boolean({ description: 'Only check that the cluster could survive the drill, and say who would fail; change nothing.' }),
    'accept-new-host-keys': acceptNewFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Drill);
    const report: DrillReport = await runDrill(await loadInventory(flags.inventory), {
      cluster: flags.cluster,
      method: flags.method as DrillReport['method'],
      powerOffCommand: flags['power-off-command'],
      powerOnCommand: flags['power-on-command'],
      hangCommand: flags['hang-command'],
      resumeCommand: flags['resume-command'],
      lab: flags.lab,
      timeout: flags.timeout,
      check: flags.check,
      yes: flags.yes,
      confirm:
        !flags.json && process.stdin.isTTY
          ? async (planned) => {
              this.log(renderDrill(planned));
              return (await import('@inquirer/prompts')).confirm({ message: `fail ${planned.primary} now (${planned.method})?`, default: false });
            }
          : undefined,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: !flags.json,
      onProgress: flags.json ? undefined : (line: string) => this.logToStderr(line),
    });
    if (flags.json) this.printJson(report);
    else this.log(renderDrill(report));
    process.exitCode = report.status === 'failed' ? 2 : 0;
  }
}
