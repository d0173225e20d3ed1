// A filesystem made once on an empty device, and mounted. On a DRBD device
// both act only where the resource is Primary.
import { request } from '../engine/fact.js';
import { plannedBefore, type Operation, type PlanContext, type PredictContext } from '../engine/operation.js';
import { change, fail, noop, type Step, type TaskPlan } from '../engine/plan.js';
import { describeSignatures, deviceFilesystemFact } from '../facts/blockdev.js';
import { deviceState, drbdStatusFact } from '../drbd/status.js';
import { mountsFact } from '../facts/mounts.js';
import { absolutePath, clusterManagerHere, MANAGER } from './common.js';

const STATUS = request(drbdStatusFact, undefined);
const MOUNTS = request(mountsFact, undefined);
const drbdMinor = (device: string) => /^\/dev\/drbd(\d+)$/.exec(device)?.[1];

/**
 * For /dev/drbdN not up yet: the first promotion of its resource planned on
 * this node earlier in the run (on disks that got new metadata), which a
 * prediction rests on; else undefined.
 */
function firstPromotionPlanned(device: string, ctx: PredictContext): string | undefined {
  const minor = drbdMinor(device);
  if (minor === undefined) return undefined;
  const promotion = plannedBefore(ctx, 'drbd_primary', { minor: Number(minor) }, ctx.node.name).find((e) => e.plan.steps.some((s) => s.destructive));
  return promotion && `first promotion of ${(promotion.args as { resource: string }).resource} planned on ${ctx.node.name} (${promotion.plan.predicted?.join('; ') ?? promotion.plan.reason})`;
}

/** For /dev/drbdN: why this node must leave it alone (not Primary), else undefined. */
function notPrimaryHere(device: string, ctx: PlanContext): TaskPlan | undefined {
  const minor = drbdMinor(device);
  if (minor === undefined) return undefined;
  const dev = deviceState(ctx.fact(STATUS), Number(minor));
  if (!dev) return fail(`${device} is not up on ${ctx.node.name}`, 'bring the DRBD resource up first');
  if (dev.role !== 'Primary') return noop(`${device} is ${dev.role} here${dev.peerRole === 'Primary' ? ' (Primary on the peer)' : ''}`);
  return undefined;
}

export interface FilesystemArgs {
  device: string;
  type: 'ext4' | 'xfs';
  label?: string;
}

export const filesystemOperation: Operation<FilesystemArgs> = {
  name: 'filesystem',
  summary: 'A filesystem on a device: made (mkfs) only when the device carries no signature at all; never remade.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['device', 'type'],
    properties: {
      device: { type: 'string', pattern: '^/dev/' },
      type: { type: 'string', enum: ['ext4', 'xfs'] },
      label: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,12}$', description: 'a filesystem label of 1-12 letters, digits, _ or -' },
    },
  },
  label: (a) => `filesystem ${a.type} on ${a.device}`,
  facts: (a) => [STATUS, request(deviceFilesystemFact, a.device)],
  plan(a, ctx) {
    const skip = notPrimaryHere(a.device, ctx);
    if (skip) return skip;
    const found = ctx.fact(request(deviceFilesystemFact, a.device));
    if ('mountedAs' in found) {
      if (found.mountedAs === a.type) return noop(`${a.type} present (mounted)`);
      return fail(`${a.device} is mounted as ${found.mountedAs}, not ${a.type}: refusing to make a filesystem over it`, 'haforge never reformats; if the data is disposable, unmount and wipe it yourself and run again');
    }
    if ('readOnly' in found) return fail(`${a.device} is read-only on ${ctx.node.name}`, 'a filesystem is made where the device can be written (on DRBD: the Primary)');
    const dev = found.probed;
    if (!dev.exists) return fail(`${a.device} does not exist on ${ctx.node.name}`);
    if (dev.unreadable) return fail(`cannot read ${a.device} on ${ctx.node.name}: ${dev.unreadable}`, 'haforge makes a filesystem only on a device it can prove empty');
    if (dev.signatures.some((s) => s.type === a.type)) return noop(`${a.type} present`);
    if (dev.signatures.length > 0) {
      return fail(`${a.device} holds ${describeSignatures(dev.signatures)}, not ${a.type}: refusing to make a filesystem over it`, 'haforge never reformats; if the data is disposable, wipe it yourself and run again');
    }
    return change('no signature on the device', [mkfsStep(a)]);
  },
  // A DRBD device made on blank disks in this run carries no signature either.
  predict(a, ctx) {
    const basis = firstPromotionPlanned(a.device, ctx);
    return basis ? change('a new DRBD device on blank disks: no signature', [mkfsStep(a)], { predicted: [basis] }) : undefined;
  },
};

function mkfsStep(a: FilesystemArgs): Step {
  const label = a.label ? ['-L', a.label] : [];
  const argv = a.type === 'xfs' ? ['mkfs.xfs', '-q', ...label, a.device] : ['mkfs.ext4', '-q', ...label, a.device];
  return { description: `mkfs.${a.type} ${a.device} (the device is empty)`, argv, destructive: true };
}

export interface MountArgs {
  path: string;
  device: string;
  fstype: string;
  options?: string;
  state?: 'mounted' | 'unmounted';
}

export const mountOperation: Operation<MountArgs> = {
  name: 'mount',
  summary: 'A device mounted (or not) on a path, now; boot-time mounting is the fstab/cluster manager business.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'device', 'fstype'],
    properties: {
      path: absolutePath,
      device: { type: 'string', pattern: '^/dev/' },
      fstype: { type: 'string', minLength: 1 },
      options: { type: 'string', minLength: 1 },
      state: { type: 'string', enum: ['mounted', 'unmounted'] },
    },
  },
  label: (a) => `mount ${a.device} on ${a.path}`,
  facts: (a) => [STATUS, MOUNTS, ...(drbdMinor(a.device) === undefined ? [] : [MANAGER])],
  plan(a, ctx) {
    const mounts = ctx.fact(MOUNTS);
    const here = mounts.filter((m) => m.path === a.path);
    const ours = here.find((m) => m.device === a.device);
    if ((a.state ?? 'mounted') === 'unmounted') {
      return ours ? change('mounted', [{ description: `umount ${a.path}`, argv: ['umount', a.path] }]) : noop('not mounted');
    }
    if (ours) return noop(`mounted (${ours.fstype})`);
    if (here.length) return fail(`${a.path} already has ${here[here.length - 1]!.device} mounted on it`, 'unmount it first, or choose another mount point');
    const elsewhere = mounts.find((m) => m.device === a.device);
    if (elsewhere) return fail(`${a.device} is already mounted on ${elsewhere.path}`);
    const skip = notPrimaryHere(a.device, ctx);
    if (skip) return skip;
    const manager = drbdMinor(a.device) === undefined ? undefined : clusterManagerHere(ctx);
    if (manager) return noop(`not mounted, and ${manager} runs on ${ctx.node.name}: it mounts ${a.device} where it runs the services`);
    return change('not mounted', [mountStep(a)]);
  },
  predict(a, ctx) {
    const basis = (a.state ?? 'mounted') === 'mounted' && !clusterManagerHere(ctx) ? firstPromotionPlanned(a.device, ctx) : undefined;
    return basis ? change('Primary here once promoted: mounted', [mountStep(a)], { predicted: [basis] }) : undefined;
  },
};

const mountStep = (a: MountArgs): Step => ({ description: `mount ${a.device} ${a.path}`, argv: ['mount', '-t', a.fstype, '-o', a.options ?? 'defaults', a.device, a.path] });
