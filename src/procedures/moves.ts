// Planned moves as pure planners over a status reading: switchover,
// migrate / unmigrate (runbook 002: migrate keeps the service off a node
// until unmigrate lifts it; stickiness then keeps it where it is), standby
// and cleanup, for both stacks. Each returns a plan: the commands and where
// they run, a wait until the status shows the move done (watching the node
// the services go to, cheaply, in between), and what runs after (Pacemaker:
// the temporary constraint of a switchover removed). A state the move cannot
// start from is a refusal with a hint. No I/O.
import type { Plan, Refusal, Step, WatchState } from '../engine/plan.js';
import type { ClusterSpec } from '../inventory/model.js';
import { quoteArgv } from '../util/shell.js';
import type { ClusterReport } from '../cluster/status.js';

/** A move's step: waits judge the cluster's status, read again after each look at the target. */
export type MoveStep = Step<ClusterReport>;

export interface MovePlan extends Plan<ClusterReport> {
  cluster: string;
  /** "switchover node1 -> node2", "migrate away from node1", ... */
  action: string;
  /** What the move waits for, in words; undefined: nothing to wait for. */
  waitFor?: string;
  /** The node the services go to, when the move takes them somewhere. */
  to?: string;
}

/** What a planner needs besides the reading: the cluster's VIP and ports (the watch), and how long to wait. */
export interface MoveContext {
  cluster: ClusterSpec;
  timeoutSeconds: number;
}

export const HB_STANDBY = '/usr/share/heartbeat/hb_standby';

/** Longest one look at the target runs before the status is read again (progress, and a move that went elsewhere). */
export const WATCH_SECONDS = 60;

const noop = (report: ClusterReport, action: string, why: string): MovePlan => ({ cluster: report.cluster, action, reason: why, steps: [] });
const refused = (report: ClusterReport, action: string, refusal: Refusal): MovePlan => ({ cluster: report.cluster, action, reason: refusal.message, steps: [], refusal });

/** Where Pacemaker's command-line tools talk to the cluster: the node whose view status read. */
function pacemakerNode(report: ClusterReport): string | Refusal {
  return report.viewFrom ?? { message: 'Pacemaker answers on no node', hint: 'start the cluster stack (systemctl start corosync pacemaker), then haforge status' };
}

function drbdClones(report: ClusterReport): string[] | Refusal {
  if (!report.drbdClones.length) return { message: `Pacemaker manages no DRBD resource (no promotable clone of ocf:linbit:drbd) in cluster ${report.cluster}`, hint: "haforge apply pacemaker loads the inventory's configuration" };
  return report.drbdClones;
}

const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && !Array.isArray(x) && 'message' in x;

/** Roles of a group member that runs: Pacemaker's Started, Heartbeat's Started and Primary (drbddisk). */
const RUNNING_ROLES: ReadonlySet<string> = new Set(['Started', 'Primary']);

/** The services run on `node`: DRBD Primary everywhere, the VIP there, and (Pacemaker) every group member started there. */
export function runsOn(report: ClusterReport, node: string): boolean {
  if (report.primary !== node) return false;
  if (report.vip && (report.vip.holders.length !== 1 || report.vip.holders[0] !== node)) return false;
  // The groups' members (Heartbeat: the haresources group); clone instances run everywhere.
  // Starting is not started: a VM resumed from its saved memory is Starting for seconds after the ports answer.
  const grouped = report.resources.filter((r) => r.group && !r.clone && !r.stoppedOnPurpose);
  return grouped.every((r) => r.nodes.length === 1 && r.nodes[0] === node && RUNNING_ROLES.has(r.role));
}

/** A ban (a negative location constraint) on the node would keep the cluster manager from moving anything there. */
export function banOn(report: ClusterReport, node: string): Refusal | undefined {
  const ban = report.bans.find((b) => b.node === node && b.weight < 0);
  if (!ban) return undefined;
  return { message: `${node} cannot take the services: ${ban.resource} is kept off it by ${ban.id}`, hint: ban.id.startsWith('cli-') ? `haforge unmigrate ${node} lifts it` : 'a location constraint of the configuration: change it there' };
}

