// Where Heartbeat's resources are, seen from one node: is Heartbeat running,
// what it says it holds (cl_status rscstatus), and whether the virtual IP is
// on this node or answers from another one.
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';
import { parseAddresses } from '../facts/addresses.js';
import { sections } from '../facts/parse.js';

/** cl_status rscstatus words (v1): which resource groups this node holds. */
export type HeartbeatRscStatus = 'all' | 'local' | 'foreign' | 'none' | 'transition';

export interface HeartbeatResourcesState {
  /** cl_status signs on: Heartbeat's API answers. */
  running: boolean;
  /**
   * systemd runs heartbeat.service. The unit is Type=simple, so it is active
   * from the first instant while cl_status cannot sign on until Heartbeat has
   * started its API: active and not running means "still starting".
   */
  unitActive: boolean;
  /** Undefined when Heartbeat does not answer. */
  rscstatus?: HeartbeatRscStatus;
  /** The interface carrying the VIP here, if any. */
  vipNic?: string;
  /** The VIP answers a ping from here (checked only when it is not local). */
  vipAnswers: boolean;
  /**
   * Heartbeat's last word on taking the group (since it started) was giving it
   * up because a resource failed to start: it will not try again by itself.
   */
  gaveUp?: HeartbeatGaveUp;
}

export interface HeartbeatGaveUp {
  /** The haresources entry that failed, e.g. haforge-systemd::sendmail. */
  resource: string;
  /** The last lines of the failed unit's log (a haforge-systemd resource), else Heartbeat's last errors. */
  log: string[];
}

// cl_status exits 0 with "running" in hbstatus; ping only when the VIP is not
// ours, one packet, one second: a re-run must not wait on a silent address.
const SCRIPT = `echo '== hb'; cl_status hbstatus 2>&1
echo '== unit'; systemctl is-active heartbeat.service 2>/dev/null
echo '== rsc'; cl_status rscstatus 2>/dev/null
echo '== vip'; ip -o -4 addr show 2>/dev/null | grep -F " inet $vip/"
echo '== ping'
if ! ip -o -4 addr show 2>/dev/null | grep -qF " inet $vip/" && command -v ping >/dev/null 2>&1; then
  ping -c 1 -W 1 "$vip" >/dev/null 2>&1 && echo answers
fi
echo '== gaveup'
id=$(systemctl show -p InvocationID --value heartbeat.service 2>/dev/null)
if [ -n "$id" ]; then
  log=$(journalctl -q -o cat _SYSTEMD_INVOCATION_ID="$id" 2>/dev/null | grep -E 'Acquiring resource group|Giving up resources due to failure of|ERROR|CRIT')
  last=$(printf '%s\\n' "$log" | grep -E 'Acquiring resource group|Giving up resources due to failure of' | tail -n 1)
  case $last in
    *'Giving up resources'*)
      echo "$last"
      echo '== gaveuplog'
      case $last in
        *haforge-systemd::*) journalctl -q -o cat -n 8 -u "\${last##*haforge-systemd::}.service" 2>/dev/null ;;
        *) printf '%s\\n' "$log" | grep -E 'ERROR|CRIT' | tail -n 8 ;;
      esac ;;
  esac
fi`;

export const heartbeatResourcesFact: Fact<HeartbeatResourcesState, { vip: string }> = {
  id: 'heartbeat-resources',
  command: ({ vip }) => ['sh', '-c', `vip=${quoteWord(vip)}\n${SCRIPT}`],
  parse: (stdout) => parseHeartbeatResources(stdout),
};

export function parseHeartbeatResources(stdout: string): HeartbeatResourcesState {
  const s = sections(stdout);
  const rsc = (s.rsc ?? '').trim().split('\n')[0]?.trim();
  return {
    running: /is running/.test(s.hb ?? ''),
    unitActive: /^(active|activating|reloading)$/m.test(s.unit ?? ''),
    rscstatus: (['all', 'local', 'foreign', 'none', 'transition'] as const).find((w) => w === rsc),
    // The script keeps only the `ip -o -4 addr` line of the VIP itself.
    vipNic: parseAddresses(s.vip ?? '')[0]?.nic,
    vipAnswers: /^answers$/m.test(s.ping ?? ''),
    gaveUp: gaveUp(s.gaveup ?? '', s.gaveuplog ?? ''),
  };
}

function gaveUp(line: string, log: string): HeartbeatGaveUp | undefined {
  const m = /Giving up resources due to failure of (\S+)/.exec(line);
  return m ? { resource: m[1]!, log: log.split('\n').filter((l) => l.trim()) } : undefined;
}

/** One node as Heartbeat on the reading node sees it (cl_status nodestatus: active, up, dead, ping). */
export interface HeartbeatMember {
  name: string;
  status: string;
}

/** Heartbeat's view of the cluster from one node, for `haforge status`. */
export interface HeartbeatView {
  running: boolean;
  unitActive: boolean;
  rscstatus?: HeartbeatRscStatus;
  /** Cluster nodes (ping nodes left out); empty when Heartbeat does not answer. */
  members: HeartbeatMember[];
}

// listnodes -n: the cluster's nodes without the ping nodes; one nodestatus per node.
const VIEW_SCRIPT = `echo '== hb'; cl_status hbstatus 2>&1
echo '== unit'; systemctl is-active heartbeat.service 2>/dev/null
echo '== rsc'; cl_status rscstatus 2>/dev/null
echo '== members'
for n in $(cl_status listnodes -n 2>/dev/null); do echo "$n $(cl_status nodestatus "$n" 2>/dev/null)"; done`;

export const heartbeatViewFact: Fact<HeartbeatView> = {
  id: 'heartbeat-view',
  command: () => ['sh', '-c', VIEW_SCRIPT],
  parse: (stdout) => parseHeartbeatView(stdout),
};

export function parseHeartbeatView(stdout: string): HeartbeatView {
  const s = sections(stdout);
  const daemon = parseHeartbeatResources(stdout);
  const members = (s.members ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0])
    .map(([name, status]) => ({ name: name!, status: status ?? 'unknown' }));
  return { running: daemon.running, unitActive: daemon.unitActive, rscstatus: daemon.rscstatus, members: daemon.running ? members : [] };
}
