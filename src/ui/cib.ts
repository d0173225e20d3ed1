// The saved Pacemaker configurations as text.
import type { CibBackups } from '../services/cib.js';
import { color } from './color.js';

export function renderCibBackups(l: CibBackups): string {
  const out = [color.bold(`cluster ${l.cluster}: Pacemaker configurations saved before a replace (${l.directory})`)];
  for (const n of l.nodes) {
    if (n.error) out.push(`  ${n.node}: ${color.yellow(`not read: ${n.error}`)}`);
    else if (!n.backups.length) out.push(`  ${n.node}: none`);
    else for (const b of n.backups) out.push(`  ${n.node}  ${b.name}  ${b.savedAt}  ${b.bytes} bytes`);
  }
  return out.join('\n');
}
