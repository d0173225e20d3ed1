// The drill's report as text.
import type { DrillReport } from '../services/drill.js';
import { color } from './color.js';
import { fenceEventText } from './status.js';

const s = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function renderDrill(r: DrillReport): string {
  const out = [color.bold(`cluster ${r.cluster}: failover drill (${r.method}), ${r.primary} fails, ${r.survivor} takes over`)];
  if (r.status === 'planned') return [...out, 'check mode: the cluster could survive the drill; nothing was changed'].join('\n');
  const p = r.probe;
  if (p) {
    const rpo = p.lost === 0 ? color.green('RPO 0') : color.red(`RPO ${p.lost} LOST`);
    out.push(`  write probe (${p.file}): ${p.acknowledged} fsync'd writes acknowledged through ${p.writers.join(', then ') || 'no node'}, ${p.lost} missing on ${r.survivor}: ${rpo}`);
    if (p.unacknowledged) out.push(color.dim(`    ${p.unacknowledged} written in flight without an acknowledgement (allowed)`));
    for (const l of p.lostRecords) out.push(color.red(`    lost: record ${l.seq} of session ${l.session}, acknowledged ${new Date(l.at).toISOString()}`));
    if (p.acknowledged === 0 || p.lost) for (const why of p.problems) out.push(color.dim(`    ${why}`));
  } else {
    out.push(color.dim('  no replicated filesystem: no write probe'));
  }
  for (const c of r.before) {
    const after = r.after?.find((a) => a.path === c.path);
    out.push(`  quiescent ${c.path}: ${c.files} files, sha256 ${c.sha256.slice(0, 16)} on ${r.primary}, ${after ? `${after.sha256 === c.sha256 ? color.green('same') : color.red('DIFFERENT')} on ${r.survivor}` : 'not read on the survivor'}`);
  }
  out.push(`  RTO: failure to the services answering on ${r.survivor}: ${color.bold(s(r.failoverMs))}${r.writesBackMs !== undefined ? `; writes acknowledged again after ${s(r.writesBackMs)} (gap ${s(p?.writeGapMs)})` : ''}`);
  if (r.timeline?.length) {
    out.push(`  timeline on ${r.survivor}'s log (seconds after the failure):`);
    for (const e of r.timeline) out.push(`    ${(e.atMs / 1000).toFixed(1).padStart(6)}  ${e.what}`);
    if (r.failoverMs !== undefined) out.push(`    ${(r.failoverMs / 1000).toFixed(1).padStart(6)}  services answering (seen from ${r.survivor})`);
  }
  const resync = r.resyncMs === undefined ? '' : `, DRBD UpToDate on both: ${s(r.resyncMs)}`;
  out.push(`  ${r.primary} back as a member: ${s(r.rejoinMs)}${resync} (after it was started again)`);
  for (const e of r.fencing ?? []) out.push(`  fenced: ${fenceEventText(e)}`);
  out.push(`  total ${s(r.totalMs)}; primary now ${r.finalPrimary ?? 'none'}`);
  out.push(r.status === 'passed' ? color.green('drill passed') : color.red(`drill FAILED: ${r.failure}`));
  if (r.auditLog) out.push(color.dim(`audit log: ${r.auditLog}`));
  return out.join('\n');
}
