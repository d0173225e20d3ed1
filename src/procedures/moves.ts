// Planned moves as pure planners over a status reading: switchover,
// migrate / unmigrate (runbook 002: migrate keeps the service off a node
// until unmigrate lifts it; stickiness then keeps it where it is), standby
// and cleanup, for both stacks. Each returns the commands, where they run,
// what the status must show for the move to be done, and what to run after
// (Pacemaker: the temporary constraint of a switchover removed). No I/O.
import type { ClusterSpec } from '../inventory/model.js';
import type { ClusterReport } from '../cluster/status.js';

export interface MoveStep {
  node: string;
  description: string;
  argv: string[];
}

export interface MoveWait {
  /** What the wait waits for, in words. */
  description: string;
  done(report: ClusterReport): boolean;
  /** The services moved: done also needs every service port answering on the VIP (checked on the new primary). */
  services?: boolean;
  /** The node the services go to, when known: the wait watches it cheaply (arrivedScript) and reads the status only when it looks done. */
  to?: string;
}

export interface MovePlan {
  cluster: string;
  /** "switchover node1 -> node2", "migrate away from node1", ... */
  action: string;
  /** Set: nothing to do, and why. */
  noop?: string;
  steps: MoveStep[];
  wait?: MoveWait;
  after: MoveStep[];
}

/** Why a move cannot be planned from this state. */
export class MoveRefused extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export const HB_STANDBY = '/usr/share/heartbeat/hb_standby';

const noop = (report: ClusterReport, action: string, why: string): MovePlan => ({ cluster: report.cluster, action, noop: why, steps: [], after: [] });

/** Where Pacemaker's command-line tools talk to the cluster: the node whose view status read. */
function pacemakerNode(report: ClusterReport): string {
  if (!report.viewFrom) throw new MoveRefused('Pacemaker answers on no node', 'start the cluster stack (systemctl start corosync pacemaker), then haforge status');
  return report.viewFrom;
}

function drbdClones(report: ClusterReport): string[] {
  if (!report.drbdClones.length) throw new MoveRefused(`Pacemaker manages no DRBD resource (no promotable clone of ocf:linbit:drbd) in cluster ${report.cluster}`, 'haforge apply pacemaker loads the inventory\'s configuration');
  return report.drbdClones;
}

/** The services run on `node`: DRBD Primary everywhere, the VIP there, and (Pacemaker) every group member started there. */
export function runsOn(report: ClusterReport, node: string): boolean {
  if (report.primary !== node) return false;
  if (report.vip && (report.vip.holders.length !== 1 || report.vip.holders[0] !== node)) return false;
  // The groups' members (Heartbeat: the haresources group); clone instances run everywhere.
  const grouped = report.resources.filter((r) => r.group && !r.clone);
  return grouped.every((r) => r.nodes.length === 1 && r.nodes[0] === node && r.role !== 'Stopped');
}

/** A ban (a negative location constraint) on the node would keep the cluster manager from moving anything there. */
export function refuseIfBanned(report: ClusterReport, node: string): void {
  const ban = report.bans.find((b) => b.node === node && b.weight < 0);
  if (ban) throw new MoveRefused(`${node} cannot take the services: ${ban.resource} is kept off it by ${ban.id}`, ban.id.startsWith('cli-') ? `haforge unmigrate ${node} lifts it` : 'a location constraint of the configuration: change it there');
}

/** A node able to take the services: readable, its cluster manager a member, its DRBD disks UpToDate. */
function checkCanTake(report: ClusterReport, node: string): void {
  const n = report.nodes.find((x) => x.name === node);
  if (!n) throw new MoveRefused(`no node '${node}' in cluster ${report.cluster}`, `nodes: ${report.nodes.map((x) => x.name).join(', ')}`);
  if (!n.reachable) throw new MoveRefused(`${node} cannot be read: ${n.error ?? 'not connected'}`);
  if (!n.managerRunning || n.membership !== 'online') throw new MoveRefused(`${node} cannot take the services: its cluster manager is ${n.managerRunning ? n.membership : 'not running'}`, 'haforge status shows the cluster; bring the node back first');
  refuseIfBanned(report, node);
  for (const r of report.drbd) {
    const d = r.nodes.find((x) => x.node === node);
    if (d?.disk !== 'UpToDate' || d.connection !== 'Connected') {
      throw new MoveRefused(`${node} cannot take ${r.name}: its DRBD disk is ${d?.disk ?? 'not up'} (${d?.connection ?? 'not up'})`, 'a planned move goes only to a node whose data is UpToDate and connected; wait for the resync (haforge status)');
    }
  }
}

/** Every DRBD resource Connected and UpToDate on both sides. */
export function drbdInSync(report: ClusterReport): boolean {
  return report.drbd.every((r) => r.nodes.every((n) => n.connection === 'Connected' && n.disk === 'UpToDate' && n.peerDisk === 'UpToDate'));
}

