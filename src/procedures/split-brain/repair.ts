// The repair of one resource's split brain as an ordered list of commands,
// per node, exactly as they will run (what --check prints). Pure: the
// service runs them, re-reading facts before the guarded ones.
//
// The sequence is DRBD's documented one (runbooks 000 and 001): the victim
// goes Secondary, disconnects and reconnects discarding its own data; the
// survivor connects; DRBD resyncs the blocks either side changed from the
// survivor. Before that, the victim's own changes are archived: StandAlone,
// it can be made Primary alone and its filesystem mounted read-only.
import type { Step, Watch } from '../../engine/plan.js';
import { deviceState, drbdStatusFact } from '../../drbd/status.js';
import type { DrbdVersions } from '../../facts/system.js';
import type { RunningManager } from '../../facts/running-manager.js';
import { waitForSync } from '../../operations/drbd.js';
import { quoteWord } from '../../util/shell.js';
import type { ResourceReport } from './detect.js';

export type DrbdFamily = NonNullable<DrbdVersions['family']>;

export type RepairPhase = 'hold' | 'rescue' | 'discard' | 'reconnect' | 'resync' | 'release';

export interface RepairStep {
  node: string;
  phase: RepairPhase;
  description: string;
  argv: string[];
  /** Facts are read again right before, and the step runs only if the split brain and the victim still stand. */
  guarded?: boolean;
  destructive?: boolean;
  /** Exit codes besides 0 that mean "already so". */
  alsoOk?: { code: number; meaning: string }[];
  /** Its stdout is the rescue archive (tar.gz), streamed to the workstation. */
  archive?: boolean;
  /** A wait, polled until done (argv is a read-only status command). */
  watch?: Watch;
  /** Undoes a temporary change of this phase: runs even after a failure, if the phase had started. */
  undoes?: RepairPhase;
}

export interface RepairPlan {
  cluster: string;
  resource: string;
  victim: string;
  survivor: string;
  reason: string;
  /** Files changed since this time (victim's clock) are rescued; undefined with --no-rescue. */
  rescueSince?: number;
  steps: RepairStep[];
}

export interface RepairInputs {
  victim: string;
  survivor: string;
  reason: string;
  /** DRBD version family per node (command syntax). */
  families: Record<string, DrbdVersions['family']>;
  managers: Record<string, RunningManager | undefined>;
  /** Unix seconds on the victim's clock; undefined: do not rescue. */
  rescueSince?: number;
  rescue: boolean;
  resyncTimeoutSeconds?: number;
}

// ---------------------------------------------------------------- drbdadm per version

