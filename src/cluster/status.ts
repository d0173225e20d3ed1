// One cluster's status as a pure function: what every node said (one fact
// batch each) and the inventory in, the screen's data out: nodes, the
// primary, DRBD per resource per node, where each resource runs, the VIP's
// holder, fail counts, fencing, and the warnings an admin must see. Works
// for both stacks and for clusters haforge did not build: nothing here
// depends on the ids haforge gives its resources.
import { describeFencing } from '../fencing/rules.js';
import { deviceState, type DrbdSync } from '../drbd/status.js';
import type { InterfaceAddress } from '../facts/addresses.js';
import type { HeartbeatView } from '../heartbeat/view.js';
import type { ClusterStatus as PacemakerStatus, FenceEvent } from '../pacemaker/crm-mon.js';
import { drbdClones, stoppedOnPurpose } from '../pacemaker/crm-mon.js';
import type { SbdHealth } from '../fencing/sbd-health.js';
import type { ServiceState } from '../facts/services.js';
import type { ClusterSpec } from '../inventory/model.js';
import { analyseResource, resourceRefs, type NodeReading, type ResourceRef, type Verdict } from '../procedures/split-brain/detect.js';

/** A NodeReading (DRBD, mounts, kernel log, manager) plus what status adds, all from one batch. */
export interface StatusReading extends NodeReading {
  addresses?: InterfaceAddress[];
  /** crm_mon on this node (Pacemaker clusters). */
  pacemaker?: PacemakerStatus;
  /** cl_status on this node (Heartbeat clusters). */
  heartbeat?: HeartbeatView;
  /** The inventory's services' units on this node, by unit name. */
  services?: Record<string, ServiceState>;
  /** sbd, the watchdog and this node's slots (clusters fenced with SBD). */
  sbd?: SbdHealth;
}

export type Severity = 'critical' | 'warning';

export interface StatusWarning {
  severity: Severity;
  message: string;
  hint?: string;
}

export interface NodeStatus {
  name: string;
  reachable: boolean;
  error?: string;
  /** The cluster manager's daemon runs on this node. */
  managerRunning: boolean;
  /** Membership as the cluster manager sees it: online, standby, offline, unclean, pending, dead, unknown. */
  membership: string;
  /** The node holds the VIP. */
  vip: boolean;
}

export interface DrbdNodeStatus {
  node: string;
  /** Undefined: not readable or the resource is not up there. */
  connection?: string;
  replication?: string;
  role?: string;
  disk?: string;
  peerDisk?: string;
  outOfSyncKiB?: number;
  sync?: DrbdSync;
  mountedAt?: string;
}

export interface DrbdResourceStatus {
  name: string;
  minor: number;
  device: string;
  mount?: string;
  /** healthy (connected), apart, split-brain, unknown: the split-brain analysis' verdict. */
  verdict: Verdict;
  nodes: DrbdNodeStatus[];
}

export interface ResourceStatus {
  id: string;
  /** ocf:heartbeat:IPaddr2, systemd:lighttpd, ... (for Heartbeat: what the inventory says runs it). */
  agent: string;
  /** Started, Promoted, Unpromoted, Stopped, Failed, ... */
  role: string;
  nodes: string[];
  failed: boolean;
  managed: boolean;
  /** The group it belongs to (Heartbeat: "haresources"). */
  group?: string;
  /** The clone it is an instance of. */
  clone?: string;
  /** target-role Stopped: an admin wants it down (haforge resource stop); moves do not wait for it. */
  stoppedOnPurpose?: boolean;
}

export interface FencingStatus {
  /** What the inventory says: devices configured, explicitly disabled, or nothing at all. */
  inventory: 'configured' | 'disabled' | 'missing';
  /** Pacemaker's stonith-enabled, when read. */
  stonithEnabled?: boolean;
  devices: string[];
  /** Per node, with SBD: whether SBD can fence it (sbd running, watchdog armed, its slot). */
  sbd?: ({ node: string } & SbdHealth)[];
  /** The fencer's history, newest first (Pacemaker). */
  history: FenceEvent[];
}

export interface ClusterReport {
  cluster: string;
  stack: ClusterSpec['stack'];
  /** The node whose DRBD resources are all Primary (the VIP's holder breaks a tie), null when there is none. */
  primary: string | null;
  /** The node whose cluster manager's view is shown. */
  viewFrom?: string;
  nodes: NodeStatus[];
  drbd: DrbdResourceStatus[];
  resources: ResourceStatus[];
  vip?: { address: string; holders: string[] };
  failCounts: { node: string; resource: string; count: number }[];
  bans: { id: string; resource: string; node: string; weight: number }[];
  /** Pacemaker's promotable clones of DRBD (ocf:linbit:drbd): what a planned move moves. */
  drbdClones: string[];
  fencing: FencingStatus;
  warnings: StatusWarning[];
  /** No critical warning. */
  healthy: boolean;
}

