// Split-brain detection as a pure function: what every node said (one fact
// batch each) in, per DRBD resource a verdict, the signals behind it and
// what each side did while the nodes were apart out. No I/O here.
import { compareLineage, generation, madeAsPrimary, type Lineage, type ResourceLineage } from '../../drbd/lineage.js';
import { drbdEvents, type DrbdLogEvent, type KernelLog } from '../../drbd/kernel-log.js';
import { deviceState, type DrbdKernelState, type DrbdRole } from '../../drbd/status.js';
import type { ChangedFiles } from '../../facts/changed-files.js';
import type { MountEntry } from '../../facts/mounts.js';
import type { RunningManager } from '../../facts/running-manager.js';
import type { DrbdVersions } from '../../facts/system.js';
import type { ClusterSpec } from '../../inventory/model.js';

/** What one node told us (or why it could not). */
export interface NodeReading {
  node: string;
  error?: string;
  family?: DrbdVersions['family'];
  status?: DrbdKernelState;
  /** Per resource name. */
  lineage?: Record<string, ResourceLineage>;
  mounts?: MountEntry[];
  log?: KernelLog;
  manager?: RunningManager;
}

export interface ResourceRef {
  cluster: string;
  name: string;
  minor: number;
  /** /dev/drbdN */
  device: string;
  /** Where the inventory mounts it (the service's mount point). */
  mount?: string;
  /** The filesystem the inventory puts on it. */
  filesystem?: string;
}

/** The inventory's DRBD resources of a cluster (one, when `only` names it). */
export function resourceRefs(cluster: ClusterSpec, only?: string): ResourceRef[] {
  return (cluster.drbd?.resources ?? [])
    .filter((r) => only === undefined || r.name === only)
    .map((r) => ({ cluster: cluster.name, name: r.name, minor: r.minor, device: r.device, mount: r.mount, filesystem: r.filesystem }));
}

export interface SideReport {
  node: string;
  reachable: boolean;
  error?: string;
  /** Undefined: the resource is not up on this node. */
  connection?: string;
  role?: DrbdRole;
  disk?: string;
  /** KiB DRBD marked as changed here and not on the peer (its bitmap). */
  outOfSyncKiB?: number;
  /** Where the DRBD device is mounted on this node. */
  mountedAt?: string;
  /** Generation UUIDs (drbdadm get-gi). */
  current?: string;
  bitmap?: string;
  /** The node was Primary when the nodes parted (role bit of the bitmap UUID). */
  primaryAtSplit?: boolean;
  /** From the node's kernel log (Unix seconds, node clock). */
  disconnectedAt?: number;
  promotedAt?: number;
  /** The log holds DRBD's refusal ("Split-Brain detected but unresolved") after its last connection. */
  splitLogged?: boolean;
  splitDetectedAt?: number;
  /** DRBD's backing device on this node. */
  lowerDevice?: string;
  /** Files changed since the split (filled in by a second read when the filesystem can be read). */
  changes?: ChangedFiles & { since: number };
}

export type SignalKind = 'standalone' | 'waiting-for-standalone-peer' | 'kernel-log' | 'both-primary' | 'diverged-data' | 'auto-resolved';

export interface Signal {
  kind: SignalKind;
  node?: string;
  detail: string;
  /** Unix seconds, when the signal has a time. */
  at?: number;
}

export type Verdict = 'split-brain' | 'healthy' | 'apart' | 'unknown';

export interface ResourceReport extends ResourceRef {
  verdict: Verdict;
  splitBrain: boolean;
  signals: Signal[];
  /** How the two nodes' data relate, when both could be read. */
  lineage?: Lineage;
  /** When the nodes parted: the earliest loss of the link in the kernel logs. */
  splitAt?: number;
  /** When DRBD last refused to reconnect. */
  detectedAt?: number;
  sides: SideReport[];
}

/**
 * Files changed this long before the logged loss of the link are listed and
 * rescued too: a file's change time is set at write(), but the kernel writes
 * dirty pages back up to 30 s later (vm.dirty_expire_centisecs), and DRBD
 * logs the loss only when its ping times out. Such a file may never have
 * reached the peer. Older files did, and are the same on both sides.
 */
export const SINCE_MARGIN_SECONDS = 30;

export function analyseResource(ref: ResourceRef, readings: NodeReading[]): ResourceReport {
  const sides = readings.map((r) => sideOf(ref, r));
  const gis = readings.map((r) => r.lineage?.[ref.name]?.gi);
  const lineage = gis.length === 2 && gis[0] && gis[1] ? compareLineage(gis[0], gis[1]) : undefined;
  const signals = signalsOf(ref, sides, readings, lineage);
  const up = sides.every((s) => s.reachable && s.connection !== undefined);
  const connected = up && sides.every((s) => s.connection === 'Connected');
  const evidence = signals.some((s) => s.kind === 'kernel-log' || s.kind === 'both-primary');
  // The generation UUIDs are the data's own record: when both are known they decide.
  const splitBrain = lineage === 'diverged' || (lineage === undefined && !connected && evidence);
  const verdict: Verdict = splitBrain ? 'split-brain' : connected ? 'healthy' : up ? 'apart' : 'unknown';
  const times = (pick: (s: SideReport) => number | undefined) => sides.map(pick).filter((t): t is number => t !== undefined);
  const parted = times((s) => s.disconnectedAt);
  const detected = times((s) => s.splitDetectedAt);
  return {
    ...ref,
    verdict,
    splitBrain,
    signals,
    lineage,
    splitAt: splitBrain && parted.length ? Math.min(...parted) : undefined,
    detectedAt: detected.length ? Math.max(...detected) : undefined,
    sides,
  };
}

