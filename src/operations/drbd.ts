// DRBD resources through their life: metadata created once, brought up,
// promoted for the first time with the initial sync (or without it on
// truly blank disks). Every destructive step stands on facts read just
// before it and says which fact makes it safe.
import { request } from '../engine/fact.js';
import { plannedBefore, type Operation, type PlanContext } from '../engine/operation.js';
import type { NodeSpec } from '../inventory/model.js';
import { change, fail, noop, type Step, type TaskPlan } from '../engine/plan.js';
import { blockDeviceFact, describeSignatures, foreignSignatures, zeroHeadFact } from '../facts/blockdev.js';
import { drbdMetadataFact } from '../drbd/metadata.js';
import { clearBitmapArgv, forcePrimaryArgv } from '../drbd/commands.js';
import { deviceState, drbdStatusFact, whileDrbdDown, type DrbdDeviceState } from '../drbd/status.js';
import { drbdWait, waitForSync } from '../drbd/waits.js';
import { clusterManagerHere, MANAGER } from './common.js';

const resourceName = { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'a DRBD resource name' } as const;
const STATUS = request(drbdStatusFact, undefined);

// ---------------------------------------------------------------- metadata

export interface DrbdMetadataArgs {
  resource: string;
  disk: string;
  minor: number;
  reuse?: boolean;
}

export const drbdMetadataOperation: Operation<DrbdMetadataArgs> = {
  name: 'drbd_metadata',
  summary: 'DRBD metadata on the backing disk: created once (create-md), only on a disk that carries no other signature.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['resource', 'disk', 'minor'],
    properties: {
      resource: resourceName,
      disk: { type: 'string', pattern: '^/dev/', description: 'the backing device' },
      minor: { type: 'integer', minimum: 0 },
      reuse: { type: 'boolean', description: 'Keep existing DRBD metadata (never recreate it).' },
    },
  },
  label: (a) => `drbd metadata ${a.resource} on ${a.disk}`,
  facts: (a) => [STATUS, ...metadataFacts(a)],
  plan(a, ctx) {
    const [diskFact, metaFact] = metadataFacts(a);
    const [disk, meta] = [ctx.fact(diskFact!), ctx.fact(metaFact!)];
    if (deviceState(ctx.fact(STATUS), a.minor) || !disk || !meta) return noop(`${a.resource} is up (metadata in use)`);
    if (!disk.exists) return fail(`backing disk ${a.disk} does not exist on ${ctx.node.name}`, 'check the disk name (lsblk) and the inventory (drbd.resources / node disks)');
    if (meta.state === 'present' || disk.signatures.some((s) => s.type === 'drbd')) return noop('DRBD metadata present');
    const foreign = foreignSignatures(disk);
    if (foreign.length > 0) {
      return fail(
        `${a.disk} on ${ctx.node.name} holds ${describeSignatures(foreign)}: refusing to create DRBD metadata over it`,
        `haforge never overwrites data. If it is disposable, wipe it yourself (wipefs -a ${a.disk}) and run again; otherwise move the data off first`,
      );
    }
    if (meta.state === 'unknown') return fail(`cannot tell whether ${a.disk} holds DRBD metadata: ${meta.detail}`, 'is the resource file installed? drbdadm dump-md must be able to read it');
    return change('no metadata on a disk with no signature', [createMdStep(a)]);
  },
  // drbdadm cannot read metadata before drbd-utils and the resource file are there; a disk with no signature at all gets it.
  predict(a, ctx) {
    const [diskFact, metaFact] = metadataFacts(a);
    const [disk, meta] = [ctx.fact(diskFact), ctx.fact(metaFact)];
    // Only where drbdadm could not tell (a disk it called present or absent was planned on that).
    if (meta?.state !== 'unknown' || !disk?.exists || disk.unreadable || disk.signatures.length) return undefined;
    return change('no signature on the disk: metadata will be created', [createMdStep(a)], { predicted: [`${a.disk} on ${ctx.node.name} carries no signature (read now)`] });
  },
};

const createMdStep = (a: DrbdMetadataArgs): Step => ({ description: `drbdadm create-md ${a.resource} (${a.disk} is blank)`, argv: ['drbdadm', '--force', 'create-md', a.resource], destructive: true });

/** The disk's signatures and its DRBD metadata: read only while the resource is down. */
function metadataFacts(a: DrbdMetadataArgs) {
  return [request(whileDrbdDown(blockDeviceFact, a.minor), a.disk), request(whileDrbdDown(drbdMetadataFact, a.minor), a.resource)] as const;
}