const critical = (message: string, hint?: string): StatusWarning => ({ severity: 'critical', message, hint });
const warning = (message: string, hint?: string): StatusWarning => ({ severity: 'warning', message, hint });

export function clusterStatus(cluster: ClusterSpec, readings: StatusReading[]): ClusterReport {
  const byNode = new Map(readings.map((r) => [r.node, r]));
  const warnings: StatusWarning[] = [];
  const vipHolders = cluster.vip ? readings.filter((r) => r.addresses?.some((a) => a.address === cluster.vip!.address)).map((r) => r.node) : [];
  const drbd = resourceRefs(cluster).map((ref) => drbdStatus(ref, readings));
  const view = managerView(cluster, readings);
  const nodes = cluster.nodes.map((n) => nodeStatus(n.name, byNode.get(n.name), cluster, view, vipHolders));
  const primary = primaryOf(cluster, drbd, readings, vipHolders);
  const report: ClusterReport = {
    cluster: cluster.name,
    stack: cluster.stack,
    primary,
    viewFrom: view?.node,
    nodes,
    drbd,
    resources: view?.pacemaker ? pacemakerResources(view.pacemaker) : heartbeatResources(cluster, readings, vipHolders),
    vip: cluster.vip ? { address: cluster.vip.address, holders: vipHolders } : undefined,
    failCounts: (view?.pacemaker?.failCounts ?? []).filter((f) => f.failCount > 0).map((f) => ({ node: f.node, resource: f.resource, count: f.failCount })),
    bans: view?.pacemaker?.bans ?? [],
    drbdClones: view?.pacemaker ? drbdClones(view.pacemaker) : [],
    fencing: fencingStatus(cluster, view?.pacemaker, readings),
    warnings,
    healthy: true,
  };
  warnings.push(...nodeWarnings(report, cluster, readings), ...drbdWarnings(drbd), ...managerWarnings(report, view), ...serviceStartWarnings(cluster, readings), ...fencingWarnings(report.fencing, cluster));
  if (cluster.vip && vipHolders.length === 0) warnings.push(critical(`the VIP ${cluster.vip.address} is up on no node`, 'the services do not answer; haforge status on a node that runs the cluster manager, or its log, tells why'));
  if (vipHolders.length > 1) warnings.push(critical(`the VIP ${cluster.vip!.address} is up on ${vipHolders.join(' and ')} at once`, 'an address conflict: the cluster manager lost track; check it before anything else'));
  if (primary === null && drbd.length) warnings.push(critical('no node is Primary for all DRBD resources: the services cannot run'));
  report.healthy = !warnings.some((w) => w.severity === 'critical');
  return report;
}

/** The node whose cluster-manager view is shown: the first reachable one whose manager answers. */
function managerView(cluster: ClusterSpec, readings: StatusReading[]): StatusReading | undefined {
  const answering = readings.filter((r) => !r.error && (cluster.stack === 'pacemaker' ? r.pacemaker?.running : r.heartbeat?.running));
  // Pacemaker: prefer the DC's own view (it decides); any member's view is the same CIB.
  return answering.find((r) => r.pacemaker?.dc === r.node) ?? answering[0];
}

function nodeStatus(name: string, r: StatusReading | undefined, cluster: ClusterSpec, view: StatusReading | undefined, vipHolders: string[]): NodeStatus {
  const reachable = !!r && !r.error;
  const managerRunning = reachable && (cluster.stack === 'pacemaker' ? !!r!.manager?.pacemaker : !!r!.manager?.heartbeat);
  return { name, reachable, error: r?.error, managerRunning, membership: membership(name, view), vip: vipHolders.includes(name) };
}

function membership(name: string, view: StatusReading | undefined): string {
  const pcmk = view?.pacemaker?.nodes.find((n) => n.name === name);
  if (pcmk) return pcmk.unclean ? 'unclean' : !pcmk.online ? 'offline' : pcmk.pending ? 'pending' : pcmk.standby ? 'standby' : pcmk.maintenance ? 'maintenance' : 'online';
  const hb = view?.heartbeat?.members.find((m) => m.name === name);
  if (hb) return hb.status === 'active' || hb.status === 'up' ? 'online' : hb.status;
  return 'unknown';
}