/** `connect --discard-my-data`: drbdadm 8.3 takes drbdsetup options only after `--`. */
export function discardConnectArgv(family: DrbdFamily, resource: string): string[] {
  return family === '8.3' ? ['drbdadm', '--', '--discard-my-data', 'connect', resource] : ['drbdadm', 'connect', '--discard-my-data', resource];
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

const MAINTENANCE = ['crm_attribute', '--type', 'crm_config', '--name', 'maintenance-mode'];

// ---------------------------------------------------------------- the plan

export type PlanOutcome = { plan: RepairPlan } | { refusal: string; hint: string };

export function planRepair(report: ResourceReport, inp: RepairInputs): PlanOutcome {
  const victim = report.sides.find((s) => s.node === inp.victim)!;
  const survivor = report.sides.find((s) => s.node === inp.survivor)!;
  const unreadable = report.sides.find((s) => !s.reachable || s.connection === undefined);
  if (unreadable) return { refusal: `${report.name} cannot be read on ${unreadable.node} (${unreadable.error ?? 'not up'})`, hint: 'both nodes must be reachable with the resource up' };
  if (!report.sides.some((s) => s.connection === 'StandAlone')) {
    return {
      refusal: `${report.name}: neither node is StandAlone (${report.sides.map((s) => `${s.node} ${s.connection}`).join(', ')}): they are still apart, and DRBD has not met the split brain yet`,
      hint: 'bring the replication link back first; DRBD then finds the split brain and goes StandAlone, and the repair can resync',
    };
  }
  if (report.lineage === 'unrelated') {
    return { refusal: `${report.name}: the two nodes' data share no generation at all`, hint: `this is not a split brain DRBD can resync by bitmap; to overwrite one side completely: drbdadm invalidate ${report.name} on it, then connect` };
  }
  if (victim.mountedAt) {
    return {
      refusal: `${inp.victim} has ${report.name} mounted at ${victim.mountedAt}: discarding its data under a mounted filesystem would corrupt what uses it`,
      hint: `stop what uses ${victim.mountedAt} on ${inp.victim} and unmount it (with a cluster manager: move the resources to ${inp.survivor}), then run again`,
    };
  }
  if (inp.managers[inp.victim]?.heartbeat && victim.role === 'Primary') {
    return { refusal: `Heartbeat runs on ${inp.victim} and it is Primary: Heartbeat thinks it holds the resources there`, hint: `put ${inp.victim} in standby first (hb_standby on ${inp.victim}), then run again` };
  }
  const families = [inp.victim, inp.survivor].map((n) => [n, inp.families[n]] as const);
  const unknownFamily = families.find(([, f]) => !f);
  if (unknownFamily) return { refusal: `the DRBD version on ${unknownFamily[0]} is unknown: cannot choose the command syntax`, hint: 'is the drbd module loaded (cat /proc/drbd)?' };
  if (inp.rescue && inp.rescueSince === undefined) {
    return {
      refusal: `the kernel logs do not say when ${inp.victim} parted from ${inp.survivor}, so haforge cannot tell which of its files to rescue`,
      hint: "give the time with --since (e.g. --since '2026-11-23 10:00'), or discard without an archive with --no-rescue",
    };
  }
  const family = inp.families[inp.victim]!;
  const R = report.name;
  const V = inp.victim;
  const S = inp.survivor;
  const steps: RepairStep[] = [];

  // Pacemaker would fight a DRBD it manages (promote, demote, restart): maintenance mode makes it watch only.
  // Heartbeat v1 does not monitor DRBD; a Secondary victim is all it needs (checked above).
  const held = Object.entries(inp.managers).filter(([, m]) => m?.pacemaker && m.maintenanceMode !== true);
  for (const [node] of held) steps.push({ node, phase: 'hold', description: 'Pacemaker: maintenance mode for the repair', argv: [...MAINTENANCE, '--update', 'true'] });

  if (inp.rescue) {
    const dir = rescueMountPoint(R);
    steps.push(
      { node: V, phase: 'rescue', description: `make ${V} Primary alone (StandAlone: nothing reaches ${S}) to read its changes`, argv: ['drbdadm', 'primary', R], guarded: true },
      { node: V, phase: 'rescue', description: 'temporary mount point', argv: ['mkdir', '-p', dir] },
      { node: V, phase: 'rescue', description: `mount ${V}'s filesystem read-only`, argv: ['mount', '-o', 'ro', report.device, dir] },
      { node: V, phase: 'rescue', description: `archive ${V}'s files changed since the split to this workstation`, argv: rescueArchiveArgv(dir, inp.rescueSince!), archive: true },
      { node: V, phase: 'rescue', description: 'unmount', argv: ['umount', dir], undoes: 'rescue', alsoOk: [{ code: 32, meaning: 'not mounted' }] },
      { node: V, phase: 'rescue', description: 'remove the mount point', argv: ['rmdir', dir], undoes: 'rescue', alsoOk: [{ code: 1, meaning: 'already gone' }] },
      { node: V, phase: 'rescue', description: `${V} Secondary again`, argv: ['drbdadm', 'secondary', R], undoes: 'rescue' },
    );
  }
  steps.push(
    { node: V, phase: 'discard', description: `${V} Secondary`, argv: ['drbdadm', 'secondary', R] },
    { node: V, phase: 'discard', description: `${V} disconnected`, argv: ['drbdadm', 'disconnect', R], alsoOk: [{ code: 10, meaning: 'already StandAlone' }] },
    {
      node: V,
      phase: 'discard',
      description: `${V} reconnects discarding its own changes`,
      argv: discardConnectArgv(family, R),
      guarded: true,
      destructive: true,
    },
  );
  if (survivor.connection === 'StandAlone') {
    steps.push({ node: S, phase: 'reconnect', description: `${S} connects`, argv: ['drbdadm', 'connect', R], alsoOk: [{ code: 10, meaning: 'already connecting' }] });
  }
  steps.push({ node: V, phase: 'resync', ...resyncWait(R, report.minor, inp.resyncTimeoutSeconds ?? 3600) });
  for (const [node, m] of held) {
    const restore = m!.maintenanceMode === false ? ['--update', 'false'] : ['--delete'];
    steps.push({ node, phase: 'release', description: 'Pacemaker: maintenance mode back as it was', argv: [...MAINTENANCE, ...restore], undoes: 'hold' });
  }
  return { plan: { cluster: report.cluster, resource: R, victim: V, survivor: S, reason: inp.reason, rescueSince: inp.rescue ? inp.rescueSince : undefined, steps } };
}

/** How long the victim may wait for the survivor before the wait gives up. */
const CONNECT_WITHIN_MS = 120_000;

/**
 * The resync wait of the initial sync, stricter: StandAlone again means DRBD
 * refused the connection (the split brain was not resolved), and a peer that
 * does not connect within two minutes will not.
 */
export function resyncWait(resource: string, minor: number, timeoutSeconds: number): Pick<Step, 'description' | 'argv' | 'watch'> {
  const base = waitForSync({ resource, minor, timeout: timeoutSeconds });
  let waitingSince: number | undefined;
  return {
    description: `resync: wait until ${resource} is UpToDate on both sides`,
    argv: base.argv,
    watch: {
      ...base.watch!,
      check(stdout, exitCode) {
        const dev = deviceState(drbdStatusFact.parse(stdout, exitCode), minor);
        if (dev?.connection === 'StandAlone') return { done: false, error: `${resource} went StandAlone again: DRBD refused the connection (see the kernel log)` };
        if (dev && dev.connection !== 'Connected') {
          waitingSince ??= Date.now();
          if (Date.now() - waitingSince > CONNECT_WITHIN_MS) return { done: false, error: `${resource} did not connect within ${CONNECT_WITHIN_MS / 1000} s (${dev.connection})` };
        } else waitingSince = undefined;
        return base.watch!.check(stdout, exitCode);
      },
    },
  };
}
