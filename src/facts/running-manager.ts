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

// `systemctl is-active` prints one word per unit, in order; without systemd,
// the daemons' process names tell the same. crm_attribute (a third of a
// second under emulation) only runs where Pacemaker does. running is
// `pgrep -x` in shell builtins (a process name is /proc/PID/comm): pgrep
// costs about 0.1 s under emulation (measured in the lab), the loop only reads.
const SCRIPT = `running() { for f in /proc/[0-9]*/comm; do IFS= read -r c 2>/dev/null < "$f" && [ "$c" = "$1" ] && return 0; done; return 1; }
echo '== active'
if [ -d /run/systemd/system ]; then systemctl is-active pacemaker heartbeat 2>/dev/null
else for p in pacemakerd heartbeat; do if running "$p"; then echo active; else echo inactive; fi; done; fi
echo '== maintenance'
if running pacemakerd; then crm_attribute --type crm_config --name maintenance-mode --query --quiet 2>/dev/null; fi`;

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
