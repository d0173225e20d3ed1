// Preflight as pure functions: which facts to gather on a node (one batch),
// and what the gathered facts of all nodes of a cluster say, check by check.
import { describeFencing, fencingWarning } from '../../fencing/rules.js';
import { heartbeatChecks, heartbeatNodeChecks } from '../../heartbeat/preflight.js';
import { request, type FactRequest } from '../../engine/fact.js';
import type { ClusterSpec, DrbdResourceSpec, NodeSpec } from '../../inventory/model.js';
import { blockDeviceFact, describeSignatures, type BlockDeviceState } from '../../facts/blockdev.js';
import { deviceState, drbdStatusFact, type DrbdKernelState } from '../../drbd/status.js';
import { mountsFact, type MountEntry } from '../../facts/mounts.js';
import { packagesFact, type InstalledPackages } from '../../facts/packages.js';
import {
  clockFact,
  computeSkew,
  listenersFact,
  listenersOn,
  portProbeFact,
  presenceFact,
  resolveFact,
  timeSyncFact,
  type Listener,
  type PortProbeResult,
  type Presence,
  type Resolution,
  type SkewResult,
  type TimeSyncState,
} from '../../facts/preflight.js';
import { systemFact, type SystemFacts } from '../../facts/system.js';
import { drbdCompatible, drbdVersionsFact, type DrbdVersions } from '../../drbd/versions.js';
import { sbdHeaderFact, sbdTimeouts, type SbdHeader } from '../../fencing/sbd.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  cluster: string;
  node: string;
  check: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface PreflightOptions {
  /** Seconds of skew between nodes above which preflight fails (default 1). */
  maxSkew: number;
  /** Seconds of skew above which it warns (default 0.2). */
  warnSkew: number;
  /** Seconds the port probe retries (default 3). */
  probeSeconds: number;
  /** Missing packages are installed by what runs next (bootstrap): a warning, not a failure. */
  packagesInstalledLater?: boolean;
}

export const DEFAULT_PREFLIGHT_OPTIONS: PreflightOptions = { maxSkew: 1, warnSkew: 0.2, probeSeconds: 3 };

/** Where DRBD talks for a node: its replication address, else its address. */
export const replicationAddress = (n: NodeSpec) => n.replicationAddress ?? n.address;

// ---------------------------------------------------------------- requirements

export interface Requirement {
  /** Package name (Debian's) to name in the detail and the hint. */
  package: string;
  tools: string[];
  files: string[];
  /** What is missing without it. */
  why: string;
  /** A missing optional requirement is a warning. */
  optional?: boolean;
}

const OCF = '/usr/lib/ocf/resource.d';

