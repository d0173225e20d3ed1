// The cluster manager's settings (Heartbeat, Corosync + Pacemaker) and
// fencing: schema pieces, defaults and the relations an admin gets wrong
// (deadtime below keepalive, two Heartbeat clusters on one udpport, no
// fencing without saying so).
import { UserError } from '../errors.js';
import type { Schema } from '../schema/types.js';
import { deviceName, devicePath, hostName, interfaceName, ipv4, parameterName, syslogFacility } from '../schema/values.js';
import { fencingProblems } from '../fencing/rules.js';
import type { ClusterSpec, CorosyncSpec, FencingSpec, HeartbeatSpec, PacemakerSpec, ServiceAgent, Stack } from './model.js';

type At = (...path: (string | number)[]) => UserError['position'];

const seconds = (description: string, minimum = 1): Schema => ({ type: 'integer', minimum, maximum: 3600, description });

export const heartbeatSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'Heartbeat v1 (haresources) settings: ha.cf, authkeys, haresources, mon.',
  properties: {
    keepalive: seconds('Seconds between heartbeats (default 2).'),
    warntime: seconds('Seconds of silence before a "late heartbeat" warning (default 10).'),
    deadtime: seconds('Seconds of silence before the peer is declared dead and its resources taken over (default 30).'),
    initdead: seconds('deadtime right after start, while the network comes up (default 60; at least twice deadtime).'),
    auto_failback: { type: 'boolean', description: 'Move resources back to the preferred node when it returns (default false: a failback is a second outage).' },
    udpport: { type: 'integer', minimum: 1, maximum: 65535, description: 'UDP port of the heartbeats (default 694); distinct per cluster when clusters share a segment.' },
    comm: { type: 'string', enum: ['ucast', 'bcast', 'mcast'], description: 'How heartbeats travel (default ucast to every peer).' },
    interface: { ...interfaceName, description: 'Interface the heartbeats use (default: the one that carries the node\'s replication address).' },
    mcast_group: { ...ipv4, description: 'Multicast group with comm: mcast (default 239.0.0.1).' },
    serial: { ...devicePath, description: 'a device path under /dev: a serial port like /dev/ttyS0, a second heartbeat path' },
    logfacility: { ...syslogFacility, description: 'syslog facility (default local0).' },
    auth: { type: 'string', enum: ['sha1', 'md5'], description: 'authkeys method (default sha1; crc is never written: it authenticates nothing).' },
  },
};

export const corosyncSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'Corosync 3 (knet) settings: corosync.conf and authkey.',
  properties: {
    token: { type: 'integer', minimum: 500, maximum: 120000, description: 'Token timeout in ms (default 3000): how long a silent node takes to be declared lost.' },
    consensus: { type: 'integer', minimum: 600, maximum: 150000, description: 'Consensus timeout in ms (default 1.2 × token).' },
    crypto_cipher: { type: 'string', enum: ['aes256', 'aes192', 'aes128'], description: 'knet encryption (default aes256).' },
    crypto_hash: { type: 'string', enum: ['sha256', 'sha384', 'sha512', 'sha1'], description: 'knet authentication (default sha256).' },
    second_link: { type: 'boolean', description: 'Add link 1 on each node\'s ring1_address (default: when every node has one).' },
  },
};

export const pacemakerSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'Pacemaker settings: the generated cluster configuration (CIB).',
  properties: {
    resource_stickiness: { type: 'integer', minimum: 0, maximum: 1000000, description: 'How strongly resources stay where they run (default 100: no move back after a failover).' },
    migration_threshold: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Failures on a node before resources leave it (default 3).' },
    failure_timeout: { type: 'string', pattern: '^\\d+(ms|s|min|h)?$', description: 'a duration like 120s or 5min: fail counts expire after it (default 120s)' },
    monitor_interval: { type: 'string', pattern: '^\\d+(ms|s|min)?$', description: 'a duration like 10s: the interval of every resource\'s monitor operation (default 10s)' },
    no_quorum_policy: { type: 'string', enum: ['stop', 'ignore', 'freeze', 'demote', 'suicide'], description: 'What a partition without quorum does (default stop; two-node clusters keep quorum through two_node).' },
    properties: { type: 'object', propertyNames: parameterName, additionalProperties: { type: 'string' }, description: 'More cluster properties, as crm_attribute names them (e.g. cluster-recheck-interval: 5min).' },
  },
};

