// Preflight's parsers on real captured output (test/fixtures/preflight,
// README there says where each file came from), the skew arithmetic, the
// DRBD version matrix, the checks over several nodes' facts, and the table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBlockDevice, type BlockDeviceState } from '../../src/facts/blockdev.js';
import { parseProcDrbd } from '../../src/drbd/status.js';
import { parseMounts } from '../../src/facts/mounts.js';
import {
  clockOffset,
  computeSkew,
  listenersOn,
  parseClock,
  parseListeners,
  parsePortProbe,
  parsePresence,
  parseResolve,
  parseTimeSync,
  portProbeFact,
  timeSyncFact,
} from '../../src/facts/preflight.js';
import { drbdCompatible, drbdFamily, drbdVersionsFact, parseDrbdVersions, versionFromCode } from '../../src/drbd/versions.js';
import { DEFAULT_PREFLIGHT_OPTIONS, evaluateCluster, nodeRequests, requestList, requirements, type Check, type NodeFacts } from '../../src/procedures/preflight/checks.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { ClusterSpec } from '../../src/inventory/model.js';
import { renderTable, visibleLength, wrap } from '../../src/ui/table.js';
import { renderPreflight } from '../../src/commands/preflight.js';

const FIX = path.join(__dirname, '../fixtures/preflight');
const read = (name: string) => readFileSync(path.join(FIX, name), 'utf8');
const blockdev = (name: string) => parseBlockDevice(readFileSync(path.join(__dirname, '../fixtures/blockdev', name), 'utf8'));

describe('clock', () => {
  it('parses date +%s.%N, busybox and garbage', () => {
    expect(parseClock(read('host-clock.txt'))).toBeCloseTo(1795452814.554175474, 6);
    expect(parseClock('1795452814.N\n')).toBe(1795452814);
    expect(parseClock('1795452814\n')).toBe(1795452814);
    expect(parseClock(read('empty.txt'))).toBeUndefined();
    expect(parseClock(read('broken.txt'))).toBeUndefined();
  });

  it('offset from the round-trip midpoint, the batch time taken out', () => {
    // Node 30 s ahead; 0.1 s network each way; the batch ran 2 s on the node.
    const s = { sent: 1000, remoteStart: 1030.1, remoteEnd: 1032.1, received: 1002.2 };
    const o = clockOffset(s);
    expect(o.offset).toBeCloseTo(30, 9);
    expect(o.uncertainty).toBeCloseTo(0.1, 9);
    // Asymmetric delay: 0.3 s out, 0.1 s back -> error of 0.1 s, within the uncertainty.
    const a = clockOffset({ sent: 0, remoteStart: 0.3, remoteEnd: 1.3, received: 1.4 });
    expect(a.offset).toBeCloseTo(0.1, 9);
    expect(a.uncertainty).toBeCloseTo(0.2, 9);
  });

  it('skew is the largest difference between nodes', () => {
    const r = computeSkew({ a: { offset: 0.1, uncertainty: 0.01 }, b: { offset: 30.2, uncertainty: 0.02 }, c: { offset: 0.3, uncertainty: 0.05 } })!;
    expect(r.skew).toBeCloseTo(30.1, 9);
    expect(r.uncertainty).toBeCloseTo(0.03, 9);
    expect(r.nodes.a!.worst).toBeCloseTo(30.1, 9);
    expect(r.nodes.c!.worst).toBeCloseTo(29.9, 9);
    expect(r.nodes.c!.worstUncertainty).toBeCloseTo(0.07, 9);
    expect(computeSkew({ a: { offset: 5, uncertainty: 0 } })!.skew).toBe(0);
    expect(computeSkew({})).toBeUndefined();
  });
});

