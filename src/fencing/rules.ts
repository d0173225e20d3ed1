// The one rule set for fencing, used by the inventory loader (with the YAML
// position of each problem) and by `haforge init` (while it asks): a device
// per node, targets that are nodes, one-line parameter values, and what
// Heartbeat v1 can drive. Also what preflight and status say about a
// cluster without fencing.
import { UserError } from '../errors.js';
import type { ClusterSpec, FencingSpec, SbdSpec, Stack } from '../inventory/model.js';
import { didYouMean } from '../schema/suggest.js';
import { HEARTBEAT_FENCE_AGENTS, stonithHostLine } from './heartbeat-stonith.js';

export interface FencingProblem {
  message: string;
  /** How to fix it in the inventory. */
  hint?: string;
  /** How to fix it with init's flags, where that differs. */
  flagHint?: string;
  /** Where, below the cluster's `fencing:` key. */
  at: (string | number)[];
}


export function fencingProblems(f: FencingSpec, nodeNames: string[], stack: Stack): FencingProblem[] {
  const problems: FencingProblem[] = [];
  if (f.enabled && f.devices.length === 0 && !f.sbd) {
    problems.push({ message: 'fencing is enabled but names no device', hint: 'add sbd: or devices:, or say enabled: false to run without fencing on purpose', at: [] });
  }
  if (!f.enabled && (f.devices.length > 0 || f.sbd)) problems.push({ message: 'fencing says enabled: false but names devices', hint: 'remove enabled: false to use the devices', at: ['enabled'] });
  if (f.sbd) problems.push(...sbdProblems(f.sbd, stack));
  for (const d of f.devices) {
    if (!d.targets.length) problems.push({ message: `fence device '${d.name}' powers off no node`, hint: 'give the nodes it fences in targets:', flagHint: 'give the nodes it fences (--fence-targets)', at: ['devices', d.name, 'targets'] });
    d.targets.forEach((t, i) => {
      if (!nodeNames.includes(t)) problems.push({ message: `fence device '${d.name}' targets '${t}', which is not a node${didYouMean(t, nodeNames)}`, hint: `nodes: ${nodeNames.join(', ')}`, at: ['devices', d.name, 'targets', i] });
    });
    for (const [k, v] of Object.entries(d.params)) {
      // The value is never repeated: it may be a password.
      if (/[\r\n]/.test(v)) problems.push({ message: `the value of fence parameter '${k}' of device '${d.name}' has a line break`, hint: 'a value is one line', at: ['devices', d.name, 'params', k] });
    }
    if (f.enabled && stack === 'heartbeat') problems.push(...heartbeatProblems(d));
  }
  // SBD fences every node of the cluster: each has its slot on the shared disks.
  if (f.enabled && !f.sbd) {
    for (const n of nodeNames) {
      if (!f.devices.some((d) => d.targets.includes(n))) problems.push({ message: `no fence device can power off node '${n}'`, hint: `add ${n} to some device's targets`, flagHint: `every node needs one: add ${n} to --fence-targets (default: every node)`, at: ['devices'] });
    }
  }
  return problems;
}

/** SBD's devices and timeouts (its arithmetic: fencing/sbd.ts). */
function sbdProblems(sbd: SbdSpec, stack: Stack): FencingProblem[] {
  const problems: FencingProblem[] = [];
  if (stack === 'heartbeat') problems.push({ message: 'SBD fencing needs Pacemaker', hint: 'with stack: heartbeat fence with an IPMI device (devices:), or use stack: pacemaker for SBD', flagHint: 'use --stack pacemaker for SBD', at: ['sbd'] });
  const seen = new Set<string>();
  sbd.devices.forEach((d, i) => {
    if (seen.has(d)) problems.push({ message: `SBD device ${d} is named twice`, hint: 'one to three different shared disks', at: ['sbd', 'devices', i] });
    seen.add(d);
  });
  if (sbd.msgwait < 2 * sbd.watchdogTimeout) {
    problems.push({
      message: `SBD msgwait ${sbd.msgwait} s is below twice watchdog_timeout (${sbd.watchdogTimeout} s)`,
      hint: `a node that misses its poison pill is reset by its watchdog only after watchdog_timeout: msgwait must leave it that long twice (msgwait: ${2 * sbd.watchdogTimeout}, or leave it out)`,
      at: ['sbd', 'msgwait'],
    });
  }
  return problems;
}

/** What Heartbeat v1 cannot drive: it maps fence_ipmilan to a STONITH plugin, one machine each. */
function heartbeatProblems(d: FencingSpec['devices'][number]): FencingProblem[] {
  const at = ['devices', d.name];
  if (!HEARTBEAT_FENCE_AGENTS.includes(d.agent)) {
    return [{ message: `Heartbeat cannot drive ${d.agent} (device '${d.name}')`, hint: `with stack: heartbeat the fence agents are ${HEARTBEAT_FENCE_AGENTS.join(', ')}; use stack: pacemaker for ${d.agent}`, flagHint: `with --stack heartbeat the fence agents are ${HEARTBEAT_FENCE_AGENTS.join(', ')}; use --stack pacemaker for ${d.agent}`, at }];
  }
  if (d.targets.length !== 1) {
    return [{ message: `fence device '${d.name}' (${d.agent}) is to power off ${d.targets.join(', ')}: Heartbeat drives one IPMI controller per machine`, hint: 'one device per node, each with its own controller address', flagHint: `give each node its controller's address, which makes one device per node: ${d.targets.map((t) => `--fence-param ${t}:ip=ADDRESS`).join(' ')}`, at }];
  }
  try {
    stonithHostLine(d);
    return [];
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return [{ message: err.message, hint: err.hint, flagHint: `${err.hint ?? ''}${err.hint ? '; ' : ''}as a flag: --fence-param NAME=VALUE (NODE:NAME=VALUE for one node)`, at }];
  }
}

/** The fencing in words, one item a device: for preflight and status. */
export function describeFencing(f: FencingSpec): string[] {
  return [
    ...(f.sbd ? [`SBD on ${f.sbd.devices.join(', ')} (watchdog ${f.sbd.watchdog}, ${f.sbd.watchdogTimeout} s; msgwait ${f.sbd.msgwait} s)`] : []),
    ...f.devices.map((d) => `${d.name} (${d.agent} → ${d.targets.join(', ')})`),
  ];
}

/** The fencing problem preflight and status report every time, or undefined when fencing is configured. */
export function fencingWarning(cluster: Pick<ClusterSpec, 'fencing'>): string | undefined {
  if (!cluster.fencing) return 'no fencing section: the cluster manager will not be configured until the inventory has fencing devices, or says fencing: { enabled: false }';
  if (!cluster.fencing.enabled) return 'fencing disabled (fencing: { enabled: false }): a node that only looks dead can still write, so split brain stays possible';
  return undefined;
}
