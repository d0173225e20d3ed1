// A resource's split-brain report in plain words: who has which changes
// since when, what DRBD said, and what the repair would discard.
import type { ResourceReport, SideReport } from './detect.js';
import { chooseVictim, VICTIM_POLICIES } from './victim.js';

/** "2026-11-23 10:00:05 UTC": times come from the nodes' clocks. */
export function clock(t: number | undefined): string {
  return t === undefined ? 'an unknown time' : `${new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const SHOWN_FILES = 10;

export function explain(r: ResourceReport): string[] {
  const out: string[] = [];
  if (!r.splitBrain) {
    out.push(notSplit(r));
    for (const s of r.signals.filter((x) => x.kind === 'auto-resolved')) out.push(`earlier, at ${clock(s.at)}: ${s.detail}`);
    return out;
  }
  const parted = r.splitAt !== undefined ? `The nodes parted at ${clock(r.splitAt)}` : 'The nodes parted (the kernel logs do not say when)';
  const refused = r.detectedAt !== undefined ? `; DRBD refused to reconnect at ${clock(r.detectedAt)}` : '';
  out.push(`${parted} and both changed the data since${refused}.`);
  for (const s of r.sides) out.push(...sideStory(s));
  out.push(`Signals: ${r.signals.map((s) => s.detail).join('; ')}.`);
  const picks = VICTIM_POLICIES.map((p) => {
    const c = chooseVictim(r, { policy: p });
    return `${p} -> ${'victim' in c ? c.victim : 'no choice'}`;
  });
  out.push(`To repair, choose whose changes to discard (they are archived first): haforge split-brain repair --victim NODE, or --policy (${picks.join(', ')}).`);
  return out;
}

function notSplit(r: ResourceReport): string {
  const states = r.sides.map((s) => (s.reachable ? `${s.node} ${s.connection ?? 'not up'}${s.role ? ` ${s.role}` : ''}${s.disk ? ` ${s.disk}` : ''}` : `${s.node} unreachable`)).join(', ');
  if (r.verdict === 'healthy') return `No split brain: connected (${states}).`;
  if (r.verdict === 'unknown') return `Cannot tell: ${states}.`;
  const behind = r.lineage === 'a-ahead' ? r.sides[1] : r.lineage === 'b-ahead' ? r.sides[0] : undefined;
  const detail = behind ? `; ${behind.node} only fell behind: connecting resyncs it` : r.lineage === 'unrelated' ? '; the two data sets share no generation at all (unrelated data)' : '';
  return `No split brain, but not connected (${states})${detail}.`;
}

function sideStory(s: SideReport): string[] {
  if (!s.reachable) return [`${s.node}: could not be read (${s.error}).`];
  const parts = [`${s.role ?? 'not up'}, ${s.connection ?? 'not up'}`, s.mountedAt ? `filesystem mounted at ${s.mountedAt}` : 'filesystem not mounted'];
  if (s.primaryAtSplit === true) parts.push('was Primary when the nodes parted');
  if (s.promotedAt !== undefined) parts.push(`became Primary at ${clock(s.promotedAt)} while apart`);
  if (s.primaryAtSplit === false && s.promotedAt === undefined) parts.push('was Secondary when the nodes parted');
  if (s.outOfSyncKiB !== undefined) parts.push(`${s.outOfSyncKiB} KiB changed (DRBD's bitmap)`);
  const lines = [`${s.node}: ${parts.join('; ')}.`];
  const c = s.changes;
  if (!c) lines.push(`  files changed since the split: not read${s.mountedAt ? '' : ' (no split time, or the resource is not readable here)'}`);
  else if (c.error) lines.push(`  files changed since ${clock(c.since)}: cannot read the filesystem (${c.via}): ${c.error}`);
  else {
    const how = c.via === 'mount' ? '' : ' (read-only look at the backing disk)';
    const names = c.files.slice(0, SHOWN_FILES).map((f) => f.path);
    const more = c.total > names.length ? `, and ${c.total - names.length} more` : '';
    lines.push(`  ${c.total} file(s) changed since ${clock(c.since)}${how}${names.length ? `: ${names.join(', ')}${more}` : ''}`);
  }
  return lines;
}