describe('time sync', () => {
  it('chrony synchronised to a peer, and a local-stratum server', () => {
    const t = parseTimeSync(read('lab-timesync-chrony-synced.txt'));
    expect(t).toMatchObject({ daemons: ['chronyd'], synchronised: true, chrony: { leap: 'Normal', reference: '0A63000B (10.99.0.11)', synchronised: true } });
    expect(t.chrony!.offsetSeconds).toBeCloseTo(-0.00024812, 9); // "seconds slow of NTP time"
    expect(t.timedatectl).toEqual({ ntp: true, synchronised: true });
    expect(parseTimeSync(read('lab-timesync-chrony-local-stratum.txt'))).toMatchObject({ synchronised: true, chrony: { reference: '7F7F0101' } });
  });
  it('chrony running with no reachable source is not synchronised', () => {
    const t = parseTimeSync(read('lab-timesync-chrony-unsynced.txt'));
    expect(t).toMatchObject({ daemons: ['chronyd'], synchronised: false, chrony: { leap: 'Not synchronised', reference: undefined } });
    expect(t.timedatectl).toEqual({ ntp: true, synchronised: false });
  });
  it('chrony stopped: no daemon; chronyc cannot talk; timedatectl still reports the kernel flag', () => {
    const t = parseTimeSync(read('lab-timesync-chrony-stopped.txt'));
    expect(t.daemons).toEqual([]);
    expect(t.chrony).toBeUndefined();
    expect(t.timedatectl).toEqual({ ntp: false, synchronised: true });
  });
  it('a machine without systemd or any time tool; empty and broken output', () => {
    expect(parseTimeSync(read('host-timesync-no-daemon.txt'))).toEqual({ daemons: [], chrony: undefined, timedatectl: undefined, ntpq: undefined, synchronised: undefined });
    expect(parseTimeSync(read('empty.txt')).synchronised).toBeUndefined();
    expect(parseTimeSync(read('broken.txt')).daemons).toEqual([]);
  });
  it('ntpq: the system peer is marked with *', () => {
    // Hand-written in ntpq -pn's format (no ntpd on any machine here): see the README.
    const t = parseTimeSync(`== daemons\nntpd\n== ntpq\n${read('sample-ntpq-pn.txt')}`);
    expect(t).toMatchObject({ daemons: ['ntpd'], synchronised: true, ntpq: { synchronised: true, peer: '192.0.2.1' } });
  });
  it('the command checks every daemon and asks chronyc and timedatectl', () => {
    const script = timeSyncFact.command()[2]!;
    expect(script).toMatch(/chronyc -n tracking/);
    expect(script).toMatch(/timedatectl show/);
  });
});

describe('DRBD versions', () => {
  const info = (name: string) => drbdVersionsFact.parse(read(name), 0);
  it('8.4 module loaded, drbd-utils 9.22 (the lab)', () => {
    expect(info('lab-drbd-versions-8.4-loaded.txt')).toEqual({ module: '8.4.11', loaded: '8.4.11', utils: '9.22.0', utilsSeesKernel: '8.4.11', family: '8.4' });
  });
  it('module not loaded: drbdadm reports kernel code 0', () => {
    expect(info('lab-drbd-versions-8.4-unloaded.txt')).toEqual({ module: '8.4.11', loaded: undefined, utils: '9.22.0', utilsSeesKernel: undefined, family: '8.4' });
  });
  it('no DRBD at all (this machine), empty output', () => {
    expect(info('host-drbd-versions-none.txt')).toEqual({ module: undefined, loaded: undefined, utils: undefined, utilsSeesKernel: undefined, family: undefined });
    expect(info('empty.txt')).toEqual({ module: undefined, loaded: undefined, utils: undefined, utilsSeesKernel: undefined, family: undefined });
  });
  it('raw drbdadm --version and /proc/drbd from the lab', () => {
    const v = parseDrbdVersions(read('lab-modinfo-drbd.txt'), read('lab-proc-drbd-8.4-idle.txt'), read('lab-drbdadm-version-8.4-loaded.txt'));
    expect(v).toEqual({ module: '8.4.11', loaded: '8.4.11', utils: '9.22.0', utilsSeesKernel: '8.4.11', family: '8.4' });
    expect(parseDrbdVersions('', '', read('lab-drbdadm-version-unloaded.txt')).utilsSeesKernel).toBeUndefined();
    // The runbook's 8.3 /proc/drbd head.
    expect(parseDrbdVersions('', 'version: 8.3.9 (api:88/proto:86-95)', 'DRBDADM_VERSION=8.3.9\nDRBD_KERNEL_VERSION=8.3.9').loaded).toBe('8.3.9');
  });
  it('version codes', () => {
    expect(versionFromCode('0x08040b')).toBe('8.4.11');
    expect(versionFromCode('0x090204')).toBe('9.2.4');
    expect(versionFromCode('0x000000')).toBeUndefined();
  });
  it('the compatibility matrix', () => {
    const ok = (k: string, u: string) => drbdCompatible(k, u).ok;
    expect(drbdFamily('9.22.0')).toBe('9');
    expect(drbdFamily('8.4.11')).toBe('8.4');
    expect(drbdFamily('8.3.9')).toBe('8.3');
    expect(drbdFamily('8.2.7')).toBe('8.0-8.2');
    expect(ok('8.3.9', '8.3.9')).toBe(true);
    expect(ok('8.3.9', '8.4.4')).toBe(false);
    expect(ok('8.3.9', '9.22.0')).toBe(false);
    expect(ok('8.4.11', '8.4.4')).toBe(true);
    expect(ok('8.4.11', '9.22.0')).toBe(true);
    expect(ok('8.4.11', '8.3.13')).toBe(false);
    expect(ok('9.2.4', '9.22.0')).toBe(true);
    expect(ok('9.2.4', '8.4.4')).toBe(false);
    expect(ok('8.2.7', '8.2.7')).toBe(false);
    expect(drbdCompatible('8.3.9', '9.22.0').why).toBe('an 8.3 module needs 8.3 utils, not 9.22.0');
  });
});

