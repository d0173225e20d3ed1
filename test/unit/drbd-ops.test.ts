// drbd_primary and mount planned over captured facts: once a cluster
// manager runs on the node, neither promotes nor mounts behind its back
// (a re-run after a failover, or while the manager keeps the group stopped).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { FactRequest } from '../../src/engine/fact.js';
import type { EarlierChange, PlanContext, PredictContext } from '../../src/engine/operation.js';
import type { TaskPlan } from '../../src/engine/plan.js';
import { drbdStatusFact } from '../../src/drbd/status.js';
import { parseMounts } from '../../src/facts/mounts.js';
import { parseRunningManager } from '../../src/facts/running-manager.js';
import { drbdAdjustOperation, drbdConnectedOperation, drbdMetadataOperation, drbdPrimaryOperation, STANDALONE_GRACE_MS } from '../../src/operations/drbd.js';
import { filesystemOperation, mountOperation } from '../../src/operations/filesystem.js';
import { parseBlockDevice, type DeviceFilesystem } from '../../src/facts/blockdev.js';

const fixture = (dir: string, name: string) => readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');
const procSection = (proc: string) => drbdStatusFact.parse(`== proc\n${proc}`, 0);
// Captured on the lab's standby node (Secondary/Primary); with the peer's role rewritten it is the
// state a cluster manager leaves when it keeps the group stopped on both nodes.
const SECONDARY_PEER_PRIMARY = fixture('drbd', 'lab-8.4-proc-connected-secondary.txt');
const BOTH_SECONDARY = SECONDARY_PEER_PRIMARY.replace('ro:Secondary/Primary', 'ro:Secondary/Secondary');
const PRIMARY = fixture('drbd', 'lab-8.4-proc-connected-primary.txt');
// The running-manager fact's output (pacemakerd, heartbeat; then Pacemaker's maintenance-mode).
const MANAGERS = {
  none: parseRunningManager('== active\ninactive\ninactive\n== maintenance\n'),
  heartbeat: parseRunningManager('== active\ninactive\nactive\n== maintenance\n'),
  pacemaker: parseRunningManager('== active\nactive\ninactive\n== maintenance\nfalse\n'),
};
const NOT_MOUNTED = parseMounts(fixture('drbd', 'lab-8.4-sb-mounts-node2.txt').split('\n').filter((l) => !l.includes('drbd0')).join('\n'));

function ctx(proc: string, manager: keyof typeof MANAGERS): PlanContext {
  const values: Record<string, unknown> = { 'drbd-status': procSection(proc), 'running-manager': MANAGERS[manager], mounts: NOT_MOUNTED };
  return {
    node: { name: 'node1' },
    fact: (req: FactRequest) => {
      if (!(req.fact.id in values)) throw new Error(`unexpected fact ${req.fact.id}`);
      return values[req.fact.id];
    },
  } as unknown as PlanContext;
}

const PRIMARY_ARGS = { resource: 'r0', minor: 0, disk: '/dev/vdb' };
const MOUNT_ARGS = { path: '/replicated', device: '/dev/drbd0', fstype: 'ext4' };

describe('drbd_primary and mount under a running cluster manager', () => {
  it('ask for the running-manager fact (mount only for DRBD devices)', () => {
    expect(drbdPrimaryOperation.facts!(PRIMARY_ARGS).map((r) => r.fact.id)).toContain('running-manager');
    expect(mountOperation.facts!(MOUNT_ARGS).map((r) => r.fact.id)).toContain('running-manager');
    expect(mountOperation.facts!({ ...MOUNT_ARGS, device: '/dev/vdc' }).map((r) => r.fact.id)).not.toContain('running-manager');
  });

  it('promote a Secondary with good data when no manager runs', () => {
    const plan = drbdPrimaryOperation.plan(PRIMARY_ARGS, ctx(BOTH_SECONDARY, 'none'));
    expect(plan.steps.map((s) => s.argv)).toContainEqual(['drbdadm', 'primary', 'r0']);
  });

  it.each(['heartbeat', 'pacemaker'] as const)('leave promotion and mounting to %s', (manager) => {
    const name = manager === 'heartbeat' ? 'Heartbeat' : 'Pacemaker';
    const primary = drbdPrimaryOperation.plan(PRIMARY_ARGS, ctx(BOTH_SECONDARY, manager));
    expect(primary).toMatchObject({ steps: [], reason: expect.stringMatching(new RegExp(`^${name} runs on node1: it decides where r0 is Primary \\(Secondary here, UpToDate/UpToDate`)) });
    const mount = mountOperation.plan(MOUNT_ARGS, ctx(PRIMARY, manager));
    expect(mount).toMatchObject({ steps: [], reason: expect.stringMatching(new RegExp(`^not mounted, and ${name} runs on node1`)) });
  });

  it('a node that already is Primary, or whose peer is, is done whatever runs', () => {
    expect(drbdPrimaryOperation.plan(PRIMARY_ARGS, ctx(PRIMARY, 'pacemaker'))).toMatchObject({ steps: [], reason: 'Primary, UpToDate/UpToDate' });
    expect(drbdPrimaryOperation.plan(PRIMARY_ARGS, ctx(SECONDARY_PEER_PRIMARY, 'none'))).toMatchObject({ steps: [], reason: expect.stringMatching(/the peer is Primary/) });
    // With no manager the Primary node mounts the volume.
    expect(mountOperation.plan(MOUNT_ARGS, ctx(PRIMARY, 'none')).steps.map((s) => s.argv)).toEqual([['mount', '-t', 'ext4', '-o', 'defaults', '/dev/drbd0', '/replicated']]);
  });
});