function drbdStatus(ref: ResourceRef, readings: StatusReading[]): DrbdResourceStatus {
  const analysed = analyseResource(ref, readings);
  return {
    name: ref.name,
    minor: ref.minor,
    device: ref.device,
    mount: ref.mount,
    verdict: analysed.verdict,
    nodes: readings.map((r) => {
      const dev = r.status ? deviceState(r.status, ref.minor) : undefined;
      const side = analysed.sides.find((s) => s.node === r.node);
      if (!dev) return { node: r.node, mountedAt: side?.mountedAt };
      return { node: r.node, connection: dev.connection, replication: dev.replication, role: dev.role, disk: dev.disk, peerDisk: dev.peerDisk, outOfSyncKiB: dev.outOfSyncKiB, sync: dev.sync, mountedAt: side?.mountedAt };
    }),
  };
}

/** The node where every DRBD resource is Primary; among several (split brain), the VIP's holder; without DRBD, the VIP's only holder. */
function primaryOf(cluster: ClusterSpec, drbd: DrbdResourceStatus[], readings: StatusReading[], vipHolders: string[]): string | null {
  if (!drbd.length) return vipHolders.length === 1 ? vipHolders[0]! : null;
  const candidates = readings.map((r) => r.node).filter((node) => drbd.every((res) => res.nodes.find((n) => n.node === node)?.role === 'Primary'));
  if (candidates.length === 1) return candidates[0]!;
  const holding = candidates.filter((n) => vipHolders.includes(n));
  return holding.length === 1 ? holding[0]! : null;
}

function pacemakerResources(p: PacemakerStatus): ResourceStatus[] {
  return p.resources.map((r) => ({ id: r.id, agent: r.agent, role: r.role, nodes: r.nodes, failed: r.failed, managed: r.managed, group: r.group, clone: r.clone, ...(stoppedOnPurpose(r) ? { stoppedOnPurpose: true } : {}) }));
}

/**
 * Heartbeat v1 has no resource list to ask: the inventory's group (VIP,
 * DRBD, filesystem, services) with where each part is seen running.
 */
function heartbeatResources(cluster: ClusterSpec, readings: StatusReading[], vipHolders: string[]): ResourceStatus[] {
  const out: ResourceStatus[] = [];
  const where = (pred: (r: StatusReading) => boolean) => readings.filter((r) => !r.error && pred(r)).map((r) => r.node);
  const started = (nodes: string[], role = 'Started') => ({ role: nodes.length ? role : 'Stopped', nodes, failed: false, managed: true, group: 'haresources' });
  if (cluster.vip) out.push({ id: `IPaddr2::${cluster.vip.address}`, agent: 'heartbeat:IPaddr2', ...started(vipHolders) });
  for (const r of cluster.drbd?.resources ?? []) {
    out.push({ id: `drbddisk::${r.name}`, agent: 'heartbeat:drbddisk', ...started(where((x) => (x.status ? deviceState(x.status, r.minor)?.role === 'Primary' : false)), 'Primary') });
    if (r.mount) out.push({ id: `Filesystem::${r.device}::${r.mount}`, agent: 'heartbeat:Filesystem', ...started(where((x) => !!x.mounts?.some((m) => m.path === r.mount && m.device === r.device))) });
  }
  for (const s of cluster.services) out.push({ id: s.name, agent: `${s.agent.class}:${s.unit}`, ...started(where((x) => !!x.services?.[s.unit]?.active)) });
  return out;
}

function fencingStatus(cluster: ClusterSpec, p: PacemakerStatus | undefined, readings: StatusReading[]): FencingStatus {
  const devices = cluster.fencing ? describeFencing(cluster.fencing) : [];
  const inventory = !cluster.fencing ? 'missing' : cluster.fencing.enabled ? 'configured' : 'disabled';
  const sbd = cluster.fencing?.enabled && cluster.fencing.sbd ? readings.flatMap((r) => (r.sbd ? [{ node: r.node, ...r.sbd }] : [])) : undefined;
  return { inventory, stonithEnabled: p?.running ? p.stonithEnabled : undefined, devices, ...(sbd ? { sbd } : {}), history: p?.running ? p.fenceHistory : [] };
}