export function requirements(cluster: ClusterSpec): Requirement[] {
  const reqs: Requirement[] = [];
  const resources = cluster.drbd?.resources ?? [];
  if (cluster.drbd) {
    reqs.push({
      package: 'drbd-utils',
      tools: ['drbdadm'],
      files: cluster.stack === 'pacemaker' ? [`${OCF}/linbit/drbd`] : ['/etc/ha.d/resource.d/drbddisk'],
      why: cluster.stack === 'pacemaker' ? 'drbdadm and the ocf:linbit:drbd agent' : 'drbdadm and the drbddisk resource script',
    });
  }
  if (cluster.stack === 'pacemaker') {
    reqs.push({ package: 'corosync', tools: ['corosync'], files: [], why: 'the cluster messaging layer' });
    reqs.push({ package: 'pacemaker', tools: ['pacemakerd'], files: [], why: 'the resource manager' });
    reqs.push({ package: 'pacemaker-cli-utils', tools: ['crm_verify', 'cibadmin'], files: [], why: 'crm_verify and cibadmin (haforge validates and loads the CIB with them)' });
    reqs.push({ package: 'resource-agents', tools: [], files: [`${OCF}/heartbeat/IPaddr2`, `${OCF}/heartbeat/Filesystem`], why: 'the IPaddr2 and Filesystem agents' });
    reqs.push({ package: 'iproute2', tools: ['ip'], files: [], why: 'IPaddr2 moves the virtual IP with ip' });
  } else {
    reqs.push({ package: 'heartbeat', tools: ['cl_status'], files: ['/etc/ha.d'], why: 'Heartbeat itself' });
    reqs.push({ package: 'resource-agents', tools: [], files: [`${OCF}/heartbeat/IPaddr2`, `${OCF}/heartbeat/Filesystem`], why: 'the IPaddr2 and Filesystem agents' });
    reqs.push({ package: 'iproute2', tools: ['ip'], files: [], why: 'IPaddr2 moves the virtual IP with ip' });
    reqs.push({ package: 'mon', tools: ['mon'], files: [], why: 'mon watches the services\' ports and calls hb_standby' });
    reqs.push({ package: 'netbase', tools: [], files: ['/etc/protocols'], why: 'mon cannot open a TCP socket without /etc/protocols ("could not get protocol for tcp")' });
    if (cluster.fencing?.enabled) reqs.push({ package: 'ipmitool', tools: ['ipmitool'], files: [], why: "the external/ipmi STONITH plugin drives the BMCs with it" });
  }
  const sbd = cluster.fencing?.enabled ? cluster.fencing.sbd : undefined;
  if (sbd && cluster.stack === 'pacemaker') {
    reqs.push({ package: 'sbd', tools: ['sbd'], files: [], why: 'SBD fencing: the daemon that reads its slot and feeds the watchdog' });
    reqs.push({ package: 'fence-agents', tools: ['fence_sbd'], files: [], why: "fence_sbd, Pacemaker's agent that writes the poison pill" });
  }
  for (const fs of [...new Set(resources.map((r) => r.filesystem))]) {
    reqs.push({ package: fs === 'xfs' ? 'xfsprogs' : 'e2fsprogs', tools: [`mkfs.${fs}`], files: [], why: `mkfs.${fs} for the replicated filesystem` });
  }
  if (resources.some((r) => r.wholeDisks)) reqs.push({ package: 'fdisk', tools: ['sfdisk'], files: [], why: 'sfdisk to partition the whole disks' });
  return reqs;
}

/** Heartbeat's legacy IPaddr agent needs ifconfig; a warning only (IPaddr2 does not). */
const IFCONFIG: Requirement = { package: 'net-tools', tools: ['ifconfig'], files: [], why: "the legacy IPaddr agent (IPaddr2 doesn't need it)", optional: true };

// ---------------------------------------------------------------- what to gather

/** Every fact of one node's preflight, in the order the batch runs them. */
export interface NodeRequests {
  clockStart: FactRequest<number | undefined>;
  system: FactRequest<SystemFacts>;
  timeSync: FactRequest<TimeSyncState>;
  versions: FactRequest<DrbdVersions>;
  resolve: FactRequest<Record<string, Resolution>>;
  drbd: FactRequest<DrbdKernelState>;
  mounts: FactRequest<MountEntry[]>;
  disks: Record<string, FactRequest<BlockDeviceState>>;
  presence: FactRequest<Presence>;
  packages: FactRequest<InstalledPackages>;
  listeners: FactRequest<Listener[]>;
  probe: FactRequest<PortProbeResult>;
  /** SBD: each shared disk's header, by device. */
  sbd: Record<string, FactRequest<SbdHeader>>;
  /** SBD: the watchdog device is there. */
  watchdog?: FactRequest<Presence>;
  clockEnd: FactRequest<number | undefined>;
}

/** The devices a node's preflight looks at: backing disks, and whole disks when haforge partitions them. */
export function nodeDevices(cluster: ClusterSpec, node: NodeSpec): string[] {
  const devices = new Set<string>();
  for (const r of cluster.drbd?.resources ?? []) {
    const whole = r.wholeDisks?.[node.name];
    if (whole) devices.add(whole);
    const dev = node.disks[r.name];
    if (dev) devices.add(dev);
  }
  return [...devices];
}

