// What preflight says about a Heartbeat cluster's own settings: things the
// inventory schema accepts but a Heartbeat v1 cluster cannot do well.
import type { ClusterSpec, NodeSpec } from '../inventory/model.js';
import { nicCarrying, type InterfaceAddress } from '../facts/addresses.js';

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

/**
 * Broadcast heartbeats go to the interface's broadcast address: one added
 * without it (`ip addr add 10.0.0.1/24 dev eth1`, no `brd +`) sends them
 * nowhere, each node declares the other dead after initdead and both take
 * the resources. Seen on the lab's VMs before their addresses had a brd.
 */
export function heartbeatNodeChecks(cluster: ClusterSpec, node: NodeSpec, addresses: InterfaceAddress[]): HeartbeatCheck[] {
  const hb = cluster.heartbeat;
  if (cluster.stack !== 'heartbeat' || hb?.comm !== 'bcast') return [];
  const nics = [hb.interface ?? nicCarrying(node.replicationAddress ?? node.address, addresses), node.ring1Address && nicCarrying(node.ring1Address, addresses)].filter((n): n is string => !!n);
  const without = nics.filter((nic) => !addresses.some((a) => a.nic === nic && a.broadcast));
  if (without.length === 0) return [{ check: 'heartbeat broadcast', status: 'ok', detail: nics.map((nic) => `${nic} broadcasts to ${addresses.find((a) => a.nic === nic && a.broadcast)!.broadcast}`).join(', ') }];
  return [{
    check: 'heartbeat broadcast',
    status: 'fail',
    detail: `${without.join(', ')} ha${without.length === 1 ? 's' : 've'} no broadcast address: broadcast heartbeats (comm: bcast) would reach no peer, and after initdead each node would take the resources`,
    hint: `give the address its broadcast (ip addr add ADDRESS/PREFIX brd + dev ${without[0]}; ifupdown and networkd set it by default), or use comm: ucast`,
  }];
}
