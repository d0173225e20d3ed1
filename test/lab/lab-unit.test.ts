// The lab's pure parts, no VMs needed: names, networks, host key parsing,
// the QEMU command line and the inventory it writes.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildProgress } from '../../src/lab/build-progress.js';
import { parseInventory } from '../../src/inventory/load.js';
import { HOSTKEY_MARKER } from '../../src/lab/guest-files.js';
import { inventoryDocument } from '../../src/lab/inventory.js';
import { macFor, mcastFor, mcastKey } from '../../src/lab/network.js';
import { withLabLock } from '../../src/lab/lock.js';
import { LabPaths, checkLabName } from '../../src/lab/paths.js';
import { kernelCommandLine, qemuArgv } from '../../src/lab/qemu.js';
import { renderStatus } from '../../src/lab/render.js';
import { labUp } from '../../src/services/lab.js';
import { drbd9RecipeOf, RECIPE, recipeHash } from '../../src/lab/recipe.js';
import { defaultDrbd9SourceDir, drbd9BuildScript, readDrbd9Source } from '../../src/lab/drbd9.js';
import { bestOffset, describeOffset, stepCommand } from '../../src/lab/clock.js';
import { knownHostsLine, parseHostKeys } from '../../src/lab/ssh-keys.js';
import { findNode, writeState, type LabState } from '../../src/lab/state.js';

const paths = new LabPaths('demo', '/state');
/** lab up's options for the refusals tested below (each refuses before anything is made). */
const up = { name: 'demo', nodes: 2, memoryMiB: 1024, cpus: 2, diskSizeMiB: 256, accel: 'tcg' as const, stack: 'pacemaker' as const, bootTimeoutSec: 1, report: () => undefined };
const state: LabState = {
  version: 1,
  name: 'demo',
  createdAt: '2025-01-01T00:00:00.000Z',
  imageHash: 'abc',
  kernel: '/cache/vmlinuz',
  initrd: '/cache/initrd.img',
  base: '/cache/base.qcow2',
  accel: 'tcg',
  memoryMiB: 512,
  diskSizeMiB: 256,
  stack: 'heartbeat',
  mcast: mcastFor('demo'),
  nodes: [0, 1].map((i) => ({
    name: `node${i + 1}`,
    index: i,
    sshPort: 40000 + i,
    addresses: { replication: `10.99.0.${11 + i}`, ring1: `10.98.0.${11 + i}` },
    cut: [],
  })),
};

describe('lab names and networks', () => {
  it('accepts tame names only', () => {
    expect(checkLabName('test-123')).toBe('test-123');
    for (const bad of ['', 'A', '../x', 'a b', 'x'.repeat(40)]) expect(() => checkLabName(bad)).toThrow(/invalid lab name/);
  });

  it('gives different labs different multicast endpoints, and each link its own', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const m = mcastFor(`lab${i}`);
      expect(m.replication.group).toMatch(/^230\.\d+\.\d+\.\d+$/);
      expect(m.ring1.port).toBe(m.replication.port + 1);
      seen.add(mcastKey(m.replication));
    }
    expect(seen.size).toBe(200);
    expect(mcastFor('x')).toEqual(mcastFor('x'));
    expect(mcastKey(mcastFor('x', 1).replication)).not.toBe(mcastKey(mcastFor('x').replication));
  });

  it('makes unique locally administered MACs', () => {
    expect(macFor('demo', 1, 2)).toMatch(/^52:54:[0-9a-f]{2}:[0-9a-f]{2}:01:02$/);
    expect(macFor('demo', 0, 1)).not.toBe(macFor('demo', 1, 1));
  });
});

describe('host keys from the serial console', () => {
  it('takes the marker lines of the latest boot, ignoring console noise', () => {
    const log = [
      '[  OK  ] Started ssh.service',
      `${HOSTKEY_MARKER} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLD`,
      `\r${HOSTKEY_MARKER} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINEW+/=\r`,
      'node1 login:',
    ].join('\n');
    expect(parseHostKeys(log)).toEqual([{ type: 'ssh-ed25519', key: 'AAAAC3NzaC1lZDI1NTE5AAAAINEW+/=' }]);
    expect(parseHostKeys('no keys here')).toEqual([]);
    expect(knownHostsLine(2222, { type: 'ssh-ed25519', key: 'K' })).toBe('[127.0.0.1]:2222 ssh-ed25519 K');
  });
});

