// The inventory's schema: validates inventory files and is published as
// schemas/inventory.schema.json (`haforge inventory schema --write`).
import type { Schema } from '../schema/types.js';
import { absolutePath, devicePath, hostName, hostOrAddress, interfaceName, ipv4, mountOptions, packageName, parameterName, proxyJump, resourceName, unitName, userName } from '../schema/values.js';
import { corosyncSchema, fencingSchema, heartbeatSchema, pacemakerSchema, serviceAgentSchema } from './stack.js';

/** Cluster, group and service names: one DNS label (they become parts of file names and resource ids). */
export const NAME_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';

const name: Schema = {
  type: 'string',
  pattern: NAME_PATTERN,
  description: 'a name of letters, digits and dashes (not at either end)',
};

/** Node names are host names as `uname -n` prints them, fully qualified ones included. */
const nodeName: Schema = hostName;

const vars: Schema = {
  type: 'object',
  description: 'Variables for templates and playbooks.',
  additionalProperties: true,
};

const ssh: Schema = {
  type: 'object',
  description: 'How haforge connects. Unset values come from ~/.ssh/config, then OpenSSH defaults.',
  additionalProperties: false,
  properties: {
    host: { ...hostOrAddress, description: 'Address to connect to (overrides the node address).' },
    user: { ...userName, description: 'Login user; not root needs sudo: true.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SSH port.' },
    identity_file: { type: 'string', minLength: 1, description: 'Private key file (OpenSSH or PEM format).' },
    known_hosts: { type: 'string', minLength: 1, description: 'known_hosts file that host keys are verified against.' },
    proxy_jump: { ...proxyJump, description: 'Jump host, as in ssh -J: [user@]host[:port].' },
  },
};

const node: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: { ...hostOrAddress, description: 'Address or DNS name haforge connects to over SSH.' },
    replication_address: { ...ipv4, description: 'IPv4 address on the replication network (DRBD, cluster traffic; default: address).' },
    ring1_address: { ...ipv4, description: 'IPv4 address on a second cluster network: Corosync link 1, a second Heartbeat path.' },
    ssh,
    sudo: { type: 'boolean', description: 'Run commands through `sudo -n` (for a non-root SSH user).' },
    disks: {
      type: 'object',
      description: 'Backing device per DRBD resource on this node, where it differs from the resource default.',
      additionalProperties: devicePath,
    },
    vars,
  },
};

const group: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    nodes: { type: 'array', items: nodeName, minItems: 1, description: 'Members of the group.' },
    vars,
  },
};


const drbdResource: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'One replicated volume.',
  properties: {
    disk: { ...devicePath, description: 'a device path under /dev: the backing device on every node (a node may override it under `disks:`)' },
    minor: { type: 'integer', minimum: 0, maximum: 1048575, description: 'DRBD minor: the device is /dev/drbd<minor> (default: 0, 1, ... in order).' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Replication TCP port (default 7788 + the minor).' },
    partition: {
      type: 'boolean',
      description: 'The disk is a whole disk: create one partition spanning it (equal sizes on all nodes) and use that.',
    },
    filesystem: { type: 'string', enum: ['ext4', 'xfs'], description: 'Filesystem made on the primary (default ext4).' },
    mount: { ...absolutePath, description: 'Mount point of the replicated filesystem (on the active node); not a system directory.' },
    mount_options: { ...mountOptions, description: 'Mount options (default: defaults).' },
    reuse: {
      type: 'boolean',
      description: 'The backing disks hold data or DRBD metadata on purpose: do not refuse them (no create-md, no mkfs where present).',
    },
  },
};

const afterSb0: Schema = { type: 'string', enum: ['disconnect', 'discard-younger-primary', 'discard-older-primary', 'discard-zero-changes', 'discard-least-changes'] };
const afterSb1: Schema = { type: 'string', enum: ['disconnect', 'consensus', 'discard-secondary', 'call-pri-lost-after-sb', 'violently-as0p'] };
const afterSb2: Schema = { type: 'string', enum: ['disconnect', 'call-pri-lost-after-sb', 'violently-as0p'] };

