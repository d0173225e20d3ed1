// The IPv4 addresses of a host and the interfaces they are on: `haforge init`
// offers them as replication addresses and finds the VIP's interface; the
// system fact carries them so templates can name the interface of an address
// (Heartbeat's ucast/bcast/mcast lines).
import type { Fact } from '../engine/fact.js';

export interface InterfaceAddress {
  /** eth0, ens3, bond0 ... */
  nic: string;
  address: string;
  prefix: number;
  /** The broadcast address (`brd`); none when the address was added without one. */
  broadcast?: string;
}

export const addressesFact: Fact<InterfaceAddress[]> = {
  id: 'addresses',
  command: () => ['sh', '-c', 'ip -o -4 addr show 2>/dev/null'],
  parse: parseAddresses,
};

/** `ip -o -4 addr show` lines: `2: eth0    inet 10.0.0.11/24 brd ... scope global eth0\ ...` */
export function parseAddresses(stdout: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+([^\s@]+)(?:@\S+)?\s+inet\s+(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})\b/.exec(line);
    if (!m) continue;
    const brd = /\sbrd\s+(\d{1,3}(?:\.\d{1,3}){3})\b/.exec(line)?.[1];
    out.push({ nic: m[1]!, address: m[2]!, prefix: Number(m[3]), ...(brd ? { broadcast: brd } : {}) });
  }
  return out;
}

const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** Whether `ip` lies in the subnet of an interface address. */
export function inSubnet(ip: string, a: Pick<InterfaceAddress, 'address' | 'prefix'>): boolean {
  const size = 2 ** (32 - a.prefix);
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(a.address) / size);
}

/** The interface whose subnet holds `ip` (loopback never), for the VIP's nic. */
export function nicFor(ip: string, addresses: InterfaceAddress[]): string | undefined {
  return addresses.filter((a) => a.nic !== 'lo' && inSubnet(ip, a)).sort((x, y) => y.prefix - x.prefix)[0]?.nic;
}

/** The interface that carries `ip` itself, else the one whose subnet holds it (loopback never). */
export function nicCarrying(ip: string, addresses: InterfaceAddress[]): string | undefined {
  return addresses.find((a) => a.nic !== 'lo' && a.address === ip)?.nic ?? nicFor(ip, addresses);
}
