// The human view of a lab's status.
import type { LabStatus } from '../services/lab.js';

export function renderStatus(s: LabStatus): string {
  // The host names only where they differ from the lab's names (a lab with --domain).
  const hostNames = s.nodes.some((n) => n.hostname !== n.name);
  const rows = [['NODE', ...(hostNames ? ['HOST NAME'] : []), 'POWER', 'PID', 'SSH', 'REPLICATION', 'RING1', 'CUT']];
  for (const n of s.nodes) {
    rows.push([n.name, ...(hostNames ? [n.hostname] : []), n.power, n.pid === null ? '-' : String(n.pid), n.addresses.ssh, n.addresses.replication, n.addresses.ring1, n.cutLinks.join(',') || '-']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
  return [
    `lab "${s.name}" (${s.stack}, ${s.accel}${s.drbd === '8.4' ? '' : `, ${s.drbd}`})`,
    table,
    `inventory: ${s.inventory}`,
    `try: haforge lab ssh ${s.nodes[0]?.name ?? 'node1'}${s.name === 'default' ? '' : ` --name ${s.name}`}`,
  ].join('\n');
}
