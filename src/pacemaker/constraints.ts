// The <constraints> section: the group lives where DRBD is promoted and
// starts after the promotion; it prefers the inventory's primary at first
// but stays where it is after a failover (the preference is weaker than
// stickiness); it avoids nodes that lost the ping nodes; fence devices do
// not run on the node they fence.
import type { ClusterSpec } from '../inventory/model.js';
import { el, type XmlElement } from '../util/xml.js';
import { drbdCloneId, GROUP_ID, PING_ATTRIBUTE, stonithId } from './ids.js';

/**
 * The primary's preference: below the stickiness of even one resource, so
 * a recovered primary does not pull the services back (a failback is a
 * second outage). With stickiness 0 the user asked for failback, and gets it.
 */
export function primaryPreference(stickiness: number): number {
  return Math.max(1, Math.floor(stickiness / 2));
}

function drbdConstraints(resource: string): XmlElement[] {
  const clone = drbdCloneId(resource);
  return [
    el('rsc_colocation', { id: `col_${GROUP_ID}_with_${clone}`, score: 'INFINITY', rsc: GROUP_ID, 'with-rsc': clone, 'with-rsc-role': 'Promoted' }),
    el('rsc_order', { id: `ord_${clone}_before_${GROUP_ID}`, kind: 'Mandatory', first: clone, 'first-action': 'promote', then: GROUP_ID, 'then-action': 'start' }),
  ];
}

/**
 * -INFINITY where ping ran and no ping node answered (pingd 0). Not where
 * pingd is still undefined: ping has not reported there yet, and banning
 * those nodes too would stop running services whenever the ping clone
 * (re)starts everywhere at once, e.g. when this configuration is first
 * loaded over a running volume (seen in the lab: demote, unmount, promote).
 */
function pingRule(): XmlElement {
  const id = `loc_${GROUP_ID}_on_connected_node`;
  return el('rsc_location', { id, rsc: GROUP_ID }, [
    el('rule', { id: `${id}-rule`, score: '-INFINITY' }, [el('expression', { id: `${id}-rule-unreachable`, attribute: PING_ATTRIBUTE, operation: 'lte', value: '0', type: 'number' })]),
  ]);
}

function fenceAvoidance(cluster: ClusterSpec): XmlElement[] {
  if (!cluster.fencing?.enabled) return [];
  // A device that can fence every node has nowhere else to run; any node may then host it.
  return cluster.fencing.devices
    .filter((d) => d.targets.length < cluster.nodes.length)
    .flatMap((d) => d.targets.map((t) => el('rsc_location', { id: `loc_${stonithId(d.name)}_avoids_${t}`, rsc: stonithId(d.name), node: t, score: '-INFINITY' })));
}

export function constraintsSection(cluster: ClusterSpec, stickiness: number, hasGroup: boolean): XmlElement {
  const group = hasGroup
    ? [
        ...(cluster.drbd?.resources ?? []).flatMap((r) => drbdConstraints(r.name)),
        el('rsc_location', { id: `loc_${GROUP_ID}_prefers_${cluster.primary}`, rsc: GROUP_ID, node: cluster.primary, score: String(primaryPreference(stickiness)) }),
        cluster.pingNodes.length > 0 && pingRule(),
      ]
    : [];
  return el('constraints', {}, [...group, ...fenceAvoidance(cluster)]);
}