export function nodeRequests(cluster: ClusterSpec, node: NodeSpec, opts: PreflightOptions = DEFAULT_PREFLIGHT_OPTIONS): NodeRequests {
  const peers = cluster.nodes.filter((n) => n.name !== node.name);
  const resources = cluster.drbd?.resources ?? [];
  const reqs = [...requirements(cluster), ...(cluster.stack === 'heartbeat' ? [IFCONFIG] : [])];
  return {
    clockStart: request(clockFact, 'start'),
    system: request(systemFact, undefined),
    timeSync: request(timeSyncFact, undefined),
    versions: request(drbdVersionsFact, undefined),
    resolve: request(resolveFact, peers.map((p) => p.name)),
    drbd: request(drbdStatusFact, undefined),
    mounts: request(mountsFact, undefined),
    disks: Object.fromEntries(nodeDevices(cluster, node).map((d) => [d, request(blockDeviceFact, d)])),
    presence: request(presenceFact, { tools: [...new Set(reqs.flatMap((r) => r.tools))], files: [...new Set(reqs.flatMap((r) => r.files))] }),
    packages: request(packagesFact, [...new Set(reqs.map((r) => r.package))]),
    // Listeners are read before the probe starts its own.
    listeners: request(listenersFact, undefined),
    probe: request(portProbeFact, {
      seconds: opts.probeSeconds,
      listen: peers.length ? resources.map((r) => ({ resource: r.name, minor: r.minor, address: replicationAddress(node), port: r.port, peers: peers.length })) : [],
      probe: resources.flatMap((r) => peers.map((p) => ({ resource: r.name, minor: r.minor, address: replicationAddress(p), port: r.port }))),
    }),
    sbd: Object.fromEntries((sbdOf(cluster)?.devices ?? []).map((d) => [d, request(sbdHeaderFact, d)])),
    ...(sbdOf(cluster) ? { watchdog: request(presenceFact, { tools: [], files: [sbdOf(cluster)!.watchdog] }) } : {}),
    clockEnd: request(clockFact, 'end'),
  };
}

/** The cluster's SBD, when it fences with it. */
const sbdOf = (cluster: ClusterSpec) => (cluster.fencing?.enabled && cluster.stack === 'pacemaker' ? cluster.fencing.sbd : undefined);

/** All requests of a NodeRequests, in batch order. */
export function requestList(r: NodeRequests): FactRequest[] {
  return [r.clockStart, r.system, r.timeSync, r.versions, r.resolve, r.drbd, r.mounts, ...Object.values(r.disks), r.presence, r.packages, r.listeners, r.probe, ...Object.values(r.sbd), ...(r.watchdog ? [r.watchdog] : []), r.clockEnd];
}

// ---------------------------------------------------------------- what it says

/** One node's gathered facts (undefined when they could not be gathered: `error` says why). */
export interface NodeFacts {
  error?: { message: string; hint?: string };
  system?: SystemFacts;
  timeSync?: TimeSyncState;
  versions?: DrbdVersions;
  resolve?: Record<string, Resolution>;
  drbd?: DrbdKernelState;
  mounts?: MountEntry[];
  disks?: Record<string, BlockDeviceState>;
  presence?: Presence;
  packages?: InstalledPackages;
  listeners?: Listener[];
  probe?: PortProbeResult;
  /** SBD headers by device, and whether the watchdog device is there. */
  sbd?: Record<string, SbdHeader>;
  watchdog?: boolean;
  /** Clock offset against the workstation (seconds; NTP-style sample). */
  clock?: { offset: number; uncertainty: number };
}

