// A failover drill as a plan over a status reading: who fails and who
// survives (refused on a cluster that could not survive a failure: no
// standby, data not in sync), then the steps: checksum the paths the user
// declared quiescent, start the write probe through the primary, fail the
// primary, wait for the services to answer from the survivor, stop the
// probe, read there what the probe wrote, the quiescent paths' checksums and
// the survivor's log since the failure, bring the failed node back (also when
// a wait before it failed), wait until it is a member again and DRBD (if
// any) is UpToDate on both. The executor runs it; the service judges the outcome.
// No I/O here.
import type { ClusterSpec } from '../inventory/model.js';
import type { Plan, Refusal, Step } from '../engine/plan.js';
import type { ClusterReport } from '../cluster/status.js';
import { banOn, drbdInSync, runsOn, waitStep, type MoveContext } from './moves.js';
import { PROBE_FILE } from './write-probe.js';
import { TIMELINE_SOURCES } from './timeline.js';

/** How the primary fails and comes back: a command on the node, or an action on this workstation (its power). */
export type DrillEffect = { description: string; argv: string[] } | { description: string; local: () => Promise<void> };

export interface DrillContext extends MoveContext {
  fail: DrillEffect;
  restore: DrillEffect;
  /** The write probe (absent without a replicated filesystem): started before the failure, stopped once the services answer. */
  probe?: { mount: string; start: () => Promise<void>; stop: () => Promise<void> };
  /** Paths on the replicated volume nothing writes to: checksummed before and after. */
  quiescent: string[];
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
}

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
  if ('message' in roles) return { cluster: report.cluster, primary: report.primary ?? '', survivor: '', reason: roles.message, steps: [], refusal: roles };
  const { primary, survivor } = roles;
  const unfenced = ctx.needsFencing ? cannotFence(report) : undefined;
  if (unfenced) return { cluster: report.cluster, primary, survivor, reason: unfenced.message, steps: [], refusal: unfenced };
  const effect = (e: DrillEffect, phase: string, power: 'off' | 'on'): Step<ClusterReport> =>
    'local' in e ? { node: primary, description: e.description, argv: [], local: e.local, power, phase } : { node: primary, description: e.description, argv: e.argv, phase };
  const { probe } = ctx;
  const steps: Step<ClusterReport>[] = [
    { node: primary, description: recordDescription(ctx), argv: recordScript(ctx.quiescent, probe?.mount), keepOutput: true, phase: 'record' },
    ...(probe ? [{ node: primary, description: `start the write probe (fsync'd records on ${probe.mount} through the primary)`, argv: [], local: probe.start, phase: 'probe' }] : []),
    effect(ctx.fail, 'fail', 'off'),
    waitStep(ctx, `the services on ${survivor}`, (r) => runsOn(r, survivor), survivor, [], 'failover'),
    // Stops the probe even when the wait gave up: nothing keeps writing after the drill.
    ...(probe ? [{ node: survivor, description: 'stop the write probe', argv: [], local: probe.stop, phase: 'probe-stop', undoes: 'probe' }] : []),
    { node: survivor, description: `read the probe's records${ctx.quiescent.length ? ', checksum the quiescent paths' : ''} and the log since the failure`, argv: verifyScript(ctx.quiescent, probe?.mount, ctx.timeoutSeconds + 300), readonly: true, keepOutput: true, phase: 'verify' },
    // Undoes the failure even when a wait before it gave up: a drill leaves no node down.
    { ...effect(ctx.restore, 'restore', 'on'), undoes: 'fail' },
    waitStep(ctx, `${primary} to rejoin`, (r) => r.nodes.find((n) => n.name === primary)?.membership === 'online', undefined, [], 'rejoin'),
    ...(report.drbd.length ? [waitStep(ctx, 'DRBD UpToDate/UpToDate on both nodes', drbdInSync, undefined, [], 'resync')] : []),
  ];
  return { cluster: report.cluster, primary, survivor, reason: `${primary} fails, ${survivor} takes over`, steps };
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

function recordDescription(ctx: DrillContext): string {
  const what = [ctx.probe && "empty the write probe's file", ctx.quiescent.length && 'checksum the quiescent paths'].filter(Boolean);
  return what.length ? what.join(', ') : 'nothing to record before the failure';
}

/**
 * For each path "<path> <files> <sha256 of every file's sha256 and path>".
 * Paths are sorted bytewise so both nodes list them in the same order.
 */
const CHECKSUMS = `for p in "$@"; do
  n=$(cd "$p" && find . -xdev -type f | wc -l)
  s=$(cd "$p" && find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1)
  echo "$p $n $s"
done`;

/** On the primary before the failure: empty the probe's file (its records are this drill's only), checksum the quiescent paths. */
export function recordScript(quiescent: string[], probeMount?: string): string[] {
  const reset = probeMount === undefined ? '' : `: > "$1/${PROBE_FILE}"\n`;
  return ['sh', '-c', `${reset}shift\n${CHECKSUMS}`, 'haforge-drill', probeMount ?? '', ...quiescent];
}

/**
 * On the survivor after the takeover: sections "== clock" (its time
 * first, to place its log on this workstation's clock), "== checksums",
 * "== probe" (the probe's file) and "== log" (its journal for the last `logSeconds`,
 * short-unix: the failover timeline's source).
 */
export function verifyScript(quiescent: string[], probeMount: string | undefined, logSeconds: number): string[] {
  const script = `probe=$1 since=$2; shift 2
echo '== clock'
date +%s.%N
echo '== checksums'
${CHECKSUMS}
echo '== probe'
[ -n "$probe" ] && cat -- "$probe/${PROBE_FILE}" 2>/dev/null
echo '== log'
journalctl -o short-unix --no-pager --since "-\${since}s" 2>/dev/null | grep -E '${TIMELINE_SOURCES}' || true`;
  return ['sh', '-c', script, 'haforge-drill', probeMount ?? '', String(logSeconds), ...quiescent];
}

/** The sections of the verify step's output. */
export function verifySections(stdout: string): Record<'checksums' | 'probe' | 'clock' | 'log', string> {
  const out = { checksums: '', probe: '', clock: '', log: '' };
  let at: keyof typeof out | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^== (checksums|probe|clock|log)$/.exec(line);
    if (head) at = head[1] as keyof typeof out;
    else if (at) out[at] += `${line}\n`;
  }
  return out;
}

export interface VolumeChecksum {
  path: string;
  files: number;
  sha256: string;
}

export function parseChecksums(stdout: string): VolumeChecksum[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length === 3 && /^[0-9a-f]{64}$/.test(w[2]!))
    .map(([path, files, sha256]) => ({ path: path!, files: Number(files), sha256: sha256! }));
}

/** The cluster stack's units in start order (stop: the reverse). */
export function stackUnits(cluster: ClusterSpec): string[] {
  return cluster.stack === 'pacemaker' ? ['corosync', 'pacemaker'] : ['heartbeat'];
}
