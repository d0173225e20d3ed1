// What `haforge init` asks, as plain values, and the parsers that turn a
// flag value or a typed answer into them. A parser throws a UserError that
// says what was expected; the same parser checks flags and prompt answers.
import { isIPv4 } from 'node:net';
import { UserError } from '../errors.js';
import { didYouMean } from '../schema/suggest.js';
import type { Stack } from './model.js';
import { NAME_PATTERN } from './schema.js';

export interface SshAddress {
  /** Address or DNS name haforge connects to. */
  host: string;
  user?: string;
  port?: number;
}

export interface NodeAnswer extends SshAddress {
  /** As `uname -n` prints it. */
  name: string;
  replicationAddress?: string;
  /** This node's backing disk, where it differs from the resource's. */
  disk?: string;
  /** Commands through `sudo -n` (a non-root login). */
  sudo?: boolean;
}

export interface ServiceAnswer {
  name: string;
  /** systemd unit or init script (default: the name). */
  unit?: string;
  paths: string[];
  port?: number;
  package?: string;
}

export interface VipAnswer {
  address: string;
  cidrNetmask: number;
  nic?: string;
}

/** SSH settings every node inherits (`defaults.ssh`). */
export interface SshDefaults {
  user?: string;
  port?: number;
  identityFile?: string;
  knownHosts?: string;
}

export interface InitAnswers {
  cluster: string;
  nodes: NodeAnswer[];
  ssh: SshDefaults;
  stack: Stack;
  primary: string;
  /** The DRBD resource's name (r0). */
  resource: string;
  disk: string;
  filesystem: 'ext4' | 'xfs';
  mount: string;
  vip: VipAnswer;
  services: ServiceAnswer[];
}

export const STACKS: readonly Stack[] = ['pacemaker', 'heartbeat'];
export const FILESYSTEMS = ['ext4', 'xfs'] as const;
const NAME = new RegExp(NAME_PATTERN);
const RESOURCE = /^[A-Za-z0-9_-]+$/;

const bad = (message: string, hint?: string) => new UserError(message, { hint });

export const isName = (text: string) => NAME.test(text);

/** A node, cluster or service name. */
export function parseName(text: string, what = 'name'): string {
  const v = text.trim();
  if (!NAME.test(v)) throw bad(`${what} '${v}' is not a valid name`, 'letters, digits and dashes, starting and ending with a letter or digit (no dots: `uname -n` without the domain)');
  return v;
}

export function parseResourceName(text: string): string {
  const v = text.trim();
  if (!RESOURCE.test(v)) throw bad(`resource name '${v}' is not valid`, 'letters, digits, _ and -');
  return v;
}

export function parsePort(text: string | number, what = 'port'): number {
  const n = typeof text === 'number' ? text : Number(text.trim());
  if (!Number.isInteger(n) || n < 1 || n > 65535 || (typeof text === 'string' && !/^\d+$/.test(text.trim()))) {
    throw bad(`${what} '${text}' is not a TCP port`, 'a whole number from 1 to 65535');
  }
  return n;
}

/** `[user@]host[:port]`; an IPv6 host with a port is written `[2001:db8::1]:22`. */
export function parseSshAddress(text: string): SshAddress {
  const v = text.trim();
  if (!v || /\s/.test(v)) throw bad(`'${v}' is not an SSH address`, 'host, user@host or user@host:port');
  const at = v.lastIndexOf('@');
  const user = at >= 0 ? v.slice(0, at) : undefined;
  let rest = at >= 0 ? v.slice(at + 1) : v;
  if (user === '') throw bad(`'${v}' has an empty user before @`, 'write user@host, or just host');
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1]!;
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], 'SSH port');
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    // One colon is host:port; more are a bare IPv6 address.
    const [host, p] = rest.split(':') as [string, string];
    rest = host;
    port = parsePort(p, 'SSH port');
  }
  if (!rest) throw bad(`'${v}' has no host`, 'host, user@host or user@host:port');
  return { host: rest, user, port };
}

export interface NodeFlag extends SshAddress {
  /** Left out: read from the node with `uname -n`. */
  name?: string;
}

/** `--node [NAME=][USER@]HOST[:PORT]` */
export function parseNodeFlag(text: string): NodeFlag {
  const eq = text.indexOf('=');
  if (eq < 0) return parseSshAddress(text);
  return { name: parseName(text.slice(0, eq), 'node name'), ...parseSshAddress(text.slice(eq + 1)) };
}

