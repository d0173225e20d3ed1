// Which cluster manager runs on a node, and whether Pacemaker is in
// maintenance mode: a repair of DRBD under a running cluster manager must
// not fight it (Pacemaker would promote, demote or restart what the repair
// touches).
import type { Fact } from '../engine/fact.js';
import { sections } from './parse.js';

export interface RunningManager {
  pacemaker: boolean;
  heartbeat: boolean;
  /** Pacemaker's maintenance-mode property; undefined when not set or not readable. */
  maintenanceMode?: boolean;
}

// The daemons' process names tell it, read by shell builtins (a process name
// is /proc/PID/comm): one pass over /proc for both, where `systemctl
// is-active` cost a third of a second under emulation (measured in the lab)
// and pgrep about a tenth. A manager still starting counts as running: what
// asks (promotion, mounting, split-brain repair) must leave it alone then too.
// crm_attribute (another third of a second) only runs where Pacemaker does.
const SCRIPT = `p= h=
for f in /proc/[0-9]*/comm; do IFS= read -r c 2>/dev/null < "$f" || continue; case $c in pacemakerd) p=1 ;; heartbeat) h=1 ;; esac; done
echo '== active'
if [ -n "$p" ]; then echo active; else echo inactive; fi
if [ -n "$h" ]; then echo active; else echo inactive; fi
echo '== maintenance'
if [ -n "$p" ]; then crm_attribute --type crm_config --name maintenance-mode --query --quiet 2>/dev/null; fi`;

export function parseRunningManager(stdout: string): RunningManager {
  const s = sections(stdout);
  const [pacemaker = '', heartbeat = ''] = (s.active ?? '').trim().split('\n');
  const maintenance = (s.maintenance ?? '').trim();
  return {
    pacemaker: pacemaker.trim() === 'active',
    heartbeat: heartbeat.trim() === 'active',
    maintenanceMode: maintenance === '' ? undefined : maintenance === 'true',
  };
}

export const runningManagerFact: Fact<RunningManager> = {
  id: 'running-manager',
  command: () => ['sh', '-c', SCRIPT],
  parse: parseRunningManager,
};