// ---------------------------------------------------------------- up

export interface DrbdUpArgs {
  resource: string;
  minor: number;
}

export const drbdUpOperation: Operation<DrbdUpArgs> = {
  name: 'drbd_up',
  summary: 'The DRBD resource attached to its disk and connecting to its peers (drbdadm up).',
  idempotent: true,
  predictable: true,
  schema: { type: 'object', additionalProperties: false, required: ['resource', 'minor'], properties: { resource: resourceName, minor: { type: 'integer', minimum: 0 } } },
  label: (a) => `drbd up ${a.resource}`,
  facts: () => [STATUS],
  plan(a, ctx) {
    const dev = deviceState(ctx.fact(STATUS), a.minor);
    if (dev) return noop(`up: ${dev.connection} ${dev.role}/${dev.peerRole} ${dev.disk}/${dev.peerDisk}`);
    return change('not up', [{ description: `drbdadm up ${a.resource}`, argv: ['drbdadm', 'up', a.resource] }]);
  },
};

// ---------------------------------------------------------------- adjust

export const drbdAdjustOperation: Operation<DrbdUpArgs> = {
  name: 'drbd_adjust',
  summary: "A changed configuration applied to a resource that is up (drbdadm adjust); a resource not up yet is left to drbd_up.",
  idempotent: false,
  predictable: true,
  schema: { type: 'object', additionalProperties: false, required: ['resource', 'minor'], properties: { resource: resourceName, minor: { type: 'integer', minimum: 0 } } },
  label: (a) => `drbd adjust ${a.resource}`,
  facts: () => [STATUS],
  plan(a, ctx) {
    if (!deviceState(ctx.fact(STATUS), a.minor)) return noop(`${a.resource} is not up: it starts with the new configuration`);
    return change('configuration changed', [{ description: `drbdadm adjust ${a.resource}`, argv: ['drbdadm', 'adjust', a.resource] }]);
  },
};

// ---------------------------------------------------------------- promote / initial sync

export interface DrbdPrimaryArgs {
  resource: string;
  minor: number;
  disk: string;
  /** sync: full initial sync from here; skip: declare blank disks in sync (new-current-uuid --clear-bitmap). */
  initial_sync?: 'sync' | 'skip';
  /** Wait for the sync to finish (default true). */
  wait?: boolean;
  timeout?: number;
}

const SKIP_CHECK_BYTES = 16 * 1024 * 1024;

function promoteSteps(ctx: PlanContext, a: DrbdPrimaryArgs): Step[] {
  const family = ctx.system.drbd.family;
  if (a.initial_sync === 'skip') {
    return [
      { description: `drbdadm new-current-uuid --clear-bitmap ${a.resource} (blank disks: no initial sync)`, argv: clearBitmapArgv(family, a.resource), destructive: true },
      { description: `drbdadm primary ${a.resource}`, argv: ['drbdadm', 'primary', a.resource] },
    ];
  }
  return [{ description: `drbdadm primary --force ${a.resource} (initial sync: this node's data overwrites the peer's)`, argv: forcePrimaryArgv(family, a.resource), destructive: true }];
}