describe('QEMU command line', () => {
  const spec = { state, node: state.nodes[1], paths, sshKeyBlob: 'AAAAKEY', qemuBinary: 'qemu-system-x86_64' };

  it('gives the guest its identity on the kernel command line', () => {
    const cmdline = kernelCommandLine(spec);
    expect(cmdline).toContain('systemd.hostname=node2');
    expect(cmdline).toContain('net.ifnames=0');
    expect(cmdline).toContain('norandmaps');
    expect(cmdline).toContain('haforge.net=eth1=10.99.0.12/24,eth2=10.98.0.12/24');
    expect(cmdline).toContain('haforge.hosts=node1=10.99.0.11,node2=10.99.0.12');
    expect(cmdline).toContain('haforge.sshkey=AAAAKEY');
    expect(cmdline).toMatch(/systemd\.machine_id=[0-9a-f]{32}/);
  });

  it('qualifies the host names with the lab\'s domain, and finds a node by either name', () => {
    const fqdn = { ...state, domain: 'ha.example.com' };
    const cmdline = kernelCommandLine({ ...spec, state: fqdn });
    expect(cmdline).toContain('systemd.hostname=node2.ha.example.com');
    expect(cmdline).toContain('haforge.hosts=node1.ha.example.com=10.99.0.11,node2.ha.example.com=10.99.0.12');
    expect(findNode(fqdn, 'node2.ha.example.com')).toBe(fqdn.nodes[1]);
    expect(findNode(fqdn, 'node2')).toBe(fqdn.nodes[1]);
    expect(() => findNode(state, 'node2.ha.example.com')).toThrow(/has no node/);
  });

  it('refuses a domain that is no DNS domain before anything is made (it goes onto the kernel command line)', async () => {
    for (const domain of ['ha example', 'ha.example.com haforge.sshkey=AAAA', '.example', 'ex_ample.com']) {
      await expect(labUp({ ...up, domain })).rejects.toThrow(`--domain '${domain}' is not a DNS domain`);
    }
  });

  it('forwards SSH on loopback only, and puts the private NICs on the lab multicast group', () => {
    const argv = qemuArgv(spec).join(' ');
    expect(argv).toContain('hostfwd=tcp:127.0.0.1:40001-:22');
    expect(argv).toContain(`mcast=${mcastKey(state.mcast.replication)},localaddr=127.0.0.1`);
    expect(argv).toContain(`mcast=${mcastKey(state.mcast.ring1)},localaddr=127.0.0.1`);
    expect(argv).toContain('-accel tcg,tb-size=512');
    expect(argv).toContain(`-drive file=${paths.dataDisk('node2')},if=none,id=data,format=raw -device virtio-blk-pci,drive=data`);
    expect(qemuArgv({ ...spec, state: { ...state, accel: 'kvm' } }).join(' ')).toContain('-accel kvm');
  });

  it('gives every VM the shared SBD disk (one file, share-rw, no locking, a stable serial) and a watchdog that resets it', () => {
    const argv = qemuArgv({ ...spec, state: { ...state, sbd: true } }).join(' ');
    expect(argv).toContain(`-drive file=${paths.sbdDisk},if=none,id=sbd,format=raw,file.locking=off,cache=none`);
    expect(argv).toContain('-device virtio-blk-pci,drive=sbd,share-rw=on,serial=haforge-sbd');
    expect(argv).toContain('-device i6300esb -action watchdog=reset');
    // A lab from before: neither.
    expect(qemuArgv(spec).join(' ')).not.toMatch(/sbd|i6300esb/);
  });

  it('gives each VM the vCPUs of its lab, one for a state file written before the flag existed', () => {
    expect(qemuArgv({ ...spec, state: { ...state, cpus: 2 } }).join(' ')).toContain('-smp 2 ');
    expect(qemuArgv(spec).join(' ')).toContain('-smp 1 ');
  });
});

describe('lab status as text', () => {
  const node = (name: string, hostname: string) => ({ name, hostname, sshPort: 40000, addresses: { ssh: '127.0.0.1:40000', replication: '10.99.0.11', ring1: '10.98.0.11' }, power: 'running' as const, pid: 7, cutLinks: [] });
  const status = (hostname: string, drbd = '8.4') => ({ name: 'demo', inventory: '/i.yaml', stateDir: '/s', stack: 'pacemaker' as const, accel: 'tcg' as const, drbd, nodes: [node('node1', hostname)] });
  it('names the DRBD of the lab only where it is not the kernel\'s 8.4', () => {
    expect(renderStatus(status('node1')).split('\n')[0]).toBe('lab "demo" (pacemaker, tcg)');
    expect(renderStatus(status('node1', 'drbd-9.2.18')).split('\n')[0]).toBe('lab "demo" (pacemaker, tcg, drbd-9.2.18)');
  });

  it('shows the host names only where the lab has a domain', () => {
    expect(renderStatus(status('node1')).split('\n')[1]).toMatch(/^NODE +POWER/);
    expect(renderStatus(status('node1.ha.example.com')).split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^NODE   HOST NAME +POWER/),
      expect.stringMatching(/^node1  node1\.ha\.example\.com +running/),
    ]);
  });
});

