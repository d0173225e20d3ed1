import { loadInventory } from '../../inventory/load.js';
import { detectSplitBrain } from '../../services/split-brain.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderDetection } from '../../ui/split-brain.js';
import { splitBrainFlags } from '../../ui/split-brain-flags.js';

export default class SplitBrain extends BaseCommand {
  static override summary = 'Detect and explain DRBD split brain (repair: split-brain repair).';

  static override description = `Reads every node of the cluster (one SSH command each) and, per DRBD resource, says whether the nodes' data split: StandAlone on either side, a node waiting for a StandAlone peer, "Split-Brain detected" in the kernel log, both nodes Primary without a connection, and the generation UUIDs (drbdadm get-gi: did both change the data since they last shared it?).

For a split brain it explains who has which changes since when: the time the nodes parted (kernel log), whether each side was and is Primary and has the filesystem mounted, how much DRBD marked as changed on each side, and the files changed since the split (on a mounted filesystem, else through a read-only look at the backing disk). Only reads; changes nothing.

Exit codes: 0 no split brain, 2 a split brain was found, 1 a node could not be read (or bad input).`;

  static override examples = [
    '<%= config.bin %> split-brain -i inventory.yaml',
    '<%= config.bin %> split-brain -i inventory.yaml --json',
    "<%= config.bin %> split-brain -i inventory.yaml --resource r0 --since '2026-11-23 10:00'",
  ];

  static override flags = splitBrainFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(SplitBrain);
    const report = await detectSplitBrain(await loadInventory(flags.inventory), {
      cluster: flags.cluster,
      resource: flags.resource,
      since: flags.since,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: !flags.json,
    });
    if (flags.json) this.printJson(report);
    else this.log(renderDetection(report));
    process.exitCode = report.splitBrain ? 2 : report.unreadable.length ? 1 : 0;
  }
}
