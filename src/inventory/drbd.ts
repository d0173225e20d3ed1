// DRBD, services and VIP of a cluster: defaults filled in and cross-checked
// against the cluster's nodes.
import { UserError } from '../errors.js';
import { didYouMean } from '../schema/suggest.js';
import type { DrbdSpec, ServiceSpec, VipSpec } from './model.js';
import { parseServiceAgent } from './stack.js';

export interface RawDrbdResource {
  disk?: string;
  minor?: number;
  port?: number;
  partition?: boolean;
  filesystem?: 'ext4' | 'xfs';
  mount?: string;
  mount_options?: string;
  reuse?: boolean;
}
export interface RawDrbd {
  resources: Record<string, RawDrbdResource>;
  protocol?: 'A' | 'B' | 'C';
  resync_rate?: string;
  c_plan_ahead?: number;
  on_io_error?: string;
  after_sb_0pri?: string;
  after_sb_1pri?: string;
  after_sb_2pri?: string;
}
export interface RawService {
  unit?: string;
  package?: string;
  paths?: string[];
  port?: number;
  resource?: string;
  agent?: string;
  params?: Record<string, string | number | boolean>;
}
export interface RawVip {
  address: string;
  cidr_netmask?: number;
  nic?: string;
}

type At = (...path: (string | number)[]) => UserError['position'];

/** The first partition of a whole disk: /dev/vdb -> /dev/vdb1, /dev/nvme0n1 -> /dev/nvme0n1p1. */
export function firstPartition(disk: string): string {
  return /\d$/.test(disk) ? `${disk}p1` : `${disk}1`;
}

export function resolveDrbd(
  cluster: string,
  raw: RawDrbd,
  nodeDisks: Record<string, Record<string, string> | undefined>,
  errors: UserError[],
  warnings: string[],
  at: At,
): { spec: DrbdSpec; disks: Record<string, Record<string, string>> } {
  const names = Object.keys(raw.resources);
  const disks: Record<string, Record<string, string>> = Object.fromEntries(Object.keys(nodeDisks).map((n) => [n, {}]));
  const usedMinors = new Map<number, string>();
  const resources = names.map((name, index) => {
    const r = raw.resources[name]!;
    const minor = r.minor ?? index;
    const other = usedMinors.get(minor);
    if (other) errors.push(new UserError(`resources ${other} and ${name} both use minor ${minor}`, { position: at('clusters', cluster, 'drbd', 'resources', name), hint: 'give each resource its own minor' }));
    usedMinors.set(minor, name);
    const wholeDisks: Record<string, string> = {};
    for (const [node, overrides] of Object.entries(nodeDisks)) {
      const disk = overrides?.[name] ?? r.disk;
      if (!disk) {
        errors.push(
          new UserError(`resource '${name}' has no backing disk for node '${node}'`, {
            position: at('clusters', cluster, 'drbd', 'resources', name),
            hint: `set disk: on the resource, or disks: { ${name}: /dev/... } on the node`,
          }),
        );
        continue;
      }
      wholeDisks[node] = disk;
      disks[node]![name] = r.partition ? firstPartition(disk) : disk;
    }
    return {
      name,
      minor,
      device: `/dev/drbd${minor}`,
      port: r.port ?? 7788 + minor,
      wholeDisks: r.partition ? wholeDisks : undefined,
      filesystem: r.filesystem ?? 'ext4',
      mount: r.mount,
      mountOptions: r.mount_options ?? 'defaults',
      reuse: r.reuse ?? false,
    };
  });
  for (const [node, overrides] of Object.entries(nodeDisks)) {
    for (const res of Object.keys(overrides ?? {})) {
      if (!names.includes(res)) {
        errors.push(new UserError(`node '${node}' gives a disk for unknown resource '${res}'${didYouMean(res, names)}`, { position: at('clusters', cluster, 'nodes', node, 'disks', res) }));
      }
    }
  }
  const afterSb = { pri0: raw.after_sb_0pri ?? 'disconnect', pri1: raw.after_sb_1pri ?? 'disconnect', pri2: raw.after_sb_2pri ?? 'disconnect' };
  const automatic = Object.entries(afterSb).filter(([, v]) => v !== 'disconnect');
  if (automatic.length) {
    warnings.push(
      `cluster '${cluster}': automatic split-brain recovery (${automatic.map(([k, v]) => `after-sb-${k.slice(3)}pri ${v}`).join(', ')}) silently discards one node's writes; haforge's default is disconnect and a repair you decide (haforge split-brain)`,
    );
  }
  return {
    spec: {
      resources,
      protocol: raw.protocol ?? 'C',
      resyncRate: raw.resync_rate ?? '100M',
      cPlanAhead: raw.c_plan_ahead,
      onIoError: raw.on_io_error ?? 'detach',
      afterSb,
    },
    disks,
  };
}

export function resolveServices(cluster: string, raw: Record<string, RawService> | undefined, drbd: DrbdSpec | undefined, errors: UserError[], at: At): ServiceSpec[] {
  return Object.entries(raw ?? {}).map(([name, s]) => {
    const resources = drbd?.resources.map((r) => r.name) ?? [];
    const resource = s.resource ?? resources[0];
    if (s.paths?.length && !drbd) {
      errors.push(new UserError(`service '${name}' has paths to relocate but the cluster has no drbd: section`, { position: at('clusters', cluster, 'services', name, 'paths') }));
    } else if (s.resource && !resources.includes(s.resource)) {
      errors.push(new UserError(`service '${name}' names unknown resource '${s.resource}'${didYouMean(s.resource, resources)}`, { position: at('clusters', cluster, 'services', name, 'resource') }));
    } else if (s.paths?.length && resource && !drbd!.resources.find((r) => r.name === resource)!.mount) {
      errors.push(new UserError(`service '${name}' keeps its data on resource '${resource}', which has no mount point`, { position: at('clusters', cluster, 'drbd', 'resources', resource), hint: 'add mount: /some/path to the resource' }));
    }
    const unit = s.unit ?? name;
    const params = Object.fromEntries(Object.entries(s.params ?? {}).map(([k, v]) => [k, String(v)]));
    return { name, unit, agent: parseServiceAgent(s.agent, unit), params, package: s.package, paths: s.paths ?? [], port: s.port, resource };
  });
}

export function resolveVip(raw: RawVip | undefined): VipSpec | undefined {
  return raw ? { address: raw.address, cidrNetmask: raw.cidr_netmask ?? 24, nic: raw.nic } : undefined;
}
