// Whose changes a split-brain repair discards. Named by the user, or by a
// policy; when a policy cannot tell (equal changes, no single primary, ...)
// it refuses instead of guessing: the other side's writes are at stake.
import { generation } from '../../drbd/lineage.js';
import type { ResourceReport, SideReport } from './detect.js';

export const VICTIM_POLICIES = ['fewer-changes', 'younger-primary', 'not-current-primary'] as const;
export type VictimPolicy = (typeof VICTIM_POLICIES)[number];

export interface VictimWish {
  victim?: string;
  policy?: VictimPolicy;
}

export type VictimChoice = { victim: string; survivor: string; reason: string } | { refusal: string; hint: string };

const NAME_IT = 'look at what each side changed (haforge split-brain), then name the victim: haforge split-brain repair --victim NODE';

export function chooseVictim(report: ResourceReport, wish: VictimWish): VictimChoice {
  const [a, b] = report.sides;
  if (report.sides.length !== 2 || !a || !b) {
    return { refusal: `${report.name} has ${report.sides.length} nodes: haforge repairs two-node resources only`, hint: 'repair by hand (drbdadm connect --discard-my-data on each victim)' };
  }
  const pick = (victim: SideReport, reason: string): VictimChoice => ({ victim: victim.node, survivor: (victim === a ? b : a).node, reason });
  if (wish.victim !== undefined) {
    const named = report.sides.find((s) => s.node === wish.victim);
    if (!named) return { refusal: `--victim ${wish.victim} is not a node of ${report.name} (${a.node}, ${b.node})`, hint: `name one of ${a.node}, ${b.node}` };
    return pick(named, `named with --victim`);
  }
  switch (wish.policy) {
    case 'fewer-changes':
      return fewerChanges(a, b, pick);
    case 'younger-primary':
      return youngerPrimary(a, b, pick);
    case 'not-current-primary':
      return notCurrentPrimary(a, b, pick);
    default:
      return { refusal: 'no victim named', hint: `--victim NODE, or --policy ${VICTIM_POLICIES.join(' | ')}` };
  }
}

type Pick = (victim: SideReport, reason: string) => VictimChoice;

/** DRBD's own measure (discard-least-changes): the KiB each side marked in its bitmap. */
function fewerChanges(a: SideReport, b: SideReport, pick: Pick): VictimChoice {
  if (a.outOfSyncKiB === undefined || b.outOfSyncKiB === undefined) {
    const unknown = a.outOfSyncKiB === undefined ? a : b;
    return { refusal: `fewer-changes: how much ${unknown.node} changed is unknown (resource not readable there)`, hint: NAME_IT };
  }
  if (a.outOfSyncKiB === b.outOfSyncKiB) return { refusal: `fewer-changes: both sides changed ${a.outOfSyncKiB} KiB: no side has fewer changes`, hint: NAME_IT };
  const [victim, other] = a.outOfSyncKiB < b.outOfSyncKiB ? [a, b] : [b, a];
  return pick(victim, `fewer-changes: ${victim.node} changed ${victim.outOfSyncKiB} KiB, ${other.node} ${other.outOfSyncKiB} KiB`);
}

/**
 * DRBD's discard-younger-primary: the node that was NOT Primary when they
 * parted became Primary later (the role bit of its bitmap UUID is clear).
 * When both or neither carry the bit, the kernel log's promotion times decide.
 */
function youngerPrimary(a: SideReport, b: SideReport, pick: Pick): VictimChoice {
  if (a.primaryAtSplit !== undefined && b.primaryAtSplit !== undefined && a.primaryAtSplit !== b.primaryAtSplit) {
    const [victim, older] = a.primaryAtSplit ? [b, a] : [a, b];
    return pick(victim, `younger-primary: ${older.node} was Primary when the nodes parted, ${victim.node} was not`);
  }
  if (a.promotedAt !== undefined && b.promotedAt !== undefined && a.promotedAt !== b.promotedAt) {
    const [victim, older] = a.promotedAt > b.promotedAt ? [a, b] : [b, a];
    return pick(victim, `younger-primary: ${victim.node} became Primary after ${older.node} did, while they were apart`);
  }
  return { refusal: 'younger-primary: neither the generation UUIDs nor the kernel logs tell which node became Primary later', hint: NAME_IT };
}

function notCurrentPrimary(a: SideReport, b: SideReport, pick: Pick): VictimChoice {
  const primaries = [a, b].filter((s) => s.role === 'Primary');
  if (primaries.length !== 1) {
    const which = primaries.length === 0 ? 'neither node is' : 'both nodes are';
    return { refusal: `not-current-primary: ${which} Primary now`, hint: NAME_IT };
  }
  const victim = primaries[0] === a ? b : a;
  return pick(victim, `not-current-primary: ${primaries[0]!.node} is Primary now`);
}

/**
 * Right before a guarded step: the split brain must still be there, the same
 * rule must still pick the same victim, its filesystem must not be mounted,
 * and before its data is discarded it must be Secondary (nothing can have
 * written to it since its changes were archived) with the generation it had
 * when the repair began.
 */
export function stillTheVictim(report: ResourceReport, wish: VictimWish, planned: { victim: string; current?: string; discarding: boolean }): string | undefined {
  if (!report.splitBrain) return `${report.name} is no longer in split brain (${report.verdict})`;
  const choice = chooseVictim(report, wish);
  if ('refusal' in choice) return `the victim can no longer be chosen: ${choice.refusal}`;
  if (choice.victim !== planned.victim) return `the victim changed: ${choice.reason} (it was ${planned.victim})`;
  const side = report.sides.find((s) => s.node === planned.victim)!;
  if (side.mountedAt) return `${planned.victim} has ${report.name} mounted at ${side.mountedAt}`;
  if (planned.discarding && side.role !== 'Secondary') return `${planned.victim} is ${side.role ?? 'not up'}, not Secondary`;
  if (planned.current && side.current && generation(side.current) !== generation(planned.current)) {
    return `${planned.victim}'s data moved on (generation ${side.current}, was ${planned.current})`;
  }
  return undefined;
}