describe('names, listeners, tools', () => {
  it('getent hosts per name; a name that does not resolve has no address', () => {
    expect(parseResolve(read('lab-resolve.txt'))).toEqual({
      node2: { addresses: ['10.99.0.12'], canonical: 'node2' },
      nosuchnode: { addresses: [], canonical: undefined },
      localhost: { addresses: ['::1'], canonical: 'localhost' },
    });
    expect(parseResolve(read('empty.txt'))).toEqual({});
  });
  it('ss -ltnp: processes, wildcards, IPv6 brackets, a kernel socket (DRBD waiting for its peer)', () => {
    expect(parseListeners(read('lab-listeners.txt'))).toEqual([
      { address: '0.0.0.0', port: 22, processes: ['sshd'] },
      { address: '::', port: 22, processes: ['sshd'] },
    ]);
    const drbd = parseListeners(read('lab-listeners-drbd-wfconnection.txt'));
    expect(drbd[0]).toEqual({ address: '10.99.0.11', port: 7788, processes: [] });
    expect(listenersOn(drbd, '10.99.0.11', 7788)).toHaveLength(1);
    expect(listenersOn(drbd, '10.99.0.11', 7789)).toHaveLength(0);
    expect(listenersOn(drbd, '10.99.0.11', 22).map((l) => l.address)).toEqual(['0.0.0.0', '::']);
    const host = parseListeners(read('host-listeners.txt'));
    expect(host.length).toBeGreaterThan(2);
    expect(host.every((l) => Number.isInteger(l.port))).toBe(true);
    expect(parseListeners('State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nLISTEN 0 5 [::ffff:10.0.0.1]:80 [::]:*\n')).toEqual([{ address: '::ffff:10.0.0.1', port: 80, processes: [] }]);
    expect(parseListeners(read('broken.txt'))).toEqual([]);
  });
  it('tools on PATH and files', () => {
    const p = parsePresence(read('lab-presence.txt'));
    expect(p.tools).toMatchObject({ drbdadm: '/usr/sbin/drbdadm', sfdisk: null, 'mkfs.xfs': null, ifconfig: '/usr/sbin/ifconfig' });
    expect(p.files).toEqual({ '/usr/lib/ocf/resource.d/linbit/drbd': true, '/etc/ha.d/resource.d/drbddisk': true, '/nonexistent': false });
  });
});

describe('replication port probe', () => {
  it('both nodes listened and reached each other', () => {
    expect(parsePortProbe(read('lab-probe-pair-node1.txt'))).toEqual({
      drbdConnected: [],
      listen: [{ resource: 'r0', address: '10.99.0.11', port: 7788, ok: true, accepted: ['10.99.0.12'] }],
      probe: [{ resource: 'r0', address: '10.99.0.12', port: 7788, ok: true, error: undefined }],
    });
  });
  it('wrong address, port taken, peer refusing', () => {
    const r = parsePortProbe(read('lab-probe-alone-failures.txt'));
    expect(r.listen).toEqual([
      { resource: 'r0', address: '10.99.0.99', port: 7788, ok: false, errno: 99, error: 'Cannot assign requested address', accepted: [] },
      { resource: 'r1', address: '10.99.0.11', port: 22, ok: false, errno: 98, error: 'Address already in use', accepted: [] },
    ]);
    expect(r.probe.map((p) => [p.resource, p.ok, p.error])).toEqual([
      ['r0', false, 'Connection refused'],
      ['r1', false, 'Connection refused'],
    ]);
  });
  it('DRBD connected: nothing probed; DRBD waiting: its own connection attempt is a stray, not our probe', () => {
    expect(parsePortProbe(read('lab-probe-drbd-connected.txt'))).toEqual({ drbdConnected: ['r0'], listen: [], probe: [] });
    const n2 = parsePortProbe(read('lab-probe-wfconnection-node2.txt'));
    expect(n2.listen[0]!.accepted).toEqual(['10.99.0.11']);
    expect(parsePortProbe(read('lab-probe-wfconnection-node1.txt')).listen[0]).toMatchObject({ ok: false, errno: 98 });
  });
  it('no perl, empty and broken output', () => {
    expect(parsePortProbe('no-perl\n').unavailable).toBe('perl is not installed');
    expect(parsePortProbe(read('empty.txt'))).toEqual({ drbdConnected: [], listen: [], probe: [] });
    expect(parsePortProbe(read('broken.txt')).unavailable).toMatch(/^the probe did not run/);
  });
  it('the command passes one item per port and peer', () => {
    const argv = portProbeFact.command({ seconds: 3, listen: [{ resource: 'r0', minor: 0, address: '10.0.0.1', port: 7788, peers: 1 }], probe: [{ resource: 'r0', minor: 0, address: '10.0.0.2', port: 7788 }] });
    expect(argv[2]).toMatch(/ 3 L,r0,0,10\.0\.0\.1,7788,1 P,r0,0,10\.0\.0\.2,7788,0; else/);
  });
});