describe('inventory written by lab up', () => {
  it('follows inventory.example.yaml, and haforge loads it', () => {
    const text = stringify(inventoryDocument(state, paths));
    const lab = parseInventory('lab.yaml', text).clusters[0]!;
    expect(lab.nodes.map((n) => n.ring1Address)).toEqual(['10.98.0.11', '10.98.0.12']);
    expect(lab.heartbeat?.deadtime).toBe(30);
    // Read only for the stack the inventory names: the same file with stack: pacemaker serves Pacemaker.
    expect(lab.pacemaker).toBeUndefined();
    const asPacemaker = parseInventory('lab.yaml', text.replace('stack: heartbeat', 'stack: pacemaker')).clusters[0]!;
    expect(asPacemaker.pacemaker?.properties).toEqual({ 'load-threshold': '1000%' });
    expect(inventoryDocument(state, paths)).toEqual({
      version: 1,
      defaults: { ssh: { user: 'root', identity_file: '/state/demo/id_ed25519', known_hosts: '/state/demo/known_hosts' } },
      clusters: {
        lab: {
          stack: 'heartbeat',
          primary: 'node1',
          nodes: {
            node1: { address: '127.0.0.1', ssh: { port: 40000 }, replication_address: '10.99.0.11', ring1_address: '10.98.0.11', vars: { data_disk: '/dev/vdb' } },
            node2: { address: '127.0.0.1', ssh: { port: 40001 }, replication_address: '10.99.0.12', ring1_address: '10.98.0.12', vars: { data_disk: '/dev/vdb' } },
          },
          drbd: { resync_rate: '100M', c_plan_ahead: 0, resources: { r0: { disk: '/dev/vdb', mount: '/replicated', mount_options: 'noatime' } } },
          services: { web: { unit: 'lighttpd', paths: ['/var/www/html', '/etc/lighttpd'], port: 80 } },
          drill: { quiescent: ['/etc/lighttpd'] },
          vip: { address: '10.99.0.100', cidr_netmask: 24, nic: 'eth1' },
          pacemaker: { properties: { 'load-threshold': '1000%' } },
          fencing: { enabled: false },
        },
      },
    });
  });

  it('names the nodes by their qualified host names where the lab has a domain', () => {
    const lab = parseInventory('lab.yaml', stringify(inventoryDocument({ ...state, domain: 'ha.example.com' }, paths))).clusters[0]!;
    expect(lab.nodes.map((n) => n.name)).toEqual(['node1.ha.example.com', 'node2.ha.example.com']);
    expect(lab.primary).toBe('node1.ha.example.com');
  });

  it('fences with SBD on the shared disk where the lab has one and runs Pacemaker; Heartbeat cannot use it', () => {
    const pcmk = { ...state, sbd: true, stack: 'pacemaker' as const };
    const lab = parseInventory('lab.yaml', stringify(inventoryDocument(pcmk, paths))).clusters[0]!;
    expect(lab.fencing).toEqual({ enabled: true, devices: [], sbd: { devices: ['/dev/disk/by-id/virtio-haforge-sbd'], watchdog: '/dev/watchdog', watchdogTimeout: 5, msgwait: 10 } });
    expect((inventoryDocument({ ...pcmk, stack: 'heartbeat' }, paths) as any).clusters.lab.fencing).toEqual({ enabled: false });
  });
});

describe('image recipe', () => {
  it('has a stable hash that changes with the recipe', () => {
    expect(recipeHash()).toBe(recipeHash(RECIPE));
    expect(recipeHash({ ...RECIPE, extraPackages: [...RECIPE.extraPackages, 'vim'] })).not.toBe(recipeHash());
    expect(recipeHash({ ...RECIPE, scripts: [] })).not.toBe(recipeHash());
  });

  it('a DRBD 9 image is another image, one per set of sources (by their content, not their path)', () => {
    const a = drbd9RecipeOf({ tag: 'drbd-9.2.18', digest: '0123456789abcdef', script: 'make' });
    expect(recipeHash(a)).not.toBe(recipeHash());
    expect(recipeHash(drbd9RecipeOf({ tag: 'drbd-9.2.18', digest: 'fedcba9876543210', script: 'make' }))).not.toBe(recipeHash(a));
    expect(recipeHash(drbd9RecipeOf({ tag: 'drbd-9.2.18', digest: '0123456789abcdef', script: 'make' }))).toBe(recipeHash(a));
    // Another build script: another image.
    expect(recipeHash(drbd9RecipeOf({ tag: 'drbd-9.2.18', digest: '0123456789abcdef', script: 'make -j2' }))).not.toBe(recipeHash(a));
  });
});

