import { Flags } from '@oclif/core';
import type { CheckStatus } from '../procedures/preflight/checks.js';
import { loadInventory } from '../inventory/load.js';
import { preflight, type PreflightReport } from '../services/preflight.js';
import { acceptNewFlag, BaseCommand, inventoryFlag, jsonFlag, secondsFlag } from '../ui/base-command.js';
import { color } from '../ui/color.js';
import { renderTable } from '../ui/table.js';

export default class Preflight extends BaseCommand {
  static override description = `Check that the nodes are ready for the cluster: one SSH round trip per node, all nodes at once.

Checks uname -n against the inventory, peer name resolution, time sync and the clock skew between nodes, the DRBD module against drbd-utils, the backing disks (exist, same size, blank, not mounted), the replication ports (free, and reachable from the peer: each node listens for a moment while the other connects), the packages and tools the stack needs, and fencing. Prints one line per check per node with a hint under each problem; exits 1 if any check fails (warnings alone exit 0).`;

  static override examples = [
    '<%= config.bin %> preflight -i inventory.yaml',
    '<%= config.bin %> preflight -i inventory.yaml --cluster web --max-skew 0.5',
    '<%= config.bin %> preflight -i inventory.yaml --json',
  ];

  static override flags = {
    inventory: inventoryFlag,
    json: jsonFlag,
    'accept-new-host-keys': acceptNewFlag,
    cluster: Flags.string({ char: 'c', description: 'Check only this cluster of the inventory.' }),
    'max-skew': secondsFlag('max-skew')({ description: 'Clock skew between nodes (seconds) above which preflight fails; it warns above 0.2 s.', default: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Preflight);
    const report = await preflight(await loadInventory(flags.inventory), {
      cluster: flags.cluster,
      maxSkew: flags['max-skew'],
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: !flags.json,
    });
    if (flags.json) this.printJson(report);
    else this.log(renderPreflight(report, process.stdout.isTTY ? process.stdout.columns : undefined));
    if (!report.ok) process.exitCode = 1;
  }
}

const paintStatus: Record<CheckStatus, (s: string) => string> = { ok: color.green, warn: color.yellow, fail: (s) => color.bold(color.red(s)) };
const label: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };

export function renderPreflight(report: PreflightReport, width?: number): string {
  const multi = report.clusters.length > 1;
  const rows = report.checks.map((c) => ({
    cells: [multi ? `${c.cluster}/${c.node}` : c.node, c.check, label[c.status], c.detail],
    notes: c.hint && c.status !== 'ok' ? [`hint: ${c.hint}`] : undefined,
    paint: (col: number, text: string) => (col === 2 ? paintStatus[c.status](text) : text),
  }));
  const out: string[] = [];
  for (const w of report.warnings) out.push(color.yellow(`warning: ${w}`));
  if (report.warnings.length) out.push('');
  out.push(renderTable(['NODE', 'CHECK', 'STATUS', 'DETAIL'], rows, { width, paintHeader: color.bold }));
  out.push('');
  for (const c of report.clusters) {
    if (c.skewSeconds !== undefined) out.push(`cluster ${c.name}: clock skew between nodes ${c.skewSeconds.toFixed(3)} s (±${(c.skewUncertaintySeconds ?? 0).toFixed(3)} s)`);
  }
  const s = report.summary;
  const trips = Object.entries(report.roundTripMs).map(([n, ms]) => `${n} ${ms} ms`).join(', ');
  out.push(`${s.fail ? color.red(`${s.fail} failed`) : '0 failed'}, ${s.warn} warnings, ${s.ok} ok${trips ? `  (one round trip per node: ${trips})` : ''}`);
  return out.join('\n');
}
