// The inventory's schema: validates inventory files and is published as
// schemas/inventory.schema.json (`haforge inventory schema --write`).
import type { Schema } from '../schema/types.js';

const name: Schema = {
  type: 'string',
  pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
  description: 'a host name as `uname -n` prints it (letters, digits, dashes)',
};

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
    host: { type: 'string', minLength: 1, description: 'Address to connect to (overrides the node address).' },
    user: { type: 'string', minLength: 1, description: 'Login user; not root needs sudo: true.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SSH port.' },
    identity_file: { type: 'string', minLength: 1, description: 'Private key file (OpenSSH or PEM format).' },
    known_hosts: { type: 'string', minLength: 1, description: 'known_hosts file that host keys are verified against.' },
    proxy_jump: { type: 'string', minLength: 1, description: 'Jump host, as in ssh -J: [user@]host[:port].' },
  },
};

const node: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: { type: 'string', minLength: 1, description: 'Address or DNS name haforge connects to over SSH.' },
    replication_address: {
      type: 'string',
      minLength: 1,
      description: 'Address on the replication network (DRBD, cluster traffic).',
    },
    ssh,
    sudo: { type: 'boolean', description: 'Run commands through `sudo -n` (for a non-root SSH user).' },
    vars,
  },
};

const group: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    nodes: { type: 'array', items: name, minItems: 1, description: 'Members of the group.' },
    vars,
  },
};

const cluster: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    stack: { enum: ['heartbeat', 'pacemaker'], type: 'string', description: 'The cluster manager.' },
    primary: { ...name, description: 'The node that is primary first and preferred afterwards.' },
    vars,
    groups: { type: 'object', propertyNames: name, additionalProperties: group },
    nodes: { type: 'object', propertyNames: name, additionalProperties: node },
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