const fenceDevice: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['agent', 'targets'],
  description: 'A fence (STONITH) device.',
  properties: {
    agent: { type: 'string', pattern: '^fence_[a-z0-9_]+$', description: 'a fence agent name from fence-agents, like fence_ipmilan' },
    targets: { type: 'array', minItems: 1, items: hostName, description: 'Nodes this device can power off.' },
    params: { type: 'object', propertyNames: parameterName, additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] }, description: 'The agent\'s parameters (ip, username, password, ...). Parameters named like passwords are never printed.' },
  },
};

const sbdSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['devices'],
  description: 'SBD: fencing through a small shared disk (a poison pill in the target\'s slot) and a watchdog on every node that resets it when sbd stops.',
  properties: {
    devices: { type: 'array', minItems: 1, maxItems: 3, items: { ...devicePath, description: 'a device path under /dev: a shared disk, the same on every node (a /dev/disk/by-id/ name is stable)' }, description: 'One to three shared disks.' },
    watchdog: { ...devicePath, description: 'a device path under /dev: the watchdog on every node (default /dev/watchdog)' },
    watchdog_timeout: { type: 'integer', minimum: 2, maximum: 120, description: 'Seconds before the watchdog resets a node whose sbd stopped answering (default 5).' },
    msgwait: { type: 'integer', minimum: 4, maximum: 240, description: 'Seconds after a poison pill until its target counts as fenced (default twice watchdog_timeout).' },
  },
};

export const fencingSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'Fencing (STONITH). Required with a cluster manager: SBD, fence devices, or enabled: false to run without it on purpose.',
  properties: {
    enabled: { type: 'boolean', description: 'false: run without fencing (allowed, warned about on every preflight and status).' },
    sbd: sbdSchema,
    devices: { type: 'object', propertyNames: deviceName, additionalProperties: fenceDevice, description: 'Fence devices by name.' },
  },
};

export const serviceAgentSchema: Schema = {
  type: 'string',
  pattern: '^(systemd|lsb|ocf:[a-z0-9_-]+:[A-Za-z0-9_.-]+)$',
  description: 'one of systemd (the default), lsb or ocf:PROVIDER:TYPE (e.g. ocf:heartbeat:apache): how the cluster manager runs it',
};

export interface RawHeartbeat {
  keepalive?: number;
  warntime?: number;
  deadtime?: number;
  initdead?: number;
  auto_failback?: boolean;
  udpport?: number;
  comm?: 'ucast' | 'bcast' | 'mcast';
  interface?: string;
  mcast_group?: string;
  serial?: string;
  logfacility?: string;
  auth?: 'sha1' | 'md5';
}
export interface RawCorosync {
  token?: number;
  consensus?: number;
  crypto_cipher?: string;
  crypto_hash?: string;
  second_link?: boolean;
}
export interface RawPacemaker {
  resource_stickiness?: number;
  migration_threshold?: number;
  failure_timeout?: string;
  monitor_interval?: string;
  no_quorum_policy?: string;
  properties?: Record<string, string>;
}
export interface RawFencing {
  enabled?: boolean;
  sbd?: { devices: string[]; watchdog?: string; watchdog_timeout?: number; msgwait?: number };
  devices?: Record<string, { agent: string; targets: string[]; params?: Record<string, string | number | boolean> }>;
}

export function resolveHeartbeat(cluster: string, raw: RawHeartbeat | undefined, errors: UserError[], warnings: string[], at: At): HeartbeatSpec {
  const r = raw ?? {};
  const where = (k: string) => at('clusters', cluster, 'heartbeat', ...(raw && k in raw ? [k] : []));
  const spec: HeartbeatSpec = {
    keepalive: r.keepalive ?? 2,
    warntime: r.warntime ?? 10,
    deadtime: r.deadtime ?? 30,
    initdead: r.initdead ?? 60,
    autoFailback: r.auto_failback ?? false,
    udpport: r.udpport ?? 694,
    comm: r.comm ?? 'ucast',
    interface: r.interface,
    mcastGroup: r.mcast_group ?? '239.0.0.1',
    serial: r.serial,
    logfacility: r.logfacility ?? 'local0',
    auth: r.auth ?? 'sha1',
  };
  const { keepalive, warntime, deadtime, initdead } = spec;
  if (deadtime <= keepalive) {
    errors.push(new UserError(`heartbeat deadtime ${deadtime} s must be well above keepalive ${keepalive} s`, { position: where('deadtime'), hint: `a peer is declared dead after one lost heartbeat otherwise; use deadtime ≥ ${keepalive * 3}` }));
  } else if (deadtime < keepalive * 3) {
    warnings.push(`cluster '${cluster}': heartbeat deadtime ${deadtime} s is less than 3 × keepalive ${keepalive} s: two lost packets make a failover`);
  }
  if (warntime <= keepalive || warntime >= deadtime) {
    errors.push(new UserError(`heartbeat warntime ${warntime} s must lie between keepalive ${keepalive} s and deadtime ${deadtime} s`, { position: where('warntime'), hint: 'it warns of late heartbeats before the peer is declared dead' }));
  }
  if (initdead < deadtime * 2) {
    errors.push(new UserError(`heartbeat initdead ${initdead} s must be at least twice deadtime (${deadtime * 2} s)`, { position: where('initdead'), hint: 'at boot the network may take a while; Heartbeat itself warns about this' }));
  }
  return spec;
}

