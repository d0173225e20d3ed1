// `haforge status` as text: one screen per cluster. Nodes, DRBD per
// resource, the resources and where they run, then the warnings, worst first.
import type { ClusterReport, DrbdNodeStatus, StatusWarning } from '../cluster/status.js';
import type { FenceEvent } from '../pacemaker/crm-mon.js';
import type { StatusReport } from '../services/status.js';
import { color } from './color.js';
import { renderTable } from './table.js';

const yesNo = (b: boolean) => (b ? 'yes' : '-');

function drbdCell(n: DrbdNodeStatus): string {
  if (n.connection === undefined) return 'not up';
  const sync = n.sync ? ` ${n.sync.percent.toFixed(1)}%${n.sync.etaSeconds !== undefined ? ` eta ${n.sync.etaSeconds}s` : ''}` : '';
  return `${n.role}/${n.disk} ${n.replication && n.replication !== 'Established' ? n.replication : n.connection}${sync}`;
}

function renderWarning(w: StatusWarning): string[] {
  const mark = w.severity === 'critical' ? color.red('CRITICAL') : color.yellow('warning');
  return [`  ${mark} ${w.message}`, ...(w.hint ? [color.dim(`           hint: ${w.hint}`)] : [])];
}

export function renderCluster(c: ClusterReport): string {
  const out: string[] = [];
  const state = c.healthy ? color.green('healthy') : color.red('NOT HEALTHY');
  out.push(color.bold(`cluster ${c.cluster} (${c.stack ?? 'no cluster manager'}): ${state}, primary ${c.primary ?? color.red('none')}`));
  out.push(
    renderTable(
      ['node', 'reachable', c.stack === 'pacemaker' ? 'pacemaker' : 'heartbeat', 'member', 'vip', ...c.drbd.map((r) => `drbd ${r.name}`)],
      c.nodes.map((n) => ({
        cells: [n.name, yesNo(n.reachable), n.managerRunning ? 'running' : 'stopped', n.membership, yesNo(n.vip), ...c.drbd.map((r) => drbdCell(r.nodes.find((x) => x.node === n.name) ?? { node: n.name }))],
      })),
    ),
  );
  if (c.resources.length) {
    out.push('');
    out.push(
      renderTable(
        ['resource', 'agent', 'role', 'where'],
        c.resources.map((r) => ({
          cells: [r.id, r.agent, r.failed ? 'FAILED' : r.managed ? r.role : `${r.role} (unmanaged)`, r.nodes.join(', ') || '-'],
          paint: (col, text) => (col === 2 && r.failed ? color.red(text) : text),
        })),
      ),
    );
  }
  if (c.vip) out.push('', `vip ${c.vip.address}: ${c.vip.holders.join(', ') || 'on no node'}`);
  const fencing = c.fencing.inventory === 'configured' ? `configured (${c.fencing.devices.join(', ')})` : c.fencing.inventory === 'disabled' ? 'disabled by the inventory' : 'not configured';
  out.push(`fencing: ${fencing}${c.fencing.stonithEnabled !== undefined ? `, stonith-enabled=${c.fencing.stonithEnabled}` : ''}`);
  for (const n of c.fencing.sbd ?? []) out.push(`  ${n.node}: ${sbdLine(n)}`);
  const last = c.fencing.history[0];
  if (last) out.push(`  last fencing: ${fenceEventText(last)}`);
  if (c.viewFrom) out.push(color.dim(`cluster manager's view read on ${c.viewFrom}`));
  const sorted = [...c.warnings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
  if (sorted.length) out.push('', ...sorted.flatMap(renderWarning));
  return out.join('\n');
}

/** "reboot of node1 by node2: success (2026-12-06 04:08:25Z)". */
export function fenceEventText(e: FenceEvent): string {
  const by = e.delegate ?? e.origin;
  return `${e.action} of ${e.target}${by ? ` by ${by}` : ''}: ${e.status}${e.completed ? ` (${e.completed})` : ''}`;
}

/** "sbd active, watchdog i6300ESB timer active 5 s, slot clear". */
function sbdLine(n: NonNullable<ClusterReport['fencing']['sbd']>[number]): string {
  const w = n.watchdog;
  const watchdog = w.present ? `watchdog ${[w.identity, w.state, w.timeout !== undefined ? `${w.timeout} s` : undefined].filter(Boolean).join(' ')}` : 'no watchdog';
  const slots = n.slots.map((x) => (x.error ? `slot unreadable on ${x.device}` : `slot ${x.message}${x.from && x.message !== 'clear' ? ` from ${x.from}` : ''}`));
  return [`sbd ${n.sbd}`, watchdog, ...slots].join(', ');
}

export function renderStatus(report: StatusReport): string {
  return [...report.clusters.map(renderCluster), color.dim(`read at ${report.readAt} in ${report.readMs} ms`)].join('\n\n');
}
