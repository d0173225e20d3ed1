// What `haforge init` asks, as plain values, and the parsers that turn a
// flag value or a typed answer into them. A parser throws a UserError that
// says what was expected; the same parser checks flags and prompt answers.
import { isIPv4 } from 'node:net';
import { UserError } from '../errors.js';
import { fencingProblems } from '../fencing/rules.js';
import { isSecretName } from '../util/secrets.js';
import { didYouMean } from '../schema/suggest.js';
import type { Stack } from '../inventory/model.js';
import { NAME_PATTERN } from '../inventory/schema.js';
import { HOST_NAME_PATTERN, RESOURCE_NAME_PATTERN } from '../schema/values.js';

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

export interface FenceDeviceAnswer {
  /** The device's name in the inventory (ipmilan, ipmilan-alice, ...). */
  name: string;
  /** A fence agent from fence-agents: fence_ipmilan, fence_virsh, ... */
  agent: string;
  /** The nodes it powers off. */
  targets: string[];
  /** The agent's parameters; names matching SECRET_NAME (util/secrets.ts) hold secrets. */
  params: Record<string, string>;
}

/** The fencing decision: devices, or none on purpose. */
export type FencingAnswer = { enabled: true; devices: FenceDeviceAnswer[] } | { enabled: false };

/** `[NODE:]NAME=VALUE`: a fence agent parameter, for every device or for one node's own. */
export interface FenceParam {
  node?: string;
  name: string;
  value: string;
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
  /** Undefined: not decided yet (the file gets a commented example, and preflight fails until it says). */
  fencing?: FencingAnswer;
}

export const STACKS: readonly Stack[] = ['pacemaker', 'heartbeat'];
export const FILESYSTEMS = ['ext4', 'xfs'] as const;
const NAME = new RegExp(NAME_PATTERN);
const HOST_NAME = new RegExp(HOST_NAME_PATTERN);
const RESOURCE = new RegExp(RESOURCE_NAME_PATTERN);

const bad = (message: string, hint?: string) => new UserError(message, { hint });

export const isHostName = (text: string) => HOST_NAME.test(text);

/** A cluster or service name. */
export function parseName(text: string, what = 'name'): string {
  const v = text.trim();
  if (!NAME.test(v)) throw bad(`${what} '${v}' is not a valid name`, 'letters, digits and dashes, starting and ending with a letter or digit');
  return v;
}

/** A node's name: its host name as `uname -n` prints it, short or fully qualified. */
export function parseNodeName(text: string, what = 'node name'): string {
  const v = text.trim();
  if (!HOST_NAME.test(v)) throw bad(`${what} '${v}' is not a valid host name`, 'as `uname -n` prints it: letters, digits and dashes, with dots between the labels of a fully qualified name');
  return v;
}