function otherNode(report: ClusterReport, from: string): string {
  const others = report.nodes.map((n) => n.name).filter((n) => n !== from);
  if (others.length !== 1) throw new MoveRefused(`cluster ${report.cluster} has ${report.nodes.length} nodes: say where to`, '--to <node>');
  return others[0]!;
}

export function planSwitchover(report: ClusterReport, to?: string): MovePlan {
  const from = report.primary;
  if (from === null) throw new MoveRefused(`no node runs the services of cluster ${report.cluster}: nothing to switch over`, 'haforge status says why');
  const target = to ?? otherNode(report, from);
  const action = target === from ? `switchover to ${target}` : `switchover ${from} -> ${target}`;
  if (target === from && runsOn(report, target)) return noop(report, action, `the services already run on ${target}`);
  checkCanTake(report, target);
  const wait = { description: `the services running on ${target}`, done: (r: ClusterReport) => runsOn(r, target), services: true, to: target };
  if (report.stack === 'pacemaker') {
    const at = pacemakerNode(report);
    const clones = drbdClones(report);
    return {
      cluster: report.cluster,
      action,
      // --promoted moves the DRBD Primary; the group follows it (colocated with the promoted instance).
      steps: clones.map((c) => ({ node: at, description: `move the Primary of ${c} to ${target} (a temporary constraint)`, argv: ['crm_resource', '--move', '--promoted', '--resource', c, '--node', target] })),
      wait,
      // Lifted once there: stickiness keeps the services on the new node (runbook 002's unmigrate).
      after: clones.map((c) => ({ node: at, description: `remove the temporary constraint of ${c}`, argv: ['crm_resource', '--clear', '--resource', c, '--node', target] })),
    };
  }
  return { cluster: report.cluster, action, steps: [{ node: from, description: `hand every resource to ${target}`, argv: [HB_STANDBY, 'all'] }], wait, after: [] };
}

/** runbook 002 "migrate": move the services away from `node` and keep them off it until unmigrate. */
export function planMigrate(report: ClusterReport, node: string): MovePlan {
  const action = `migrate away from ${node}`;
  if (!report.nodes.some((n) => n.name === node)) throw new MoveRefused(`no node '${node}' in cluster ${report.cluster}`, `nodes: ${report.nodes.map((x) => x.name).join(', ')}`);
  const holds = report.primary === node;
  const to = holds ? otherNode(report, node) : undefined;
  if (to) checkCanTake(report, to);
  const wait = holds ? { description: `the services running on a node other than ${node}`, done: (r: ClusterReport) => r.primary !== null && r.primary !== node && runsOn(r, r.primary), services: true, to } : undefined;
  if (report.stack === 'pacemaker') {
    const at = pacemakerNode(report);
    const missing = drbdClones(report).filter((c) => !report.bans.some((b) => b.id === banId(c, node)));
    if (!missing.length && !holds) return noop(report, action, `${node} is already kept off (${drbdClones(report).map((c) => banId(c, node)).join(', ')})`);
    return {
      cluster: report.cluster,
      action,
      steps: missing.map((c) => ({ node: at, description: `keep the Primary of ${c} off ${node} until unmigrate`, argv: ['crm_resource', '--ban', '--promoted', '--resource', c, '--node', node] })),
      wait,
      after: [],
    };
  }
  // Heartbeat v1 has no lasting ban: the hand-over is all there is.
  if (!holds) return noop(report, action, `${node} does not hold the resources (Heartbeat v1 has no lasting ban to add)`);
  return { cluster: report.cluster, action, steps: [{ node, description: `hand every resource to the peer`, argv: [HB_STANDBY, 'all'] }], wait, after: [] };
}

/** The id crm_resource --ban gives its constraint. */
export const banId = (resource: string, node: string) => `cli-ban-${resource}-on-${node}`;

/** runbook 002 "unmigrate": lift the ban; the services stay where they are (stickiness). */
export function planUnmigrate(report: ClusterReport, node: string): MovePlan {
  const action = `unmigrate ${node}`;
  if (report.stack !== 'pacemaker') return noop(report, action, 'Heartbeat v1 keeps no ban: nothing to lift');
  const held = report.bans.filter((b) => b.node === node && b.id.startsWith('cli-'));
  if (!held.length) return noop(report, action, `nothing keeps the services off ${node}`);
  const at = pacemakerNode(report);
  return {
    cluster: report.cluster,
    action,
    steps: held.map((b) => ({ node: at, description: `lift ${b.id}`, argv: ['crm_resource', '--clear', '--resource', b.resource, '--node', node] })),
    after: [],
  };
}