const seconds = (s: number) => `${s.toFixed(3)} s`;
const signed = (s: number) => `${s >= 0 ? '+' : '-'}${Math.abs(s).toFixed(3)} s`;
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(bytes % 1048576 ? 1 : 0)} MiB`;

export function installHint(system: SystemFacts | undefined, packages: string[]): string {
  const pm = system?.packageManager;
  const cmd = pm === 'dnf' || pm === 'yum' ? `${pm} install` : pm === 'zypper' ? 'zypper install' : 'apt-get install';
  return `install them: ${cmd} ${packages.join(' ')}${pm && pm !== 'apt' ? ' (package names differ between distributions)' : ''}`;
}

export function evaluateCluster(cluster: ClusterSpec, facts: Map<string, NodeFacts>, opts: PreflightOptions = DEFAULT_PREFLIGHT_OPTIONS): { checks: Check[]; skew?: SkewResult } {
  const checks: Check[] = [];
  const offsets = Object.fromEntries(cluster.nodes.flatMap((n) => (facts.get(n.name)?.clock ? [[n.name, facts.get(n.name)!.clock!]] : [])));
  const skew = computeSkew(offsets);
  for (const node of cluster.nodes) {
    const f = facts.get(node.name) ?? { error: { message: 'no facts' } };
    const add = (check: string, status: CheckStatus, detail: string, hint?: string) => checks.push({ cluster: cluster.name, node: node.name, check, status, detail, hint });
    if (f.error) {
      add('ssh', 'fail', f.error.message, f.error.hint ?? 'every other check needs the node: fix SSH first');
      continue;
    }
    checkHostname(node, f, add);
    checkResolution(cluster, node, f, add);
    checkTimeSync(f, add);
    checkSkew(node, skew, opts, add);
    if (cluster.drbd) {
      checkDrbdVersions(f, add);
      for (const r of cluster.drbd.resources) {
        checkDisk(cluster, r, node, facts, add);
        checkPortFree(r, node, f, add);
        checkPortReachable(cluster, r, node, facts, add);
      }
    }
    checkPackages(cluster, f, add, opts);
    checkFencing(cluster, add);
    checkSbd(cluster, node, facts, add);
    for (const c of [...heartbeatChecks(cluster), ...heartbeatNodeChecks(cluster, node, f.system?.addresses ?? [])]) add(c.check, c.status, c.detail, c.hint);
  }
  return { checks, skew };
}

type Add = (check: string, status: CheckStatus, detail: string, hint?: string) => void;

/**
 * SBD: the watchdog on every node, and every shared disk seen by every node
 * as the same disk (the same header UUID; or blank everywhere, before the
 * bootstrap writes the header).
 */
function checkSbd(cluster: ClusterSpec, node: NodeSpec, facts: Map<string, NodeFacts>, add: Add): void {
  const sbd = sbdOf(cluster);
  if (!sbd) return;
  const f = facts.get(node.name)!;
  if (f.watchdog === false) add('watchdog', 'fail', `no ${sbd.watchdog}: nothing resets this node when sbd stops`, `load the watchdog driver of the machine (lsmod | grep -i wdt; a hypervisor's i6300esb), or modprobe softdog as the fallback, and make it load at boot`);
  else add('watchdog', 'ok', sbd.watchdog);
  const t = sbdTimeouts(sbd, cluster.corosync);
  for (const device of sbd.devices) {
    const mine = f.sbd?.[device];
    if (!mine) continue;
    if (mine.error) {
      add('sbd disk', 'fail', `${device}: ${mine.error}`, 'every node must see the shared SBD disk under this name (a /dev/disk/by-id/ name is the same everywhere)');
      continue;
    }
    const others = cluster.nodes.filter((n) => n.name !== node.name).map((n) => ({ node: n.name, header: facts.get(n.name)?.sbd?.[device] })).filter((o) => o.header && !o.header.error);
    const differ = others.find((o) => o.header!.present !== mine.present || o.header!.uuid !== mine.uuid);
    if (differ) {
      const what = (h: SbdHeader) => (h.present ? `header ${h.uuid}` : 'no header');
      add('sbd disk', 'fail', `${device}: ${what(mine)} here, ${what(differ.header!)} on ${differ.node}: not the same disk`, 'SBD needs one disk that every node shares: check the name points at the shared disk on every node');
      continue;
    }
    if (!mine.present) add('sbd disk', 'ok', `${device}: no SBD header yet (the bootstrap writes it: watchdog ${sbd.watchdogTimeout} s, msgwait ${sbd.msgwait} s)`);
    else if (mine.watchdog !== sbd.watchdogTimeout || mine.msgwait !== sbd.msgwait) {
      add('sbd disk', 'fail', `${device}: the header says watchdog ${mine.watchdog} s, msgwait ${mine.msgwait} s; the inventory ${sbd.watchdogTimeout} s, ${sbd.msgwait} s`, 'set the inventory to the header\'s values, or rewrite the header with the cluster stopped on every node');
    } else add('sbd disk', 'ok', `${device}: header ${mine.uuid}, watchdog ${mine.watchdog} s, msgwait ${mine.msgwait} s; stonith-timeout ${t.stonithTimeout} s; a hung node is fenced within ${t.hangToFenced} s`);
  }
}

function checkFencing(cluster: ClusterSpec, add: Add): void {
  const problem = fencingWarning(cluster);
  if (!problem) {
    add('fencing', 'ok', describeFencing(cluster.fencing!).join('; '));
  } else if (!cluster.fencing) {
    add('fencing', 'fail', problem, 'add fencing: { devices: { ... } } (a fence agent per node), or fencing: { enabled: false } to accept the risk');
  } else {
    add('fencing', 'warn', problem, 'without fencing (STONITH) a node that only looks dead can still write: configure a fence device before production');
  }
}