/** A node able to take the services: readable, its cluster manager a member, its DRBD disks UpToDate. */
function cannotTake(report: ClusterReport, node: string): Refusal | undefined {
  const n = report.nodes.find((x) => x.name === node);
  if (!n) return { message: `no node '${node}' in cluster ${report.cluster}`, hint: `nodes: ${report.nodes.map((x) => x.name).join(', ')}` };
  if (!n.reachable) return { message: `${node} cannot be read: ${n.error ?? 'not connected'}` };
  if (!n.managerRunning || n.membership !== 'online') return { message: `${node} cannot take the services: its cluster manager is ${n.managerRunning ? n.membership : 'not running'}`, hint: 'haforge status shows the cluster; bring the node back first' };
  const ban = banOn(report, node);
  if (ban) return ban;
  for (const r of report.drbd) {
    const d = r.nodes.find((x) => x.node === node);
    if (d?.disk !== 'UpToDate' || d.connection !== 'Connected') {
      return { message: `${node} cannot take ${r.name}: its DRBD disk is ${d?.disk ?? 'not up'} (${d?.connection ?? 'not up'})`, hint: 'a planned move goes only to a node whose data is UpToDate and connected; wait for the resync (haforge status)' };
    }
  }
  return undefined;
}

/** Every DRBD resource Connected and UpToDate on both sides. */
export function drbdInSync(report: ClusterReport): boolean {
  return report.drbd.every((r) => r.nodes.every((n) => n.connection === 'Connected' && n.disk === 'UpToDate' && n.peerDisk === 'UpToDate'));
}

function otherNode(report: ClusterReport, from: string): string | Refusal {
  const others = report.nodes.map((n) => n.name).filter((n) => n !== from);
  if (others.length !== 1) return { message: `cluster ${report.cluster} has ${report.nodes.length} nodes: say where to`, hint: '--to <node>' };
  return others[0]!;
}

/**
 * The wait of a move. With `to` (the services go there) one remote command
 * on `to` watches for them (arrivedScript) and the status, a process or
 * more per fact on every node, is read only after it: on emulated nodes a
 * status reading each second slowed Pacemaker's own move from 72 s to
 * 118 s. The move is done when the status shows it and, for a move of the
 * services, the watch on `to` saw them answer on the VIP.
 */
export function waitStep(ctx: MoveContext, description: string, done: (r: ClusterReport) => boolean, to?: string, after: MoveStep[] = [], phase = 'wait'): MoveStep {
  const watch = to ? arrivedScript(ctx.cluster, WATCH_SECONDS) : undefined;
  return {
    description: `wait for ${description}`,
    node: watch ? to : undefined,
    argv: watch ?? [],
    readonly: true,
    phase,
    watch: {
      // The look at the target waits by itself; a wait without one reads once a second.
      intervalMs: watch ? 0 : 1000,
      timeoutMs: ctx.timeoutSeconds * 1000,
      reread: true,
      check(_stdout, exitCode, now): WatchState {
        const r = now as ClusterReport;
        const arrived = !watch || (exitCode === 0 && r.primary === to);
        return done(r) && arrived ? { done: true } : { done: false, progress: `waiting for ${description}: primary ${r.primary ?? 'none'}` };
      },
      timeoutHint: `haforge status shows where things stand; the commands ran (see the audit log), the cluster manager may still be moving${
        after.length ? `; once it is done, remove what the move left: ${after.map((s) => quoteArgv(s.argv)).join('; ')}` : ''
      }`,
    },
  };
}

function move(report: ClusterReport, action: string, commands: MoveStep[], wait?: { step: MoveStep; description: string; to?: string }, after: MoveStep[] = []): MovePlan {
  return { cluster: report.cluster, action, reason: action, steps: [...commands, ...(wait ? [wait.step] : []), ...after.map((s) => ({ ...s, phase: 'after' }))], waitFor: wait?.description, to: wait?.to };
}

function servicesMove(ctx: MoveContext, report: ClusterReport, action: string, commands: MoveStep[], description: string, done: (r: ClusterReport) => boolean, to: string, after: MoveStep[] = []): MovePlan {
  return move(report, action, commands, { step: waitStep(ctx, description, done, to, after), description, to }, after);
}

