// The cluster as Pacemaker sees it, from `crm_mon --output-as=xml`
// (Pacemaker 2.1, API 2.x): nodes, resources with their role and node,
// fail counts and failed operations, node attributes, bans, and whether
// fencing is on. `status`, the waits of the pacemaker playbook and the lab
// tests read the cluster through this one parser.
import type { Fact } from '../engine/fact.js';
import { child, childrenNamed, parseXml, XmlError, type XmlElement } from '../util/xml.js';

export interface PcmkNode {
  name: string;
  id: string;
  online: boolean;
  standby: boolean;
  maintenance: boolean;
  /** Joining, not yet a full member. */
  pending: boolean;
  /** Lost without a clean shutdown and not yet fenced. */
  unclean: boolean;
  shutdown: boolean;
  isDc: boolean;
  resourcesRunning: number;
}

export interface PcmkResource {
  id: string;
  /** "ocf:linbit:drbd", "systemd:lighttpd", "stonith:fence_ipmilan". */
  agent: string;
  /** Started, Stopped, Promoted, Unpromoted, Starting, Stopping, ... */
  role: string;
  targetRole?: string;
  active: boolean;
  failed: boolean;
  blocked: boolean;
  managed: boolean;
  orphaned: boolean;
  /** Nodes it is active on (more than one: a problem, unless it is a clone instance list). */
  nodes: string[];
  /** The group or clone it belongs to. */
  group?: string;
  clone?: string;
}

export interface PcmkClone {
  id: string;
  /** Promotable (master/slave). */
  promotable: boolean;
  failed: boolean;
  /** Instances, one per node where it has one (or stopped instances). */
  instances: PcmkResource[];
}

export interface PcmkGroup {
  id: string;
  /** Members in start order. */
  members: PcmkResource[];
}

export interface PcmkFailCount {
  node: string;
  resource: string;
  failCount: number;
  migrationThreshold?: number;
}

export interface PcmkFailure {
  /** e.g. "p_svc_web_monitor_10000" */
  opKey: string;
  resource: string;
  node: string;
  task: string;
  intervalMs: number;
  exitStatus: string;
  exitReason: string;
  lastRcChange?: string;
}

export interface PcmkBan {
  id: string;
  resource: string;
  node: string;
  weight: number;
}

/** One fencing action in the fencer's history (newest first, as crm_mon lists them). */
export interface FenceEvent {
  /** reboot, off, on. */
  action: string;
  target: string;
  /** success, failed, pending. */
  status: string;
  /** The node that carried it out. */
  delegate?: string;
  /** The node that asked for it. */
  origin?: string;
  /** Who asked: pacemaker-controld (the cluster), stonith_admin (a person or haforge fence). */
  client?: string;
  /** "2026-12-06 03:58:52Z". */
  completed?: string;
  exitReason?: string;
}

export interface ClusterStatus {
  /** false: crm_mon could not reach the cluster on this node (error says why). */
  running: boolean;
  error?: string;
  dc?: string;
  quorum: boolean;
  stonithEnabled: boolean;
  maintenanceMode: boolean;
  noQuorumPolicy?: string;
  nodes: PcmkNode[];
  /** Every primitive (clone instances and group members included). */
  resources: PcmkResource[];
  groups: PcmkGroup[];
  clones: PcmkClone[];
  nodeAttributes: Record<string, Record<string, string>>;
  failCounts: PcmkFailCount[];
  failures: PcmkFailure[];
  bans: PcmkBan[];
  fenceHistory: FenceEvent[];
}

const bool = (v: string | undefined) => v === 'true';

function resource(r: XmlElement, parent: { group?: string; clone?: string }): PcmkResource {
  return {
    id: r.attrs.id ?? '',
    agent: r.attrs.resource_agent ?? '',
    role: r.attrs.role ?? 'Unknown',
    targetRole: r.attrs.target_role,
    active: bool(r.attrs.active),
    failed: bool(r.attrs.failed),
    blocked: bool(r.attrs.blocked),
    managed: r.attrs.managed !== 'false',
    orphaned: bool(r.attrs.orphaned),
    nodes: childrenNamed(r, 'node').map((n) => n.attrs.name ?? ''),
    ...parent,
  };
}