describe('DRBD 9 sources (src/lab/drbd9.ts)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-drbd9-'));
  const bundles = (names: string[], content = 'x') => {
    const d = mkdtempSync(path.join(dir, 's'));
    for (const n of names) writeFileSync(path.join(d, n), content);
    return d;
  };

  it('reads the two bundles, the tag from the drbd bundle\'s name, and a digest of their content', async () => {
    const d = bundles(['drbd-9.2.18.bundle', 'drbd-headers-d04ab13.bundle', 'README.md']);
    const src = await readDrbd9Source(d);
    expect(src).toMatchObject({ tag: 'drbd-9.2.18', drbdBundle: path.join(d, 'drbd-9.2.18.bundle'), headersBundle: path.join(d, 'drbd-headers-d04ab13.bundle') });
    expect(src.digest).toMatch(/^[0-9a-f]{16}$/);
    expect((await readDrbd9Source(bundles(['drbd-9.2.18.bundle', 'drbd-headers-d04ab13.bundle']))).digest).toBe(src.digest);
    expect((await readDrbd9Source(bundles(['drbd-9.2.18.bundle', 'drbd-headers-d04ab13.bundle'], 'y'))).digest).not.toBe(src.digest);
  });

  it('refuses a directory that is missing, or without exactly one bundle of each, saying how to make them', async () => {
    await expect(readDrbd9Source(path.join(dir, 'nothing-here'))).rejects.toMatchObject({ message: expect.stringMatching(/cannot read .*nothing-here \(ENOENT\)/), hint: expect.stringMatching(/git bundle create/) });
    await expect(readDrbd9Source(bundles(['drbd-9.2.18.bundle']))).rejects.toThrow(/holds 1 drbd-9\.x\.y\.bundle and 0 drbd-headers-<commit>\.bundle/);
    await expect(readDrbd9Source(bundles(['drbd-9.2.18.bundle', 'drbd-9.2.17.bundle', 'drbd-headers-d04ab13.bundle']))).rejects.toThrow(/holds 2 drbd-9/);
  });

  it('the sources default to $HAFORGE_DRBD9_SOURCE, else shared/vendor/drbd9 beside the checkout', () => {
    expect(defaultDrbd9SourceDir('/work/main', { HAFORGE_DRBD9_SOURCE: '/srv/d9' })).toBe('/srv/d9');
    expect(defaultDrbd9SourceDir('/work/main', {})).toBe('/work/shared/vendor/drbd9');
  });

  it('the build script builds the named tag for the image\'s newest kernel, installs three modules under updates/, and checks modprobe would load it', () => {
    const script = drbd9BuildScript({ tag: 'drbd-9.2.18', drbdBundle: '/v/drbd-9.2.18.bundle', headersBundle: '/v/drbd-headers-d04ab13.bundle' });
    // The suite's newest kernel, from its security updates ($1 the mirror, $2 the suite).
    expect(script).toContain('echo "deb $1 $2-security main" > /etc/apt/sources.list.d/$2-security.list');
    expect(script).toContain('apt-get install -y -q --no-install-recommends linux-image-amd64 build-essential coccinelle linux-headers-amd64 git');
    expect(script).toContain('git -c advice.detachedHead=false checkout -q drbd-9.2.18');
    expect(script).toContain('git config submodule.drbd/drbd-headers.url "/usr/src/haforge-drbd9/drbd-headers-d04ab13.bundle"');
    expect(script).toContain('make -C drbd -j"$(nproc)" KDIR="/usr/src/linux-headers-$kver"');
    expect(script).toContain('for m in drbd drbd_transport_tcp handshake; do');
    expect(script).toContain('[ "$have" = "9.2.18" ] ||');
    expect(script).toMatch(/depmod -a "\$kver"/);
    // The build tools leave the image again.
    expect(script).toMatch(/xargs -r apt-get purge -y -q\napt-get autoremove --purge -y -q\n$/);
  });

  it('an existing lab keeps its DRBD: another --drbd is refused with a hint, none means the lab\'s own', async () => {
    const root = mkdtempSync(path.join(dir, 'state-'));
    const before = process.env.HAFORGE_LAB_STATE;
    process.env.HAFORGE_LAB_STATE = root;
    try {
      const lab = new LabPaths('demo', root);
      mkdirSync(lab.dir, { recursive: true });
      await writeState(lab, { ...state, drbd9: 'drbd-9.2.18' });
        await expect(labUp({ ...up, drbd: '8.4' })).rejects.toMatchObject({ message: 'lab "demo" already exists with drbd-9.2.18', hint: expect.stringMatching(/lab down --name demo/) });
      await writeState(lab, state);
      await expect(labUp({ ...up, drbd: '9' })).rejects.toThrow('lab "demo" already exists with the kernel\'s DRBD 8.4');
    } finally {
      if (before === undefined) delete process.env.HAFORGE_LAB_STATE;
      else process.env.HAFORGE_LAB_STATE = before;
    }
  });

  it('lab up refuses --drbd-source without --drbd 9, before anything is made', async () => {
    await expect(labUp({ ...up, drbd: '8.4', drbdSource: '/srv/d9' })).rejects.toMatchObject({ message: expect.stringMatching(/--drbd-source names DRBD 9 sources/), hint: 'add --drbd 9, or leave --drbd-source out' });
  });
});

