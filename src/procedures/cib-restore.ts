// Putting a saved Pacemaker configuration back (pacemaker/backups.ts): on the
// node that saved it, the live one saved first, then a wait until Pacemaker
// answers again. Destructive: the restored configuration may stop, move or
// remove resources. No I/O here.
import type { ClusterReport } from '../cluster/status.js';
import { restoreScript } from '../pacemaker/backups.js';
import { waitStep, type MoveContext, type MovePlan } from './moves.js';

export function planCibRestore(report: ClusterReport, ctx: MoveContext, node: string, backup: string): MovePlan {
  const action = `restore the Pacemaker configuration ${backup} from ${node}`;
  const refused = (message: string, hint: string): MovePlan => ({ cluster: report.cluster, action, reason: message, steps: [], refusal: { message, hint } });
  if (report.stack !== 'pacemaker') return refused(`cluster ${report.cluster} runs Heartbeat v1: it has no Pacemaker configuration`, 'haresources and ha.cf come from the inventory: haforge apply heartbeat');
  if (!report.viewFrom) return refused('Pacemaker answers on no node: there is no configuration to replace', 'start the cluster stack (systemctl start corosync pacemaker), then haforge status');
  const answers = (r: ClusterReport) => r.viewFrom !== undefined;
  return {
    cluster: report.cluster,
    action,
    reason: action,
    steps: [
      {
        node,
        description: `save the live configuration, then replace it with ${backup}`,
        argv: restoreScript(backup),
        destructive: true,
        guard: (fresh) => (answers(fresh) ? undefined : 'Pacemaker answers on no node'),
      },
      waitStep(ctx, 'Pacemaker answering with the restored configuration', answers),
    ],
    waitFor: 'Pacemaker answering with the restored configuration',
  };
}
