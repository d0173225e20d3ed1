// `haforge bootstrap` on real VMs, Corosync + Pacemaker with SBD fencing:
// runbook 002's system, the lab's web server beside a virtual machine
// (VirtualDomain: its disk, its libvirt definition and its saved state on the
// replicated volume, meta attributes from the inventory; a tiny guest, see
// tiny-guest.ts). As in the runbook, the nodes' names are fully qualified
// (node1.ha.example.com: host names, and names in the inventory, DRBD,
// Corosync and Pacemaker).
// First the preview: --check on the bare VMs shows every destructive step
// the bootstrap will take, and the real run must change exactly what it
// showed. The one-shot path: preflight, DRBD, the cluster manager with
// libvirtd on every node, and the final check that the web server answers on
// the VIP; then a second bootstrap that changes nothing. Then the day-2
// commands on the cluster it built: status --json against the lab's known
// state, switchover both ways (timed; the VM saved on one node and resumed on
// the other, as the runbook's hibernate and resume), migrate / unmigrate, a
// drill that powers the primary off (the VM boots again on the survivor).
// The same for Heartbeat + mon is runbook-000-001.test.ts; Pacemaker's
// failover, monitors, ping rule and forcestop / forcestart are tested in
// pacemaker.test.ts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCliJson, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';
import { bootSector, domainXml, GUEST_ANNOUNCEMENT } from './tiny-guest.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;

/** The nodes' host names, which are their names in the cluster; the lab's SSH helpers take the short ones. */
const DOMAIN = 'ha.example.com';
const N1 = `node1.${DOMAIN}`;
const N2 = `node2.${DOMAIN}`;

/** The VM's name, and where its disk, definition, console log and saved state live (relocated onto the volume). */
const VM = 'tiny';
const VM_DIR = '/srv/vm';
const VM_SERVICE = {
  agent: 'ocf:heartbeat:VirtualDomain',
  paths: [VM_DIR],
  // snapshot: a clean stop saves the VM's memory there and the next start resumes it, on whichever node.
  params: { config: `${VM_DIR}/${VM}.xml`, hypervisor: 'qemu:///system', snapshot: `${VM_DIR}/state` },
  meta: { 'migration-threshold': 2 },
  files: [{ path: `${VM_DIR}/${VM}.xml`, content: domainXml(VM, VM_DIR) }],
};

