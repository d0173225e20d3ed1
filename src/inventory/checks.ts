// Cross-checks of one cluster's values that no single field's type can
// express: paths that would wreck a system when mounted over or moved,
// addresses that collide or cannot carry the VIP, a stack that cannot hold
// the nodes. All run at load, with the position, before
// anything connects.
import { isIPv4 } from 'node:net';
import { UserError } from '../errors.js';
import type { DrbdSpec, NodeSpec, ServiceSpec, Stack, VipSpec } from './model.js';

type At = (...path: (string | number)[]) => UserError['position'];

/** The cluster's own configuration and state, and the node's access: haforge writes them, a node reads them before the volume is up. */
const CLUSTER_FILES = [
  '/etc/ha.d', '/etc/drbd.d', '/etc/drbd.conf', '/etc/corosync', '/etc/ssh', '/etc/fstab', '/etc/hosts',
  '/var/lib/pacemaker', '/var/lib/heartbeat', '/var/lib/drbd', '/var/lib/corosync', '/root/.ssh', '/usr/local/lib/haforge',
];

/** Directories the system or the cluster itself needs where they are. */
export const SYSTEM_DIRS = [
  '/boot', '/dev', '/etc', '/home', '/proc', '/root', '/run', '/sys', '/tmp', '/usr', '/var',
  '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/local',
  '/var/lib', '/var/log', '/var/tmp', '/var/cache', '/var/spool', '/var/backups', '/var/run',
  '/etc/default', ...CLUSTER_FILES,
];

const within = (child: string, parent: string) => parent === '/' ? child !== '/' : child.startsWith(`${parent}/`);

/** The system directory a path is, or is an ancestor of (mounting over /var hides /var/lib/pacemaker). */
export function systemDirUnder(path: string): string | undefined {
  return SYSTEM_DIRS.find((dir) => dir === path || within(dir, path));
}

interface ServicePath {
  service: string;
  path: string;
  index: number;
}

/** Mount points and relocated paths: none a system directory, none inside another, none under the mount point. */
export function checkPaths(cluster: string, drbd: DrbdSpec | undefined, services: ServiceSpec[], errors: UserError[], at: At): void {
  const mounts = (drbd?.resources ?? []).filter((r) => r.mount);
  for (const r of mounts) {
    const system = systemDirUnder(r.mount!);
    if (system) {
      errors.push(new UserError(`resource '${r.name}': mount point ${r.mount} ${system === r.mount ? 'is' : `holds ${system}, which is`} a system directory`, { position: at('clusters', cluster, 'drbd', 'resources', r.name, 'mount'), hint: 'mount the replicated filesystem on a directory of its own, like /srv/ha or /data' }));
    }
    const other = mounts.find((o) => o !== r && (o.mount === r.mount || within(r.mount!, o.mount!)));
    if (other) errors.push(new UserError(`resource '${r.name}': mount point ${r.mount} is ${other.mount === r.mount ? 'also' : 'inside'} the mount point of resource '${other.name}'`, { position: at('clusters', cluster, 'drbd', 'resources', r.name, 'mount'), hint: 'give each replicated filesystem a directory of its own, side by side' }));
  }
  const paths: ServicePath[] = services.flatMap((s) => s.paths.map((path, index) => ({ service: s.name, path, index })));
  for (const p of paths) {
    const position = at('clusters', cluster, 'services', p.service, 'paths', p.index);
    const system = systemDirUnder(p.path);
    if (system) {
      errors.push(new UserError(`service '${p.service}': ${p.path} ${system === p.path ? 'is' : `holds ${system}, which is`} a system directory: moved onto the volume it would be a dangling symlink on the standby node`, { position, hint: 'list the service\'s own directories, like /var/lib/mysql and /etc/mysql' }));
      continue;
    }
    const overlap = paths.find((o) => o !== p && (o.path === p.path || within(p.path, o.path)));
    if (overlap) {
      const whose = overlap.service === p.service ? '' : ` of service '${overlap.service}'`;
      errors.push(new UserError(`service '${p.service}': ${p.path} is ${overlap.path === p.path ? 'listed again' : `inside ${overlap.path}`}${whose}`, { position, hint: 'list each directory once: moving a directory moves everything in it' }));
    }
    const mount = mounts.find((r) => within(r.mount!, p.path));
    if (mount) errors.push(new UserError(`service '${p.service}': ${p.path} holds the mount point ${mount.mount} of resource '${mount.name}'`, { position, hint: 'the volume would be moved onto itself: mount it elsewhere or list a narrower path' }));
  }
}

/** Service files: never in the cluster's own configuration or the node's access (haforge writes those from the inventory), each listed once. */
export function checkServiceFiles(cluster: string, services: ServiceSpec[], errors: UserError[], at: At): void {
  for (const s of services) {
    s.files.forEach((f, i) => {
      const own = CLUSTER_FILES.find((dir) => dir === f.path || within(f.path, dir));
      if (own) errors.push(new UserError(`service '${s.name}': file ${f.path} is in ${own}, which haforge and the cluster manage`, { position: at('clusters', cluster, 'services', s.name, 'files', i, 'path'), hint: 'give the service\'s own configuration files, like /etc/mysql/mariadb.conf.d/60-cluster.cnf' }));
      const again = s.files.findIndex((o) => o.path === f.path);
      if (again !== i) errors.push(new UserError(`service '${s.name}': file ${f.path} is listed twice`, { position: at('clusters', cluster, 'services', s.name, 'files', i, 'path'), hint: 'one entry per file: keep the one whose content you want' }));
    });
  }
}

