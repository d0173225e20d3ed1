// The repair of one resource's split brain as an ordered list of commands,
// per node, exactly as they will run (what --check prints). Pure: the
// service runs them, re-reading facts before the guarded ones.
//
// The sequence is DRBD's documented one (runbooks 000 and 001): the victim
// goes Secondary, disconnects and reconnects discarding its own data; the
// survivor connects; DRBD resyncs the blocks either side changed from the
// survivor. Before that, the victim's own changes are archived: StandAlone,
// it can be made Primary alone and its filesystem mounted read-only.
import type { Plan, Step } from '../../engine/plan.js';
import { discardConnectArgv } from '../../drbd/commands.js';
import type { DrbdFamily } from '../../drbd/versions.js';
import type { RunningManager } from '../../facts/running-manager.js';
import { drbdWait, syncJudge } from '../../drbd/waits.js';
import { quoteWord } from '../../util/shell.js';
import { listTarGz } from '../../util/tar.js';
import type { ResourceReport } from './detect.js';
import { stillTheVictim, type VictimWish } from './victim.js';

/** A repair's step: guards judge both nodes read again right before. */
export type RepairStep = Step<ResourceReport>;

export interface RepairPlan extends Plan<ResourceReport> {
  cluster: string;
  resource: string;
  victim: string;
  survivor: string;
  /** Files changed since this time (victim's clock) are rescued; undefined with --no-rescue. */
  rescueSince?: number;
}

export interface RepairInputs {
  victim: string;
  survivor: string;
  reason: string;
  /** How the victim was chosen: the guards ask the same again. */
  wish: VictimWish;
  /** DRBD version family per node (command syntax). */
  families: Record<string, DrbdFamily | undefined>;
  managers: Record<string, RunningManager | undefined>;
  /** Unix seconds on the victim's clock; undefined: do not rescue. */
  rescueSince?: number;
  rescue: boolean;
  /** Where the victim's changes are archived on this workstation. */
  rescueFile: string;
  resyncTimeoutSeconds?: number;
}

/** Where the victim's filesystem is mounted read-only during the rescue. */
export const rescueMountPoint = (resource: string) => `/run/haforge-rescue-${resource}`;

/**
 * Archives files, links and directories changed since `since` (inode change
 * time) to stdout; --no-recursion keeps a changed directory from dragging in
 * every old file under it. Nothing is written on the node.
 */
export function rescueArchiveArgv(dir: string, since: number): string[] {
  const script = `cd ${quoteWord(dir)} && find . -xdev -newerct @${Math.floor(since)} \\( -type f -o -type l -o -type d \\) -print0 | tar --null --no-recursion -T - -czf -`;
  return ['sh', '-c', script];
}

const RESCUE_FAILED = 'the rescue archive could not be made: nothing was discarded; see the error, or repair with --no-rescue to discard without an archive';

const MAINTENANCE = ['crm_attribute', '--type', 'crm_config', '--name', 'maintenance-mode'];

// ---------------------------------------------------------------- the plan

/** The plan, or (a plan with) a refusal that names what to do first. */
export function planRepair(report: ResourceReport, inp: RepairInputs): RepairPlan {
  const refusal = refuseRepair(report, inp);
  const base = { cluster: report.cluster, resource: report.name, victim: inp.victim, survivor: inp.survivor };
  if (refusal) return { ...base, reason: refusal.message, steps: [], refusal };
  return { ...base, reason: inp.reason, rescueSince: inp.rescue ? inp.rescueSince : undefined, steps: repairSteps(report, inp) };
}

function refuseRepair(report: ResourceReport, inp: RepairInputs): { message: string; hint: string } | undefined {
  const victim = report.sides.find((s) => s.node === inp.victim)!;
  const unreadable = report.sides.find((s) => !s.reachable || s.connection === undefined);
  if (unreadable) return { message: `${report.name} cannot be read on ${unreadable.node} (${unreadable.error ?? 'not up'})`, hint: 'both nodes must be reachable with the resource up' };
  if (!report.sides.some((s) => s.connection === 'StandAlone')) {
    return {
      message: `${report.name}: neither node is StandAlone (${report.sides.map((s) => `${s.node} ${s.connection}`).join(', ')}): they are still apart, and DRBD has not met the split brain yet`,
      hint: 'bring the replication link back first; DRBD then finds the split brain and goes StandAlone, and the repair can resync',
    };
  }
  if (report.lineage === 'unrelated') {
    return { message: `${report.name}: the two nodes' data share no generation at all`, hint: `this is not a split brain DRBD can resync by bitmap; to overwrite one side completely: drbdadm invalidate ${report.name} on it, then connect` };
  }
  if (victim.mountedAt) {
    return {
      message: `${inp.victim} has ${report.name} mounted at ${victim.mountedAt}: discarding its data under a mounted filesystem would corrupt what uses it`,
      hint: `stop what uses ${victim.mountedAt} on ${inp.victim} and unmount it (with a cluster manager: move the resources to ${inp.survivor}), then run again`,
    };
  }
  if (inp.managers[inp.victim]?.heartbeat && victim.role === 'Primary') {
    return { message: `Heartbeat runs on ${inp.victim} and it is Primary: Heartbeat thinks it holds the resources there`, hint: `put ${inp.victim} in standby first (hb_standby on ${inp.victim}), then run again` };
  }
  const families = [inp.victim, inp.survivor].map((n) => [n, inp.families[n]] as const);
  const unknownFamily = families.find(([, f]) => !f);
  if (unknownFamily) return { message: `the DRBD version on ${unknownFamily[0]} is unknown: cannot choose the command syntax`, hint: 'is the drbd module loaded (cat /proc/drbd)?' };
  if (inp.rescue && inp.rescueSince === undefined) {
    return {
      message: `the kernel logs do not say when ${inp.victim} parted from ${inp.survivor}, so haforge cannot tell which of its files to rescue`,
      hint: "give the time with --since (e.g. --since '2026-11-23 10:00'), or discard without an archive with --no-rescue",
    };
  }
  return undefined;
}