describe.skipIf(skip)('haforge bootstrap in the lab (real VMs, Corosync + Pacemaker with SBD): runbook 002\'s web server and virtual machine', () => {
  const NAME = `bs-${process.pid}`;
  let s: LabSession;
  let inventory: string;
  const timings: Record<string, number> = {};
  const bootstrap = () => s.bootstrap(inventory);
  /** A haforge command with --json against the lab's inventory: its exit code and parsed output. */
  const haforge = (...args: string[]) => runCliJson([...args, '-i', inventory], s.env, 15 * MIN);
  const status = async () => (await haforge('status')).json.clusters[0];
  /** The page on the VIP as a node sees it (a few retries: its ARP entry for the VIP may still name the old holder). */
  const page = (node: string) => s.ssh(node, 'curl -s -m 5 --retry 5 --retry-connrefused --retry-delay 1 http://10.99.0.100/');

  /** libvirt's word on the VM on `node`: running, shut off, or not defined there. */
  const vmState = async (node: string) => (await s.sshRaw(node, `virsh -c qemu:///system domstate ${VM} 2>/dev/null || echo 'not defined'`)).stdout.trim();
  /** How often the guest announced a boot, and its dots since, in its console log on the volume (read on the node that holds it). */
  const consoleOf = async (node: string) => {
    const log = await s.ssh(node, `cat ${VM_DIR}/${VM}-console.log 2>/dev/null || true`);
    return { boots: log.split(GUEST_ANNOUNCEMENT).length - 1, dots: (log.match(/\./g) ?? []).length };
  };
  /** Seconds until `check` holds, polled every second; throws after `limitS`. */
  const until = async (what: string, check: () => Promise<boolean>, limitS = 300) => {
    const t0 = Date.now();
    while (!(await check().catch(() => false))) {
      if (Date.now() - t0 > limitS * 1000) throw new Error(`${what}: not within ${limitS} s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return Math.round((Date.now() - t0) / 100) / 10;
  };
  /** The VM runs on `node` only, and its guest goes on printing (a resumed or freshly booted guest does). */
  const expectVmOn = async (node: string, other: string) => {
    expect(await vmState(node)).toBe('running');
    expect(await vmState(other)).toMatch(/^(not defined|shut off)$/);
    const before = (await consoleOf(node)).dots;
    await until('the guest printing again', async () => (await consoleOf(node)).dots > before, 120);
  };

  beforeAll(async () => {
    s = await openLab(NAME, 'hfbs-', { domain: DOMAIN });
    // The VM as its admin made it on node1: the disk (the boot sector), the directory for its saved state.
    await s.ssh('node1', `mkdir -p ${VM_DIR}/state && echo ${bootSector().toString('base64')} | base64 -d > ${VM_DIR}/${VM}.img && truncate -s 1M ${VM_DIR}/${VM}.img`);
    inventory = await s.inventory('runbook-002.yaml', { services: { web: { unit: 'lighttpd', paths: ['/var/www/html', '/etc/lighttpd'], port: 80 }, vm: VM_SERVICE } });
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`bootstrap lab timings, pacemaker (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('previews the first bootstrap on bare VMs (create-md, the forced promotion, mkfs, the SBD header, the new cluster\'s configuration), then does exactly that: a VIP that serves the web server from the replicated volume', async () => {
    const preview = (await s.bootstrap(inventory, '--check')).report;
    const plan: any[] = preview.run.plan;
    const key = (x: any) => `${x.host} ${x.task}`;
    expect(plan.filter((p) => p.uncertain).map((p) => `${key(p)}: ${p.reason}`)).toEqual([]);
    expect(plan.filter((p) => p.destructive).map(key)).toEqual([
      `${N1} drbd metadata r0 on /dev/vdb`,
      `${N2} drbd metadata r0 on /dev/vdb`,
      `${N1} drbd primary r0`,
      `${N1} filesystem ext4 on /dev/drbd0`,
      `${N1} sbd header on /dev/disk/by-id/virtio-haforge-sbd`,
    ]);
    expect(plan.find((p) => p.task === 'pacemaker configuration')).toMatchObject({ status: 'change', predicted: [`pacemaker started on ${N1} in this run: a new cluster's configuration is empty (no /var/lib/pacemaker/cib/cib.xml)`] });

    const { ran, report, audit } = await bootstrap();
    timings.first = ran.ms / 1000;
    const failed = (report.run?.results ?? []).filter((r: any) => r.status === 'failed');
    expect(report.ok, JSON.stringify({ failed, preflight: report.preflight?.checks?.filter((c: any) => c.status === 'fail') }, null, 2)).toBe(true);
    // The run changed what the preview said it would, no more, no less; its destructive commands are the predicted ones.
    const changed = report.run.results.filter((r: any) => r.status === 'changed' && !r.handler).map(key).sort();
    expect(changed).toEqual(plan.filter((p) => p.status === 'change').map(key).sort());
    expect(audit.filter((r) => r.destructive).map((r) => `${r.host} ${r.argv.slice(0, 3).join(' ')}`).sort()).toEqual(
      [`${N1} drbdadm --force create-md`, `${N2} drbdadm --force create-md`, `${N1} drbdadm primary --force`, `${N1} mkfs.ext4 -q -L`, `${N1} sbd -d /dev/disk/by-id/virtio-haforge-sbd`].sort(),
    );
    // Pacemaker fences with the lab's SBD.
    expect(report.preflight.checks.filter((c: any) => c.check === 'fencing').map((c: any) => c.status)).toEqual(['ok', 'ok']);
    // The names as the runbook has them: uname -n, DRBD's `on` sections, Corosync's node list, Pacemaker's nodes.
    expect(await s.ssh('node1', `uname -n; grep -cE '^[[:space:]]+on node[12][.]ha[.]example[.]com [{]' /etc/drbd.d/r0.res; crm_node -l | awk '{print $2}' | sort`)).toBe(`${N1}\n2\n${N1}\n${N2}\n`);
    const waited = report.run.results.filter((r: any) => r.task === 'wait for 10.99.0.100:80');
    expect(waited.map((r: any) => r.status)).toEqual(['ok', 'ok']);
    await s.ssh('node1', 'echo "bootstrapped by haforge" > /replicated/var/www/html/index.html');
    expect(await s.ssh('node2', 'curl -s -m 5 http://10.99.0.100/')).toBe('bootstrapped by haforge\n');
    for (const node of ['node1', 'node2']) expect(await s.ssh(node, 'systemctl is-enabled pacemaker; systemctl is-enabled lighttpd || true')).toBe('enabled\ndisabled\n');
    // The VM: libvirtd's sockets on both nodes, outside the cluster; the domain runs on node1 from the volume, with the inventory's meta attributes.
    for (const node of ['node1', 'node2']) expect(await s.ssh(node, 'systemctl is-active libvirtd.socket; systemctl is-enabled libvirtd')).toBe('active\nenabled\n');
    expect(await s.ssh('node1', `readlink ${VM_DIR}; crm_resource -r p_svc_vm --meta -g migration-threshold`)).toBe(`/replicated${VM_DIR}\n2\n`);
    timings.guestAnnounced = await until('the guest announcing its boot', async () => (await consoleOf('node1')).boots === 1);
    await expectVmOn('node1', 'node2');
  }, 25 * MIN);

  it('a second bootstrap changes nothing', async () => {
    const { ran, report, audit } = await bootstrap();
    timings.second = ran.ms / 1000;
    const failed = (report.run?.results ?? []).filter((r: any) => r.status === 'failed');
    expect(report.ok, JSON.stringify({ failed, preflight: report.preflight?.checks?.filter((c: any) => c.status === 'fail'), error: report.error }, null, 2)).toBe(true);
    expect(report.run.results.filter((r: any) => r.status !== 'ok').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
    expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
  }, 10 * MIN);

  it('status --json tells the lab\'s state: node1 primary and holding the VIP, DRBD healthy, fencing said', async () => {
    const { ran, json } = await haforge('status');
    expect(ran.code, ran.stderr).toBe(0);
    const c = json.clusters[0];
    if (process.env.HAFORGE_CAPTURE_STATUS) await fs.writeFile(path.join(process.env.HAFORGE_CAPTURE_STATUS, 'status-pacemaker.json'), ran.stdout);
    expect(c).toMatchObject({ cluster: 'lab', stack: 'pacemaker', primary: N1, healthy: true, vip: { address: '10.99.0.100', holders: [N1] } });
    expect(c.nodes.map((n: any) => `${n.name} ${n.reachable} ${n.managerRunning} ${n.membership} ${n.vip}`)).toEqual([`${N1} true true online true`, `${N2} true true online false`]);
    expect(c.drbd.map((r: any) => [r.name, r.verdict, r.nodes.map((n: any) => `${n.node} ${n.role}/${n.disk} ${n.connection} ${n.mountedAt ?? '-'}`)])).toEqual([
      ['r0', 'healthy', [`${N1} Primary/UpToDate Connected /replicated`, `${N2} Secondary/UpToDate Connected -`]],
    ]);
    expect(c.resources.find((r: any) => r.agent.endsWith(':lighttpd'))).toMatchObject({ nodes: [N1] });
    expect(c.resources.find((r: any) => r.agent.endsWith(':VirtualDomain'))).toMatchObject({ nodes: [N1] });
    expect(c.warnings).toEqual([]);
    expect(c.fencing).toMatchObject({ inventory: 'configured', stonithEnabled: true, devices: [expect.stringMatching(/^SBD on \/dev\/disk\/by-id\/virtio-haforge-sbd/)] });
  }, 5 * MIN);

  it('switchover moves the services to node2 and back, each timed, and a second one to the same node does nothing', async () => {
    const there = await haforge('switchover', '--to', N2);
    expect(there.ran.code, there.ran.stderr).toBe(0);
    expect(there.json).toMatchObject({ status: 'done', from: N1, to: N2 });
    timings.switchoverToNode2 = there.json.movedMs / 1000;
    expect(await page('node1')).toBe('bootstrapped by haforge\n');
    expect(await status()).toMatchObject({ primary: N2, healthy: true, vip: { holders: [N2] }, bans: [] });
    // Saved on node1 (its memory onto the volume), resumed on node2: the guest goes on, not booted again.
    await expectVmOn('node2', 'node1');
    expect((await consoleOf('node2')).boots).toBe(1);

    const again = await haforge('switchover', '--to', N2);
    expect(again.json).toMatchObject({ status: 'noop', noop: `the services already run on ${N2}` });

    const back = await haforge('switchover');
    expect(back.ran.code, back.ran.stderr).toBe(0);
    expect(back.json).toMatchObject({ status: 'done', from: N2, to: N1 });
    timings.switchoverToNode1 = back.json.movedMs / 1000;
    expect(await page('node2')).toBe('bootstrapped by haforge\n');
    expect(await status()).toMatchObject({ primary: N1, healthy: true });
    await expectVmOn('node1', 'node2');
    expect((await consoleOf('node1')).boots).toBe(1);
    console.info(`switchover (pacemaker): node1 -> node2 ${timings.switchoverToNode2} s, back ${timings.switchoverToNode1} s`);
  }, 15 * MIN);

  it('migrate moves the services off node1 and keeps them off until unmigrate, which leaves them where they are', async () => {
    const away = await haforge('migrate', N1);
    expect(away.ran.code, away.ran.stderr).toBe(0);
    expect(away.json).toMatchObject({ status: 'done', from: N1, to: N2 });
    const moved = await status();
    expect(moved.primary).toBe(N2);
    expect(moved.bans.map((b: any) => b.id)).toEqual([`cli-ban-ms_drbd_r0-on-${N1}`]);
    await expectVmOn('node2', 'node1');
    expect((await haforge('migrate', N1)).json).toMatchObject({ status: 'noop' });
    const lifted = await haforge('unmigrate', N1);
    expect(lifted.json).toMatchObject({ status: 'done' });
    expect(await status()).toMatchObject({ primary: N2, bans: [] });
    expect(await page('node1')).toBe('bootstrapped by haforge\n');
  }, 10 * MIN);

  it('drill: the primary loses power under a stream of fsync\'d writes, the services answer from the other node, every acknowledged write is there (RPO 0), the timeline is read from its log, the node comes back and resyncs', async () => {
    const check = await haforge('drill', '--method', 'lab', '--lab', NAME, '--check');
    expect(check.json).toMatchObject({ status: 'planned', primary: N2, survivor: N1 });
    const { ran, json } = await haforge('drill', '--method', 'lab', '--lab', NAME, '--timeout', '300', '--yes');
    Object.assign(timings, { drillWritesBack: json.writesBackMs / 1000, drillFailover: json.failoverMs / 1000, drillRejoin: json.rejoinMs / 1000, drillResync: json.resyncMs / 1000 });
    expect(ran.code, `${ran.stderr}\n${ran.stdout}`).toBe(0);
    expect(json).toMatchObject({ status: 'passed', dataIntact: true, primary: N2, survivor: N1, finalPrimary: N1 });
    // Every write acknowledged through node2 before the power went and through node1 after the takeover is on node1: RPO 0.
    expect(json.probe).toMatchObject({ file: '/replicated/.haforge-probe', lost: 0, writers: [N2, N1] });
    expect(json.probe.acknowledged).toBeGreaterThanOrEqual(11);
    expect(json.before).toEqual([expect.objectContaining({ path: '/etc/lighttpd' })]);
    expect(json.after).toEqual(json.before);
    // The timeline from node1's log: the takeover's stages after the failure, in order.
    const stages = json.timeline.map((e: any) => e.stage);
    console.info(`drill timeline (pacemaker): ${json.timeline.map((e: any) => `${(e.atMs / 1000).toFixed(1)} s ${e.what}`).join('; ')}`);
    expect(stages).toEqual(['detected', 'membership', 'fencing', 'fenced', 'promoted', 'mounted', 'vip', 'service', 'service']);
    expect(json.timeline.filter((e: any) => e.stage === 'service').map((e: any) => e.what)).toEqual(['web started', 'vm started']);
    expect(json.timeline.every((e: any) => e.atMs > 0 && e.atMs <= json.failoverMs)).toBe(true);
    // With SBD the survivor fences the node that lost power before it takes over (the pill counts after msgwait).
    expect(json.fencing).toContainEqual(expect.objectContaining({ action: 'reboot', target: N2, status: 'success', delegate: N1 }));
    console.info(`drill (pacemaker): power off -> services answer again ${timings.drillFailover} s, node back ${timings.drillRejoin} s, UpToDate ${timings.drillResync} s`);
    expect(await page('node2')).toBe('bootstrapped by haforge\n');
    expect(await status()).toMatchObject({ primary: N1, healthy: true });
    // node2 lost power with the VM running: nothing was saved, so node1 boots it afresh from its disk on the volume.
    await expectVmOn('node1', 'node2');
    expect((await consoleOf('node1')).boots).toBe(2);
  }, 20 * MIN);
});

