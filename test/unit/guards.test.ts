// Every rule that keeps users' data safe, one named test each, planned over
// facts captured from real machines (test/fixtures: blockdev from a loop
// device on Debian 12, /proc/drbd from the lab's DRBD 8.4 and the runbooks'
// 8.3). Each test fails when its guard is removed from the code. The guards
// of the engine (the fact re-read before a destructive step, the run lock and
// its generation) are pinned in engine.test.ts; the split-brain victim's in
// split-brain.test.ts and split-brain-repair.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { request, type FactRequest } from '../../src/engine/fact.js';
import type { PlanContext } from '../../src/engine/operation.js';
import type { Plan } from '../../src/engine/plan.js';
import { clearBitmapArgv, discardConnectArgv, forcePrimaryArgv } from '../../src/drbd/commands.js';
import { drbdMetadataFact } from '../../src/drbd/metadata.js';
import { drbdStatusFact, whileDrbdDown } from '../../src/drbd/status.js';
import { blockDeviceFact, deviceFilesystemFact, parseBlockDevice, zeroHeadFact, type BlockDeviceState } from '../../src/facts/blockdev.js';
import { linkTargetFact, pathFact, type LinkTarget, type PathState } from '../../src/facts/files.js';
import { mountsFact, parseMounts } from '../../src/facts/mounts.js';
import { parseRunningManager, runningManagerFact } from '../../src/facts/running-manager.js';
import { serviceFact } from '../../src/facts/services.js';
import type { NodeSpec } from '../../src/inventory/model.js';
import { drbdMetadataOperation, drbdPrimaryOperation } from '../../src/operations/drbd.js';
import { filesystemOperation } from '../../src/operations/filesystem.js';
import { partitionOperation } from '../../src/operations/partition.js';
import { relocateOperation } from '../../src/operations/relocate.js';
import { serviceOperation } from '../../src/operations/service.js';
import { symlinkOperation } from '../../src/operations/symlink.js';
import type { DrbdFamily } from '../../src/drbd/versions.js';

const fixture = (dir: string, name: string) => readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');
const disk = (name: string) => parseBlockDevice(fixture('blockdev', name));
const BLANK = disk('blank-disk.txt');
const EXT4 = disk('ext4-disk.txt');
const DOS = disk('dos-partitioned-disk.txt');
const MISSING = disk('missing-disk.txt');
/** The lab's backing disk after create-md: DRBD's own signature only. */
const DRBD_ONLY: BlockDeviceState = { exists: true, sizeBytes: 268435456, signatures: JSON.parse(fixture('blockdev', 'lab-drbd-backing-disk-wipefs.json')).signatures, children: [] };
const NOBODY = parseRunningManager('== active\ninactive\ninactive\n== maintenance\n');

// /proc/drbd captured on the lab's standby (8.4), rewritten to the states a first promotion meets.
const SECONDARY = fixture('drbd', 'lab-8.4-proc-connected-secondary.txt');
const proc = (cs: string, ro: string, ds: string) => drbdStatusFact.parse(`== proc\n${SECONDARY.replace('cs:Connected', `cs:${cs}`).replace('ro:Secondary/Primary', `ro:${ro}`).replace('ds:UpToDate/UpToDate', `ds:${ds}`)}== json\n`, 0);
const BOTH_INCONSISTENT = proc('Connected', 'Secondary/Secondary', 'Inconsistent/Inconsistent');

const node = (name: string, disks: Record<string, string> = { r0: '/dev/vdb' }) => ({ name, cluster: 'lab', disks }) as unknown as NodeSpec;

/** A plan context answering the given facts by request, and peers' facts by node. */
function ctx(facts: [FactRequest, unknown][], opts: { family?: DrbdFamily; peers?: Record<string, [FactRequest, unknown][]> } = {}): PlanContext {
  const values = new Map(facts.map(([r, v]) => [r.key, v]));
  const peers = Object.entries(opts.peers ?? {}).map(([name, f]) => ({ node: node(name), values: new Map(f.map(([r, v]) => [r.key, v])) }));
  return {
    node: node('node1'),
    cluster: { name: 'lab', nodes: [node('node1'), ...peers.map((p) => p.node)] },
    system: { drbd: { family: opts.family ?? '8.4' } },
    fact: (req: FactRequest) => {
      if (!values.has(req.key)) throw new Error(`fact ${req.key} not given`);
      return values.get(req.key);
    },
    peerFacts: (req: FactRequest | ((peer: NodeSpec) => FactRequest)) =>
      peers.flatMap((p) => {
        const r = typeof req === 'function' ? req(p.node) : req;
        return p.values.has(r.key) ? [{ node: p.node.name, value: p.values.get(r.key) }] : [];
      }),
  } as unknown as PlanContext;
}

