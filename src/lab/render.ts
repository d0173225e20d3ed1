// The human view of a lab's status.
import type { LabStatus } from '../services/lab.js';

export function renderStatus(s: LabStatus): string {
  const rows = [['NODE', 'POWER', 'PID', 'SSH', 'REPLICATION', 'RING1', 'CUT']];
  for (const n of s.nodes) {
    rows.push([n.name, n.power, n.pid === null ? '-' : String(n.pid), n.addresses.ssh, n.addresses.replication, n.addresses.ring1, n.cutLinks.join(',') || '-']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
  return [
    `lab "${s.name}" (${s.stack}, ${s.accel})`,
    table,
    `inventory: ${s.inventory}`,
    `try: haforge lab ssh ${s.nodes[0]?.name ?? 'node1'}${s.name === 'default' ? '' : ` --name ${s.name}`}`,
  ].join('\n');
}
