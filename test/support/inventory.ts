// Inventories for the test nodes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { TestNode } from './nodes.js';

export interface TestInventoryOptions {
  cluster?: string;
  knownHostsFile?: string;
  /** Per-node overrides merged into the node entry. */
  nodeExtra?: Record<string, Record<string, unknown>>;
  vars?: Record<string, unknown>;
}

export function writeTestInventory(dir: string, nodes: TestNode[], opts: TestInventoryOptions = {}): string {
  const file = path.join(dir, 'inventory.yaml');
  const doc = {
    version: 1,
    defaults: {
      ssh: { user: 'root', identity_file: nodes[0]!.identityFile, known_hosts: opts.knownHostsFile ?? nodes[0]!.knownHostsFile },
      vars: { app_port: 8080, secret_value: 's3cr3t-never-printed' },
    },
    clusters: {
      [opts.cluster ?? 'test']: {
        stack: 'pacemaker',
        primary: nodes[0]!.name,
        vars: opts.vars ?? {},
        nodes: Object.fromEntries(nodes.map((n) => [n.name, { address: n.address, ...opts.nodeExtra?.[n.name] }])),
      },
    },
  };
  writeFileSync(file, stringify(doc));
  return file;
}