export function planSwitchover(report: ClusterReport, ctx: MoveContext, to?: string): MovePlan {
  const from = report.primary;
  if (from === null) return refused(report, 'switchover', { message: `no node runs the services of cluster ${report.cluster}: nothing to switch over`, hint: 'haforge status says why' });
  const target = to ?? otherNode(report, from);
  if (isRefusal(target)) return refused(report, 'switchover', target);
  const action = target === from ? `switchover to ${target}` : `switchover ${from} -> ${target}`;
  if (target === from && runsOn(report, target)) return noop(report, action, `the services already run on ${target}`);
  const cannot = cannotTake(report, target);
  if (cannot) return refused(report, action, cannot);
  const description = `the services running on ${target}`;
  const done = (r: ClusterReport) => runsOn(r, target);
  if (report.stack === 'pacemaker') {
    const at = pacemakerNode(report);
    const clones = drbdClones(report);
    if (isRefusal(at)) return refused(report, action, at);
    if (isRefusal(clones)) return refused(report, action, clones);
    // --promoted moves the DRBD Primary; the group follows it (colocated with the promoted instance).
    const commands = clones.map((c) => ({ node: at, description: `move the Primary of ${c} to ${target} (a temporary constraint)`, argv: ['crm_resource', '--move', '--promoted', '--resource', c, '--node', target] }));
    // Lifted once there: stickiness keeps the services on the new node (runbook 002's unmigrate).
    const after = clones.map((c) => ({ node: at, description: `remove the temporary constraint of ${c}`, argv: ['crm_resource', '--clear', '--resource', c, '--node', target] }));
    return servicesMove(ctx, report, action, commands, description, done, target, after);
  }
  return servicesMove(ctx, report, action, [{ node: from, description: `hand every resource to ${target}`, argv: [HB_STANDBY, 'all'] }], description, done, target);
}

/** runbook 002 "migrate": move the services away from `node` and keep them off it until unmigrate. */
export function planMigrate(report: ClusterReport, ctx: MoveContext, node: string): MovePlan {
  const action = `migrate away from ${node}`;
  if (!report.nodes.some((n) => n.name === node)) return refused(report, action, { message: `no node '${node}' in cluster ${report.cluster}`, hint: `nodes: ${report.nodes.map((x) => x.name).join(', ')}` });
  const holds = report.primary === node;
  const to = holds ? otherNode(report, node) : undefined;
  if (isRefusal(to)) return refused(report, action, to);
  const cannot = to ? cannotTake(report, to) : undefined;
  if (cannot) return refused(report, action, cannot);
  const description = `the services running on a node other than ${node}`;
  const done = (r: ClusterReport) => r.primary !== null && r.primary !== node && runsOn(r, r.primary);
  const finish = (commands: MoveStep[]) => (to ? servicesMove(ctx, report, action, commands, description, done, to) : move(report, action, commands));
  if (report.stack === 'pacemaker') {
    const at = pacemakerNode(report);
    const clones = drbdClones(report);
    if (isRefusal(at)) return refused(report, action, at);
    if (isRefusal(clones)) return refused(report, action, clones);
    const missing = clones.filter((c) => !report.bans.some((b) => b.id === banId(c, node)));
    if (!missing.length && !holds) return noop(report, action, `${node} is already kept off (${clones.map((c) => banId(c, node)).join(', ')})`);
    return finish(missing.map((c) => ({ node: at, description: `keep the Primary of ${c} off ${node} until unmigrate`, argv: ['crm_resource', '--ban', '--promoted', '--resource', c, '--node', node] })));
  }
  // Heartbeat v1 has no lasting ban: the hand-over is all there is.
  if (!holds) return noop(report, action, `${node} does not hold the resources (Heartbeat v1 has no lasting ban to add)`);
  return finish([{ node, description: 'hand every resource to the peer', argv: [HB_STANDBY, 'all'] }]);
}

/** The id crm_resource --ban gives its constraint. */
export const banId = (resource: string, node: string) => `cli-ban-${resource}-on-${node}`;