/** `KEY=VALUE` (e.g. `--replication alice=10.0.0.11`). */
export function parseKeyed(text: string, example: string): { key: string; value: string } {
  const eq = text.indexOf('=');
  const key = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  if (eq < 0 || !key || !value) throw bad(`'${text}' is not NAME=VALUE`, `e.g. ${example}`);
  return { key, value };
}

/** `--disk DEVICE` (every node) or `--disk NODE=DEVICE` (one node's own). */
export function parseDiskFlag(text: string): { node?: string; device: string } {
  if (!text.includes('=')) return { device: parseDevice(text) };
  const { key, value } = parseKeyed(text, 'bob=/dev/sdc');
  return { node: parseName(key, 'node name'), device: parseDevice(value) };
}

export function parseAddress(text: string, what: string): string {
  const v = text.trim();
  if (!v || /[\s/@]/.test(v)) throw bad(`${what} '${v}' is not an address`, 'an IP address or a DNS name');
  return v;
}

export function parseDevice(text: string): string {
  const v = text.trim();
  if (!/^\/dev\/[^\s]+$/.test(v) || v.endsWith('/')) throw bad(`'${v}' is not a device path`, 'a block device under /dev, e.g. /dev/sdb or /dev/disk/by-id/...');
  return v;
}

export function parseAbsolutePath(text: string, what = 'path'): string {
  const v = text.trim();
  if (!v.startsWith('/') || /\s/.test(v)) throw bad(`${what} '${v}' is not an absolute path`, 'a path starting with /, without spaces');
  return v.length > 1 ? v.replace(/\/+$/, '') : v;
}

export function parseMount(text: string): string {
  const v = parseAbsolutePath(text, 'mount point');
  if (v === '/') throw bad('the replicated filesystem cannot be mounted on /', 'pick an empty directory such as /replicated');
  return v;
}

/** Paths separated by spaces, commas or colons. */
export function parsePaths(text: string): string[] {
  return text
    .split(/[\s,:]+/)
    .filter(Boolean)
    .map((p) => parseAbsolutePath(p));
}

/** `--vip ADDRESS[/CIDR]` */
export function parseVip(text: string): { address: string; cidrNetmask: number } {
  const v = text.trim();
  const [address = '', cidr, ...more] = v.split('/');
  if (!isIPv4(address) || more.length) throw bad(`'${v}' is not an IPv4 address`, 'e.g. 192.0.2.50 or 192.0.2.50/24');
  if (cidr === undefined) return { address, cidrNetmask: 24 };
  const n = Number(cidr);
  if (!/^\d+$/.test(cidr) || n < 1 || n > 32) throw bad(`'/${cidr}' is not a netmask length`, 'a CIDR prefix length from 1 to 32, e.g. /24');
  return { address, cidrNetmask: n };
}

export function parseNic(text: string): string {
  const v = text.trim();
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(v)) throw bad(`'${v}' is not an interface name`, 'e.g. eth0, ens3, bond0');
  return v;
}

export function parseStack(text: string): Stack {
  const v = text.trim() as Stack;
  if (!STACKS.includes(v)) throw bad(`'${text}' is not a cluster stack`, 'heartbeat or pacemaker');
  return v;
}

const SERVICE_KEYS = ['unit', 'paths', 'port', 'package'] as const;

/** `--service NAME[:unit=UNIT,paths=/a:/b,port=N,package=PKG]` */
export function parseServiceFlag(text: string): ServiceAnswer {
  const colon = text.indexOf(':');
  const name = parseName(colon < 0 ? text : text.slice(0, colon), 'service name');
  const service: ServiceAnswer = { name, paths: [] };
  if (colon < 0) return service;
  for (const part of text.slice(colon + 1).split(',').filter((p) => p.trim())) {
    const { key, value } = parseKeyed(part, 'port=80');
    switch (key as (typeof SERVICE_KEYS)[number]) {
      case 'unit':
        service.unit = parseUnit(value);
        break;
      case 'paths':
        service.paths = parsePaths(value);
        break;
      case 'port':
        service.port = parsePort(value);
        break;
      case 'package':
        service.package = value;
        break;
      default:
        throw bad(`unknown service setting '${key}'${didYouMean(key, SERVICE_KEYS)}`, `settings: ${SERVICE_KEYS.join(', ')}; e.g. web:unit=nginx,paths=/var/www:/etc/nginx,port=80`);
    }
  }
  return service;
}