describe('filesystem on the Primary', () => {
  const FS_ARGS = { device: '/dev/drbd0', type: 'ext4' as const };
  const withDevice = (found: DeviceFilesystem): PlanContext => {
    const base = ctx(PRIMARY, 'none');
    return { ...base, fact: (req: FactRequest) => (req.fact.id === 'device-filesystem' ? found : base.fact(req)) } as PlanContext;
  };
  const blank = parseBlockDevice(fixture('blockdev', 'blank-disk.txt'));

  it('trusts the kernel for a mounted device, and refuses another type there', () => {
    expect(filesystemOperation.plan(FS_ARGS, withDevice({ mountedAs: 'ext4' }))).toMatchObject({ steps: [], reason: 'ext4 present (mounted)' });
    expect(filesystemOperation.plan(FS_ARGS, withDevice({ mountedAs: 'xfs' }))).toMatchObject({ steps: [], refusal: { message: expect.stringMatching(/mounted as xfs, not ext4/) } });
  });

  it('refuses a read-only device, and formats only a probed empty one', () => {
    expect(filesystemOperation.plan(FS_ARGS, withDevice({ readOnly: true }))).toMatchObject({ refusal: { message: '/dev/drbd0 is read-only on node1' } });
    const plan = filesystemOperation.plan(FS_ARGS, withDevice({ probed: blank }));
    expect(plan.steps).toMatchObject([{ argv: ['mkfs.ext4', '-q', '/dev/drbd0'], destructive: true }]);
  });
});

describe('drbd_connected and a StandAlone resource', () => {
  const ARGS = { resource: 'r0', minor: 0 };
  const STANDALONE = PRIMARY.replace('cs:Connected', 'cs:StandAlone');
  const status = (proc: string) => `== proc\n${proc}== json\n`;

  it('fails at once when no cluster manager runs: nobody else will connect it', () => {
    expect(drbdConnectedOperation.plan(ARGS, ctx(STANDALONE, 'none'))).toMatchObject({ steps: [], refusal: { message: 'r0 on node1 is StandAlone: it will not connect by itself' } });
  });

  it('gives a running cluster manager a while to connect it, then fails', () => {
    const plan = drbdConnectedOperation.plan(ARGS, ctx(STANDALONE, 'pacemaker'));
    expect(plan.reason).toBe(`StandAlone while Pacemaker runs: waiting up to ${STANDALONE_GRACE_MS / 1000} s for it to connect`);
    const check = plan.steps[0]!.watch!.check;
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      expect(check(status(STANDALONE), 0)).toEqual({ done: false, progress: 'r0: StandAlone' });
      now.mockReturnValue(1_000_000 + STANDALONE_GRACE_MS);
      expect(check(status(STANDALONE), 0)).toEqual({ done: false, progress: 'r0: StandAlone' });
      // Connecting in between starts the grace again.
      expect(check(status(PRIMARY.replace('cs:Connected', 'cs:WFConnection')), 0)).toEqual({ done: false, progress: 'r0: WFConnection' });
      now.mockReturnValue(1_000_000 + 2 * STANDALONE_GRACE_MS);
      expect(check(status(STANDALONE), 0)).toEqual({ done: false, progress: 'r0: StandAlone' });
      now.mockReturnValue(1_000_000 + 3 * STANDALONE_GRACE_MS + 1);
      expect(check(status(STANDALONE), 0)).toMatchObject({ error: expect.stringMatching(/is StandAlone: it will not connect by itself \(for 30 s, with Pacemaker running\)/), hint: expect.stringMatching(/haforge split-brain/) });
      expect(check(status(PRIMARY), 0)).toEqual({ done: true, progress: 'r0: Connected' });
    } finally {
      now.mockRestore();
    }
  });
});

describe('drbd_adjust (the handler of a changed DRBD configuration)', () => {
  const ARGS = { resource: 'r0', minor: 0 };
  it('adjusts a resource that is up, and leaves one that is not to drbd_up', () => {
    expect(drbdAdjustOperation.plan(ARGS, ctx(PRIMARY, 'none')).steps.map((s) => s.argv)).toEqual([['drbdadm', 'adjust', 'r0']]);
    expect(drbdAdjustOperation.plan(ARGS, ctx(PRIMARY.replace(/^ 0: .*$/m, ' 0: cs:Unconfigured'), 'none'))).toMatchObject({ steps: [], reason: 'r0 is not up: it starts with the new configuration' });
    expect(drbdAdjustOperation.plan(ARGS, ctx('version: 8.4.11 (api:1/proto:86-101)\n', 'none')).steps).toEqual([]);
  });
});