const drbd: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['resources'],
  description: 'DRBD replication.',
  properties: {
    resources: { type: 'object', propertyNames: resourceName, additionalProperties: drbdResource },
    protocol: { type: 'string', enum: ['A', 'B', 'C'], description: 'Replication protocol (default C: synchronous).' },
    resync_rate: { type: 'string', pattern: '^\\d+[KMG]?$', description: 'a rate like 100M (resync bandwidth per second)' },
    c_plan_ahead: { type: 'integer', minimum: 0, maximum: 300, description: 'Dynamic resync controller (8.4+); 0 turns it off and uses resync_rate as is.' },
    on_io_error: { type: 'string', enum: ['detach', 'pass_on', 'call-local-io-error'], description: 'default detach' },
    after_sb_0pri: { ...afterSb0, description: 'Split brain, no primary (default disconnect: automatic policies discard writes).' },
    after_sb_1pri: { ...afterSb1, description: 'Split brain, one primary (default disconnect).' },
    after_sb_2pri: { ...afterSb2, description: 'Split brain, two primaries (default disconnect).' },
  },
};

const service: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'A service the cluster keeps alive; its data lives on the replicated volume.',
  properties: {
    unit: { ...unitName, description: 'a systemd unit or init script name (letters, digits and : _ . @ -, not a path; default: the service name)' },
    package: { ...packageName, description: 'Package that provides it, installed on every node when given.' },
    paths: { type: 'array', items: absolutePath, description: 'Data and config paths moved onto the replicated volume (symlinks left behind); not system directories.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port the monitor checks.' },
    resource: { ...resourceName, description: 'DRBD resource whose filesystem holds the data (default: the first).' },
    agent: serviceAgentSchema,
    params: { type: 'object', propertyNames: parameterName, additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] }, description: 'Parameters of an OCF agent (e.g. configfile for ocf:heartbeat:apache).' },
    meta: { type: 'object', propertyNames: parameterName, additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] }, description: 'Pacemaker meta attributes of its resource (e.g. allow-migrate: true for a VirtualDomain); stack: pacemaker only.' },
    files: {
      type: 'array',
      description: 'Configuration files haforge writes for the service (after relocating its paths: a file under one of them lands on the volume, written where it is mounted; elsewhere on every node). Read at the service\'s next start.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: { ...absolutePath, description: 'Where the file goes, e.g. /etc/mysql/mariadb.conf.d/60-cluster.cnf.' },
          content: { type: 'string', description: 'The file\'s content, as written (not a template).' },
          template: { type: 'string', minLength: 1, pattern: '^[^\\0]+$', description: 'A Handlebars template file, relative to the inventory and inside its directory; it sees node, cluster, facts like a playbook\'s templates.' },
          mode: { type: 'string', pattern: '^0?[0-7]{3,4}$', description: 'Octal permission bits, quoted (default "0644").' },
        },
      },
    },
  },
};

const vip: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  description: 'The virtual IP address clients use.',
  properties: {
    address: ipv4,
    cidr_netmask: { type: 'integer', minimum: 1, maximum: 32, description: 'default 24' },
    nic: { ...interfaceName, description: 'Interface to put it on (default: the one routing to it).' },
  },
};

const cluster: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    stack: { enum: ['heartbeat', 'pacemaker'], type: 'string', description: 'The cluster manager.' },
    primary: { ...nodeName, description: 'The node that is primary first and preferred afterwards.' },
    vars,
    groups: { type: 'object', propertyNames: name, additionalProperties: group },
    nodes: { type: 'object', propertyNames: nodeName, additionalProperties: node },
    drbd,
    services: { type: 'object', propertyNames: name, additionalProperties: service, description: 'Services by name.' },
    vip,
    ping_nodes: { type: 'array', items: hostOrAddress, description: 'Hosts (e.g. the gateway) a node must reach to hold the services.' },
    drill: {
      type: 'object',
      additionalProperties: false,
      description: 'What `haforge drill` checks besides its write probe.',
      properties: {
        quiescent: { type: 'array', items: absolutePath, description: 'Paths on the replicated volume nothing writes to (static content, configuration): checksummed before the failure and on the survivor after it.' },
      },
    },
    heartbeat: heartbeatSchema,
    corosync: corosyncSchema,
    pacemaker: pacemakerSchema,
    fencing: fencingSchema,
  },
};

export const inventorySchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://haforge.dev/schemas/inventory.schema.json',
  title: 'haforge inventory',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'clusters'],
  properties: {
    version: { type: 'integer', enum: [1], description: 'Inventory format version.' },
    defaults: {
      type: 'object',
      additionalProperties: false,
      description: 'What every node inherits unless it says otherwise.',
      properties: { ssh, sudo: { type: 'boolean' }, vars },
    },
    clusters: {
      type: 'object',
      description: 'Clusters by name.',
      propertyNames: name,
      additionalProperties: cluster,
    },
  },
};