export function planStandby(report: ClusterReport, node: string, on: boolean): MovePlan {
  const action = `standby ${node} ${on ? 'on' : 'off'}`;
  const n = report.nodes.find((x) => x.name === node);
  if (!n) throw new MoveRefused(`no node '${node}' in cluster ${report.cluster}`, `nodes: ${report.nodes.map((x) => x.name).join(', ')}`);
  if (report.stack !== 'pacemaker') {
    if (!on) return noop(report, action, "Heartbeat v1's standby is a one-time hand-over: nothing to undo");
    return planMigrate(report, node);
  }
  if ((n.membership === 'standby') === on) return noop(report, action, `${node} is ${n.membership}`);
  const holds = on && report.primary === node;
  const to = holds ? otherNode(report, node) : undefined;
  if (to) checkCanTake(report, to);
  return {
    cluster: report.cluster,
    action,
    steps: [{ node: pacemakerNode(report), description: `${on ? 'put' : 'take'} ${node} ${on ? 'in' : 'out of'} standby`, argv: ['crm_attribute', '--node', node, '--name', 'standby', '--update', on ? 'on' : 'off'] }],
    wait: holds
      ? { description: `${node} standby and the services running elsewhere`, done: (r) => r.primary !== null && r.primary !== node && runsOn(r, r.primary), services: true, to }
      : on
        ? { description: `${node} standby`, done: (r) => r.nodes.find((x) => x.name === node)?.membership === 'standby' }
        : // Standby stopped the node's DRBD instance too: back means online and replicating again.
          { description: `${node} online and its DRBD UpToDate again`, done: (r) => r.nodes.find((x) => x.name === node)?.membership === 'online' && drbdInSync(r) },
    after: [],
  };
}

export function planCleanup(report: ClusterReport, resource?: string): MovePlan {
  const action = `cleanup${resource ? ` ${resource}` : ''}`;
  if (report.stack !== 'pacemaker') return noop(report, action, 'Heartbeat v1 keeps no fail counts or failed actions: nothing to clean up');
  if (resource && !report.resources.some((r) => r.id === resource || r.group === resource)) {
    throw new MoveRefused(`no resource '${resource}' in cluster ${report.cluster}`, `resources: ${report.resources.map((r) => r.id).join(', ')}`);
  }
  const about = (r: { resource: string }) => !resource || r.resource === resource;
  const dirty = report.failCounts.filter(about).length > 0 || report.resources.some((r) => r.failed && (!resource || r.id === resource));
  if (!dirty) return noop(report, action, `no fail count and no failed action${resource ? ` for ${resource}` : ''}`);
  return {
    cluster: report.cluster,
    action,
    steps: [{ node: pacemakerNode(report), description: `forget the failures${resource ? ` of ${resource}` : ''} and re-check the resources' state`, argv: ['crm_resource', '--cleanup', ...(resource ? ['--resource', resource] : [])] }],
    wait: { description: 'the fail counts gone', done: (r) => !r.failCounts.some(about) },
    after: [],
  };
}

/** The TCP ports the cluster's services listen on, each once. */
const servicePorts = (cluster: ClusterSpec) => [...new Set(cluster.services.flatMap((s) => (s.port ? [s.port] : [])))];

/**
 * Run on the node the services go to: exits 0 as soon as the VIP is one of
 * its own addresses and every service port answers on it, 1 after `seconds`
 * without that. One remote command watches for up to `seconds`, looking once
 * a second with shell builtins only (the kernel's address table, bash's
 * /dev/tcp) and `sleep`: on emulated nodes every SSH command and process
 * slows the move it waits for.
 */
export function arrivedScript(cluster: ClusterSpec, seconds: number): string[] | undefined {
  const ports = servicePorts(cluster);
  if (!cluster.vip) return undefined;
  const vip = cluster.vip.address;
  return [
    'bash',
    '-c',
    `arrived() {
  local l hit= up=
  while read -r l; do case $l in "|-- ${vip}") hit=1 ;; "/32 host LOCAL") [ -n "$hit" ] && up=1; hit= ;; *) hit= ;; esac; done < /proc/net/fib_trie
  [ -n "$up" ] || return 1
  for p in ${ports.join(' ')}; do { exec 3<>"/dev/tcp/${vip}/$p"; } 2>/dev/null || return 1; exec 3>&-; done
}
end=$((SECONDS + ${Math.max(1, Math.round(seconds))}))
until arrived; do [ "$SECONDS" -ge "$end" ] && exit 1; sleep 1; done`,
  ];
}

/** The VIP answers a TCP connect on every service port (bash's /dev/tcp: no client needed on the node). */
export function servesScript(cluster: ClusterSpec): string[] | undefined {
  const ports = servicePorts(cluster);
  if (!cluster.vip || !ports.length) return undefined;
  const vip = cluster.vip.address;
  return ['bash', '-c', `for p in ${ports.join(' ')}; do timeout 3 bash -c "exec 3<>/dev/tcp/${vip}/$p" 2>/dev/null || exit 1; done`];
}