function nodeWarnings(report: ClusterReport, cluster: ClusterSpec, readings: StatusReading[]): StatusWarning[] {
  const out: StatusWarning[] = [];
  const manager = cluster.stack === 'pacemaker' ? 'Pacemaker' : 'Heartbeat';
  const other = cluster.stack === 'pacemaker' ? 'Heartbeat' : 'Pacemaker';
  for (const n of report.nodes) {
    const running = readings.find((r) => r.node === n.name)?.manager;
    const otherRuns = cluster.stack === 'pacemaker' ? running?.heartbeat : running?.pacemaker;
    if (!n.reachable) out.push(critical(`${n.name} cannot be read: ${n.error ?? 'not connected'}`, 'a node that is down leaves the cluster without a standby; haforge lab status / the node\'s console'));
    else if (!n.managerRunning && otherRuns) out.push(critical(`${other} runs on ${n.name}, not ${manager}`, cluster.stack === 'pacemaker' ? 'the inventory says stack: pacemaker; to move this cluster from Heartbeat, haforge apply -i ... pacemaker hands it over in place (or is it the wrong inventory?)' : `the inventory says stack: ${cluster.stack}; is it the right inventory?`));
    else if (!n.managerRunning) out.push(critical(`${manager} is not running on ${n.name}`, `the node cannot take over; start it (systemctl start ${cluster.stack === 'pacemaker' ? 'corosync pacemaker' : 'heartbeat'})`));
    else if (n.membership !== 'online' && n.membership !== 'unknown') out.push((n.membership === 'standby' || n.membership === 'maintenance' ? warning : critical)(`${n.name} is ${n.membership} in the cluster`));
  }
  return out;
}

/** A service the cluster manager runs must start nowhere else: at boot, or on demand through a socket, it would run where its data is not. */
function serviceStartWarnings(cluster: ClusterSpec, readings: StatusReading[]): StatusWarning[] {
  const out: StatusWarning[] = [];
  for (const r of readings) {
    for (const s of cluster.services) {
      const state = r.services?.[s.unit];
      if (!state) continue;
      const how = [...(state.enabled ? ['at boot'] : []), ...state.triggers.filter((t) => t.enabled || t.active).map((t) => `on demand (${t.unit})`)];
      if (how.length) out.push(warning(`${s.unit} on ${r.node} starts ${how.join(' and ')}: only the cluster manager may start it`, `haforge apply -i ... relocate turns that off (or: systemctl disable ${[`${s.unit}.service`, ...state.triggers.map((t) => t.unit)].join(' ')})`));
    }
  }
  return out;
}

function drbdWarnings(drbd: DrbdResourceStatus[]): StatusWarning[] {
  const out: StatusWarning[] = [];
  for (const r of drbd) {
    if (r.verdict === 'split-brain') {
      out.push(critical(`DRBD ${r.name}: SPLIT BRAIN`, `haforge split-brain -i ... explains it; haforge split-brain repair heals it`));
      continue;
    }
    for (const n of r.nodes) {
      if (n.connection === undefined) continue;
      if (n.sync) out.push(warning(`DRBD ${r.name} on ${n.node}: ${n.replication ?? 'syncing'} ${n.sync.percent.toFixed(1)}%${n.sync.etaSeconds !== undefined ? `, ${n.sync.etaSeconds} s left` : ''}`));
      else if (n.connection !== 'Connected') out.push(critical(`DRBD ${r.name} on ${n.node} is ${n.connection} (${n.disk}/${n.peerDisk}): degraded, no replication`, n.connection === 'StandAlone' ? 'it will not reconnect by itself: haforge split-brain tells whether the data split' : undefined));
      else if (n.disk !== 'UpToDate') out.push(critical(`DRBD ${r.name} on ${n.node}: disk ${n.disk}`));
      else if ((n.outOfSyncKiB ?? 0) > 0) out.push(warning(`DRBD ${r.name} on ${n.node}: ${n.outOfSyncKiB} KiB out of sync`, 'drbdadm verify, then disconnect/connect, resyncs them'));
    }
    if (r.nodes.every((n) => n.connection === undefined)) out.push(critical(`DRBD ${r.name} is up on no node`));
  }
  return out;
}

