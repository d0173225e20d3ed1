// DRBD generation identifiers (`drbdadm get-gi`): the data lineage of a
// node. CURRENT names the data as it is now; BITMAP is the generation both
// nodes last shared (the bitmap counts changes since then); HISTORY holds
// older generations. Together they tell whether one node's data descends
// from the other's (a plain resync) or both changed apart (split brain).
//
// Line format (drbd-utils shared_tool.c / drbdtool_common.c):
//   8.3/8.4: CURRENT:BITMAP:HISTORY1:HISTORY2:consistent:was-up-to-date:primary:connected:full-sync:peer-outdated:crashed-primary
//   9:       the same four UUIDs, 7 device flags and 5 peer flags, one line per peer device.
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';
import { sections } from '../facts/parse.js';

export interface GenerationIds {
  /** 16 hex digits, upper case, as drbdadm prints them. */
  current: string;
  bitmap: string;
  /** Non-zero history UUIDs, youngest first. */
  history: string[];
  /** Consistent data (flag 1). */
  consistent: boolean;
  /** The node was or is Primary (flag 3). */
  primary: boolean;
}

const UUID = /^[0-9A-Fa-f]{16}$/;
const ZERO = '0000000000000000';

/** Every get-gi line of the output (DRBD 9 prints one per peer device). */
export function parseGetGi(text: string): GenerationIds[] {
  const out: GenerationIds[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(':');
    if (fields.length < 7 || !fields.slice(0, 4).every((f) => UUID.test(f))) continue;
    const [current, bitmap, h1, h2, consistent, , primary] = fields;
    out.push({
      current: current!.toUpperCase(),
      bitmap: bitmap!.toUpperCase(),
      history: [h1!, h2!].map((h) => h.toUpperCase()).filter((h) => h !== ZERO),
      consistent: consistent === '1',
      primary: primary === '1',
    });
  }
  return out;
}

/**
 * The generation without DRBD's role bit: the lowest bit of a UUID records
 * whether the node was Primary when the UUID was made, and is not part of
 * its identity (DRBD compares UUIDs with it masked off).
 */
export function generation(uuid: string): string {
  const n = BigInt(`0x${uuid}`) & ~1n;
  return n.toString(16).toUpperCase().padStart(16, '0');
}

/** The role bit: set when the node was Primary as the generation began. */
export function madeAsPrimary(uuid: string): boolean {
  return (BigInt(`0x${uuid}`) & 1n) === 1n;
}

export const isZero = (uuid: string) => generation(uuid) === ZERO;

export type Lineage =
  /** Same current generation: nothing to sync. */
  | 'same'
  /** a's current data is b's ancestor: b has all of a's data plus changes (b is ahead). */
  | 'b-ahead'
  | 'a-ahead'
  /** Both changed since a common generation: split brain. */
  | 'diverged'
  /** No common generation at all: different data sets. */
  | 'unrelated';

/**
 * How two nodes' data relate, following the rules DRBD's handshake uses
 * (drbd_uuid_compare, simplified to what matters for a decision): equal
 * current generations; one node's current generation is the other's
 * bitmap or history generation (it fell behind); both moved on from the
 * same bitmap generation (split brain).
 */
export function compareLineage(a: GenerationIds, b: GenerationIds): Lineage {
  const ac = generation(a.current);
  const bc = generation(b.current);
  if (ac === bc) return 'same';
  const ancestors = (g: GenerationIds) => [g.bitmap, ...g.history].filter((u) => !isZero(u)).map(generation);
  if (ancestors(b).includes(ac)) return 'b-ahead';
  if (ancestors(a).includes(bc)) return 'a-ahead';
  const common = ancestors(a).some((u) => ancestors(b).includes(u));
  return common ? 'diverged' : 'unrelated';
}

// ---------------------------------------------------------------- fact

export interface ResourceLineage {
  /** Undefined when drbdadm could not tell (resource unknown, metadata unreadable). */
  gi?: GenerationIds;
  /** What drbdadm said instead, when gi is undefined. */
  error?: string;
  /** The backing device (drbdadm sh-ll-dev): where the data lives below DRBD. */
  lowerDevice?: string;
}

export const drbdLineageFact: Fact<ResourceLineage, string> = {
  id: 'drbd-lineage',
  command: (resource) => [
    'sh',
    '-c',
    `r=${quoteWord(resource)}\necho '== gi'; drbdadm get-gi "$r" 2>&1\necho '== lldev'; drbdadm sh-ll-dev "$r" 2>/dev/null`,
  ],
  parse(stdout) {
    const s = sections(stdout);
    const [gi] = parseGetGi(s.gi ?? '');
    const lowerDevice = (s.lldev ?? '').trim().split('\n')[0] || undefined;
    return gi ? { gi, lowerDevice } : { error: (s.gi ?? '').trim() || 'drbdadm get-gi printed nothing', lowerDevice };
  },
};