function sideOf(ref: ResourceRef, r: NodeReading): SideReport {
  if (r.error) return { node: r.node, reachable: false, error: r.error };
  const dev = r.status ? deviceState(r.status, ref.minor) : undefined;
  const lin = r.lineage?.[ref.name];
  const mount = r.mounts?.find((m) => m.device === ref.device || m.device === `/dev/drbd${ref.minor}`);
  const story = timeline(r.log ? drbdEvents(r.log, ref.name, ref.minor) : [], dev?.connection === 'Connected');
  return {
    node: r.node,
    reachable: true,
    connection: dev?.connection,
    role: dev?.role,
    disk: dev?.disk,
    outOfSyncKiB: dev?.outOfSyncKiB,
    mountedAt: mount?.path,
    current: lin?.gi?.current,
    bitmap: lin?.gi?.bitmap,
    primaryAtSplit: lin?.gi && generation(lin.gi.bitmap) !== '0000000000000000' ? madeAsPrimary(lin.gi.bitmap) : undefined,
    lowerDevice: lin?.lowerDevice,
    ...story,
  };
}

/**
 * The latest split in a node's log: DRBD's refusal (if it is newer than the
 * last successful connection), the loss of the link before it, and the
 * first promotion after that loss.
 */
function timeline(events: DrbdLogEvent[], connectedNow: boolean): Pick<SideReport, 'disconnectedAt' | 'promotedAt' | 'splitLogged' | 'splitDetectedAt'> {
  const lastIndex = (kind: DrbdLogEvent['kind'], before = events.length) => {
    for (let i = before - 1; i >= 0; i--) if (events[i]!.kind === kind) return i;
    return -1;
  };
  const split = lastIndex('split-brain');
  const connected = lastIndex('connected');
  const unresolved = split > connected;
  if (!unresolved && connectedNow) return {};
  const refusal = unresolved ? { splitLogged: true, splitDetectedAt: events[split]!.time } : {};
  const parted = lastIndex('disconnected', unresolved ? split : events.length);
  if (parted < 0 || parted < connected) return refusal;
  const promoted = events.slice(parted + 1).find((e) => e.kind === 'promoted');
  return { disconnectedAt: events[parted]!.time, promotedAt: promoted?.time, ...refusal };
}

function signalsOf(ref: ResourceRef, sides: SideReport[], readings: NodeReading[], lineage: Lineage | undefined): Signal[] {
  const out: Signal[] = [];
  for (const s of sides) {
    const peer = sides.find((p) => p !== s);
    if (s.connection === 'StandAlone') out.push({ kind: 'standalone', node: s.node, detail: `${s.node} is StandAlone: it will not reconnect by itself` });
    if (peer?.connection === 'StandAlone' && (s.connection === 'WFConnection' || s.connection === 'Connecting' || s.connection === 'Unconnected')) {
      out.push({ kind: 'waiting-for-standalone-peer', node: s.node, detail: `${s.node} waits for ${peer.node}, which refuses to connect (StandAlone)` });
    }
    if (s.splitLogged) out.push({ kind: 'kernel-log', node: s.node, at: s.splitDetectedAt, detail: `${s.node}'s kernel log: "Split-Brain detected but unresolved"` });
  }
  const [a, b] = sides;
  if (a?.role === 'Primary' && b?.role === 'Primary' && !(a.connection === 'Connected' && b.connection === 'Connected')) {
    out.push({ kind: 'both-primary', detail: `both ${a.node} and ${b.node} are Primary without a connection: both can write` });
  }
  if (lineage === 'diverged') out.push({ kind: 'diverged-data', detail: `the generation UUIDs show both nodes changed the data since they last shared it (${a!.node} ${a!.current}, ${b!.node} ${b!.current}, common ${a!.bitmap})` });
  for (const r of readings) {
    const auto = (r.log ? drbdEvents(r.log, ref.name, ref.minor) : []).filter((e) => e.kind === 'split-brain-auto').at(-1);
    if (auto) out.push({ kind: 'auto-resolved', node: r.node, at: auto.time, detail: `${r.node}'s kernel log: DRBD resolved a split brain by itself (after-sb policy), discarding one side's writes: "${auto.text.trim()}"` });
  }
  return out;
}

/**
 * From when to list (and rescue) a side's changes: its own loss of the link,
 * else the earliest one in any log, minus a margin. Undefined: no log tells.
 */
export function changesSince(report: ResourceReport, side: SideReport, override?: number): number | undefined {
  if (override !== undefined) return override;
  const t = side.disconnectedAt ?? report.splitAt;
  return t === undefined ? undefined : Math.floor(t) - SINCE_MARGIN_SECONDS;
}