export function resolveCorosync(cluster: string, raw: RawCorosync | undefined, nodesWithRing1: number, nodeCount: number, errors: UserError[], at: At): CorosyncSpec {
  const r = raw ?? {};
  const token = r.token ?? 3000;
  const consensus = r.consensus ?? Math.round(token * 1.2);
  if (consensus < token) {
    errors.push(new UserError(`corosync consensus ${consensus} ms must not be below token ${token} ms`, { position: at('clusters', cluster, 'corosync', 'consensus'), hint: `leave it out (default 1.2 × token = ${Math.round(token * 1.2)} ms)` }));
  }
  const everyNode = nodesWithRing1 === nodeCount;
  if (r.second_link && !everyNode) {
    errors.push(new UserError('corosync second_link needs a ring1_address on every node', { position: at('clusters', cluster, 'corosync', 'second_link'), hint: 'add ring1_address: to each node' }));
  }
  return {
    token,
    consensus,
    cryptoCipher: r.crypto_cipher ?? 'aes256',
    cryptoHash: r.crypto_hash ?? 'sha256',
    secondLink: r.second_link ?? (everyNode && nodeCount > 0),
  };
}

export function resolvePacemaker(raw: RawPacemaker | undefined): PacemakerSpec {
  const r = raw ?? {};
  return {
    resourceStickiness: r.resource_stickiness ?? 100,
    migrationThreshold: r.migration_threshold ?? 3,
    failureTimeout: r.failure_timeout ?? '120s',
    monitorInterval: r.monitor_interval ?? '10s',
    noQuorumPolicy: r.no_quorum_policy ?? 'stop',
    properties: r.properties ?? {},
  };
}

export function resolveFencing(cluster: string, stack: Stack, raw: RawFencing | undefined, nodeNames: string[], errors: UserError[], at: At): FencingSpec | undefined {
  if (!raw) return undefined;
  const devices = Object.entries(raw.devices ?? {}).map(([name, d]) => ({ name, agent: d.agent, targets: d.targets, params: Object.fromEntries(Object.entries(d.params ?? {}).map(([k, v]) => [k, String(v)])) }));
  const sbd = raw.sbd && { devices: raw.sbd.devices, watchdog: raw.sbd.watchdog ?? '/dev/watchdog', watchdogTimeout: raw.sbd.watchdog_timeout ?? 5, msgwait: raw.sbd.msgwait ?? 2 * (raw.sbd.watchdog_timeout ?? 5) };
  const spec: FencingSpec = { enabled: raw.enabled ?? true, devices, ...(sbd ? { sbd } : {}) };
  for (const p of fencingProblems(spec, nodeNames, stack)) errors.push(new UserError(p.message, { position: at('clusters', cluster, 'fencing', ...p.at), hint: p.hint }));
  return spec;
}

/** Heartbeat clusters in one inventory that broadcast on the same port would hear each other. */
export function checkUdpPorts(clusters: Pick<ClusterSpec, 'name' | 'stack' | 'heartbeat'>[], errors: UserError[], at: At): void {
  const seen = new Map<number, string>();
  for (const c of clusters) {
    // Unicast heartbeats go to named peers only; broadcasts and multicasts reach every cluster on the segment.
    if (c.stack !== 'heartbeat' || !c.heartbeat || c.heartbeat.comm === 'ucast') continue;
    const other = seen.get(c.heartbeat.udpport);
    if (other) {
      errors.push(new UserError(`Heartbeat clusters '${other}' and '${c.name}' both use udpport ${c.heartbeat.udpport}`, { position: at('clusters', c.name, 'heartbeat'), hint: 'clusters sharing a network segment need distinct ports: set heartbeat.udpport (e.g. 695)' }));
    }
    seen.set(c.heartbeat.udpport, c.name);
  }
}

export function parseServiceAgent(agent: string | undefined, unit: string): ServiceAgent {
  if (!agent || agent === 'systemd') return { class: 'systemd', type: unit };
  if (agent === 'lsb') return { class: 'lsb', type: unit };
  const [, provider, type] = agent.split(':');
  return { class: 'ocf', provider, type: type! };
}
