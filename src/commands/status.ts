import { Flags } from '@oclif/core';
import { loadInventory } from '../inventory/load.js';
import { clusterStatus, watchStatus } from '../services/status.js';
import { acceptNewFlag, BaseCommand, inventoryFlag, jsonFlag, secondsFlag } from '../ui/base-command.js';
import { renderStatus } from '../ui/status.js';

export default class Status extends BaseCommand {
  static override summary = 'One screen per cluster: nodes, primary, DRBD, resources, VIP, fencing, warnings.';

  static override description = `Reads every node (one SSH command each, no lock, changes nothing) and shows per cluster: which nodes are reachable and members, which node is primary, DRBD's connection, role, disk state and sync progress per resource and node, where each resource runs (Pacemaker: crm_mon; Heartbeat: the inventory's group and where each part is seen), the VIP's holder, fail counts, bans left by moves, fencing (with SBD: sbd, the watchdog and the slot of each node; the last fencing and its outcome), and warnings: no fencing, a node SBD could not fence, a failed fencing, split brain, degraded, out of sync, a stopped cluster manager, failed resources.

Works for both stacks and on clusters haforge did not build. --json prints the same data; each cluster names its current primary under "primary" (null when there is none).

Exit codes: 0 every cluster healthy, 2 some cluster has a critical warning (split brain, degraded DRBD, a node down, no primary, ...), 1 bad input.`;

  static override examples = [
    '<%= config.bin %> status -i inventory.yaml',
    '<%= config.bin %> status -i inventory.yaml --json',
    '<%= config.bin %> status -i inventory.yaml --watch          # refresh every 2 s until Ctrl-C',
    '<%= config.bin %> status -i inventory.yaml --watch --interval 5 --cluster web',
  ];

  static override flags = {
    inventory: inventoryFlag,
    json: jsonFlag,
    cluster: Flags.string({ description: 'Only this cluster.' }),
    watch: Flags.boolean({ char: 'w', description: 'Refresh until interrupted (with --json: one JSON document per line and refresh).' }),
    interval: secondsFlag('interval')({ description: 'Seconds between refreshes with --watch.', default: 2 }),
    'accept-new-host-keys': acceptNewFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    const inventory = await loadInventory(flags.inventory);
    const req = { cluster: flags.cluster, acceptNewHostKeys: flags['accept-new-host-keys'], interactive: !flags.json };
    if (!flags.watch) {
      const report = await clusterStatus(inventory, req);
      if (flags.json) this.printJson(report);
      else this.log(renderStatus(report));
      process.exitCode = report.healthy ? 0 : 2;
      return;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    await watchStatus(
      inventory,
      req,
      flags.interval * 1000,
      (report) => {
        if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
        // Clear the screen and home the cursor: the terminal shows the latest reading only.
        else process.stdout.write(`\u001b[2J\u001b[H${renderStatus(report)}\n`);
        process.exitCode = report.healthy ? 0 : 2;
      },
      stop.signal,
    );
  }
}
