// What preflight says about a Heartbeat cluster's own settings: things the
// inventory schema accepts but a Heartbeat v1 cluster cannot do well.
import type { ClusterSpec } from '../inventory/model.js';

export interface HeartbeatCheck {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

/**
 * How long DRBD takes to notice a silent peer with its defaults (ping-int 10 s
 * + ping-timeout 0.5 s). drbddisk retries `drbdadm primary` for about 6 s
 * while the old Primary still counts as connected.
 */
const DRBD_PEER_LOSS_S = 10.5;
const DRBDDISK_RETRY_S = 6;

export function heartbeatChecks(cluster: ClusterSpec): HeartbeatCheck[] {
  const hb = cluster.heartbeat;
  if (cluster.stack !== 'heartbeat' || !hb) return [];
  const out: HeartbeatCheck[] = [];
  // Two nodes exactly is checked when the inventory loads (checkStackSize).
  const timing = `keepalive ${hb.keepalive} s, deadtime ${hb.deadtime} s, initdead ${hb.initdead} s`;
  if (cluster.drbd && hb.deadtime + DRBDDISK_RETRY_S < DRBD_PEER_LOSS_S) {
    out.push({
      check: 'heartbeat timing',
      status: 'warn',
      detail: `${timing}: the takeover starts before DRBD notices the dead peer (about ${DRBD_PEER_LOSS_S} s), and drbddisk gives up promoting after ${DRBDDISK_RETRY_S} s`,
      hint: `use deadtime ≥ ${Math.ceil(DRBD_PEER_LOSS_S - DRBDDISK_RETRY_S)} s`,
    });
  } else {
    out.push({ check: 'heartbeat timing', status: 'ok', detail: timing });
  }
  // Fence devices Heartbeat cannot drive are refused when the inventory is loaded (fencing/rules.ts).
  return out;
}
