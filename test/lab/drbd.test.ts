// DRBD bootstrap on real VMs (kernel DRBD 8.4): blank disks to connected
// UpToDate/UpToDate with a mounted filesystem and a relocated web server,
// an idempotent re-run, a manual switch, refusals of disks that hold data,
// --skip-initial-sync on blank disks, and relocation undo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCli, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `drbd-${process.pid}`;

describe.skipIf(skip)('DRBD bootstrap in the lab (real VMs)', () => {
  let lab: LabSession;
  let inventory: string;
  const timings: Record<string, number> = {};
  const ssh = (node: string, command: string) => lab.ssh(node, command);
  const apply = (inv: string, playbook: string, ...args: string[]) => lab.apply(inv, playbook, ...args);
  /** The lab's inventory plus a DRBD section, a web service and extra resources, written as `file` in the lab's state root. */
  const writeInventory = (file: string, resources: Record<string, object>, services: object = {}) =>
    // DRBD alone, no cluster manager: no fencing (STONITH fencing would have DRBD wait for a cluster manager's handler),
    // and no drill (the lab's quiescent path is the web server's, which some of these inventories leave out).
    lab.inventory(file, { drbd: { resync_rate: '100M', c_plan_ahead: 0, resources }, services, drill: undefined, fencing: { enabled: false } });
  const failures = (report: any) => report.results.filter((r: any) => r.status === 'failed');

  beforeAll(async () => {
    lab = await openLab(NAME, 'hfdrbd-');
    inventory = await writeInventory('drbd.yaml', { r0: { disk: '/dev/vdb', mount: '/replicated', mount_options: 'noatime' } }, {
      web: { unit: 'lighttpd', paths: ['/var/www/html', '/etc/lighttpd'], port: 80 },
    });
  }, 15 * MIN);

  afterAll(async () => {
    console.info(`DRBD lab timings (s): ${JSON.stringify(timings)}`);
    await lab?.close();
  }, 2 * MIN);

  it('preflight catches a wrong uname -n and a clock skew, and passes once they are fixed', async () => {
    const preflight = async () => {
      const r = await runCli(['preflight', '-i', inventory, '--json'], lab.env);
      return { code: r.code, checks: JSON.parse(r.stdout).checks as { node: string; check: string; status: string; detail: string }[] };
    };
    await ssh('node2', 'hostname wrongname && date -s "+5 seconds" >/dev/null');
    try {
      const bad = await preflight();
      expect(bad.code).toBe(1);
      const failed = bad.checks.filter((c) => c.status === 'fail').map((c) => `${c.node} ${c.check}`);
      expect(failed).toEqual(expect.arrayContaining(['node2 uname -n', 'node2 clock skew']));
      expect(bad.checks.find((c) => c.node === 'node2' && c.check === 'uname -n')!.detail).toBe("uname -n says 'wrongname', the inventory says 'node2'");
    } finally {
      await ssh('node2', 'hostname node2 && date -s "-5 seconds" >/dev/null');
    }
    const good = await preflight();
    // Only the lab's own choices remain: no fencing (said explicitly), so warnings, no failures.
    expect(good.checks.filter((c) => c.status === 'fail'), JSON.stringify(good.checks.filter((c) => c.status === 'fail'))).toEqual([]);
    expect(good.code).toBe(0);
  }, 5 * MIN);

  it('takes blank VMs to UpToDate/UpToDate, mounted on the primary, web server relocated', async () => {
    const { ran, report, audit } = await apply(inventory, 'drbd');
    timings.bootstrap = ran.ms / 1000;
    expect(report.ok, JSON.stringify(failures(report), null, 2)).toBe(true);
    const sync = audit.filter((r) => r.kind === 'read').reduce((s: number, r: any) => s + r.durationMs, 0);
    timings.bootstrapWithoutSyncWait = (ran.ms - sync) / 1000;
    expect(await ssh('node1', 'cat /proc/drbd')).toMatch(/cs:Connected ro:Primary\/Secondary ds:UpToDate\/UpToDate/);
    expect(await ssh('node2', 'cat /proc/drbd')).toMatch(/ro:Secondary\/Primary ds:UpToDate\/UpToDate/);
    expect(await ssh('node1', 'findmnt -n -o SOURCE,FSTYPE /replicated')).toBe('/dev/drbd0 ext4\n');
    expect(await ssh('node1', 'readlink /var/www/html /etc/lighttpd; ls /replicated/etc/lighttpd/lighttpd.conf')).toBe('/replicated/var/www/html\n/replicated/etc/lighttpd\n/replicated/etc/lighttpd/lighttpd.conf\n');
    expect(await ssh('node2', 'readlink /var/www/html; test -d /var/www/html.haforge-local && echo kept')).toBe('/replicated/var/www/html\nkept\n');
    expect(await ssh('node2', 'grep drbd0 /etc/fstab')).toMatch(/^\/dev\/drbd0\t\/replicated\text4\tnoauto,noatime\t0 0$/m);
    for (const node of ['node1', 'node2']) expect(await ssh(node, 'systemctl is-enabled lighttpd || true')).toBe('disabled\n');
    // The destructive steps ran once each, where they should.
    const destructive = audit.filter((r) => r.destructive).map((r) => `${r.host} ${r.argv.join(' ')}`);
    expect(destructive.sort()).toEqual(['node1 drbdadm --force create-md r0', 'node1 drbdadm primary --force r0', 'node1 mkfs.ext4 -q -L r0 /dev/drbd0', 'node2 drbdadm --force create-md r0']);
  }, 20 * MIN);

  it('a second run reports no change and runs no change-making command (three times, each timed)', async () => {
    // Three samples: one re-run right after the bootstrap says little on emulated VMs.
    const seconds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { ran, report, audit } = await apply(inventory, 'drbd');
      seconds.push(ran.ms / 1000);
      expect(report.results.filter((r: any) => r.status !== 'ok')).toEqual([]);
      expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
      // One command per node, and no lock: nothing to change takes none.
      expect(audit.filter((r) => r.host === 'node1').map((r) => r.kind)).toEqual(['fact']);
      timings[`rerun${i + 1}FactsNode1`] = audit.find((r) => r.host === 'node1').durationMs / 1000;
    }
    timings.rerun = seconds[0]!;
    timings.rerunMedian = [...seconds].sort((a, b) => a - b)[1]!;
    Object.assign(timings, { rerun2: seconds[1], rerun3: seconds[2] });
  }, 5 * MIN);

  it('a file written on the primary is there on the other node after a manual switch', async () => {
    await ssh('node1', 'echo "written on node1" > /replicated/hello && sync && umount /replicated && drbdadm secondary r0');
    expect(await ssh('node2', 'drbdadm primary r0 && mount /replicated && cat /replicated/hello')).toBe('written on node1\n');
    await ssh('node2', 'umount /replicated && drbdadm secondary r0');
    await ssh('node1', 'drbdadm primary r0 && mount /replicated');
  }, 5 * MIN);

  it('refuses a disk that already holds a filesystem, and leaves it intact', async () => {
    await ssh('node1', 'truncate -s 64M /var/tmp/r2.img && losetup /dev/loop6 /var/tmp/r2.img');
    await ssh('node2', 'truncate -s 64M /var/tmp/r2.img && losetup /dev/loop6 /var/tmp/r2.img && mkfs.ext4 -q -L precious /dev/loop6');
    const inv = await writeInventory('r2.yaml', { r2: { disk: '/dev/loop6', minor: 2, port: 7790 } });
    const { report, audit } = await apply(inv, 'drbd');
    expect(report.ok).toBe(false);
    const refused = failures(report).find((r: any) => r.host === 'node2')!;
    expect(refused.msg).toMatch(/^\/dev\/loop6 on node2 holds ext4 \(UUID [0-9a-f-]+\) label precious: refusing to create DRBD metadata over it$/);
    expect(refused.hint).toMatch(/wipefs -a \/dev\/loop6/);
    expect(audit.filter((r) => r.destructive && r.host === 'node2')).toEqual([]);
    expect(await ssh('node2', 'blkid -o value -s LABEL /dev/loop6')).toBe('precious\n');
    // Nothing went further on the other node either: the run stopped after the failing play.
    expect(report.results.filter((r: any) => r.task.startsWith('drbd primary')).every((r: any) => r.status === 'skipped')).toBe(true);
    await ssh('node1', 'drbdadm down r2 2>/dev/null; rm -f /etc/drbd.d/r2.res; losetup -d /dev/loop6');
    await ssh('node2', 'rm -f /etc/drbd.d/r2.res; losetup -d /dev/loop6');
  }, 5 * MIN);

  it('--skip-initial-sync: refused on a disk that is not blank, fast on blank ones', async () => {
    for (const node of ['node1', 'node2']) await ssh(node, 'truncate -s 128M /var/tmp/r1.img && losetup /dev/loop7 /var/tmp/r1.img');
    await ssh('node1', 'echo not-blank | dd of=/dev/loop7 bs=1 seek=4096 conv=notrunc status=none');
    const inv = await writeInventory('r1.yaml', { r1: { disk: '/dev/loop7', minor: 1, port: 7789 } });
    const refused = await apply(inv, 'drbd', '--var', 'initial_sync=skip');
    expect(failures(refused.report).map((r: any) => r.msg)).toEqual([expect.stringMatching(/skip-initial-sync refused: \/dev\/loop7 on node1 is not blank \(its first 16 MiB are not zero\)/)]);
    await ssh('node1', 'drbdadm down r1 && dd if=/dev/zero of=/dev/loop7 bs=1M count=16 status=none && drbdadm --force create-md r1 && drbdadm up r1');
    const { ran, report } = await apply(inv, 'drbd', '--var', 'initial_sync=skip');
    timings.skipInitialSync = ran.ms / 1000;
    expect(report.ok, JSON.stringify(failures(report))).toBe(true);
    expect(await ssh('node2', 'cat /proc/drbd')).toMatch(/1: cs:Connected ro:Secondary\/Primary ds:UpToDate\/UpToDate/);
    for (const node of ['node1', 'node2']) await ssh(node, 'drbdadm down r1; rm -f /etc/drbd.d/r1.res; losetup -d /dev/loop7');
  }, 10 * MIN);

  it('relocation undo puts the web server back, and a new run relocates it again', async () => {
    const undo = await apply(inventory, 'relocate', '--var', 'undo=true');
    expect(undo.report.ok, JSON.stringify(failures(undo.report))).toBe(true);
    expect(await ssh('node1', 'test -d /etc/lighttpd && test ! -L /etc/lighttpd && ls /etc/lighttpd/lighttpd.conf && systemctl is-enabled lighttpd')).toBe('/etc/lighttpd/lighttpd.conf\nenabled\n');
    expect(await ssh('node2', 'test ! -L /var/www/html && test ! -e /var/www/html.haforge-local && echo restored')).toBe('restored\n');
    const again = await apply(inventory, 'relocate');
    expect(again.report.ok, JSON.stringify(failures(again.report))).toBe(true);
    expect(failures(again.report)).toEqual([]);
  }, 5 * MIN);
});