export const drbdPrimaryOperation: Operation<DrbdPrimaryArgs> = {
  name: 'drbd_primary',
  summary: 'This node Primary for the resource; the first time, the initial sync from here (only when both sides are Inconsistent) and a wait for UpToDate/UpToDate.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['resource', 'minor', 'disk'],
    properties: {
      resource: resourceName,
      minor: { type: 'integer', minimum: 0 },
      disk: { type: 'string', pattern: '^/dev/' },
      initial_sync: { type: 'string', enum: ['sync', 'skip'], description: 'skip: only for truly blank disks (refused otherwise).' },
      wait: { type: 'boolean', description: 'Wait for the sync to finish (default true).' },
      timeout: { type: 'integer', minimum: 1, description: 'Seconds to wait for the sync (default 3600).' },
    },
  },
  label: (a) => `drbd primary ${a.resource}`,
  // The blank check reads 16 MiB of the disk on every node: only when asked to skip the initial sync.
  facts: (a) => [STATUS, MANAGER, ...(a.initial_sync === 'skip' ? blankFacts(a.disk) : [])],
  peerFacts: (a, peer) => (a.initial_sync === 'skip' ? [...blankFacts(diskOn(peer, a))] : []),
  plan(a, ctx): TaskPlan {
    const dev = deviceState(ctx.fact(STATUS), a.minor);
    if (!dev) return fail(`${a.resource} is not up on ${ctx.node.name}`, 'bring it up first (drbd_up)');
    const wait = a.wait === false ? [] : [waitForSync(a)];
    const inSync = dev.disk === 'UpToDate' && dev.peerDisk === 'UpToDate';
    if (dev.role === 'Primary') return inSync || wait.length === 0 ? noop(`Primary, ${dev.disk}/${dev.peerDisk}`) : { steps: wait, reason: `Primary, syncing (${dev.disk}/${dev.peerDisk})` };
    if (dev.peerRole === 'Primary') return noop(`the peer is Primary: ${a.resource} is in use there`);
    const manager = clusterManagerHere(ctx);
    if (manager) return noop(`${manager} runs on ${ctx.node.name}: it decides where ${a.resource} is Primary (${dev.role} here, ${dev.disk}/${dev.peerDisk}; haforge status shows where it runs)`);
    if (dev.disk === 'UpToDate') return change(`Secondary with good data (${dev.disk}/${dev.peerDisk})`, [{ description: `drbdadm primary ${a.resource}`, argv: ['drbdadm', 'primary', a.resource] }, ...wait]);
    return initialSync(a, ctx, dev, wait);
  },
  // New metadata on every node's disk means both sides come up Inconsistent: the first promotion.
  predict(a, ctx) {
    const nodes = ctx.cluster.nodes.map((n) => n.name);
    const made = plannedBefore(ctx, 'drbd_metadata', { resource: a.resource }).map((e) => e.host);
    if (!nodes.every((n) => made.includes(n)) || clusterManagerHere(ctx)) return undefined;
    if (a.initial_sync === 'skip' && notBlankForSkip(a, ctx)) return undefined;
    const wait = a.wait === false || a.initial_sync === 'skip' ? [] : [waitForSync(a)];
    return change('both sides Inconsistent once their metadata is new: first promotion', [...promoteSteps(ctx, a), ...wait], {
      predicted: [`create-md planned on ${nodes.join(', ')} (blank disks)`],
    });
  },
};

function initialSync(a: DrbdPrimaryArgs, ctx: PlanContext, dev: DrbdDeviceState, wait: Step[]): TaskPlan {
  if (dev.disk !== 'Inconsistent') return fail(`${a.resource} on ${ctx.node.name} is ${dev.disk}: no safe way to promote it`, 'look at haforge status / drbdadm status; promote by hand if you know which data is good');
  if (dev.connection !== 'Connected') {
    return fail(
      `${a.resource} is ${dev.connection}: the peer is not connected, so haforge cannot see that its disk is Inconsistent too`,
      'start the peer (drbdadm up) and check the replication network (haforge preflight); the initial sync needs both sides connected',
    );
  }
  if (dev.peerDisk !== 'Inconsistent') {
    return fail(`the peer's disk is ${dev.peerDisk}: it may hold the good data; refusing to overwrite it from ${ctx.node.name}`, 'promote the node whose data is good');
  }
  if (a.initial_sync === 'skip') {
    const notBlank = notBlankForSkip(a, ctx);
    if (notBlank) return notBlank;
  }
  return change(`both sides Inconsistent${a.initial_sync === 'skip' ? ', disks blank' : ''}: first promotion`, [...promoteSteps(ctx, a), ...(a.initial_sync === 'skip' ? [] : wait)]);
}

/** The resource's backing disk on another node (the inventory's per-node disk). */
const diskOn = (peer: NodeSpec, a: DrbdPrimaryArgs) => peer.disks[a.resource] ?? a.disk;

/** The disk's signatures and its first 16 MiB: what proves a disk blank. */
function blankFacts(disk: string) {
  return [request(blockDeviceFact, disk), request(zeroHeadFact, { device: disk, bytes: SKIP_CHECK_BYTES })] as const;
}

/**
 * --skip-initial-sync declares both disks identical without copying: only
 * true when every node's disk is blank (no signature, first 16 MiB zero),
 * read on each node right before. A node whose disk could not be read refuses too.
 */