// ---------------------------------------------------------------- the checks

function cluster(yamlExtra = '', stack = 'pacemaker', resource = 'disk: /dev/vdb'): ClusterSpec {
  const inv = parseInventory(
    'inv.yaml',
    `version: 1
clusters:
  c:
    stack: ${stack}
    nodes:
      node1: { address: 192.0.2.1, replication_address: 10.99.0.11 }
      node2: { address: 192.0.2.2, replication_address: 10.99.0.12 }
    drbd:
      resources:
        r0: { ${resource}, mount: /srv }
${yamlExtra}`,
  );
  return inv.clusters[0]!;
}

const LAB_PRESENCE = parsePresence(read('lab-presence.txt'));
const ALL_TOOLS = {
  tools: { ...LAB_PRESENCE.tools, corosync: '/usr/sbin/corosync', pacemakerd: '/usr/sbin/pacemakerd', crm_verify: '/usr/sbin/crm_verify', cibadmin: '/usr/sbin/cibadmin', ip: '/usr/sbin/ip', 'mkfs.ext4': '/usr/sbin/mkfs.ext4', cl_status: '/usr/bin/cl_status', mon: '/usr/sbin/mon' },
  files: { '/usr/lib/ocf/resource.d/linbit/drbd': true, '/usr/lib/ocf/resource.d/heartbeat/IPaddr2': true, '/usr/lib/ocf/resource.d/heartbeat/Filesystem': true, '/etc/ha.d': true, '/etc/ha.d/resource.d/drbddisk': true, '/etc/protocols': true },
};

function goodNode(name: string, peer: string, disk: BlockDeviceState = parseBlockDevice(read('../blockdev/blank-disk.txt'))): NodeFacts {
  const n = name.slice(-1);
  const p = peer.slice(-1);
  return {
    system: { hostname: name, os: { id: 'debian', versionId: '12', prettyName: 'Debian', like: [] }, kernel: '6.1', arch: 'x86_64', uid: 0, packageManager: 'apt', init: 'systemd', drbd: {}, addresses: [], corosync: { nodeIds: {} } },
    timeSync: parseTimeSync(read('lab-timesync-chrony-synced.txt')),
    versions: drbdVersionsFact.parse(read('lab-drbd-versions-8.4-loaded.txt'), 0),
    resolve: { [peer]: { addresses: [`10.99.0.1${p}`], canonical: peer } },
    drbd: parseProcDrbd(read('lab-proc-drbd-8.4-idle.txt')),
    mounts: parseMounts('/dev/vda / ext4 rw 0 0\n'),
    disks: { '/dev/vdb': disk },
    presence: ALL_TOOLS,
    packages: { 'drbd-utils': '9.22.0-1' },
    listeners: parseListeners(read('lab-listeners.txt')),
    probe: parsePortProbe(read(`lab-probe-pair-node${n}.txt`)),
    clock: { offset: 0.01 * Number(n), uncertainty: 0.005 },
  };
}

const pair = (a: Partial<NodeFacts> = {}, b: Partial<NodeFacts> = {}) =>
  new Map<string, NodeFacts>([
    ['node1', { ...goodNode('node1', 'node2'), ...a }],
    ['node2', { ...goodNode('node2', 'node1'), ...b }],
  ]);
const find = (checks: Check[], node: string, check: string) => checks.find((c) => c.node === node && c.check === check);