export function parseResourceName(text: string): string {
  const v = text.trim();
  if (!RESOURCE.test(v)) throw bad(`resource name '${v}' is not valid`, 'letters, digits, _ and -, not starting with -');
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
  return { name: parseNodeName(text.slice(0, eq)), ...parseSshAddress(text.slice(eq + 1)) };
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
  return { node: parseNodeName(key), device: parseDevice(value) };
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

// ---- fencing ------------------------------------------------------------------

/** A fence agent name, as the inventory schema wants it. */
const FENCE_AGENT = /^fence_[a-z0-9_]+$/;
const FENCE_PARAM_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Agents that drive one machine's management controller: one device per node. */
export const BMC_AGENT = /^fence_(ipmilan|ipmilanplus|ipmilan_lanplus|idrac|ilo[2-5]?|ilo[3-5]_ssh|ilo_ssh|imm|redfish|amt|amt_ws)$/;

export function parseFenceAgent(text: string): string {
  const v = text.trim();
  if (!FENCE_AGENT.test(v)) throw bad(`'${v}' is not a fence agent name`, 'an agent from fence-agents, e.g. fence_ipmilan, fence_virsh, fence_vmware_rest (`ls /usr/sbin/fence_*` on a node lists them)');
  return v;
}

/** `[NODE:]NAME` and the value of a `[NODE:]NAME=VALUE` text, without judging them. */
function splitParam(text: string): { head: string; name: string; value?: string } {
  const eq = text.indexOf('=');
  const head = (eq < 0 ? text : text.slice(0, eq)).trim();
  return { head, name: head.slice(head.indexOf(':') + 1).trim(), value: eq < 0 ? undefined : text.slice(eq + 1) };
}

/**
 * `[NODE:]NAME=VALUE`: a fence agent parameter for every device, or for one
 * node's own device. Errors never repeat the value: it may be a password.
 * A secret's value is kept as typed (a password may start or end with a
 * blank); other values are trimmed.
 */
export function parseFenceParam(text: string): FenceParam {
  const { head, name, value } = splitParam(text);
  const node = head.includes(':') ? parseNodeName(head.slice(0, head.indexOf(':'))) : undefined;
  if (!FENCE_PARAM_NAME.test(name)) throw bad(`'${name}' is not a fence parameter name`, "NAME=VALUE, e.g. ip=192.0.2.111 or username=admin; NODE:NAME=VALUE for one node's own device");
  const kept = value === undefined ? '' : isSecretName(name) ? value : value.trim();
  if (!kept.trim()) throw bad(`fence parameter '${name}' has no value`, `write ${node ? `${node}:` : ''}${name}=VALUE`);
  if (/[\r\n]/.test(kept)) throw bad(`the value of fence parameter '${name}' has a line break`, 'a value is one line');
  return { node, name, value: kept };
}

/**
 * Secrets typed on a command line are seen by every user in `ps` and kept in
 * the shell's history. `NAME=@FILE` reads a secret's value from a file
 * instead (its first line; `@@` starts a value that begins with @). Returns
 * the parameters with files read, and warnings for secrets given in clear.
 */
export function secretParamsFromFiles(texts: readonly string[], read: (file: string) => string): { params: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const params = texts.map((text) => {
    const { head, name, value } = splitParam(text);
    if (value === undefined || !isSecretName(name)) return text;
    if (value.startsWith('@@')) return `${head}=${value.slice(1)}`;
    if (!value.startsWith('@')) {
      warnings.push(`the value of --fence-param ${head} is on the command line: other users see it in ps, and your shell history keeps it`);
      return text;
    }
    let content: string;
    try {
      content = read(value.slice(1));
    } catch (err) {
      throw bad(`cannot read the value of fence parameter '${name}' from ${value.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'NAME=@FILE reads the first line of FILE');
    }
    return `${head}=${content.split('\n')[0]!.replace(/\r$/, '')}`;
  });
  return { params, warnings };
}

export const SECRET_ON_COMMAND_LINE_HINT = 'give it as --fence-param password=@FILE (a file only you can read), or leave it out and type it at the prompt (never shown)';

/** A fence parameter as it may be shown in a message: a secret's value is hidden. */
export function showFenceParam(text: string): string {
  const { head, name, value } = splitParam(text);
  return value !== undefined && value !== '' && (isSecretName(name) || !name) ? `${head}=(hidden)` : text;
}

/** A fence parameter as it is typed at a prompt: a secret's value shows as stars. */
export function maskFenceParam(text: string): string {
  const { name, value } = splitParam(text);
  if (value === undefined || !isSecretName(name)) return text;
  return `${text.slice(0, text.length - value.length)}${'*'.repeat(value.length)}`;
}

/** `--fence-targets alice,bob`: node names, checked against the nodes by the caller. */
export function parseNodeList(text: string, what = 'node'): string[] {
  const names = text.split(/[\s,]+/).filter(Boolean).map((t) => parseNodeName(t, `${what} name`));
  if (!names.length) throw bad(`no ${what}s given`, 'node names separated by commas, e.g. alice,bob');
  return [...new Set(names)];
}

/**
 * The devices for one agent: one device for all its targets, or (`perNode`,
 * for management controllers that power one machine each) one device per
 * target, named `<agent>-<node>`, with the shared parameters and that node's
 * own. Names in `taken` get a number.
 */
export function fenceDevices(agent: string, params: FenceParam[], targets: string[], perNode: boolean, taken: string[] = []): FenceDeviceAnswer[] {
  const used = new Set(taken);
  const unique = (name: string) => {
    let n = name;
    for (let i = 2; used.has(n); i++) n = `${name}-${i}`;
    used.add(n);
    return n;
  };
  const base = agent.replace(/^fence_/, '');
  const of = (node: string | undefined) => Object.fromEntries(params.filter((p) => p.node === node).map((p) => [p.name, p.value]));
  if (!perNode) return [{ name: unique(base), agent, targets, params: of(undefined) }];
  // The node's own values first (its address reads best at the front), then the shared ones it does not override.
  const shared = Object.entries(of(undefined));
  return targets.map((t) => {
    const own = of(t);
    return { name: unique(`${base}-${t}`), agent, targets: [t], params: { ...own, ...Object.fromEntries(shared.filter(([k]) => !(k in own))) } };
  });
}

/** A device's parameters given twice, or for a node it does not fence. */
export function checkFenceParams(params: FenceParam[], targets: string[]): UserError[] {
  const errors: UserError[] = [];
  const seen = new Set<string>();
  for (const p of params) {
    const key = `${p.node ?? ''}:${p.name}`;
    if (seen.has(key)) errors.push(bad(`fence parameter '${p.node ? `${p.node}:` : ''}${p.name}' is given twice`, 'give each parameter once (NODE:NAME=VALUE for one node\'s own value)'));
    seen.add(key);
    if (p.node && !targets.includes(p.node)) errors.push(bad(`fence parameter '${p.node}:${p.name}' is for ${p.node}, which the device does not fence${didYouMean(p.node, targets)}`, `fenced nodes: ${targets.join(', ')}`));
  }
  return errors;
}

const fenceHint = "as flags: --fence-agent AGENT --fence-param NAME=VALUE (NODE:NAME=VALUE for one node's own device) [--fence-targets NODE,NODE], or --no-fencing";

/** Everything wrong with a fencing answer; never names a parameter's value. The rules are the loader's (fencing/rules.ts). */
export function checkFencing(a: Pick<InitAnswers, 'fencing' | 'nodes' | 'stack'>): UserError[] {
  const f = a.fencing;
  if (!f || !f.enabled) return [];
  const errors: UserError[] = [];
  if (!f.devices.length) errors.push(bad('fencing is on but names no fence device', fenceHint));
  const devices = new Set<string>();
  for (const d of f.devices) {
    if (!RESOURCE.test(d.name)) errors.push(bad(`fence device name '${d.name}' is not valid`, 'letters, digits, _ and -, not starting with -'));
    if (devices.has(d.name)) errors.push(bad(`fence device '${d.name}' is named twice`, 'every device needs its own name'));
    devices.add(d.name);
    if (!FENCE_AGENT.test(d.agent)) errors.push(bad(`'${d.agent}' is not a fence agent name`, 'an agent from fence-agents, e.g. fence_ipmilan'));
    for (const [k, v] of Object.entries(d.params)) {
      if (!FENCE_PARAM_NAME.test(k)) errors.push(bad(`'${k}' is not a fence parameter name`, 'letters, digits, _ and -'));
      if (!v.trim()) errors.push(bad(`fence parameter '${k}' of device '${d.name}' has no value`, 'a value is one line'));
    }
  }
  if (!f.devices.length) return errors;
  for (const p of fencingProblems({ enabled: true, devices: f.devices }, a.nodes.map((n) => n.name), a.stack)) errors.push(bad(p.message, p.flagHint ?? p.hint));
  return errors;
}

/** True when the answers put a secret (a fence password) into the file: it is then written 0600. */
export function holdsSecret(a: Pick<InitAnswers, 'fencing'>): boolean {
  return !!a.fencing?.enabled && a.fencing.devices.some((d) => Object.keys(d.params).some(isSecretName));
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
    check(() => parseNodeName(n.name));
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
    for (const p of s.paths) check(() => parseAbsolutePath(p, `path of service ${s.name}`));
  }
  errors.push(...checkFencing(a));
  return errors;
}