function checkHostname(node: NodeSpec, f: NodeFacts, add: Add): void {
  const actual = f.system?.hostname ?? '';
  if (actual === node.name) add('uname -n', 'ok', `${actual}`);
  else
    add(
      'uname -n',
      'fail',
      `uname -n says '${actual}', the inventory says '${node.name}'`,
      `DRBD and Heartbeat find their own section by uname -n: rename the node to '${actual}' in the inventory, or set the host name on the node (hostnamectl set-hostname ${node.name})`,
    );
}

function checkResolution(cluster: ClusterSpec, node: NodeSpec, f: NodeFacts, add: Add): void {
  for (const peer of cluster.nodes.filter((n) => n.name !== node.name)) {
    const r = f.resolve?.[peer.name];
    const check = `resolves ${peer.name}`;
    if (!r || r.addresses.length === 0) {
      add(check, 'fail', `${peer.name} does not resolve (getent hosts)`, `add "${replicationAddress(peer)} ${peer.name}" to /etc/hosts on ${node.name} (haforge apply base does it)`);
    } else if (peer.replicationAddress && !r.addresses.includes(peer.replicationAddress)) {
      add(check, 'warn', `${peer.name} resolves to ${r.addresses.join(', ')}, not to its replication address ${peer.replicationAddress}`, `cluster traffic by name would not take the replication network: map ${peer.name} to ${peer.replicationAddress} in /etc/hosts`);
    } else {
      add(check, 'ok', `${peer.name} -> ${r.addresses.join(', ')}`);
    }
  }
}

function checkTimeSync(f: NodeFacts, add: Add): void {
  const t = f.timeSync;
  const hint = 'run one time daemon synchronised to a common source on every node (haforge apply base sets up chrony)';
  if (!t || t.daemons.length === 0) {
    const sys = t?.timedatectl?.synchronised ? ' (timedatectl says synchronised)' : '';
    add('time sync', 'warn', `no time daemon running (chronyd, ntpd, systemd-timesyncd)${sys}`, hint);
    return;
  }
  const source = t.chrony ? `chronyc: leap ${t.chrony.leap}${t.chrony.reference ? `, reference ${t.chrony.reference}` : ''}` : t.ntpq ? `ntpq: ${t.ntpq.peer ? `system peer ${t.ntpq.peer}` : 'no system peer'}` : t.timedatectl ? `timedatectl: NTPSynchronized=${t.timedatectl.synchronised ? 'yes' : 'no'}` : 'no status';
  if (t.synchronised) add('time sync', 'ok', `${t.daemons.join(', ')} running, synchronised (${source})`);
  else add('time sync', 'warn', `${t.daemons.join(', ')} running but not synchronised (${source})`, `${hint}; check that the time source is reachable from the node`);
}

function checkSkew(node: NodeSpec, skew: SkewResult | undefined, opts: PreflightOptions, add: Add): void {
  const me = skew?.nodes[node.name];
  if (!me || !skew) {
    add('clock skew', 'warn', 'not measured (the node\'s clock could not be read)', 'is `date +%s.%N` available on the node?');
    return;
  }
  const others = Object.keys(skew.nodes).length - 1;
  if (others === 0) {
    add('clock skew', 'ok', `offset ${signed(me.offset)} against this workstation; no other node to compare with`);
    return;
  }
  const detail = `offset ${signed(me.offset)} (±${seconds(me.uncertainty)}) against this workstation; up to ${seconds(me.worst)} from the other nodes`;
  const hint = `clocks differ by ${seconds(skew.skew)} between nodes: synchronise them (chrony) before building the cluster; logs and DRBD/cluster timeouts compare times`;
  // Fail only on a skew that exceeds the limit whatever the measurement's error (a busy node answers late).
  if (me.worst - me.worstUncertainty > opts.maxSkew) add('clock skew', 'fail', `${detail} (limit ${opts.maxSkew} s)`, hint);
  else if (me.worst > opts.maxSkew)
    add('clock skew', 'warn', `${detail}: above the limit of ${opts.maxSkew} s only within the measurement's uncertainty (±${seconds(me.worstUncertainty)})`, `${hint}; run preflight again, or compare \`chronyc tracking\` on the nodes`);
  else if (me.worst > opts.warnSkew) add('clock skew', 'warn', `${detail} (warning above ${opts.warnSkew} s)`, hint);
  else add('clock skew', 'ok', detail);
}