function managerWarnings(report: ClusterReport, view: StatusReading | undefined): StatusWarning[] {
  const out: StatusWarning[] = [];
  const p = view?.pacemaker;
  if (!p) return out;
  if (!p.quorum) out.push(critical('the cluster has no quorum'));
  if (p.maintenanceMode) out.push(warning('Pacemaker is in maintenance mode: it watches nothing and moves nothing', 'crm_attribute --name maintenance-mode --delete'));
  for (const r of p.resources) {
    if (r.failed) out.push(critical(`${r.id} failed on ${r.nodes.join(', ') || '?'}`, 'haforge cleanup clears it once the cause is fixed'));
    if (!r.managed) out.push(warning(`${r.id} is unmanaged: Pacemaker leaves it alone`));
  }
  for (const f of report.failCounts) out.push(warning(`${f.resource} failed ${f.count === Infinity ? 'too often' : `${f.count} time(s)`} on ${f.node}`, `haforge cleanup ${f.resource}`));
  for (const b of report.bans) out.push(warning(`${b.resource} is kept off ${b.node} by ${b.id}`, b.id.startsWith('cli-') ? `left by a move: haforge unmigrate ${b.node}` : undefined));
  return out;
}

function fencingWarnings(f: FencingStatus, cluster: ClusterSpec): StatusWarning[] {
  if (f.inventory === 'missing') return [warning('no fencing configured: a node that hangs can corrupt data', 'add fencing: devices to the inventory (or fencing: { enabled: false } to say it on purpose)')];
  if (f.inventory === 'disabled') return [warning('fencing is disabled by the inventory: a node that hangs can corrupt data')];
  if (cluster.stack === 'pacemaker' && f.stonithEnabled === false) return [critical('the inventory configures fencing but Pacemaker has stonith-enabled=false', 'haforge apply pacemaker pushes the inventory\'s CIB')];
  return [...sbdWarnings(f, cluster), ...historyWarnings(f)];
}

/** What keeps SBD from fencing a node: its pill would count as delivered after msgwait while the node runs on. */
function sbdWarnings(f: FencingStatus, cluster: ClusterSpec): StatusWarning[] {
  const out: StatusWarning[] = [];
  const wanted = cluster.fencing?.sbd?.watchdogTimeout;
  for (const n of f.sbd ?? []) {
    if (n.sbd !== 'active') out.push(critical(`sbd is ${n.sbd} on ${n.node}: a poison pill would not reset it, yet it counts as delivered after msgwait`, `sbd starts with corosync (systemctl status sbd on ${n.node}; haforge apply pacemaker enables it)`));
    else if (!n.watchdog.present) out.push(critical(`${n.node} has no watchdog device: sbd cannot reset it if sbd itself hangs`, 'haforge preflight checks the watchdog; load a watchdog driver (softdog as the last resort)'));
    else if (n.watchdog.state !== undefined && n.watchdog.state !== 'active') out.push(critical(`the watchdog of ${n.node} is not armed (${n.watchdog.state}) although sbd runs`, `journalctl -u sbd on ${n.node}`));
    else if (wanted !== undefined && n.watchdog.timeout !== undefined && n.watchdog.timeout !== wanted) out.push(warning(`the watchdog of ${n.node} waits ${n.watchdog.timeout} s, the inventory says ${wanted} s`, 'the SBD header\'s timeout wins: haforge preflight compares them'));
    for (const slot of n.slots) {
      if (slot.error) out.push(critical(`${n.node} cannot read its SBD slot on ${slot.device}: ${slot.error}`, 'a node that cannot read its slot misses its poison pill; check the disk on that node (ls -l the path, sbd -d DEV list)'));
      else if (slot.message && !['clear', 'test', 'exit'].includes(slot.message)) out.push(warning(`a '${slot.message}' message${slot.from ? ` from ${slot.from}` : ''} waits in ${n.node}'s slot on ${slot.device}${n.sbd === 'active' ? ': it is being fenced' : ''}`, n.sbd === 'active' ? undefined : 'sbd clears the slot when it starts (with corosync); `sbd -d DEV message NODE clear` does it by hand'));
    }
  }
  return out;
}

/** A fencing that failed, or is still pending, and was not followed by one that succeeded on the same node. */
function historyWarnings(f: FencingStatus): StatusWarning[] {
  const out: StatusWarning[] = [];
  const seen = new Set<string>();
  for (const e of f.history) {
    if (seen.has(e.target)) continue;
    seen.add(e.target);
    const by = e.delegate ?? e.origin;
    if (e.status === 'failed') out.push(warning(`the last fencing of ${e.target} failed (${e.action}${by ? ` by ${by}` : ''}${e.completed ? `, ${e.completed}` : ''}${e.exitReason ? `: ${e.exitReason}` : ''})`, 'haforge fence --test checks that every node can be fenced; stonith_admin --history NODE shows the rest, stonith_admin --cleanup --history NODE forgets it'));
    else if (e.status === 'pending') out.push(warning(`a fencing of ${e.target} is under way (${e.action}${by ? ` by ${by}` : ''})`));
  }
  return out;
}
