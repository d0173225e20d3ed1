// Fencing on purpose, as plans over a status reading. `fence NODE` asks
// Pacemaker, on another member, to reboot the node with the configured
// devices (stonith_admin: the fencing lands in Pacemaker's history like any
// other). `fence --test` proves every node can be fenced without fencing
// anyone: with SBD a test message goes into each node's slot and its sbd
// must take it out again (the same path a poison pill takes); a fence
// device must be registered for each node and answer its status.
import type { Refusal, Step, WatchState } from '../engine/plan.js';
import { parseSbdHeader, sbdHeaderFact } from '../fencing/sbd.js';
import type { ClusterSpec } from '../inventory/model.js';
import type { ClusterReport } from '../cluster/status.js';
import { stonithId } from '../pacemaker/ids.js';
import { drbdInSync, type MoveContext, type MovePlan } from './moves.js';

const refused = (report: ClusterReport, action: string, refusal: Refusal): MovePlan => ({ cluster: report.cluster, action, reason: refusal.message, steps: [], refusal });

/** Fencing that haforge can drive: Pacemaker, with fencing configured. */
function fencingRefusal(cluster: ClusterSpec, report: ClusterReport): Refusal | undefined {
  if (report.stack !== 'pacemaker') return { message: `cluster ${report.cluster} runs Heartbeat v1: haforge fences through Pacemaker`, hint: "Heartbeat's own stonith plugins fence a node when it is declared dead; by hand: stonith -t external/ipmi -T reset NODE (see docs/heartbeat.md)" };
  if (!cluster.fencing?.enabled) return { message: `the inventory configures no fencing for cluster ${report.cluster}`, hint: 'add fencing: sbd: or fencing: devices: and run haforge apply pacemaker' };
  return undefined;
}

/** An online member other than `target` where Pacemaker answers: it does the fencing. */
function fencer(report: ClusterReport, target?: string): string | Refusal {
  const other = report.nodes.find((n) => n.name !== target && n.reachable && n.managerRunning && n.membership === 'online');
  return other?.name ?? { message: `no other node of cluster ${report.cluster} is an online member${target ? `: fencing ${target} would leave no node running` : ''}`, hint: 'haforge status shows the cluster' };
}

export function planFence(report: ClusterReport, ctx: MoveContext, target: string): MovePlan {
  const action = `fence ${target}`;
  if (!report.nodes.some((n) => n.name === target)) return refused(report, action, { message: `no node '${target}' in cluster ${report.cluster}`, hint: `nodes: ${report.nodes.map((n) => n.name).join(', ')}` });
  const why = fencingRefusal(ctx.cluster, report);
  if (why) return refused(report, action, why);
  const by = fencer(report, target);
  if (typeof by !== 'string') return refused(report, action, by);
  const steps: Step<ClusterReport>[] = [
    {
      node: by,
      description: `reboot ${target} with the cluster's fencing (Pacemaker on ${by})`,
      argv: ['stonith_admin', '--reboot', target, '--timeout', String(ctx.timeoutSeconds)],
      destructive: true,
      // Right before: still another member to run the services, and the data in sync where the target is the only good copy.
      guard: (now) => {
        const still = fencer(now, target);
        if (typeof still !== 'string') return still;
        return now.primary === target && !drbdInSync(now) ? `${target} is Primary and DRBD is not in sync: fencing it now could lose the only good copy` : undefined;
      },
    },
  ];
  return { cluster: report.cluster, action, reason: action, steps };
}

/** How long a node's sbd gets to take a test message out of its slot (it reads the slot every second). */
export const SBD_TEST_SECONDS = 15;

/** fence --test: every node fenceable, nobody fenced. */
export function planFenceTest(report: ClusterReport, ctx: MoveContext): MovePlan {
  const action = 'fence --test';
  const why = fencingRefusal(ctx.cluster, report);
  if (why) return refused(report, action, why);
  const fencing = ctx.cluster.fencing!;
  const steps: Step<ClusterReport>[] = [];
  for (const target of report.nodes.map((n) => n.name)) {
    const by = fencer(report, target);
    const on = typeof by === 'string' ? by : target;
    for (const device of fencing.sbd?.devices ?? []) {
      steps.push(
        { node: on, phase: `sbd ${target}`, description: `a test message into ${target}'s slot on ${device}`, argv: ['sbd', '-d', device, 'message', target, 'test'] },
        {
          node: on,
          phase: `sbd ${target}`,
          description: `${target}'s sbd takes it out of its slot (as it would a poison pill)`,
          argv: sbdHeaderFact.command(device),
          readonly: true,
          watch: { intervalMs: 1000, timeoutMs: SBD_TEST_SECONDS * 1000, check: (stdout) => slotCleared(stdout, target), timeoutHint: `is sbd running on ${target} (systemctl status sbd)? A node whose sbd does not read its slot is fenced only by its watchdog, if at all` },
        },
      );
    }
    for (const d of fencing.devices.filter((x) => x.targets.includes(target))) {
      const id = stonithId(d.name);
      steps.push(
        {
          node: on,
          phase: `${d.name} ${target}`,
          description: `Pacemaker lists ${id} among the devices that can fence ${target}`,
          argv: ['stonith_admin', '--list', target],
          readonly: true,
          watch: { intervalMs: 1000, timeoutMs: 0, check: (stdout) => (stdout.split(/\s+/).includes(id) ? { done: true } : { done: false, error: `${id} cannot fence ${target} (stonith_admin --list ${target}: ${stdout.trim() || 'none'})`, hint: `is ${id} started (haforge status)? Its pcmk_host_list must name ${target}` }) },
        },
        { node: on, phase: `${d.name} ${target}`, description: `${id} answers its status (nothing is powered)`, argv: ['stonith_admin', '--query', id], readonly: true },
      );
    }
  }
  return { cluster: report.cluster, action, reason: action, steps };
}

function slotCleared(stdout: string, target: string): WatchState {
  const slot = parseSbdHeader(stdout).slots.find((s) => s.node === target);
  if (!slot) return { done: false, error: `${target} has no slot on the SBD disk: its sbd never started there`, hint: `start the cluster stack on ${target} (sbd starts with corosync)` };
  return slot.message === 'clear' ? { done: true, progress: `${target}: slot clear` } : { done: false, progress: `${target}: slot ${slot.message}` };
}
