// The drill's report as text.
import type { DrillReport } from '../services/drill.js';
import { color } from './color.js';
import { fenceEventText } from './status.js';

const s = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function renderDrill(r: DrillReport): string {
  const out = [color.bold(`cluster ${r.cluster}: failover drill (${r.method}), ${r.primary} fails, ${r.survivor} takes over`)];
  if (r.status === 'planned') return [...out, 'check mode: the cluster could survive the drill; nothing was changed'].join('\n');
  for (const c of r.before) {
    const after = r.after?.find((a) => a.mount === c.mount);
    out.push(`  ${c.mount}: ${c.files} files, sha256 ${c.sha256.slice(0, 16)} on ${r.primary}, ${after ? `${after.sha256 === c.sha256 ? color.green('same') : color.red('DIFFERENT')} on ${r.survivor}` : 'not read on the survivor'}`);
  }
  out.push(`  failure to the services answering on ${r.survivor}: ${color.bold(s(r.failoverMs))}`);
  out.push(`  ${r.primary} back as a member: ${s(r.rejoinMs)}, DRBD UpToDate on both: ${s(r.resyncMs)} (after it was started again)`);
  for (const e of r.fencing ?? []) out.push(`  fenced: ${fenceEventText(e)}`);
  out.push(`  total ${s(r.totalMs)}; primary now ${r.finalPrimary ?? 'none'}`);
  out.push(r.status === 'passed' ? color.green('drill passed') : color.red(`drill FAILED: ${r.failure}`));
  if (r.auditLog) out.push(color.dim(`audit log: ${r.auditLog}`));
  return out.join('\n');
}