describe('preflight checks', () => {
  it('asks one batch per node, clock first and last, listeners before the probe', () => {
    const c = cluster();
    const list = requestList(nodeRequests(c, c.nodes[0]!));
    expect(list[0]!.key).toBe('clock:"start"');
    expect(list.at(-1)!.key).toBe('clock:"end"');
    expect(list.findIndex((r) => r.fact.id === 'listeners')).toBeLessThan(list.findIndex((r) => r.fact.id === 'port-probe'));
    const probe = nodeRequests(c, c.nodes[0]!).probe.args;
    expect(probe).toEqual({
      seconds: 3,
      listen: [{ resource: 'r0', minor: 0, address: '10.99.0.11', port: 7788, peers: 1 }],
      probe: [{ resource: 'r0', minor: 0, address: '10.99.0.12', port: 7788 }],
    });
  });

  it('two good nodes: everything ok but fencing', () => {
    const { checks, skew } = evaluateCluster(cluster(), pair());
    expect(checks.filter((c) => c.status !== 'ok').map((c) => `${c.node} ${c.check} ${c.status}`)).toEqual(['node1 fencing fail', 'node2 fencing fail']);
    expect(find(checks, 'node1', 'fencing')!.hint).toMatch(/fencing: \{ enabled: false \} to accept the risk/);
    // Said explicitly: a warning every time; devices: ok.
    const off = evaluateCluster(cluster('    fencing: { enabled: false }'), pair()).checks;
    expect(find(off, 'node1', 'fencing')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^fencing disabled/) });
    const on = evaluateCluster(cluster('    fencing: { devices: { f1: { agent: fence_ipmilan, targets: [node1, node2] } } }'), pair()).checks;
    expect(find(on, 'node2', 'fencing')).toMatchObject({ status: 'ok', detail: 'f1 (fence_ipmilan → node1, node2)' });
    expect(find(checks, 'node1', 'disk r0')!.detail).toBe('/dev/vdb 64 MiB, blank, same size on all nodes');
    expect(find(checks, 'node1', 'drbd versions')!.detail).toBe('module 8.4.11 (loaded), drbd-utils 9.22.0 (8.4 module with 9.x utils (drbdadm-84))');
    expect(find(checks, 'node2', 'port 7788 reachable')!.detail).toBe('10.99.0.12:7788 reachable from node1');
    expect(skew!.skew).toBeCloseTo(0.01, 9);
  });

  it('wrong uname -n, a peer that does not resolve or resolves elsewhere', () => {
    const { checks } = evaluateCluster(cluster(), pair({ system: { ...goodNode('node1', 'node2').system!, hostname: 'debian' }, resolve: {} }, { resolve: { node1: { addresses: ['192.0.2.1'] } } }));
    expect(find(checks, 'node1', 'uname -n')).toMatchObject({ status: 'fail', detail: "uname -n says 'debian', the inventory says 'node1'" });
    expect(find(checks, 'node1', 'resolves node2')).toMatchObject({ status: 'fail', hint: expect.stringContaining('10.99.0.12 node2') });
    expect(find(checks, 'node2', 'resolves node1')).toMatchObject({ status: 'warn', detail: 'node1 resolves to 192.0.2.1, not to its replication address 10.99.0.11' });
  });

  it('clock skew: fail above the limit, warn above 0.2 s; time daemon state', () => {
    const skewed = evaluateCluster(cluster(), pair({}, { clock: { offset: 30, uncertainty: 0.1 }, timeSync: parseTimeSync(read('lab-timesync-chrony-stopped.txt')) }));
    expect(find(skewed.checks, 'node2', 'clock skew')).toMatchObject({ status: 'fail' });
    expect(find(skewed.checks, 'node1', 'clock skew')!.detail).toMatch(/up to 29\.990 s from the other nodes \(limit 1 s\)/);
    expect(find(skewed.checks, 'node2', 'time sync')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^no time daemon running/) });
    const slight = evaluateCluster(cluster(), pair({}, { clock: { offset: 0.5, uncertainty: 0.1 } }), { maxSkew: 1, warnSkew: 0.2, probeSeconds: 3 });
    expect(find(slight.checks, 'node2', 'clock skew')!.status).toBe('warn');
    const strict = evaluateCluster(cluster(), pair({}, { clock: { offset: 0.5, uncertainty: 0.1 } }), { maxSkew: 0.3, warnSkew: 0.2, probeSeconds: 3 });
    expect(find(strict.checks, 'node2', 'clock skew')!.status).toBe('fail');
    // 1.2 s apart, but either answer may be 0.4 s late: not certainly above the limit, so a warning that says so.
    const unsure = evaluateCluster(cluster(), pair({}, { clock: { offset: 1.21, uncertainty: 0.4 } }));
    expect(find(unsure.checks, 'node2', 'clock skew')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining("above the limit of 1 s only within the measurement's uncertainty (±0.405 s)"),
      hint: expect.stringContaining('run preflight again'),
    });
    expect(find(evaluateCluster(cluster(), pair({ timeSync: parseTimeSync(read('lab-timesync-chrony-unsynced.txt')) })).checks, 'node1', 'time sync')!.detail).toBe(
      'chronyd running but not synchronised (chronyc: leap Not synchronised)',
    );
  });

  it('DRBD versions: missing utils, 8.3 module with 9 utils', () => {
    const { checks } = evaluateCluster(cluster(), pair({ versions: {} }, { versions: { module: '8.3.13', utils: '9.22.0' } }));
    expect(find(checks, 'node1', 'drbd versions')).toMatchObject({ status: 'fail', detail: 'no DRBD kernel module, no drbd-utils' });
    expect(find(checks, 'node2', 'drbd versions')).toMatchObject({ status: 'fail', detail: 'module 8.3.13 (not loaded), drbd-utils 9.22.0: an 8.3 module needs 8.3 utils, not 9.22.0' });
  });

  it('disks: missing, different sizes, a filesystem, mounted', () => {
    const big = parseBlockDevice(read('lab-blockdev-drbd-metadata.txt'));
    const sizes = evaluateCluster(cluster(), pair({}, { disks: { '/dev/vdb': { ...(big as Extract<BlockDeviceState, { exists: true }>), signatures: [] } } }));
    expect(find(sizes.checks, 'node1', 'disk r0')).toMatchObject({ status: 'fail', detail: '/dev/vdb 64 MiB, but node2 has 256 MiB' });
    expect(find(sizes.checks, 'node2', 'disk r0')!.hint).toMatch(/smallest \(64 MiB\) would limit the volume and this node's extra space is wasted/);
    const fs = evaluateCluster(cluster(), pair({ disks: { '/dev/vdb': blockdev('ext4-disk.txt') } }, { disks: { '/dev/vdb': { exists: false } } }));
    expect(find(fs.checks, 'node1', 'disk r0')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^\/dev\/vdb holds ext4 \(UUID /), hint: expect.stringContaining('reuse: true') });
    expect(find(fs.checks, 'node2', 'disk r0')).toMatchObject({ status: 'fail', detail: '/dev/vdb does not exist' });
    const reused = evaluateCluster(cluster('', 'pacemaker', 'disk: /dev/vdb, reuse: true'), pair({ disks: { '/dev/vdb': blockdev('ext4-disk.txt') } }));
    expect(find(reused.checks, 'node1', 'disk r0')).toMatchObject({ status: 'ok', detail: expect.stringContaining('reuse: true keeps ext4') });
    const mounted = evaluateCluster(cluster(), pair({ mounts: parseMounts('/dev/vdb1 /mnt ext4 rw 0 0\n') }));
    expect(find(mounted.checks, 'node1', 'disk r0')).toMatchObject({ status: 'fail', detail: '/dev/vdb is mounted on /mnt' });
  });

  it('disks: DRBD metadata on both nodes is a re-run; on one node only it is refused', () => {
    const meta = parseBlockDevice(read('lab-blockdev-drbd-metadata.txt'));
    const both = evaluateCluster(cluster(), pair({ disks: { '/dev/vdb': meta } }, { disks: { '/dev/vdb': meta } }));
    expect(find(both.checks, 'node1', 'disk r0')).toMatchObject({ status: 'ok', detail: '/dev/vdb 256 MiB: DRBD metadata present (re-run)' });
    const blank256 = { ...(meta as Extract<BlockDeviceState, { exists: true }>), signatures: [] };
    const one = evaluateCluster(cluster(), pair({ disks: { '/dev/vdb': meta } }, { disks: { '/dev/vdb': blank256 } }));
    expect(find(one.checks, 'node1', 'disk r0')).toMatchObject({ status: 'fail', detail: '/dev/vdb holds DRBD metadata, but node2 does not' });
    expect(find(one.checks, 'node2', 'disk r0')!.status).toBe('ok');
    // Up and connected: the filesystem inside DRBD shows through on the backing disk.
    const upFs = { ...(meta as Extract<BlockDeviceState, { exists: true }>), signatures: [...(meta.exists ? meta.signatures : []), { type: 'ext4', offset: '0x438' }] };
    const up = evaluateCluster(cluster(), pair({ disks: { '/dev/vdb': upFs }, drbd: parseProcDrbd(read('lab-proc-drbd-8.4-connected.txt')) }, { disks: { '/dev/vdb': meta } }));
    expect(find(up.checks, 'node1', 'disk r0')!.detail).toBe('/dev/vdb 256 MiB: DRBD metadata present (re-run), resource up; inside: ext4');
  });

  it('partition: the whole disk is checked; an earlier run\'s partition with metadata is a re-run', () => {
    const c = cluster('', 'pacemaker', 'disk: /dev/vdb, partition: true');
    expect(requirements(c).map((r) => r.package)).toContain('fdisk');
    const blank = evaluateCluster(c, pair({ disks: { '/dev/vdb': blockdev('blank-disk.txt') } }, { disks: { '/dev/vdb': blockdev('blank-disk.txt') } }));
    expect(find(blank.checks, 'node1', 'disk r0')).toMatchObject({ status: 'ok', detail: '/dev/vdb (partition /dev/vdb1) 64 MiB, blank (to be partitioned), same size on all nodes' });
    const dos = blockdev('dos-partitioned-disk.txt');
    const meta = parseBlockDevice(read('lab-blockdev-drbd-metadata.txt'));
    const rerun = evaluateCluster(c, pair({ disks: { '/dev/vdb': dos, '/dev/vdb1': meta } }, { disks: { '/dev/vdb': dos, '/dev/vdb1': meta } }));
    expect(find(rerun.checks, 'node1', 'disk r0')).toMatchObject({ status: 'ok', detail: expect.stringContaining('DRBD metadata present (re-run)') });
    const foreign = evaluateCluster(c, pair({ disks: { '/dev/vdb': dos } }, { disks: { '/dev/vdb': dos } }));
    expect(find(foreign.checks, 'node1', 'disk r0')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/holds dos/) });
  });

  it('ports: taken by another program, held by DRBD, not an address of the node, unreachable', () => {
    const taken = evaluateCluster(cluster(), pair({ listeners: parseListeners('LISTEN 0 128 0.0.0.0:7788 0.0.0.0:* users:(("nc",pid=1,fd=3))\n') }));
    expect(find(taken.checks, 'node1', 'port 7788 free')).toMatchObject({ status: 'fail', detail: '0.0.0.0:7788 (nc) already listens' });
    const wf = evaluateCluster(
      cluster(),
      pair(
        { listeners: parseListeners(read('lab-listeners-drbd-wfconnection.txt')), drbd: parseProcDrbd(read('lab-proc-drbd-8.4-wfconnection.txt')), probe: parsePortProbe(read('lab-probe-wfconnection-node1.txt')) },
        { probe: parsePortProbe(read('lab-probe-wfconnection-node2.txt')) },
      ),
    );
    expect(find(wf.checks, 'node1', 'port 7788 free')).toMatchObject({ status: 'ok', detail: 'DRBD holds 10.99.0.11:7788 (resource r0 is up)' });
    expect(find(wf.checks, 'node1', 'port 7788 reachable')).toMatchObject({ status: 'ok', detail: '10.99.0.11:7788 reachable from node2 (DRBD listens there and answered)' });
    expect(find(wf.checks, 'node2', 'port 7788 reachable')!.status).toBe('ok');
    const connected = evaluateCluster(cluster(), pair({ probe: parsePortProbe(read('lab-probe-drbd-connected.txt')), drbd: parseProcDrbd(read('lab-proc-drbd-8.4-connected.txt')) }, { probe: parsePortProbe(read('lab-probe-drbd-connected.txt')) }));
    expect(find(connected.checks, 'node1', 'port 7788 reachable')!.detail).toBe('DRBD resource r0 is connected');
    const bad = evaluateCluster(cluster(), pair({ probe: parsePortProbe(read('lab-probe-alone-failures.txt')) }));
    // node1's own listener could not bind 10.99.0.99... our fixture lists r0 on a foreign address:
    expect(find(bad.checks, 'node1', 'port 7788 reachable')).toMatchObject({ status: 'fail', detail: expect.stringContaining('is not an address of this node') });
    expect(find(bad.checks, 'node2', 'port 7788 reachable')).toMatchObject({ status: 'fail', detail: '10.99.0.12:7788: node1 cannot connect: Connection refused' });
  });

  it('packages per stack; ifconfig is a warning for heartbeat only', () => {
    const none = { tools: {}, files: {} };
    const pm = evaluateCluster(cluster(), pair({ presence: none }));
    expect(find(pm.checks, 'node1', 'packages')).toMatchObject({
      status: 'fail',
      detail: 'missing: drbd-utils (drbdadm, /usr/lib/ocf/resource.d/linbit/drbd); corosync (corosync); pacemaker (pacemakerd); pacemaker-cli-utils (crm_verify, cibadmin); resource-agents (/usr/lib/ocf/resource.d/heartbeat/IPaddr2, /usr/lib/ocf/resource.d/heartbeat/Filesystem); iproute2 (ip); e2fsprogs (mkfs.ext4)',
      hint: 'install them: apt-get install drbd-utils corosync pacemaker pacemaker-cli-utils resource-agents iproute2 e2fsprogs',
    });
    expect(find(pm.checks, 'node1', 'ifconfig')).toBeUndefined();
    // bootstrap installs them: a warning there.
    const later = evaluateCluster(cluster(), pair({ presence: none }), { ...DEFAULT_PREFLIGHT_OPTIONS, packagesInstalledLater: true });
    expect(find(later.checks, 'node1', 'packages')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/\(bootstrap installs them\)$/) });
    const hb = cluster('', 'heartbeat');
    expect(requirements(hb).map((r) => r.package)).toEqual(['drbd-utils', 'heartbeat', 'resource-agents', 'iproute2', 'mon', 'netbase', 'e2fsprogs']);
    const noIfconfig = evaluateCluster(hb, pair({ presence: { ...ALL_TOOLS, tools: { ...ALL_TOOLS.tools, ifconfig: null } } }));
    expect(find(noIfconfig.checks, 'node1', 'packages')!.status).toBe('ok');
    expect(find(noIfconfig.checks, 'node1', 'ifconfig')).toMatchObject({ status: 'warn', detail: expect.stringContaining('legacy IPaddr') });
  });

  it('an unreachable node: one ssh line, and its peer says what was not tested', () => {
    const { checks } = evaluateCluster(cluster(), pair({}, { error: { message: 'connection refused', hint: 'is sshd running?' } }));
    expect(checks.filter((c) => c.node === 'node2')).toEqual([{ cluster: 'c', node: 'node2', check: 'ssh', status: 'fail', detail: 'connection refused', hint: 'is sshd running?' }]);
    expect(find(checks, 'node1', 'port 7788 reachable')).toMatchObject({ status: 'warn', detail: '10.99.0.11:7788: not tested: node2 (unreachable)' });
  });
});