const refused = (plan: Plan) => plan.refusal?.message ?? 'NOT REFUSED';
const destructiveArgv = (plan: Plan) => plan.steps.filter((s) => s.destructive).map((s) => s.argv.join(' '));

describe('create-md only on a disk that holds nothing', () => {
  const ARGS = { resource: 'r0', disk: '/dev/vdb', minor: 0 };
  const metadata = (diskState: BlockDeviceState, meta = { state: 'absent', detail: 'No valid meta data found' }) =>
    drbdMetadataOperation.plan(ARGS, ctx([
      [request(drbdStatusFact, undefined), drbdStatusFact.parse('== proc\n== json\n', 0)],
      [request(whileDrbdDown(blockDeviceFact, 0), '/dev/vdb'), diskState],
      [request(whileDrbdDown(drbdMetadataFact, 0), 'r0'), meta],
    ]));

  it('guard: create-md refused over a filesystem', () => {
    expect(refused(metadata(EXT4))).toMatch(/^\/dev\/vdb on node1 holds ext4 .*refusing to create DRBD metadata over it/);
  });
  it('guard: create-md refused over a partition table', () => {
    expect(refused(metadata(DOS))).toMatch(/holds dos.*refusing to create DRBD metadata/);
  });
  it('guard: create-md refused when it cannot tell whether metadata is there', () => {
    expect(refused(metadata(BLANK, { state: 'unknown', detail: 'drbdadm: unknown resource' }))).toMatch(/cannot tell whether \/dev\/vdb holds DRBD metadata/);
  });
  it('guard: existing metadata is kept, never recreated', () => {
    expect(metadata(DRBD_ONLY).steps).toEqual([]);
    expect(metadata(BLANK, { state: 'present', detail: '' }).steps).toEqual([]);
  });
  it('a missing disk is refused; a blank one gets create-md, marked destructive', () => {
    expect(refused(metadata(MISSING))).toMatch(/backing disk \/dev\/vdb does not exist/);
    expect(destructiveArgv(metadata(BLANK))).toEqual(['drbdadm --force create-md r0']);
  });
});

describe('mkfs only on a device that holds nothing', () => {
  const ARGS = { device: '/dev/vdc', type: 'ext4' as const };
  const fs = (found: unknown) => filesystemOperation.plan(ARGS, ctx([[request(drbdStatusFact, undefined), drbdStatusFact.parse('== proc\n', 0)], [request(deviceFilesystemFact, '/dev/vdc'), found]]));

  it('guard: mkfs refused over another filesystem', () => {
    expect(refused(fs({ probed: { ...EXT4, signatures: EXT4.exists ? EXT4.signatures.map((s) => ({ ...s, type: 'xfs' })) : [] } }))).toMatch(/holds xfs.*not ext4: refusing to make a filesystem over it/);
  });
  it('guard: mkfs refused over a partition table', () => {
    expect(refused(fs({ probed: DOS }))).toMatch(/holds dos.*refusing to make a filesystem over it/);
  });
  it('guard: mkfs refused where the device cannot be read', () => {
    expect(refused(fs({ probed: { ...BLANK, unreadable: 'Wrong medium type' } }))).toMatch(/cannot read \/dev\/vdc/);
  });
  it('guard: mkfs refused over a mounted filesystem of another type', () => {
    expect(refused(fs({ mountedAs: 'xfs' }))).toMatch(/mounted as xfs, not ext4/);
  });
  it('guard: mkfs never runs again over its own filesystem', () => {
    expect(fs({ probed: EXT4 })).toEqual({ steps: [], reason: 'ext4 present' });
  });
  it('a blank device gets mkfs, marked destructive', () => {
    expect(destructiveArgv(fs({ probed: BLANK }))).toEqual(['mkfs.ext4 -q /dev/vdc']);
  });
});