/** The drill's quiescent paths: each on a replicated filesystem, or inside a service's relocated path (a symlink onto one). */
export function checkQuiescentPaths(cluster: string, drbd: DrbdSpec | undefined, services: ServiceSpec[], quiescent: string[], errors: UserError[], at: At): void {
  const homes = [...(drbd?.resources ?? []).flatMap((r) => (r.mount ? [r.mount] : [])), ...services.flatMap((s) => s.paths)];
  quiescent.forEach((path, index) => {
    if (homes.some((h) => h === path || within(path, h))) return;
    errors.push(new UserError(`drill: quiescent path ${path} is on no replicated filesystem`, { position: at('clusters', cluster, 'drill', 'quiescent', index), hint: `name a directory on a mount point or in a service's paths (${homes.join(', ') || 'this cluster has none'})` }));
  });
}

/** Replication and ring addresses used once, the VIP free and on a network the nodes share. */
export function checkAddresses(cluster: string, nodes: NodeSpec[], vip: VipSpec | undefined, drbd: DrbdSpec | undefined, errors: UserError[], warnings: string[], at: At): void {
  const seen = new Map<string, string>();
  for (const n of nodes) {
    const replication = n.replicationAddress ?? n.address;
    const key = n.replicationAddress ? 'replication_address' : 'address';
    if (!isIPv4(replication) && drbd) {
      errors.push(new UserError(`node '${n.name}' has no IPv4 replication address (its address is ${replication})`, { position: at('clusters', cluster, 'nodes', n.name), hint: 'DRBD and /etc/hosts need an address: add replication_address: <IPv4> to the node' }));
    }
    for (const [field, address] of [[key, replication], ['ring1_address', n.ring1Address]] as const) {
      if (!address) continue;
      const owner = seen.get(address);
      if (owner) errors.push(new UserError(`node '${n.name}': ${field} ${address} is already ${owner}`, { position: at('clusters', cluster, 'nodes', n.name, field), hint: 'every node needs its own address on each cluster network' }));
      else seen.set(address, `the ${field === 'ring1_address' ? 'ring1 address' : 'replication address'} of node '${n.name}'`);
    }
  }
  if (vip) checkVip(cluster, nodes, vip, errors, warnings, at);
}

const toNumber = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** The VIP moves between the nodes: not one of their own addresses, a host address, on a network they are on. */
function checkVip(cluster: string, nodes: NodeSpec[], vip: VipSpec, errors: UserError[], warnings: string[], at: At): void {
  const position = at('clusters', cluster, 'vip', 'address');
  const owner = nodes.find((n) => [n.address, n.replicationAddress, n.ring1Address].includes(vip.address));
  if (owner) {
    errors.push(new UserError(`the virtual IP ${vip.address} is an address of node '${owner.name}'`, { position, hint: 'the VIP must be a free address that moves between the nodes' }));
    return;
  }
  const size = 2 ** (32 - vip.cidrNetmask);
  const network = Math.floor(toNumber(vip.address) / size) * size;
  if (vip.cidrNetmask < 31 && (toNumber(vip.address) === network || toNumber(vip.address) === network + size - 1)) {
    errors.push(new UserError(`the virtual IP ${vip.address} is the ${toNumber(vip.address) === network ? 'network' : 'broadcast'} address of ${vip.address}/${vip.cidrNetmask}`, { position, hint: 'choose a free host address of that network' }));
    return;
  }
  const addresses = nodes.flatMap((n) => [n.address, n.replicationAddress, n.ring1Address]).filter((a): a is string => !!a && isIPv4(a));
  // Only addresses can be compared; a cluster reached by DNS names is checked by preflight.
  if (addresses.length === 0) return;
  const onSubnet = addresses.some((a) => Math.floor(toNumber(a) / size) * size === network);
  if (onSubnet) return;
  const message = `the virtual IP ${vip.address}/${vip.cidrNetmask} is on no network of the nodes (${[...new Set(addresses)].join(', ')})`;
  if (vip.nic) warnings.push(`cluster '${cluster}': ${message}; it goes on ${vip.nic} as given`);
  else errors.push(new UserError(message, { position, hint: 'clients reach it only on a network the nodes are on: fix the address or cidr_netmask, or give vip.nic for a network that carries no node address' }));
}

/** What Heartbeat v1 (haresources) cannot do: more or fewer than two nodes, resource meta attributes. */
export function checkStackLimits(cluster: string, stack: Stack, nodeCount: number, services: ServiceSpec[], errors: UserError[], at: At): void {
  if (stack !== 'heartbeat') return;
  if (nodeCount !== 2) {
    errors.push(new UserError(`cluster '${cluster}' has ${nodeCount} node${nodeCount === 1 ? '' : 's'}: Heartbeat v1 (haresources) runs exactly two`, { position: at('clusters', cluster, 'nodes'), hint: 'use stack: pacemaker for more nodes' }));
  }
  for (const s of services.filter((x) => Object.keys(x.meta).length)) {
    errors.push(new UserError(`service '${s.name}' has meta attributes, which Heartbeat v1 (haresources) has no place for`, { position: at('clusters', cluster, 'services', s.name, 'meta'), hint: 'use stack: pacemaker, or leave meta: out' }));
  }
}