/** runbook 002 "unmigrate": lift the ban; the services stay where they are (stickiness). */
export function planUnmigrate(report: ClusterReport, _ctx: MoveContext, node: string): MovePlan {
  const action = `unmigrate ${node}`;
  if (report.stack !== 'pacemaker') return noop(report, action, 'Heartbeat v1 keeps no ban: nothing to lift');
  const held = report.bans.filter((b) => b.node === node && b.id.startsWith('cli-'));
  if (!held.length) return noop(report, action, `nothing keeps the services off ${node}`);
  const at = pacemakerNode(report);
  if (isRefusal(at)) return refused(report, action, at);
  return move(report, action, held.map((b) => ({ node: at, description: `lift ${b.id}`, argv: ['crm_resource', '--clear', '--resource', b.resource, '--node', node] })));
}

export function planStandby(report: ClusterReport, ctx: MoveContext, node: string, on: boolean): MovePlan {
  const action = `standby ${node} ${on ? 'on' : 'off'}`;
  const n = report.nodes.find((x) => x.name === node);
  if (!n) return refused(report, action, { message: `no node '${node}' in cluster ${report.cluster}`, hint: `nodes: ${report.nodes.map((x) => x.name).join(', ')}` });
  if (report.stack !== 'pacemaker') {
    if (!on) return noop(report, action, "Heartbeat v1's standby is a one-time hand-over: nothing to undo");
    return planMigrate(report, ctx, node);
  }
  if ((n.membership === 'standby') === on) return noop(report, action, `${node} is ${n.membership}`);
  const holds = on && report.primary === node;
  const to = holds ? otherNode(report, node) : undefined;
  if (isRefusal(to)) return refused(report, action, to);
  const cannot = to ? cannotTake(report, to) : undefined;
  if (cannot) return refused(report, action, cannot);
  const at = pacemakerNode(report);
  if (isRefusal(at)) return refused(report, action, at);
  const command = [{ node: at, description: `${on ? 'put' : 'take'} ${node} ${on ? 'in' : 'out of'} standby`, argv: ['crm_attribute', '--node', node, '--name', 'standby', '--update', on ? 'on' : 'off'] }];
  if (to) return servicesMove(ctx, report, action, command, `${node} standby and the services running elsewhere`, (r) => r.primary !== null && r.primary !== node && runsOn(r, r.primary), to);
  const [description, done] = on
    ? [`${node} standby`, (r: ClusterReport) => r.nodes.find((x) => x.name === node)?.membership === 'standby']
    : // Standby stopped the node's DRBD instance too: back means online and replicating again.
      [`${node} online and its DRBD UpToDate again`, (r: ClusterReport) => r.nodes.find((x) => x.name === node)?.membership === 'online' && drbdInSync(r)];
  return move(report, action, command, { step: waitStep(ctx, description, done), description });
}

export function planCleanup(report: ClusterReport, ctx: MoveContext, resource?: string): MovePlan {
  const action = `cleanup${resource ? ` ${resource}` : ''}`;
  if (report.stack !== 'pacemaker') return noop(report, action, 'Heartbeat v1 keeps no fail counts or failed actions: nothing to clean up');
  if (resource && !report.resources.some((r) => r.id === resource || r.group === resource)) {
    return refused(report, action, { message: `no resource '${resource}' in cluster ${report.cluster}`, hint: `resources: ${report.resources.map((r) => r.id).join(', ')}` });
  }
  const about = (r: { resource: string }) => !resource || r.resource === resource;
  const dirty = report.failCounts.filter(about).length > 0 || report.resources.some((r) => r.failed && (!resource || r.id === resource));
  if (!dirty) return noop(report, action, `no fail count and no failed action${resource ? ` for ${resource}` : ''}`);
  const at = pacemakerNode(report);
  if (isRefusal(at)) return refused(report, action, at);
  const description = 'the fail counts gone';
  return move(
    report,
    action,
    [{ node: at, description: `forget the failures${resource ? ` of ${resource}` : ''} and re-check the resources' state`, argv: ['crm_resource', '--cleanup', ...(resource ? ['--resource', resource] : [])] }],
    { step: waitStep(ctx, description, (r) => !r.failCounts.some(about)), description },
  );
}

/**
 * runbook 002 "forcestart" / "forcestop": a resource (or a group, or a
 * clone) started or stopped on purpose, through its target-role, whatever
 * the cluster's placement says. Stopping is an outage: destructive (needs
 * --yes), guarded by a fresh reading that the resource still runs.
 */
