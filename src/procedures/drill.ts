// A failover drill as a plan over a status reading: who fails and who
// survives (refused on a cluster that could not survive a failure: no
// standby, data not in sync), then the steps: record the data on the
// replicated volume with a fresh marker, fail the primary, wait for the
// services to answer from the survivor, verify the data there, bring the
// failed node back (also when a wait before it failed), wait until it is a
// member again and DRBD is UpToDate on both. The executor runs it; the
// service times it from the steps' outcomes. No I/O here.
import type { ClusterSpec } from '../inventory/model.js';
import type { Plan, Refusal, Step } from '../engine/plan.js';
import { quoteWord } from '../util/shell.js';
import type { ClusterReport } from '../cluster/status.js';
import { banOn, drbdInSync, runsOn, waitStep, type MoveContext } from './moves.js';

/** How the primary fails and comes back: a command on the node, or an action on this workstation (its power). */
export type DrillEffect = { description: string; argv: string[] } | { description: string; local: () => Promise<void> };

export interface DrillContext extends MoveContext {
  fail: DrillEffect;
  restore: DrillEffect;
  /** Written on every volume before the failure: the last write must survive. */
  marker: string;
  /**
   * The failure leaves the primary alive (a hang): only fencing makes a
   * takeover safe, so the drill is refused on a cluster that cannot fence.
   */
  needsFencing?: boolean;
}

export interface DrillPlan extends Plan<ClusterReport> {
  cluster: string;
  primary: string;
  survivor: string;
  /** Mount points of the replicated volumes whose data is checksummed. */
  mounts: string[];
}

/** The marker file the drill writes on each volume before the failure: the last write must survive. */
export const MARKER = '.haforge-drill';

/** Who fails and who survives, or why the cluster could not survive a failure now. */
export function drillRoles(report: ClusterReport): { primary: string; survivor: string } | Refusal {
  const primary = report.primary;
  if (primary === null) return { message: `no node runs the services of cluster ${report.cluster}: nothing to fail over`, hint: 'haforge status says why' };
  const survivor = report.nodes.filter((n) => n.name !== primary).find((n) => n.reachable && n.managerRunning && n.membership === 'online');
  if (!survivor) return { message: `no other node of cluster ${report.cluster} is an online member: a failure of ${primary} would stop the services`, hint: 'haforge status; bring the standby node back first' };
  const ban = banOn(report, survivor.name);
  if (ban) return ban;
  for (const r of report.drbd) {
    // drbdInSync's test, per resource, to name the node that is behind.
    const bad = r.nodes.find((n) => n.connection !== 'Connected' || n.disk !== 'UpToDate' || n.peerDisk !== 'UpToDate');
    if (bad) return { message: `DRBD ${r.name} is not in sync (${bad.node}: ${bad.connection ?? 'not up'} ${bad.disk ?? '?'}/${bad.peerDisk ?? '?'}): a failure now could lose data`, hint: 'wait until haforge status shows UpToDate/UpToDate on both nodes' };
  }
  return { primary, survivor: survivor.name };
}

export function planDrill(report: ClusterReport, ctx: DrillContext): DrillPlan {
  const roles = drillRoles(report);
  const mounts = report.drbd.flatMap((r) => (r.mount ? [r.mount] : []));
  if ('message' in roles) return { cluster: report.cluster, primary: report.primary ?? '', survivor: '', mounts, reason: roles.message, steps: [], refusal: roles };
  const { primary, survivor } = roles;
  const unfenced = ctx.needsFencing ? cannotFence(report) : undefined;
  if (unfenced) return { cluster: report.cluster, primary, survivor, mounts, reason: unfenced.message, steps: [], refusal: unfenced };
  const effect = (e: DrillEffect, phase: string, power: 'off' | 'on'): Step<ClusterReport> =>
    'local' in e ? { node: primary, description: e.description, argv: [], local: e.local, power, phase } : { node: primary, description: e.description, argv: e.argv, phase };
  const steps: Step<ClusterReport>[] = [
    { node: primary, description: 'write the marker and checksum the volume', argv: checksumScript(mounts, ctx.marker), keepOutput: true, phase: 'record' },
    effect(ctx.fail, 'fail', 'off'),
    waitStep(ctx, `the services on ${survivor}`, (r) => runsOn(r, survivor), survivor, [], 'failover'),
    { node: survivor, description: 'checksum the volume', argv: checksumScript(mounts), readonly: true, keepOutput: true, phase: 'verify' },
    // Undoes the failure even when a wait before it gave up: a drill leaves no node down.
    { ...effect(ctx.restore, 'restore', 'on'), undoes: 'fail' },
    waitStep(ctx, `${primary} to rejoin`, (r) => r.nodes.find((n) => n.name === primary)?.membership === 'online', undefined, [], 'rejoin'),
    waitStep(ctx, 'DRBD UpToDate/UpToDate on both nodes', drbdInSync, undefined, [], 'resync'),
  ];
  return { cluster: report.cluster, primary, survivor, mounts, reason: `${primary} fails, ${survivor} takes over`, steps };
}

/**
 * Why the survivor could not safely take over from a primary that hangs: it
 * must fence it first. Without fencing Pacemaker would either wait forever
 * (the node is unclean) or, with stonith-enabled=false, take the data over
 * while the hung node still holds it: a split brain the moment it runs on.
 */
export function cannotFence(report: ClusterReport): Refusal | undefined {
  const f = report.fencing;
  if (f.inventory !== 'configured') return { message: `cluster ${report.cluster} has no fencing (${f.inventory === 'disabled' ? 'disabled by the inventory' : 'none configured'}): a hung primary cannot be taken over safely`, hint: 'configure fencing (fencing: sbd or devices) first; --method stop or power-off drill a cluster without it' };
  if (report.stack === 'pacemaker' && f.stonithEnabled !== true) return { message: `Pacemaker of cluster ${report.cluster} has stonith-enabled=${f.stonithEnabled ?? 'unknown'}: a hung primary cannot be taken over safely`, hint: 'haforge apply pacemaker pushes the inventory\'s fencing' };
  return undefined;
}

/**
 * Writes the marker (with the time and a nonce) and flushes it; then, for
 * each mount, "<mount> <files> <sha256 of every file's sha256 and path>".
 * Paths are sorted bytewise so both nodes list them in the same order.
 */
export function checksumScript(mounts: string[], marker?: string): string[] {
  const write = marker === undefined ? '' : `for m in "$@"; do printf '%s\\n' ${quoteWord(marker)} > "$m/${MARKER}"; done; sync\n`;
  const sum = `for m in "$@"; do
  n=$(cd "$m" && find . -xdev -type f | wc -l)
  s=$(cd "$m" && find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1)
  echo "$m $n $s"
done`;
  return ['sh', '-c', write + sum, 'haforge-drill', ...mounts];
}

export interface VolumeChecksum {
  mount: string;
  files: number;
  sha256: string;
}

export function parseChecksums(stdout: string): VolumeChecksum[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length === 3 && /^[0-9a-f]{64}$/.test(w[2]!))
    .map(([mount, files, sha256]) => ({ mount: mount!, files: Number(files), sha256: sha256! }));
}

/** The cluster stack's units in start order (stop: the reverse). */
export function stackUnits(cluster: ClusterSpec): string[] {
  return cluster.stack === 'pacemaker' ? ['corosync', 'pacemaker'] : ['heartbeat'];
}