function node(n: XmlElement): PcmkNode {
  const a = n.attrs;
  return {
    name: a.name ?? '',
    id: a.id ?? '',
    online: bool(a.online),
    standby: bool(a.standby),
    maintenance: bool(a.maintenance),
    pending: bool(a.pending),
    unclean: bool(a.unclean),
    shutdown: bool(a.shutdown),
    isDc: bool(a.is_dc),
    resourcesRunning: Number(a.resources_running ?? 0),
  };
}

const EMPTY: Omit<ClusterStatus, 'running'> = { quorum: false, stonithEnabled: false, maintenanceMode: false, nodes: [], resources: [], groups: [], clones: [], nodeAttributes: {}, failCounts: [], failures: [], bans: [], fenceHistory: [] };

/** Failed operation keys are "<resource>_<task>_<interval ms>"; resource ids have underscores too. */
function resourceOfOpKey(key: string, task: string, interval: string): string {
  const suffix = `_${task}_${interval}`;
  return key.endsWith(suffix) ? key.slice(0, -suffix.length) : key;
}

export function parseCrmMonXml(stdout: string, exitCode = 0): ClusterStatus {
  let doc: XmlElement;
  try {
    doc = parseXml(stdout);
  } catch (err) {
    if (!(err instanceof XmlError)) throw err;
    const first = stdout.trim().split('\n')[0];
    return { running: false, error: first ? `crm_mon: ${first}` : `crm_mon printed nothing (exit ${exitCode})`, ...EMPTY };
  }
  const status = child(doc, 'status');
  const summary = child(doc, 'summary');
  if (!summary) {
    const errors = childrenNamed(child(status, 'errors'), 'error').map((e) => e.text);
    return { running: false, error: errors.join('; ') || status?.attrs.message || `crm_mon exit ${exitCode}`, ...EMPTY };
  }
  const dc = child(summary, 'current_dc');
  const options = child(summary, 'cluster_options');
  const out: ClusterStatus = {
    ...structuredClone(EMPTY),
    running: true,
    dc: bool(dc?.attrs.present) ? dc?.attrs.name : undefined,
    quorum: bool(dc?.attrs.with_quorum),
    stonithEnabled: bool(options?.attrs['stonith-enabled']),
    maintenanceMode: bool(options?.attrs['maintenance-mode']),
    noQuorumPolicy: options?.attrs['no-quorum-policy'],
  };
  out.nodes = childrenNamed(child(doc, 'nodes'), 'node').map(node);
  for (const r of child(doc, 'resources')?.children ?? []) {
    if (r.name === 'resource') out.resources.push(resource(r, {}));
    else if (r.name === 'group') {
      const members = childrenNamed(r, 'resource').map((m) => resource(m, { group: r.attrs.id }));
      out.groups.push({ id: r.attrs.id ?? '', members });
      out.resources.push(...members);
    } else if (r.name === 'clone') {
      const id = r.attrs.id ?? '';
      // A clone of a group lists groups of instances; flatten them.
      const instances = r.children.flatMap((c) => (c.name === 'group' ? childrenNamed(c, 'resource').map((m) => resource(m, { clone: id, group: c.attrs.id })) : c.name === 'resource' ? [resource(c, { clone: id })] : []));
      out.clones.push({ id, promotable: bool(r.attrs.multi_state), failed: bool(r.attrs.failed), instances });
      out.resources.push(...instances);
    }
  }
  for (const n of childrenNamed(child(doc, 'node_attributes'), 'node')) {
    out.nodeAttributes[n.attrs.name ?? ''] = Object.fromEntries(childrenNamed(n, 'attribute').map((a) => [a.attrs.name ?? '', a.attrs.value ?? '']));
  }
  for (const n of childrenNamed(child(doc, 'node_history'), 'node')) {
    for (const h of childrenNamed(n, 'resource_history')) {
      if (h.attrs['fail-count'] === undefined) continue;
      const failCount = h.attrs['fail-count'] === 'INFINITY' ? Infinity : Number(h.attrs['fail-count']);
      const threshold = h.attrs['migration-threshold'];
      out.failCounts.push({ node: n.attrs.name ?? '', resource: h.attrs.id ?? '', failCount, migrationThreshold: threshold === undefined ? undefined : Number(threshold) });
    }
  }
  out.failures = childrenNamed(child(doc, 'failures'), 'failure').map((f) => ({
    opKey: f.attrs.op_key ?? f.attrs.id ?? '',
    resource: resourceOfOpKey(f.attrs.op_key ?? f.attrs.id ?? '', f.attrs.task ?? '', f.attrs.interval ?? '0'),
    node: f.attrs.node ?? '',
    task: f.attrs.task ?? '',
    intervalMs: Number(f.attrs.interval ?? 0),
    exitStatus: f.attrs.exitstatus ?? '',
    exitReason: f.attrs.exitreason ?? '',
    lastRcChange: f.attrs['last-rc-change'],
  }));
  out.bans = childrenNamed(child(doc, 'bans'), 'ban').map((b) => ({ id: b.attrs.id ?? '', resource: b.attrs.resource ?? '', node: b.attrs.node ?? '', weight: Number(b.attrs.weight ?? 0) }));
  out.fenceHistory = childrenNamed(child(doc, 'fence_history'), 'fence_event').map((e) => {
    const optional = { delegate: e.attrs.delegate, origin: e.attrs.origin, client: e.attrs.client, completed: e.attrs.completed, exitReason: e.attrs['exit-reason'] };
    return { action: e.attrs.action ?? '', target: e.attrs.target ?? '', status: e.attrs.status ?? '', ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) };
  });
  return out;
}