function notBlankForSkip(a: DrbdPrimaryArgs, ctx: PlanContext): TaskPlan | undefined {
  const [ownDisk, ownHead] = blankFacts(a.disk);
  const disks = [{ node: ctx.node.name, disk: a.disk, state: ctx.fact(ownDisk), head: ctx.fact(ownHead) }];
  const peerStates = ctx.peerFacts((peer) => blankFacts(diskOn(peer, a))[0]);
  const peerHeads = ctx.peerFacts((peer) => blankFacts(diskOn(peer, a))[1]);
  for (const peer of ctx.cluster.nodes.filter((n) => n.name !== ctx.node.name)) {
    const state = peerStates.find((x) => x.node === peer.name)?.value;
    const head = peerHeads.find((x) => x.node === peer.name)?.value;
    if (!state || !head) return fail(`--skip-initial-sync refused: ${peer.name}'s disk could not be read`, `the blank check reads the disk on every node: run with ${peer.name} reachable and in the run (no --limit)`);
    disks.push({ node: peer.name, disk: diskOn(peer, a), state, head });
  }
  for (const d of disks) {
    const foreign = foreignSignatures(d.state);
    if (foreign.length || !d.head.zero) {
      return fail(
        `--skip-initial-sync refused: ${d.disk} on ${d.node} is not blank (${foreign.length ? describeSignatures(foreign) : 'its first 16 MiB are not zero'})`,
        'skipping the sync is only safe on disks that are zero on every node; run without it to do the full initial sync',
      );
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- wait for the peer

export interface DrbdConnectedArgs {
  resource: string;
  minor: number;
  timeout?: number;
}

/**
 * How long a StandAlone resource gets to connect while a cluster manager runs:
 * its agent brings DRBD up in steps (attach, then connect), and after a boot
 * the first connect can fail and be retried by the next notification. Seen
 * in the lab: 12.5 s StandAlone after both nodes rebooted.
 */
export const STANDALONE_GRACE_MS = 30_000;

export const drbdConnectedOperation: Operation<DrbdConnectedArgs> = {
  name: 'drbd_connected',
  summary: 'Wait until the resource is connected to its peer (after drbdadm up on both nodes).',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['resource', 'minor'],
    properties: { resource: resourceName, minor: { type: 'integer', minimum: 0 }, timeout: { type: 'integer', minimum: 1, description: 'Seconds (default 120).' } },
  },
  label: (a) => `drbd ${a.resource} connected`,
  facts: () => [STATUS, MANAGER],
  predict(a, ctx) {
    if (!plannedBefore(ctx, 'drbd_up', { resource: a.resource }, ctx.node.name).length) return undefined;
    return { reason: 'brought up in this run: waiting for the peer', steps: [connectWait(a, clusterManagerHere(ctx), ctx.node.name)], predicted: [`drbd up ${a.resource} planned on ${ctx.node.name}`] };
  },
  plan(a, ctx) {
    const dev = deviceState(ctx.fact(STATUS), a.minor);
    if (!dev) return fail(`${a.resource} is not up on ${ctx.node.name}`, 'bring it up first (drbd_up)');
    if (dev.connection === 'Connected') return noop(`connected (${dev.replication ?? 'Established'})`);
    const manager = clusterManagerHere(ctx);
    // Nobody else will connect it: say so now. Under a cluster manager it may be mid-start: give it a while.
    if (dev.connection === 'StandAlone' && !manager) return fail(standAloneMessage(a, ctx.node.name), STANDALONE_HINT);
    return {
      reason: dev.connection === 'StandAlone' ? `StandAlone while ${manager} runs: waiting up to ${STANDALONE_GRACE_MS / 1000} s for it to connect` : `${dev.connection}: waiting for the peer`,
      steps: [connectWait(a, manager, ctx.node.name)],
    };
  },
};

const standAloneMessage = (a: DrbdConnectedArgs, node: string) => `${a.resource} on ${node} is StandAlone: it will not connect by itself`;
const STANDALONE_HINT = 'a split brain or a refused peer: run haforge split-brain to see why, or drbdadm connect when you know';

/** Waits until the resource is Connected; StandAlone ends it, at once without a cluster manager, after the grace with one. */
function connectWait(a: DrbdConnectedArgs, manager: string | undefined, node: string): Step {
  let standAloneSince: number | undefined;
  return drbdWait(`wait for ${a.resource} to connect`, a.minor, a.timeout ?? 120, (d) => {
    if (!d) return { done: false, error: `${a.resource} went down` };
    if (d.connection !== 'StandAlone') standAloneSince = undefined;
    else if (!manager) return { done: false, error: `${a.resource} went StandAlone (split brain or refused peer)`, hint: STANDALONE_HINT };
    else if (Date.now() - (standAloneSince ??= Date.now()) > STANDALONE_GRACE_MS) return { done: false, error: `${standAloneMessage(a, node)} (for ${STANDALONE_GRACE_MS / 1000} s, with ${manager} running)`, hint: STANDALONE_HINT };
    return { done: d.connection === 'Connected', progress: `${a.resource}: ${d.connection}` };
  });
}