describe('lab lock', () => {
  it('refuses a second command on the same lab and takes over a dead holder', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const root = await mkdtemp(`${os.tmpdir()}/hflock-`);
    const p = new LabPaths('locked', root);
    let release!: () => void;
    const first = withLabLock(p, 'up', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    await expect(withLabLock(p, 'down', async () => 'x')).rejects.toThrow(/lab "locked" is busy: process \d+ is running `lab up`/);
    release();
    await first;
    expect(await withLabLock(p, 'down', async () => 'free again')).toBe('free again');
    await writeFile(`${root}/.locked.lock`, '999999999 up\n'); // a holder that no longer exists
    expect(await withLabLock(p, 'up', async () => 'taken over')).toBe('taken over');
    await rm(root, { recursive: true, force: true });
  });
});

describe('guest clock (src/lab/clock.ts)', () => {
  const s = (sent: number, remote: number, received: number) => ({ sentNs: BigInt(sent), remoteNs: BigInt(remote), receivedNs: BigInt(received) });
  it('takes the exchange with the shortest round trip and the middle of it', () => {
    // The guest is 700 ms behind; the second exchange was delayed on the way out, the third is the quickest.
    const r = bestOffset([s(1_000_000_000, 300_000_000 + 20_000_000, 1_040_000_000), s(2_000_000_000, 1_300_000_000 + 90_000_000, 2_100_000_000), s(3_000_000_000, 2_300_000_000 + 10_000_000, 3_020_000_000)]);
    expect(r).toEqual({ offsetNs: -700_000_000n, roundTripNs: 20_000_000n });
    expect(() => bestOffset([])).toThrow(/no clock exchange/);
  });
  it('steps relative to the guest\'s own clock, in seconds with nine decimals', () => {
    expect(stepCommand(700_000_000n)).toBe('s + 0.700000000');
    expect(stepCommand(-12_345_678_901n)).toBe('s - 12.345678901');
    expect(describeOffset(-930_000_000n)).toBe('0.930 s behind');
  });
});

describe('image build progress (src/lab/build-progress.ts, on a captured build log)', () => {
  // test/fixtures/lab/image-build.txt: the log of the lab image build of 2026-12-06 (recipe with mariadb-server), debootstrap then apt-get in the chroot.
  const log = readFileSync(path.join(__dirname, '../fixtures/lab/image-build.txt'), 'utf8');
  const upTo = (marker: string, after = 0) => log.slice(0, log.indexOf(marker) + after);

  it('says where debootstrap is, then how many of the cluster packages are set up', () => {
    expect(buildProgress('')).toBeUndefined();
    expect(buildProgress(upTo('I: Retrieving adduser'))).toBe("debootstrap: reading the mirror's index");
    expect(buildProgress(upTo('I: Retrieving bash'))).toBe('debootstrap: 4 packages downloaded');
    expect(buildProgress(upTo('I: Extracting apt'))).toBe('debootstrap: 149 packages downloaded, unpacking');
    expect(buildProgress(upTo('I: Configuring libwrap0'))).toMatch(/^debootstrap: \d+ of 149 packages configured$/);
    expect(buildProgress(upTo('I: Base system installed successfully', 40))).toBe('debootstrap done; resolving the cluster packages');
    expect(buildProgress(upTo('Setting up'))).toMatch(/^cluster packages: \d+ of 155 unpacked$/);
    expect(buildProgress(log)).toBe('cluster packages: 155 of 155 set up');
  });
});