export function planTargetRole(report: ClusterReport, ctx: MoveContext, resource: string, role: 'Started' | 'Stopped'): MovePlan {
  const verb = role === 'Started' ? 'start' : 'stop';
  const action = `${verb} ${resource}`;
  if (report.stack !== 'pacemaker') {
    return refused(report, action, { message: 'Heartbeat v1 starts and stops its resources only as one group, on the node that holds them', hint: 'haforge switchover or standby moves them; systemctl stop heartbeat on the holder stops them' });
  }
  const members = (r: ClusterReport) => r.resources.filter((x) => x.id === resource || x.group === resource || x.clone === resource);
  if (!members(report).length) {
    const ids = [...new Set(report.resources.flatMap((r) => [r.group, r.clone, r.id]).filter((x): x is string => !!x))];
    return refused(report, action, { message: `no resource '${resource}' in cluster ${report.cluster}`, hint: `resources: ${ids.join(', ')}` });
  }
  const stopped = (r: ClusterReport) => members(r).every((x) => x.role === 'Stopped');
  const running = (r: ClusterReport) => members(r).every((x) => x.role !== 'Stopped');
  if (role === 'Stopped' && stopped(report)) return noop(report, action, `${resource} is stopped`);
  if (role === 'Started' && running(report)) return noop(report, action, `${resource} runs`);
  const at = pacemakerNode(report);
  if (isRefusal(at)) return refused(report, action, at);
  const command: MoveStep = {
    node: at,
    description: `set the target-role of ${resource} to ${role}`,
    argv: ['crm_resource', '--resource', resource, '--meta', '--set-parameter', 'target-role', '--parameter-value', role],
    ...(role === 'Stopped'
      ? { destructive: true, guard: (fresh: ClusterReport) => (stopped(fresh) ? `${resource} is already stopped` : undefined) }
      : {}),
  };
  const description = role === 'Stopped' ? `${resource} stopped everywhere` : `${resource} running`;
  return move(report, action, [command], { step: waitStep(ctx, description, role === 'Stopped' ? stopped : running), description });
}

/** The TCP ports the cluster's services listen on, each once. */
const servicePorts = (cluster: ClusterSpec) => [...new Set(cluster.services.flatMap((s) => (s.port ? [s.port] : [])))];

/**
 * Run on the node the services go to: exits 0 as soon as the VIP is one of
 * its own addresses and every service port answers on it, 1 after `seconds`
 * without that. One remote command watches for up to `seconds`, looking once
 * a second with shell builtins only (the kernel's address table, bash's
 * /dev/tcp) and `sleep`: on emulated nodes every SSH command and process
 * slows the move it waits for. The VIP and ports arrive as positional
 * parameters.
 */
export function arrivedScript(cluster: ClusterSpec, seconds: number): string[] | undefined {
  if (!cluster.vip) return undefined;
  return [
    'bash',
    '-c',
    `vip=$1 end=$((SECONDS + $2)); shift 2
arrived() {
  local l p hit= up=
  while read -r l; do case $l in "|-- $vip") hit=1 ;; "/32 host LOCAL") [ -n "$hit" ] && up=1; hit= ;; *) hit= ;; esac; done < /proc/net/fib_trie
  [ -n "$up" ] || return 1
  for p in "$@"; do { exec 3<>"/dev/tcp/$vip/$p"; } 2>/dev/null || return 1; exec 3>&-; done
}
until arrived "$@"; do [ "$SECONDS" -ge "$end" ] && exit 1; sleep 1; done`,
    'haforge-arrived',
    cluster.vip.address,
    String(Math.max(1, Math.round(seconds))),
    ...servicePorts(cluster).map(String),
  ];
}

/** The VIP answers a TCP connect on every service port (bash's /dev/tcp: no client needed on the node). */
export function servesScript(cluster: ClusterSpec): string[] | undefined {
  const ports = servicePorts(cluster);
  if (!cluster.vip || !ports.length) return undefined;
  return ['bash', '-c', 'vip=$1; shift; for p in "$@"; do timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$vip" "$p" 2>/dev/null || exit 1; done', 'haforge-serves', cluster.vip.address, ...ports.map(String)];
}