/** Nodes where a promotable clone's instance is promoted (at most one for DRBD single-primary). */
export function promotedNodes(status: ClusterStatus, cloneId: string): string[] {
  const clone = status.clones.find((c) => c.id === cloneId);
  return clone ? clone.instances.filter((i) => i.role === 'Promoted' || i.role === 'Master').flatMap((i) => i.nodes) : [];
}

/** Pacemaker's promotable clones of DRBD (ocf:linbit:drbd), whatever their ids (haforge's, or those of a cluster built with other tools). */
export function drbdClones(status: ClusterStatus): string[] {
  return status.clones.filter((c) => c.promotable && c.instances.some((i) => i.agent === 'ocf:linbit:drbd')).map((c) => c.id);
}

/** An admin stopped it and wants it so (target-role Stopped): nothing waits for it to run. */
export const stoppedOnPurpose = (r: Pick<PcmkResource, 'targetRole'>) => r.targetRole?.toLowerCase() === 'stopped';

/** The one node where every member of the group is started, or undefined. */
export function groupNode(status: ClusterStatus, groupId: string): string | undefined {
  const group = status.groups.find((g) => g.id === groupId);
  if (!group || group.members.length === 0) return undefined;
  const nodes = new Set(group.members.flatMap((m) => (m.role === 'Started' && m.active ? m.nodes : [])));
  const [only] = nodes;
  return nodes.size === 1 && group.members.every((m) => m.role === 'Started' && m.nodes.length === 1 && m.nodes[0] === only) ? only : undefined;
}

export function failCount(status: ClusterStatus, resource: string, node?: string): number {
  return status.failCounts.filter((f) => f.resource === resource && (node === undefined || f.node === node)).reduce((sum, f) => sum + f.failCount, 0);
}

export const crmMonFact: Fact<ClusterStatus> = {
  id: 'pacemaker-status',
  // XML output has every section by default: fail counts, node attributes (pingd, DRBD's promotion scores), bans;
  // the fencing history lists failures and pending actions only, unless asked for successes too.
  command: () => ['crm_mon', '--output-as=xml', '--fence-history=2'],
  parse: (stdout, exitCode) => parseCrmMonXml(stdout, exitCode),
};
