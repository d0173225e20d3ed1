// The SBD header on a shared disk, written once, guarded like create-md:
// only on a disk that holds nothing, or left alone when it already holds an
// SBD header whose slots belong to this cluster's nodes and whose timeouts
// are the inventory's.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop } from '../engine/plan.js';
import { blockDeviceFact, describeSignatures } from '../facts/blockdev.js';
import { sbdCreateArgv, sbdHeaderFact } from '../fencing/sbd.js';

export interface SbdDeviceArgs {
  device: string;
  watchdog_timeout: number;
  msgwait: number;
}

export const sbdDeviceOperation: Operation<SbdDeviceArgs> = {
  name: 'sbd_device',
  summary: "An SBD header on a shared disk (sbd create): written only on a disk that carries no signature; an existing header of this cluster is kept.",
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['device', 'watchdog_timeout', 'msgwait'],
    properties: {
      device: { type: 'string', pattern: '^/dev/', description: 'the shared disk' },
      watchdog_timeout: { type: 'integer', minimum: 2, description: 'seconds (the header keeps it: it takes precedence over /etc/default/sbd)' },
      msgwait: { type: 'integer', minimum: 4, description: 'seconds' },
    },
  },
  label: (a) => `sbd header on ${a.device}`,
  facts: (a) => [request(sbdHeaderFact, a.device), request(blockDeviceFact, a.device)],
  plan(a, ctx) {
    const header = ctx.fact(request(sbdHeaderFact, a.device));
    const disk = ctx.fact(request(blockDeviceFact, a.device));
    if (!disk.exists) return fail(`SBD disk ${a.device} does not exist on ${ctx.node.name}`, 'check the shared disk (lsblk; a /dev/disk/by-id/ name is the same on every node) and fencing.sbd.devices');
    const nodes = ctx.cluster.nodes.map((n) => n.name);
    if (header.present) {
      const foreign = header.slots.filter((s) => !nodes.includes(s.node)).map((s) => s.node);
      if (foreign.length) {
        return fail(`${a.device} holds an SBD header with slots of ${foreign.join(', ')}, not nodes of cluster ${ctx.cluster.name}: another cluster's SBD disk`, 'give this cluster a disk of its own (fencing.sbd.devices); haforge does not overwrite another cluster\'s fencing');
      }
      if (header.watchdog !== a.watchdog_timeout || header.msgwait !== a.msgwait) {
        return fail(
          `${a.device} holds an SBD header with watchdog ${header.watchdog} s and msgwait ${header.msgwait} s, the inventory says ${a.watchdog_timeout} s and ${a.msgwait} s`,
          'the header is only written on a disk that holds nothing: stop the cluster stack on every node, then `sbd -d DEVICE -1 W -4 M create` by hand, or set the inventory to the header\'s values',
        );
      }
      return noop(`SBD header present (watchdog ${header.watchdog} s, msgwait ${header.msgwait} s${header.slots.length ? `, slots: ${header.slots.map((s) => s.node).join(', ')}` : ''})`);
    }
    if (header.error) return fail(`cannot read ${a.device} on ${ctx.node.name}: ${header.error}`, 'haforge writes an SBD header only on a disk it can prove empty');
    if (disk.signatures.length) {
      return fail(`${a.device} holds ${describeSignatures(disk.signatures)}: refusing to write an SBD header over it`, 'haforge never overwrites data; give SBD a disk of its own, or wipe this one yourself (wipefs -a) if its content is disposable');
    }
    return change('no SBD header on a disk with no signature', [
      { description: `sbd create on ${a.device} (blank): watchdog ${a.watchdog_timeout} s, msgwait ${a.msgwait} s`, argv: sbdCreateArgv(a.device, a.watchdog_timeout, a.msgwait), destructive: true },
    ]);
  },
};