describe('partitioning only a blank disk', () => {
  const part = (whole: BlockDeviceState, first: BlockDeviceState = MISSING) => partitionOperation.plan({ disk: '/dev/vdb' }, ctx([[request(blockDeviceFact, '/dev/vdb'), whole], [request(blockDeviceFact, '/dev/vdb1'), first]]));

  it('guard: a disk with a filesystem is not partitioned', () => {
    expect(refused(part(EXT4))).toMatch(/holds ext4.*refusing to partition it/);
  });
  it('guard: a disk with a partition table is not partitioned again', () => {
    expect(refused(part(DOS))).toMatch(/holds dos.*refusing to partition it/);
  });
  it('guard: a disk with DRBD metadata is not partitioned', () => {
    expect(refused(part(DRBD_ONLY))).toMatch(/holds drbd.*refusing to partition it/);
  });
  it('an existing first partition is left alone; a blank disk is partitioned, marked destructive', () => {
    expect(part(BLANK, BLANK).steps).toEqual([]);
    expect(part(BLANK).steps.every((s) => s.destructive)).toBe(true);
  });
});

describe('the first promotion and --skip-initial-sync', () => {
  const ARGS = { resource: 'r0', minor: 0, disk: '/dev/vdb' };
  const SKIP = { ...ARGS, initial_sync: 'skip' as const };
  const blankOf = (d: string, state: BlockDeviceState, zero = true): [FactRequest, unknown][] => [
    [request(blockDeviceFact, d), state],
    [request(zeroHeadFact, { device: d, bytes: 16 * 1024 * 1024 }), { zero, readable: true }],
  ];
  const promote = (args: typeof ARGS & { initial_sync?: 'sync' | 'skip' }, status = BOTH_INCONSISTENT, opts: Parameters<typeof ctx>[1] = {}, own: [FactRequest, unknown][] = blankOf('/dev/vdb', BLANK)) =>
    drbdPrimaryOperation.plan(args, ctx([[request(drbdStatusFact, undefined), status], [request(runningManagerFact, undefined), NOBODY], ...own], opts));

  it('guard: the forced promotion only when both sides are Inconsistent', () => {
    expect(refused(promote(ARGS, proc('Connected', 'Secondary/Secondary', 'Inconsistent/UpToDate')))).toMatch(/the peer's disk is UpToDate: it may hold the good data; refusing to overwrite it/);
    expect(refused(promote(ARGS, proc('Connected', 'Secondary/Secondary', 'Outdated/Inconsistent')))).toMatch(/is Outdated: no safe way to promote it/);
  });
  it('guard: the forced promotion only with the peer connected (its disk state seen)', () => {
    expect(refused(promote(ARGS, proc('WFConnection', 'Secondary/Unknown', 'Inconsistent/DUnknown')))).toMatch(/the peer is not connected/);
  });
  it('guard: the forced promotion syntax per DRBD family (8.3 --overwrite-data-of-peer, 8.4 and 9 --force)', () => {
    expect(forcePrimaryArgv('8.3', 'r0')).toEqual(['drbdadm', '--', '--overwrite-data-of-peer', 'primary', 'r0']);
    expect(forcePrimaryArgv('8.4', 'r0')).toEqual(['drbdadm', 'primary', '--force', 'r0']);
    expect(forcePrimaryArgv('9', 'r0')).toEqual(['drbdadm', 'primary', '--force', 'r0']);
    expect(destructiveArgv(promote(ARGS, BOTH_INCONSISTENT, { family: '8.3' }))).toEqual(['drbdadm -- --overwrite-data-of-peer primary r0']);
    expect(destructiveArgv(promote(ARGS, BOTH_INCONSISTENT, { family: '8.4' }))).toEqual(['drbdadm primary --force r0']);
  });
  it('guard: the clear-bitmap syntax per DRBD family (8.x after --, 9 by volume)', () => {
    expect(clearBitmapArgv('8.3', 'r0')).toEqual(['drbdadm', '--', '--clear-bitmap', 'new-current-uuid', 'r0']);
    expect(clearBitmapArgv('8.4', 'r0')).toEqual(['drbdadm', '--', '--clear-bitmap', 'new-current-uuid', 'r0']);
    expect(clearBitmapArgv('9', 'r0')).toEqual(['drbdadm', 'new-current-uuid', '--clear-bitmap', 'r0/0']);
    expect(discardConnectArgv('8.3', 'r0')).toEqual(['drbdadm', '--', '--discard-my-data', 'connect', 'r0']);
    expect(discardConnectArgv('9', 'r0')).toEqual(['drbdadm', 'connect', '--discard-my-data', 'r0']);
  });
  it('guard: --skip-initial-sync reads the disk on every node, and the peer must be readable', () => {
    const peerDisk = { ...node('node2', { r0: '/dev/vdc' }) };
    expect(drbdPrimaryOperation.peerFacts!(SKIP, peerDisk).map((r) => r.key)).toEqual([request(blockDeviceFact, '/dev/vdc').key, request(zeroHeadFact, { device: '/dev/vdc', bytes: 16 * 1024 * 1024 }).key]);
    expect(drbdPrimaryOperation.peerFacts!(ARGS, peerDisk)).toEqual([]);
    expect(refused(promote(SKIP, BOTH_INCONSISTENT, { peers: { node2: [] } }))).toMatch(/--skip-initial-sync refused: node2's disk could not be read/);
  });
  it('guard: --skip-initial-sync refused when this node\'s disk is not blank', () => {
    expect(refused(promote(SKIP, BOTH_INCONSISTENT, { peers: { node2: blankOf('/dev/vdb', BLANK) } }, blankOf('/dev/vdb', EXT4)))).toMatch(/\/dev\/vdb on node1 is not blank \(ext4/);
    expect(refused(promote(SKIP, BOTH_INCONSISTENT, { peers: { node2: blankOf('/dev/vdb', BLANK) } }, blankOf('/dev/vdb', BLANK, false)))).toMatch(/on node1 is not blank \(its first 16 MiB are not zero\)/);
  });
  it('guard: --skip-initial-sync refused when the peer\'s disk is not blank', () => {
    expect(refused(promote(SKIP, BOTH_INCONSISTENT, { peers: { node2: blankOf('/dev/vdb', BLANK, false) } }))).toMatch(/\/dev\/vdb on node2 is not blank \(its first 16 MiB are not zero\)/);
    expect(refused(promote(SKIP, BOTH_INCONSISTENT, { peers: { node2: blankOf('/dev/vdb', DOS) } }))).toMatch(/on node2 is not blank \(dos/);
  });
  it('blank disks on both nodes: the bitmap is cleared, no sync, marked destructive', () => {
    expect(destructiveArgv(promote(SKIP, BOTH_INCONSISTENT, { peers: { node2: blankOf('/dev/vdb', BLANK) } }))).toEqual(['drbdadm -- --clear-bitmap new-current-uuid r0']);
  });
});

describe('links and relocation never delete data', () => {
  const at = (p: string, state: PathState): [FactRequest, unknown] => [request(pathFact, { path: p }), state];
  const DIR: PathState = { type: 'dir', mode: '0755', owner: 'root', group: 'root' } as PathState;
  const FILE: PathState = { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 3 } as PathState;
  const ABSENT: PathState = { type: 'absent' };
  const link = (target: string): PathState => ({ type: 'link', target }) as PathState;

  it('guard: a symlink never replaces a real directory or file', () => {
    expect(refused(symlinkOperation.plan({ path: '/etc/app', target: '/srv/app' }, ctx([at('/etc/app', DIR)])))).toMatch(/\/etc\/app is a directory, not a symlink/);
    expect(refused(symlinkOperation.plan({ path: '/etc/app', target: '/srv/app' }, ctx([at('/etc/app', FILE)])))).toMatch(/\/etc\/app is a file, not a symlink/);
  });

  const ARGS = { service: 'web', unit: 'lighttpd', paths: ['/var/www'], volume: '/replicated' };
  const relocate = (here: PathState, there: PathState, aside: PathState = ABSENT, mounted = true, undo = false, through: LinkTarget = {}) =>
    relocateOperation.plan({ ...ARGS, undo }, ctx([
      [request(mountsFact, undefined), parseMounts(mounted ? '/dev/drbd0 /replicated ext4 rw 0 0\n' : '')],
      [request(serviceFact, 'lighttpd'), { exists: true, active: false, enabled: false, init: 'systemd' }],
      at('/var/www', here),
      at('/replicated/var/www', there),
      at('/var/www.haforge-local', aside),
      [request(linkTargetFact, { path: '/var/www', volume: '/replicated' }), through],
    ]));
  /** /var/www as a link the system made (like Debian's /var/spool/mail -> ../mail), its target in the given states. */
  const viaLink = (target: string, states: [PathState, PathState, PathState], mounted = true, undo = false) => relocate(link(target.replace('/var/', '')), ABSENT, ABSENT, mounted, undo, { target, states });
  const args = (plan: Plan) => plan.steps.map((s) => s.argv.slice(3).join(' '));

  it('guard: relocation refuses when the data is both on the node and on the volume', () => {
    expect(refused(relocate(DIR, DIR))).toMatch(/exists both on node1 and on the volume/);
  });
  it("a link the system made stays: its target is relocated, set aside on a standby, left alone once on the volume, and put back by undo", () => {
    expect(args(viaLink('/var/spool/www', [DIR, ABSENT, ABSENT]))).toEqual(['haforge-move /var/spool/www /replicated/var/spool/www']);
    expect(args(viaLink('/var/spool/www', [DIR, ABSENT, ABSENT], false))).toEqual(['haforge-aside /var/spool/www /replicated/var/spool/www /var/spool/www.haforge-local']);
    expect(viaLink('/var/spool/www', [link('/replicated/var/spool/www'), DIR, ABSENT])).toMatchObject({ steps: [], reason: '/var/www -> spool/www: /var/spool/www -> /replicated/var/spool/www' });
    expect(args(viaLink('/var/spool/www', [link('/replicated/var/spool/www'), DIR, ABSENT], true, true))).toEqual(['haforge-back /var/spool/www /replicated/var/spool/www']);
  });
  it('guard: a link is followed only to a directory of its own, never to a system directory', () => {
    expect(refused(viaLink('/etc', [DIR, ABSENT, ABSENT]))).toBe("/var/www is a link to /etc, which is a system directory: haforge relocates a link's target only when it is the service's own directory");
    expect(refused(viaLink('/var/lib', [DIR, ABSENT, ABSENT]))).toMatch(/which is a system directory/);
    expect(refused(viaLink('/usr', [DIR, ABSENT, ABSENT]))).toMatch(/which is a system directory/);
  });
  it('guard: a link is followed one level, never along a chain', () => {
    expect(refused(viaLink('/var/spool/www', [link('/elsewhere'), ABSENT, ABSENT]))).toMatch(/itself a link to \/elsewhere: haforge follows one link, not a chain/);
  });
  it('guard: on a standby the local copy is set aside, never removed; an earlier copy set aside refuses', () => {
    const standby = relocate(DIR, ABSENT, ABSENT, false);
    expect(standby.steps.map((s) => s.argv.slice(0, 3).join(' '))).toEqual(['sh -c set -e\nmv "$1" "$3"\nln -s "$2" "$1"']);
    expect(refused(relocate(DIR, ABSENT, DIR, false))).toMatch(/\/var\/www and \/var\/www.haforge-local both exist/);
  });
  it('guard: undo refuses when the volume lost the data it would copy back', () => {
    expect(refused(relocate(link('/replicated/var/www'), ABSENT, ABSENT, true, true))).toMatch(/missing on the volume: nothing to copy back/);
  });
});

describe('a service the cluster manager runs never starts on its own', () => {
  const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/services', name), 'utf8');
  const plan = (name: string, enabled: boolean) => serviceOperation.plan({ name: 'mariadb', enabled }, ctx([[request(serviceFact, 'mariadb'), serviceFact.parse(fixture(name), 0)]]));

  it('guard: off at boot also disables and stops the socket that would start it on demand (Debian\'s mariadb.socket, captured)', () => {
    const off = plan('lab-mariadb-socket-activated.txt', false);
    expect(off.steps.map((s) => s.argv.join(' '))).toEqual(['systemctl disable mariadb.socket', 'systemctl stop mariadb.socket']);
    expect(off.reason).toBe('started on demand by mariadb.socket');
    expect(plan('lab-mariadb-socket-disabled.txt', false)).toMatchObject({ steps: [], reason: 'stopped, disabled at boot' });
    // Enabling at boot (relocation undone) leaves the sockets as they are.
    expect(plan('lab-mariadb-socket-activated.txt', true).steps.map((s) => s.argv.join(' '))).toEqual(['systemctl enable mariadb.service']);
  });
});
