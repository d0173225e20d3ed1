// One partition spanning a whole disk (GPT), made only on a disk with no
// signature at all. Equal disks give equal partitions on every node.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop } from '../engine/plan.js';
import { blockDeviceFact, describeSignatures } from '../facts/blockdev.js';
import { firstPartition } from '../drbd/resources.js';

export interface PartitionArgs {
  disk: string;
}

// sfdisk reads the layout from stdin; settle so the partition's device node exists before the next step.
const PARTITION_SCRIPT = `set -e
printf 'label: gpt\\n,,L\\n' | sfdisk --quiet --wipe never "$1"
command -v udevadm >/dev/null 2>&1 && udevadm settle || sleep 1
partx -u "$1" 2>/dev/null || true
test -b "$2"`;

export const partitionOperation: Operation<PartitionArgs> = {
  name: 'partition',
  summary: 'One partition spanning a blank whole disk (GPT); a disk with any signature is refused.',
  idempotent: true,
  predictable: true,
  schema: { type: 'object', additionalProperties: false, required: ['disk'], properties: { disk: { type: 'string', pattern: '^/dev/' } } },
  label: (a) => `partition ${a.disk}`,
  facts: (a) => [request(blockDeviceFact, a.disk), request(blockDeviceFact, firstPartition(a.disk))],
  plan(a, ctx) {
    const part = firstPartition(a.disk);
    const disk = ctx.fact(request(blockDeviceFact, a.disk));
    if (!disk.exists) return fail(`${a.disk} does not exist on ${ctx.node.name}`, 'check the disk name (lsblk)');
    if (ctx.fact(request(blockDeviceFact, part)).exists) return noop(`${part} exists`);
    if (disk.signatures.length) {
      return fail(`${a.disk} holds ${describeSignatures(disk.signatures)}: refusing to partition it`, 'haforge partitions only blank disks; wipe it yourself if its content is disposable');
    }
    return change('blank disk', [{ description: `partition ${a.disk} (blank): one GPT partition ${part}`, argv: ['sh', '-c', PARTITION_SCRIPT, 'haforge-partition', a.disk, part], destructive: true }]);
  },
};