function checkDrbdVersions(f: NodeFacts, add: Add): void {
  const v = f.versions ?? {};
  const kernel = v.loaded ?? v.module;
  const utils = v.utils;
  const kernelText = v.loaded ? `module ${v.loaded} (loaded)` : v.module ? `module ${v.module} (not loaded)` : 'no DRBD kernel module';
  const utilsText = utils ? `drbd-utils ${utils}` : 'no drbd-utils';
  if (!kernel || !utils) {
    const hints = [];
    if (!kernel) hints.push(`a kernel with the DRBD module (Debian's stock kernel has 8.4; else drbd-dkms)`);
    if (!utils) hints.push('drbd-utils');
    add('drbd versions', 'fail', `${kernelText}, ${utilsText}`, `install ${hints.join(' and ')}`);
    return;
  }
  const compat = drbdCompatible(kernel, utils);
  if (!compat.ok) {
    add('drbd versions', 'fail', `${kernelText}, ${utilsText}: ${compat.why}`, 'install drbd-utils that match the module (the runbooks show drbdadm refusing to talk to a module of another generation)');
    return;
  }
  if (v.loaded && v.module && v.loaded !== v.module) {
    add('drbd versions', 'warn', `module ${v.loaded} loaded but ${v.module} installed, ${utilsText}`, 'the module on disk was upgraded: reload it (rmmod drbd; modprobe drbd) while no resource is up, or reboot');
    return;
  }
  add('drbd versions', 'ok', `${kernelText}, ${utilsText} (${compat.why})`);
}

/** What a resource's disk looks like on one node. */
interface DiskView {
  node: string;
  device: string;
  state?: BlockDeviceState;
  /** The whole disk haforge is asked to partition, when any. */
  whole?: { device: string; state?: BlockDeviceState };
  /** DRBD has the resource up here. */
  up: boolean;
}

function diskView(r: DrbdResourceSpec, node: NodeSpec, f: NodeFacts | undefined): DiskView | undefined {
  if (!f || f.error) return undefined;
  const device = node.disks[r.name];
  if (!device) return undefined;
  const wholeDev = r.wholeDisks?.[node.name];
  return {
    node: node.name,
    device,
    state: f.disks?.[device],
    whole: wholeDev ? { device: wholeDev, state: f.disks?.[wholeDev] } : undefined,
    up: !!(f.drbd && deviceState(f.drbd, r.minor)),
  };
}

const hasDrbdMeta = (s: BlockDeviceState | undefined) => !!s?.exists && s.signatures.some((x) => x.type === 'drbd');

function mountedOn(device: string, state: BlockDeviceState | undefined, mounts: MountEntry[] | undefined): string | undefined {
  if (state?.exists && state.mountpoint) return state.mountpoint;
  const partition = new RegExp(`^${device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}p?\\d+$`);
  return mounts?.find((m) => m.device === device || partition.test(m.device))?.path;
}

