// Addresses and links of a lab's VMs. Every lab gets its own multicast
// group:port pair for its private networks; two labs on one machine must
// never share one, or their VMs would end up on one L2 network.
import { createHash } from 'node:crypto';

export const NODE_NAME_PREFIX = 'node';
export const REPLICATION_SUBNET = '10.99.0';
export const RING1_SUBNET = '10.98.0';
export const DATA_DISK_DEVICE = '/dev/vdb';
/** The disk every VM shares for SBD fencing, by the serial QEMU gives it: the same name on every node. */
export const SBD_DISK_SERIAL = 'haforge-sbd';
export const SBD_DISK_DEVICE = `/dev/disk/by-id/virtio-${SBD_DISK_SERIAL}`;
/** MiB of the shared SBD disk (the header and 255 slots need about 1 MiB). */
export const SBD_DISK_MIB = 16;

/** The private networks of a lab; `nic` is the guest interface name (net.ifnames=0). */
export const PRIVATE_LINKS = [
  { id: 'replication', nic: 'eth1', subnet: REPLICATION_SUBNET },
  { id: 'ring1', nic: 'eth2', subnet: RING1_SUBNET },
] as const;
export type LinkId = (typeof PRIVATE_LINKS)[number]['id'];
export const LINK_IDS: readonly LinkId[] = PRIVATE_LINKS.map((l) => l.id);

export function nodeName(index: number): string {
  return `${NODE_NAME_PREFIX}${index + 1}`;
}

/** node1 = .11, node2 = .12, ... */
export function hostPart(index: number): number {
  return 11 + index;
}

export function linkAddress(link: LinkId, index: number): string {
  const subnet = PRIVATE_LINKS.find((l) => l.id === link)!.subnet;
  return `${subnet}.${hostPart(index)}`;
}

export interface McastEndpoint {
  group: string;
  port: number;
}

/** One multicast endpoint per private link, derived from the lab name; `bump` moves past a collision. */
export function mcastFor(labName: string, bump = 0): Record<LinkId, McastEndpoint> {
  const h = createHash('sha256').update(`haforge-lab:${labName}:${bump}`).digest();
  // 230.0.0.0/8 is administratively scoped; ports 20000-59998, even, so link n uses port+n.
  const group = `230.${h[0]}.${h[1]}.${h[2] === 0 ? 1 : h[2]}`;
  const port = 20000 + 2 * (h.readUInt16BE(3) % 20000);
  return { replication: { group, port }, ring1: { group, port: port + 1 } };
}

export function mcastKey(e: McastEndpoint): string {
  return `${e.group}:${e.port}`;
}

/** A locally administered MAC, unique per lab, node and NIC. */
export function macFor(labName: string, nodeIndex: number, nic: number): string {
  const h = createHash('sha256').update(`haforge-lab-mac:${labName}`).digest();
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return ['52', '54', hex(h[0]), hex(h[1]), hex(nodeIndex & 0xff), hex(nic)].join(':');
}
