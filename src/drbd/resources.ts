// DRBD resources of an inventory: defaults filled in (minor, port, device,
// filesystem) and cross-checked against the cluster's nodes (a backing disk
// for every node, minors and ports used once), and the first partition of a disk
// haforge is asked to partition.
import { UserError } from '../errors.js';
import type { DrbdSpec } from '../inventory/model.js';
import { didYouMean } from '../schema/suggest.js';

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
  const usedPorts = new Map<number, string>();
  const resources = names.map((name, index) => {
    const r = raw.resources[name]!;
    const minor = r.minor ?? index;
    const other = usedMinors.get(minor);
    if (other) errors.push(new UserError(`resources ${other} and ${name} both use minor ${minor}`, { position: at('clusters', cluster, 'drbd', 'resources', name), hint: 'give each resource its own minor' }));
    usedMinors.set(minor, name);
    const port = r.port ?? 7788 + minor;
    const sharer = usedPorts.get(port);
    if (sharer) errors.push(new UserError(`resources ${sharer} and ${name} both replicate on TCP port ${port}`, { position: at('clusters', cluster, 'drbd', 'resources', name), hint: 'give each resource its own port (default 7788 + its minor)' }));
    usedPorts.set(port, name);
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
      port,
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