function repairSteps(report: ResourceReport, inp: RepairInputs): RepairStep[] {
  const victim = report.sides.find((s) => s.node === inp.victim)!;
  const survivor = report.sides.find((s) => s.node === inp.survivor)!;
  const family = inp.families[inp.victim];
  const R = report.name;
  const V = inp.victim;
  const S = inp.survivor;
  const steps: RepairStep[] = [];
  // Right before the promotion and the discard: the split brain and the same victim still there, unmounted
  // (and before the discard Secondary), at the generation this plan was made on.
  const guard =
    (discarding: boolean) =>
    (now: ResourceReport): string | undefined => {
      const why = stillTheVictim(now, inp.wish, { victim: V, current: victim.current, discarding });
      return why && `${R}: ${why}`;
    };

  // Pacemaker would fight a DRBD it manages (promote, demote, restart): maintenance mode makes it watch only.
  // Heartbeat v1 does not monitor DRBD; a Secondary victim is all it needs (checked above).
  const held = Object.entries(inp.managers).filter(([, m]) => m?.pacemaker && m.maintenanceMode !== true);
  for (const [node] of held) steps.push({ node, phase: 'hold', description: 'Pacemaker: maintenance mode for the repair', argv: [...MAINTENANCE, '--update', 'true'] });

  if (inp.rescue) {
    const dir = rescueMountPoint(R);
    steps.push(
      { node: V, phase: 'rescue', description: `make ${V} Primary alone (StandAlone: nothing reaches ${S}) to read its changes`, argv: ['drbdadm', 'primary', R], guard: guard(false) },
      { node: V, phase: 'rescue', description: 'temporary mount point', argv: ['mkdir', '-p', dir] },
      { node: V, phase: 'rescue', description: `mount ${V}'s filesystem read-only`, argv: ['mount', '-o', 'ro', report.device, dir] },
      { node: V, phase: 'rescue', description: `archive ${V}'s files changed since the split to this workstation`, argv: rescueArchiveArgv(dir, inp.rescueSince!), toFile: { file: inp.rescueFile, check: listTarGz, hint: RESCUE_FAILED } },
      { node: V, phase: 'rescue', description: 'unmount', argv: ['umount', dir], undoes: 'rescue', accept: [{ code: 32, meaning: 'not mounted' }] },
      { node: V, phase: 'rescue', description: 'remove the mount point', argv: ['rmdir', dir], undoes: 'rescue', accept: [{ code: 1, meaning: 'already gone' }] },
      { node: V, phase: 'rescue', description: `${V} Secondary again`, argv: ['drbdadm', 'secondary', R], undoes: 'rescue' },
    );
  }
  steps.push(
    { node: V, phase: 'discard', description: `${V} Secondary`, argv: ['drbdadm', 'secondary', R] },
    { node: V, phase: 'discard', description: `${V} disconnected`, argv: ['drbdadm', 'disconnect', R], accept: [{ code: 10, meaning: 'already StandAlone' }] },
    {
      node: V,
      phase: 'discard',
      description: `${V} reconnects discarding its own changes`,
      argv: discardConnectArgv(family, R),
      guard: guard(true),
      destructive: true,
    },
  );
  if (survivor.connection === 'StandAlone') {
    steps.push({ node: S, phase: 'reconnect', description: `${S} connects`, argv: ['drbdadm', 'connect', R], accept: [{ code: 10, meaning: 'already connecting' }] });
  }
  steps.push({ node: V, phase: 'resync', ...resyncWait(R, report.minor, inp.resyncTimeoutSeconds ?? 3600) });
  for (const [node, m] of held) {
    const restore = m!.maintenanceMode === false ? ['--update', 'false'] : ['--delete'];
    steps.push({ node, phase: 'release', description: 'Pacemaker: maintenance mode back as it was', argv: [...MAINTENANCE, ...restore], undoes: 'hold' });
  }
  return steps;
}

/** How long the victim may wait for the survivor before the wait gives up. */
const CONNECT_WITHIN_MS = 120_000;

/**
 * The resync wait of the initial sync, stricter: StandAlone again means DRBD
 * refused the connection (the split brain was not resolved), and a peer that
 * does not connect within two minutes will not.
 */
export function resyncWait(resource: string, minor: number, timeoutSeconds: number): RepairStep {
  const synced = syncJudge({ resource });
  let waitingSince: number | undefined;
  return drbdWait(`resync: wait until ${resource} is UpToDate on both sides`, minor, timeoutSeconds, (dev) => {
    if (dev?.connection === 'StandAlone') return { done: false, error: `${resource} went StandAlone again: DRBD refused the connection (see the kernel log)` };
    if (dev && dev.connection !== 'Connected') {
      waitingSince ??= Date.now();
      if (Date.now() - waitingSince > CONNECT_WITHIN_MS) return { done: false, error: `${resource} did not connect within ${CONNECT_WITHIN_MS / 1000} s (${dev.connection})` };
    } else waitingSince = undefined;
    return synced(dev);
  });
}