export function parseUnit(text: string): string {
  const v = text.trim();
  if (!/^[A-Za-z0-9_.@:\\-]+$/.test(v)) throw bad(`'${v}' is not a unit or init script name`, 'e.g. nginx, mariadb, apache2.service');
  return v;
}

/** For prompts: a parser as a validate function (true, or the message to show). */
export function validator(parse: (text: string) => unknown): (text: string) => true | string {
  return (text) => {
    try {
      parse(text);
      return true;
    } catch (err) {
      const e = err as UserError;
      return e.hint ? `${e.message}: ${e.hint}` : e.message;
    }
  };
}

/** Everything wrong with a full set of answers (an empty list: they make a valid inventory). */
export function checkAnswers(a: InitAnswers): UserError[] {
  const errors: UserError[] = [];
  const check = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof UserError) errors.push(err);
      else throw err;
    }
  };
  check(() => parseName(a.cluster, 'cluster name'));
  if (a.nodes.length < 2) {
    errors.push(bad(`a failover cluster needs at least two nodes, not ${a.nodes.length}`, 'give --node once per node'));
  }
  const names = new Set<string>();
  const targets = new Map<string, string>();
  for (const n of a.nodes) {
    check(() => parseName(n.name, 'node name'));
    if (names.has(n.name)) errors.push(bad(`node '${n.name}' is named twice`, 'every node needs its own name (its `uname -n`)'));
    names.add(n.name);
    const target = `${n.host}:${n.port ?? a.ssh.port ?? 22}`;
    const other = targets.get(target);
    if (other) errors.push(bad(`nodes '${other}' and '${n.name}' both connect to ${target}`, 'each node needs its own SSH address'));
    targets.set(target, n.name);
    if (n.replicationAddress !== undefined) check(() => parseAddress(n.replicationAddress!, `replication address of ${n.name}`));
    if (n.disk !== undefined) check(() => parseDevice(n.disk!));
    if (n.port !== undefined) check(() => parsePort(n.port!, `SSH port of ${n.name}`));
  }
  if (!names.has(a.primary)) {
    errors.push(bad(`primary '${a.primary}' is not one of the nodes`, `choose one of ${[...names].join(', ') || '(no nodes)'} with --primary`));
  }
  if (!STACKS.includes(a.stack)) errors.push(bad(`'${a.stack}' is not a cluster stack`, 'heartbeat or pacemaker'));
  if (!(FILESYSTEMS as readonly string[]).includes(a.filesystem)) errors.push(bad(`'${a.filesystem}' is not a filesystem haforge makes`, FILESYSTEMS.join(' or ')));
  check(() => parseResourceName(a.resource));
  check(() => parseDevice(a.disk));
  check(() => parseMount(a.mount));
  check(() => parseVip(`${a.vip.address}/${a.vip.cidrNetmask}`));
  if (a.vip.nic !== undefined) check(() => parseNic(a.vip.nic!));
  const owner = a.nodes.find((n) => n.host === a.vip.address || n.replicationAddress === a.vip.address);
  if (owner) errors.push(bad(`the virtual IP ${a.vip.address} is an address of node '${owner.name}'`, 'the VIP must be a free address that moves between the nodes'));
  if (a.stack === 'heartbeat' && !a.vip.nic) {
    errors.push(bad('Heartbeat needs the interface the VIP goes on', 'give --vip-nic (e.g. eth0): it also carries the heartbeats'));
  }
  const services = new Set<string>();
  for (const s of a.services) {
    check(() => parseName(s.name, 'service name'));
    if (services.has(s.name)) errors.push(bad(`service '${s.name}' is given twice`, 'one --service per service'));
    services.add(s.name);
    if (s.unit !== undefined) check(() => parseUnit(s.unit!));
    if (s.port !== undefined) check(() => parsePort(s.port!, `port of service ${s.name}`));
    for (const p of s.paths) {
      check(() => parseAbsolutePath(p, `path of service ${s.name}`));
      if (p === a.mount || p.startsWith(`${a.mount}/`)) errors.push(bad(`service '${s.name}': ${p} is already on the replicated volume (${a.mount})`, 'list the paths where the service keeps them now; haforge moves them onto the volume'));
    }
  }
  return errors;
}
