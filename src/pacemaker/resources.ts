// The <resources> section generated from the inventory: a promotable DRBD
// clone per resource, one group (filesystems, VIP, services) that moves as
// a unit, a ping clone when ping_nodes are given, and the fence devices.
// Timeouts are the agents' own recommendations (their meta-data).
import { sbdTimeouts } from '../fencing/sbd.js';
import type { ClusterSpec, DrbdResourceSpec, FenceDevice, SbdSpec, ServiceSpec } from '../inventory/model.js';
import { el, type XmlElement } from '../util/xml.js';
import { drbdCloneId, drbdPrimitiveId, durationMs, filesystemId, formatDuration, GROUP_ID, PING_CLONE_ID, PING_ID, SBD_STONITH_ID, serviceId, stonithId, VIP_ID } from './ids.js';
import { basicOps, nvset, primitive } from './parts.js';

export function drbdClone(r: DrbdResourceSpec, nodeCount: number, interval: string): XmlElement {
  const id = drbdPrimitiveId(r.name);
  // The two roles' monitors must differ in interval, or Pacemaker treats them as one operation.
  const unpromoted = formatDuration(durationMs(interval) + 1000);
  const meta = { promotable: 'true', 'promoted-max': 1, 'promoted-node-max': 1, 'clone-max': nodeCount, 'clone-node-max': 1, notify: 'true' };
  return el('clone', { id: drbdCloneId(r.name) }, [
    nvset('meta_attributes', `${drbdCloneId(r.name)}-meta_attributes`, meta),
    primitive({
      id,
      class: 'ocf',
      provider: 'linbit',
      type: 'drbd',
      params: { drbd_resource: r.name },
      ops: [
        { name: 'monitor', interval, timeout: '20s', role: 'Promoted' },
        { name: 'monitor', interval: unpromoted, timeout: '20s', role: 'Unpromoted' },
        { name: 'start', timeout: '240s' },
        { name: 'stop', timeout: '100s' },
        { name: 'promote', timeout: '90s' },
        { name: 'demote', timeout: '90s' },
        { name: 'notify', timeout: '90s' },
      ],
    }),
  ]);
}

function filesystem(r: DrbdResourceSpec & { mount: string }, interval: string): XmlElement {
  return primitive({
    id: filesystemId(r.name),
    class: 'ocf',
    provider: 'heartbeat',
    type: 'Filesystem',
    params: { device: r.device, directory: r.mount, fstype: r.filesystem, options: r.mountOptions },
    ops: basicOps(interval, { start: '60s', stop: '60s', monitor: '40s' }),
  });
}

function vip(cluster: ClusterSpec, interval: string): XmlElement | undefined {
  const v = cluster.vip;
  if (!v) return undefined;
  const params: Record<string, string> = { ip: v.address, cidr_netmask: String(v.cidrNetmask) };
  if (v.nic) params.nic = v.nic;
  return primitive({ id: VIP_ID, class: 'ocf', provider: 'heartbeat', type: 'IPaddr2', params, ops: basicOps(interval, { start: '20s', stop: '20s', monitor: '20s' }) });
}

function service(s: ServiceSpec, interval: string): XmlElement {
  // systemd's own stop timeout is 90 s: Pacemaker must wait longer than systemd does.
  const ops = basicOps(interval, { start: '100s', stop: '100s', monitor: '30s' });
  const { agent } = s;
  // Parameters only mean something to OCF agents; systemd units and LSB scripts take none.
  const params = agent.class === 'ocf' ? s.params : undefined;
  return primitive({ id: serviceId(s.name), class: agent.class, provider: agent.class === 'ocf' ? agent.provider : undefined, type: agent.type, params, meta: s.meta, ops });
}

/** Whether the cluster has anything to put in the group: a mounted volume, a VIP or a service. */
export function expectsGroup(cluster: ClusterSpec): boolean {
  return (cluster.drbd?.resources ?? []).some((r) => r.mount) || !!cluster.vip || cluster.services.length > 0;
}

/** Start order: filesystems, then the VIP (services may bind to it), then the services. */
export function groupMembers(cluster: ClusterSpec, interval: string): XmlElement[] {
  const mounted = (cluster.drbd?.resources ?? []).filter((r): r is DrbdResourceSpec & { mount: string } => !!r.mount);
  return [...mounted.map((r) => filesystem(r, interval)), vip(cluster, interval), ...cluster.services.map((s) => service(s, interval))].filter((x): x is XmlElement => !!x);
}

function pingClone(cluster: ClusterSpec, interval: string): XmlElement {
  return el('clone', { id: PING_CLONE_ID }, [
    primitive({
      id: PING_ID,
      class: 'ocf',
      provider: 'pacemaker',
      type: 'ping',
      // multiplier 1000: one reachable host is worth more than the stickiness, so the rule and scores stay readable.
      params: { host_list: cluster.pingNodes.join(' '), multiplier: '1000', dampen: '5s' },
      ops: basicOps(interval, { start: '60s', stop: '20s', monitor: '60s' }),
    }),
  ]);
}

function stonith(d: FenceDevice): XmlElement {
  return primitive({
    id: stonithId(d.name),
    class: 'stonith',
    type: d.agent,
    params: { pcmk_host_list: d.targets.join(' '), ...d.params },
    ops: [{ name: 'monitor', interval: '60s', timeout: '20s' }],
  });
}

/** SBD's fence resource: fence_sbd writes the poison pill into the target's slot and waits msgwait. */
function sbdStonith(sbd: SbdSpec): XmlElement {
  const { stonithTimeout } = sbdTimeouts(sbd);
  return primitive({
    id: SBD_STONITH_ID,
    class: 'stonith',
    type: 'fence_sbd',
    params: { devices: sbd.devices.join(',') },
    ops: [
      { name: 'monitor', interval: '60s', timeout: '20s' },
      { name: 'start', timeout: `${stonithTimeout}s` },
    ],
  });
}

/**
 * The group's priority: with priority-fencing-delay (two-node SBD), a fence
 * race after a cut link is won by the node that runs the group.
 */
export const GROUP_PRIORITY = 10;

export function resourcesSection(cluster: ClusterSpec, interval: string): XmlElement {
  const members = groupMembers(cluster, interval);
  const fencing = cluster.fencing?.enabled ? cluster.fencing : undefined;
  const sbd = fencing?.sbd;
  return el('resources', {}, [
    ...(cluster.drbd?.resources ?? []).map((r) => drbdClone(r, cluster.nodes.length, interval)),
    members.length > 0 && el('group', { id: GROUP_ID }, [...(sbd ? [nvset('meta_attributes', `${GROUP_ID}-meta_attributes`, { priority: GROUP_PRIORITY })] : []), ...members]),
    cluster.pingNodes.length > 0 && pingClone(cluster, interval),
    sbd && sbdStonith(sbd),
    ...(fencing?.devices ?? []).map(stonith),
  ]);
}
