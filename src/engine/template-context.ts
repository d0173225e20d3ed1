// What templates see: variables by precedence, plus node/cluster/nodes/
// peers/primary and (in template files) the host's facts.
import type { Inventory, NodeSpec, Vars } from '../inventory/model.js';

function nodeView(n: NodeSpec) {
  return { name: n.name, address: n.address, replication_address: n.replicationAddress ?? n.address, ring1_address: n.ring1Address, groups: n.groups, disks: n.disks, vars: n.vars };
}

export function templateContext(inventory: Inventory, node: NodeSpec, playVars: Vars, cliVars: Vars, facts?: object): Record<string, unknown> {
  const cluster = inventory.clusters.find((c) => c.name === node.cluster)!;
  const primary = cluster.nodes.find((n) => n.name === cluster.primary)!;
  return {
    ...node.vars,
    ...playVars,
    ...cliVars,
    node: { ...nodeView(node), is_primary: node.name === cluster.primary },
    cluster: {
      name: cluster.name,
      stack: cluster.stack,
      primary: cluster.primary,
      node_count: cluster.nodes.length,
      drbd: cluster.drbd,
      // Each service with the mount point of the volume that holds its data.
      services: cluster.services.map((svc) => ({ ...svc, volume: cluster.drbd?.resources.find((r) => r.name === svc.resource)?.mount })),
      // Every service's configuration files, each key present (templates are strict).
      service_files: cluster.services.flatMap((svc) => svc.files.map((f) => ({ service: svc.name, path: f.path, content: f.content ?? '', template: f.template ?? '', mode: f.mode ?? '0644', volume: f.volume ?? '' }))),
      vip: cluster.vip,
      ping_nodes: cluster.pingNodes,
      heartbeat: cluster.heartbeat,
      corosync: cluster.corosync,
      pacemaker: cluster.pacemaker,
      fencing: cluster.fencing,
    },
    nodes: cluster.nodes.map(nodeView),
    peers: cluster.nodes.filter((n) => n !== node).map(nodeView),
    primary: nodeView(primary),
    ...(facts ? { facts } : {}),
  };
}

/** The template files the inventory names for its services (checked at load to lie next to it). */
export function serviceTemplates(inventory: Inventory): string[] {
  return inventory.clusters.flatMap((c) => c.services.flatMap((s) => s.files.flatMap((f) => (f.template ? [f.template] : []))));
}