describe('table', () => {
  it('pads columns, keeps colour out of widths, puts notes under the last column', () => {
    const red = (s: string) => `\u001b[31m${s}\u001b[0m`;
    const out = renderTable(
      ['NODE', 'CHECK', 'STATUS', 'DETAIL'],
      [
        { cells: ['node1', 'uname -n', 'ok', 'node1'] },
        { cells: ['node22', 'disk r0', 'FAIL', '/dev/vdb holds ext4'], notes: ['hint: wipe it'], paint: (col, t) => (col === 2 ? red(t) : t) },
      ],
    );
    const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toBe(
      ['NODE    CHECK     STATUS  DETAIL', 'node1   uname -n  ok      node1', 'node22  disk r0   FAIL    /dev/vdb holds ext4', '                          hint: wipe it'].join('\n'),
    );
    expect(visibleLength(red('FAIL'))).toBe(4);
  });
  it('wraps the last column to the width', () => {
    expect(wrap('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd']);
    const out = renderTable(['A', 'B'], [{ cells: ['x', 'one two three four five six'], notes: ['hint: seven eight nine ten'] }], { width: 24 });
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(24);
    expect(out.split('\n').slice(1)).toEqual(['x  one two three four', '   five six', '   hint: seven eight', '   nine ten']);
  });
  it('the preflight report: warnings first, hints under problems, skew and a summary', () => {
    const { checks } = evaluateCluster(cluster(), pair({}, { clock: { offset: 30, uncertainty: 0.1 } }));
    const text = renderPreflight({
      inventory: 'inv.yaml',
      ok: false,
      summary: { ok: 1, warn: 2, fail: 3 },
      warnings: ["cluster 'c': automatic split-brain recovery"],
      checks,
      clusters: [{ name: 'c', stack: 'pacemaker', nodes: ['node1', 'node2'], skewSeconds: 29.99, skewUncertaintySeconds: 0.105 }],
      roundTripMs: { node1: 40, node2: 42 },
    });
    expect(text.split('\n')[0]).toBe("warning: cluster 'c': automatic split-brain recovery");
    expect(text).toMatch(/\nnode2  clock skew +FAIL +offset \+30\.000 s/);
    expect(text).toMatch(/\n +hint: clocks differ by 29\.990 s between nodes/);
    expect(text).toContain('cluster c: clock skew between nodes 29.990 s (±0.105 s)');
    expect(text).toMatch(/3 failed, 2 warnings, 1 ok {2}\(one round trip per node: node1 40 ms, node2 42 ms\)$/);
  });
});