function checkDisk(cluster: ClusterSpec, r: DrbdResourceSpec, node: NodeSpec, facts: Map<string, NodeFacts>, add: Add): void {
  const check = `disk ${r.name}`;
  const f = facts.get(node.name)!;
  const views = cluster.nodes.map((n) => diskView(r, n, facts.get(n.name))).filter((v): v is DiskView => !!v);
  const me = views.find((v) => v.node === node.name);
  if (!me) {
    add(check, 'fail', `no backing disk for resource ${r.name}`, `set disk: on the resource or disks: on node ${node.name}`);
    return;
  }
  const partitioning = !!me.whole;
  const target = me.whole ?? { device: me.device, state: me.state };
  if (!target.state?.exists) {
    add(check, 'fail', `${target.device} does not exist`, `check the disk name with lsblk on ${node.name}, and disks:/disk: in the inventory`);
    return;
  }
  const size = target.state.sizeBytes;
  const mount = mountedOn(target.device, target.state, f.mounts);
  if (mount) {
    add(check, 'fail', `${target.device} is mounted on ${mount}`, `a DRBD backing disk must not be mounted: umount it (and remove it from /etc/fstab) on ${node.name}`);
    return;
  }
  // Sizes: the device DRBD will use (or the whole disk to be partitioned) on every node.
  const sizes = views.flatMap((v) => {
    const s = (v.whole ?? { state: v.state }).state;
    return s?.exists ? [{ node: v.node, bytes: s.sizeBytes }] : [];
  });
  const smallest = Math.min(...sizes.map((s) => s.bytes));
  const differing = sizes.filter((s) => s.bytes !== size);
  const sizeText = `${target.device} ${mib(size)}`;
  if (differing.length) {
    add(
      check,
      'fail',
      `${sizeText}, but ${differing.map((d) => `${d.node} has ${mib(d.bytes)}`).join(', ')}`,
      `backing disks must be the same size on every node: the smallest (${mib(smallest)}) would limit the volume${size > smallest ? ' and this node\'s extra space is wasted' : ''}; use equal disks or partitions`,
    );
    return;
  }
  // Signatures.
  const disk = partitioning ? (me.state?.exists ? me.state : undefined) : target.state;
  const wholeSigs = partitioning ? target.state.signatures.filter((s) => !['gpt', 'dos', 'PMBR'].includes(s.type) || !me.state?.exists) : [];
  const sigs = [...wholeSigs, ...(disk?.signatures ?? [])];
  const unreadable = target.state.unreadable ?? disk?.unreadable;
  if (unreadable) {
    add(check, 'warn', `${sizeText}; signatures could not be read: ${unreadable}`, 'is wipefs (util-linux) installed, and may the user read the device?');
    return;
  }
  const drbdEverywhere = views.length === cluster.nodes.length && views.every((v) => v.up || hasDrbdMeta(v.state));
  const foreign = sigs.filter((s) => s.type !== 'drbd');
  const meta = sigs.some((s) => s.type === 'drbd') || me.up;
  const where = partitioning ? `${target.device} (partition ${me.device})` : target.device;
  if (meta && drbdEverywhere) {
    const inside = foreign.length ? `; inside: ${describeSignatures(foreign)}` : '';
    add(check, 'ok', `${where} ${mib(size)}: DRBD metadata present (re-run)${me.up ? ', resource up' : ''}${inside}`);
    return;
  }
  if (r.reuse && sigs.length) {
    add(check, 'ok', `${where} ${mib(size)}: reuse: true keeps ${describeSignatures(sigs)}`);
    return;
  }
  if (meta) {
    const without = cluster.nodes.map((n) => n.name).filter((n) => !views.find((v) => v.node === n && (v.up || hasDrbdMeta(v.state))));
    add(
      check,
      'fail',
      `${where} holds DRBD metadata, but ${without.join(', ') || 'another node'} does not${foreign.length ? ` (also ${describeSignatures(foreign)})` : ''}`,
      `metadata on one node only is left by another cluster or an interrupted run: if this disk's data is disposable wipe it (wipefs -a ${me.device}), or set reuse: true on resource ${r.name} to keep it`,
    );
    return;
  }
  if (foreign.length) {
    add(
      check,
      'fail',
      `${where} holds ${describeSignatures(foreign)}`,
      `haforge only builds DRBD on blank disks: if the data is disposable wipe it (wipefs -a ${partitioning ? target.device : me.device}), or set reuse: true on resource ${r.name} to keep it`,
    );
    return;
  }
  add(check, 'ok', `${where} ${mib(size)}, blank${partitioning && me.state?.exists ? ' (partitioned)' : partitioning ? ' (to be partitioned)' : ''}, same size on all nodes`);
}

function checkPortFree(r: DrbdResourceSpec, node: NodeSpec, f: NodeFacts, add: Add): void {
  const check = `port ${r.port} free`;
  const addr = replicationAddress(node);
  const users = listenersOn(f.listeners ?? [], addr, r.port);
  const up = !!(f.drbd && deviceState(f.drbd, r.minor));
  if (users.length === 0) add(check, 'ok', up ? `DRBD resource ${r.name} is up and connected (no listener)` : `nothing listens on ${addr}:${r.port}`);
  else if (up && users.every((u) => u.processes.length === 0)) add(check, 'ok', `DRBD holds ${addr}:${r.port} (resource ${r.name} is up)`);
  else {
    const who = users.map((u) => `${u.address}:${u.port}${u.processes.length ? ` (${u.processes.join(', ')})` : ''}`).join(', ');
    add(check, 'fail', `${who} already listens`, `choose another port: for resource ${r.name} (port: in the inventory), or stop what listens there`);
  }
}

