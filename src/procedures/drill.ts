// A failover drill as pure pieces: who fails and who survives (refused on a
// cluster that could not survive a failure: no standby, data not in sync),
// the scripts that record and verify the data on the volume, the check that
// the services answer on the VIP, and how the cluster stack is stopped and
// started for the `stop` method. The service (src/services/drill.ts) runs
// them in order and times each phase. No I/O here.
import type { ClusterSpec } from '../inventory/model.js';
import { quoteWord } from '../util/shell.js';
import type { ClusterReport } from '../cluster/status.js';
import { MoveRefused, refuseIfBanned } from './moves.js';

export interface DrillPlan {
  cluster: string;
  primary: string;
  survivor: string;
  /** Mount points of the replicated volumes whose data is checksummed. */
  mounts: string[];
}

/** The marker file the drill writes on each volume before the failure: the last write must survive. */
export const MARKER = '.haforge-drill';

export function planDrill(report: ClusterReport): DrillPlan {
  const primary = report.primary;
  if (primary === null) throw new MoveRefused(`no node runs the services of cluster ${report.cluster}: nothing to fail over`, 'haforge status says why');
  const others = report.nodes.filter((n) => n.name !== primary);
  const survivor = others.find((n) => n.reachable && n.managerRunning && n.membership === 'online');
  if (!survivor) throw new MoveRefused(`no other node of cluster ${report.cluster} is an online member: a failure of ${primary} would stop the services`, 'haforge status; bring the standby node back first');
  refuseIfBanned(report, survivor.name);
  for (const r of report.drbd) {
    // drbdInSync's test, per resource, to name the node that is behind.
    const bad = r.nodes.find((n) => n.connection !== 'Connected' || n.disk !== 'UpToDate' || n.peerDisk !== 'UpToDate');
    if (bad) throw new MoveRefused(`DRBD ${r.name} is not in sync (${bad.node}: ${bad.connection ?? 'not up'} ${bad.disk ?? '?'}/${bad.peerDisk ?? '?'}): a failure now could lose data`, 'wait until haforge status shows UpToDate/UpToDate on both nodes');
  }
  return { cluster: report.cluster, primary, survivor: survivor.name, mounts: report.drbd.flatMap((r) => (r.mount ? [r.mount] : [])) };
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