describe('check mode on blank nodes: what the DRBD tasks will do once the earlier ones are done', () => {
  const NOT_UP = 'version: 8.4.11 (api:1/proto:86-101)\n';
  const blank = parseBlockDevice(fixture('blockdev', 'blank-disk.txt'));
  const ext4 = parseBlockDevice(fixture('blockdev', 'ext4-disk.txt'));
  const META_ARGS = { resource: 'r0', disk: '/dev/vdb', minor: 0 };
  const cluster = { name: 'lab', nodes: [{ name: 'node1' }, { name: 'node2' }] };
  /** Facts of a node where nothing is up and drbdadm cannot read the metadata yet; `earlier`: the changes planned before. */
  const UNKNOWN = { state: 'unknown', detail: "'r0' not defined in your config" };
  const predictCtx = (disk: typeof blank, earlier: EarlierChange[], meta: object = UNKNOWN): PredictContext => {
    const base = ctx(NOT_UP, 'none');
    const fact = (req: FactRequest) => (req.fact.id === 'blockdev@drbd0-down' ? disk : req.fact.id === 'drbd-metadata@drbd0-down' ? meta : base.fact(req));
    return { ...base, cluster, system: { drbd: { family: '8.4' } }, fact, earlier } as unknown as PredictContext;
  };
  const planned = (host: string, op: string, args: object, plan: TaskPlan): EarlierChange => ({ host, op, args, plan });
  const createMd = (host: string) => planned(host, 'drbd_metadata', META_ARGS, drbdMetadataOperation.predict!(META_ARGS, predictCtx(blank, []))!);

  it('create-md on a disk with no signature; nothing predicted over one that has a signature', () => {
    expect(drbdMetadataOperation.plan(META_ARGS, predictCtx(blank, []))).toMatchObject({ refusal: { message: expect.stringMatching(/cannot tell whether \/dev\/vdb holds DRBD metadata/) } });
    expect(drbdMetadataOperation.predict!(META_ARGS, predictCtx(blank, []))).toMatchObject({
      steps: [{ argv: ['drbdadm', '--force', 'create-md', 'r0'], destructive: true }],
      predicted: ['/dev/vdb on node1 carries no signature (read now)'],
    });
    expect(drbdMetadataOperation.predict!(META_ARGS, predictCtx(ext4, []))).toBeUndefined();
    // drbdadm read the metadata: the plan stands on that, no prediction.
    expect(drbdMetadataOperation.predict!(META_ARGS, predictCtx(blank, [], { state: 'present', detail: '' }))).toBeUndefined();
  });

  it('the forced first promotion only once create-md is planned on every node, then mkfs and the mount on the new device', () => {
    const promote = drbdPrimaryOperation.predict!(PRIMARY_ARGS, predictCtx(blank, [createMd('node1'), createMd('node2')]))!;
    expect(promote).toMatchObject({ predicted: ['create-md planned on node1, node2 (blank disks)'] });
    expect(promote.steps.map((s) => [s.description.replace(/ \(.*/, ''), !!s.destructive])).toEqual([['drbdadm primary --force r0', true], ['wait for r0 to be UpToDate on both sides', false]]);
    // One node's disk already had metadata (its create-md was a no-op): its data may be the good one.
    expect(drbdPrimaryOperation.predict!(PRIMARY_ARGS, predictCtx(blank, [createMd('node1')]))).toBeUndefined();

    const promoted = [createMd('node1'), createMd('node2'), planned('node1', 'drbd_primary', PRIMARY_ARGS, promote)];
    expect(filesystemOperation.predict!({ device: '/dev/drbd0', type: 'ext4' }, predictCtx(blank, promoted))).toMatchObject({ steps: [{ argv: ['mkfs.ext4', '-q', '/dev/drbd0'], destructive: true }] });
    expect(mountOperation.predict!(MOUNT_ARGS, predictCtx(blank, promoted))!.steps.map((s) => s.argv)).toEqual([['mount', '-t', 'ext4', '-o', 'defaults', '/dev/drbd0', '/replicated']]);
    // Another minor's promotion, or none: nothing to rest on.
    expect(filesystemOperation.predict!({ device: '/dev/drbd1', type: 'ext4' }, predictCtx(blank, promoted))).toBeUndefined();
    expect(mountOperation.predict!(MOUNT_ARGS, predictCtx(blank, promoted.slice(0, 2)))).toBeUndefined();
  });

  it('waits for the connection where drbd up is planned on the node', () => {
    const up = planned('node1', 'drbd_up', { resource: 'r0', minor: 0 }, { reason: 'not up', steps: [] });
    expect(drbdConnectedOperation.predict!({ resource: 'r0', minor: 0 }, predictCtx(blank, [up]))).toMatchObject({ steps: [{ description: 'wait for r0 to connect' }] });
    expect(drbdConnectedOperation.predict!({ resource: 'r0', minor: 0 }, predictCtx(blank, [{ ...up, host: 'node2' }]))).toBeUndefined();
  });
});