function checkPortReachable(cluster: ClusterSpec, r: DrbdResourceSpec, node: NodeSpec, facts: Map<string, NodeFacts>, add: Add): void {
  const check = `port ${r.port} reachable`;
  const f = facts.get(node.name)!;
  const addr = replicationAddress(node);
  const peers = cluster.nodes.filter((n) => n.name !== node.name);
  if (peers.length === 0) return;
  if (f.probe?.unavailable) {
    add(check, 'warn', `not tested: ${f.probe.unavailable}`, 'the probe needs perl (perl-base on Debian)');
    return;
  }
  if (f.probe?.drbdConnected.includes(r.name)) {
    add(check, 'ok', `DRBD resource ${r.name} is connected`);
    return;
  }
  const mine = f.probe?.listen.find((l) => l.resource === r.name);
  if (mine && !mine.ok && mine.errno === 99) {
    add(check, 'fail', `${addr} is not an address of this node (${mine.error})`, `fix replication_address of ${node.name}, or configure ${addr} on its replication interface`);
    return;
  }
  const results: string[] = [];
  const failures: string[] = [];
  const untested: string[] = [];
  for (const peer of peers) {
    const pf = facts.get(peer.name);
    const probe = pf?.probe?.probe.find((p) => p.resource === r.name && p.address === addr && p.port === r.port);
    if (!pf || pf.error || !probe) {
      untested.push(`${peer.name} (${pf?.error ? 'unreachable' : pf?.probe?.drbdConnected.includes(r.name) ? 'DRBD connected there' : 'no probe'})`);
      continue;
    }
    if (probe.ok) results.push(`from ${peer.name}`);
    else failures.push(`${peer.name} cannot connect: ${probe.error}`);
  }
  const up = !!(f.drbd && deviceState(f.drbd, r.minor));
  const busy = mine && !mine.ok ? ` (${up ? 'DRBD listens there and answered' : `the test listener could not bind: ${mine.error}; something else answered`})` : '';
  if (failures.length) {
    add(check, 'fail', `${addr}:${r.port}: ${failures.join('; ')}${mine && !mine.ok ? ` (no test listener here: ${mine.error})` : ''}`, `open TCP ${r.port} from the peers to ${addr} (firewall, routing), or fix the replication addresses`);
  } else if (results.length === 0) {
    add(check, 'warn', `${addr}:${r.port}: not tested: ${untested.join(', ')}`);
  } else {
    add(check, untested.length ? 'warn' : 'ok', `${addr}:${r.port} reachable ${results.join(', ')}${busy}${untested.length ? `; not tested: ${untested.join(', ')}` : ''}`);
  }
}

function checkPackages(cluster: ClusterSpec, f: NodeFacts, add: Add, opts: PreflightOptions): void {
  const present = (req: Requirement) => req.tools.every((t) => f.presence?.tools[t]) && req.files.every((x) => f.presence?.files[x]);
  const missingParts = (req: Requirement) => [...req.tools.filter((t) => !f.presence?.tools[t]), ...req.files.filter((x) => !f.presence?.files[x])];
  const reqs = requirements(cluster);
  const missing = reqs.filter((r) => !present(r));
  const version = (p: string) => (f.packages?.[p] ? ` ${f.packages[p]}` : '');
  if (missing.length) {
    add(
      'packages',
      opts.packagesInstalledLater ? 'warn' : 'fail',
      `missing: ${missing.map((r) => `${r.package} (${missingParts(r).join(', ')})`).join('; ')}${opts.packagesInstalledLater ? ' (bootstrap installs them)' : ''}`,
      installHint(f.system, missing.map((r) => r.package)),
    );
  } else {
    add('packages', 'ok', reqs.map((r) => `${r.package}${version(r.package)}`).join(', '));
  }
  if (cluster.stack === 'heartbeat') {
    if (present(IFCONFIG)) add('ifconfig', 'ok', `ifconfig at ${f.presence?.tools.ifconfig} (legacy IPaddr agent works)`);
    else add('ifconfig', 'warn', 'ifconfig missing: the legacy IPaddr agent fails with "Program is not installed" (haforge uses IPaddr2)', installHint(f.system, [IFCONFIG.package]));
  }
}

export function summarise(checks: Check[]): { ok: number; warn: number; fail: number } {
  return {
    ok: checks.filter((c) => c.status === 'ok').length,
    warn: checks.filter((c) => c.status === 'warn').length,
    fail: checks.filter((c) => c.status === 'fail').length,
  };
}
