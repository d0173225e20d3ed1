// A cluster built the ClusterLabs way with pcs, taken over by haforge on
// real VMs. DRBD and the web server's paths on the volume are prepared by
// haforge's drbd playbook; then pcs writes corosync.conf (its cluster_uuid,
// two links, its logging), the stack is started with `pcs cluster start`,
// and `pcs resource create` makes WebData-clone (promotable ocf:linbit:drbd)
// and the group WebGroup (WebFS, ClusterIP, WebSite) with pcs's own
// constraints and resource defaults. `haforge bootstrap` over it must take
// those resources over in place: a probe on node2 fetches the page on the VIP
// five times a second throughout and never fails, the web server's process
// on node1 is the same one after, and Pacemaker starts, stops, promotes or
// demotes nothing. pcs's corosync.conf keeps its identity and logging, its
// constraints and defaults stay, a second run changes nothing, status and
// switchover work on pcs's ids, and `cib restore` puts pcs's configuration
// back, again without a stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCliJson, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `adopt-${process.pid}`;
const VIP = '10.99.0.100';

/** The commands an admin types on node1 after `pcs cluster start` on both nodes (Clusters from Scratch, with the lab's names). */
const PCS_RESOURCES = `set -e
pcs property set stonith-enabled=false
pcs resource defaults update resource-stickiness=100
pcs resource create WebData ocf:linbit:drbd drbd_resource=r0 op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true
pcs resource create WebFS ocf:heartbeat:Filesystem device=/dev/drbd0 directory=/replicated fstype=ext4 options=noatime --group WebGroup
pcs resource create ClusterIP ocf:heartbeat:IPaddr2 ip=${VIP} cidr_netmask=24 nic=eth1 --group WebGroup
pcs resource create WebSite systemd:lighttpd --group WebGroup
pcs constraint colocation add WebGroup with Promoted WebData-clone INFINITY
pcs constraint order promote WebData-clone then start WebGroup`;

/** Fetches the page on the VIP every 0.2 s, one line per try, until killed. */
const PROBE = `nohup sh -c 'while :; do if curl -s -m 1 -o /dev/null http://${VIP}/; then echo ok; else echo FAIL; fi; sleep 0.2; done' > /root/probe.log 2>&1 &`;

describe.skipIf(skip)('a cluster built with pcs, taken over by haforge in place (real VMs)', () => {
  let s: LabSession;
  let inventory: string;
  let uuid: string;
  const timings: Record<string, number> = {};
  const haforge = (...args: string[]) => runCliJson([...args, '-i', inventory], s.env, 10 * MIN);
  const webServerPid = async () => (await s.ssh('node1', 'systemctl show -p MainPID --value lighttpd')).trim();
  /** Pacemaker's actions other than monitors since `since`, on both nodes (the DC logs what it initiates, each node what it ran). */
  const actionsSince = async (since: string) => {
    const lines = await Promise.all(['node1', 'node2'].map((n) => s.ssh(n, `journalctl -u pacemaker --since '${since}' --no-pager -o cat | grep -E 'Initiating (start|stop|promote|demote|migrate)|Result of (start|stop|promote|demote) ' || true`)));
    return lines.join('').trim().split('\n').filter(Boolean);
  };
  const probeSince = async () => {
    const log = await s.ssh('node2', 'cat /root/probe.log; : > /root/probe.log');
    return { ok: log.split('\n').filter((l) => l === 'ok').length, failed: log.split('\n').filter((l) => l === 'FAIL').length };
  };
  /** A command that may take minutes (each pcs call starts Python and reads agent metadata: seconds under TCG). */
  const sshSlow = async (node: string, command: string) => {
    const r = await s.sshRaw(node, command, 5 * MIN);
    if (r.code !== 0) throw new Error(`${node}: ${command} exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const now = async () => (await s.ssh('node1', 'date -u "+%Y-%m-%d %H:%M:%S"')).trim();

  beforeAll(async () => {
    s = await openLab(NAME, 'hfadopt-');
    // pcs without pcsd cannot set up SBD: this cluster runs without fencing, as its builder chose.
    inventory = await s.inventory('adopt.yaml', { fencing: { enabled: false } });
    const drbd = await s.apply(inventory, 'drbd');
    expect(drbd.report.ok, drbd.ran.stdout.slice(-3000)).toBe(true);

    const started = Date.now();
    uuid = (await sshSlow('node1', `set -e
pcs cluster setup lab node1 addr=10.99.0.11 addr=10.98.0.11 node2 addr=10.99.0.12 addr=10.98.0.12 --corosync_conf /etc/corosync/corosync.conf --overwrite 2>/dev/null
corosync-keygen -l >/dev/null
sed -n 's/^ *cluster_uuid: //p' /etc/corosync/corosync.conf`)).trim();
    // pcs would copy these through pcsd; the admin here copies them by hand, the key as corosync-keygen made it (0400).
    const files = await s.ssh('node1', 'base64 -w0 /etc/corosync/corosync.conf; echo; base64 -w0 /etc/corosync/authkey');
    const [conf, key] = files.trim().split('\n');
    await s.ssh('node2', `set -e; echo ${conf} | base64 -d > /etc/corosync/corosync.conf; (umask 0277; echo ${key} | base64 -d > /etc/corosync/authkey)`);
    await Promise.all(['node1', 'node2'].map((n) => sshSlow(n, 'pcs cluster start >/dev/null')));
    await sshSlow('node1', 'for i in $(seq 120); do crm_mon -1 2>/dev/null | grep -q "Online: \\[ node1 node2 \\]" && exit 0; sleep 1; done; exit 1');
    await sshSlow('node1', PCS_RESOURCES);
    await sshSlow('node1', `for i in $(seq 120); do curl -s -m 1 -o /dev/null http://${VIP}/ && exit 0; sleep 1; done; exit 1`);
    timings.pcsBuild = (Date.now() - started) / 1000;
  }, 15 * MIN);

  afterAll(async () => {
    console.info(`pcs adoption lab timings (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('bootstrap takes the pcs cluster over: no stop, no restart, the VIP answers throughout; a second run changes nothing', async () => {
    expect(uuid).toMatch(/^[0-9a-f]{32}$/);
    const preview = (await s.bootstrap(inventory, '--check')).report;
    const plan: any[] = preview.run.plan;
    expect(plan.filter((p) => p.destructive).map((p) => `${p.host} ${p.task}`)).toEqual([]);
    expect(plan.find((p) => p.task === 'pacemaker configuration').reason).toBe(
      'the live configuration differs from the inventory; takes over WebData-clone as ms_drbd_r0, WebData as p_drbd_r0, WebGroup as g_services, WebFS as p_fs_r0, ClusterIP as p_vip, WebSite as p_svc_web in place',
    );

    const pid = await webServerPid();
    const since = await now();
    await s.ssh('node2', PROBE);
    const { ran, report } = await s.bootstrap(inventory);
    timings.takeover = ran.ms / 1000;
    expect(report.ok, ran.stdout.slice(-3000)).toBe(true);
    // Pacemaker re-schedules monitors with haforge's intervals; nothing else.
    await new Promise((r) => setTimeout(r, 5000));
    expect(await actionsSince(since)).toEqual([]);
    expect(await webServerPid()).toBe(pid);
    const probe = await probeSince();
    expect(probe.failed).toBe(0);
    expect(probe.ok).toBeGreaterThan(10);

    // pcs's identity and logging in the corosync.conf haforge wrote; the key kept (its mode put right without a restart).
    const conf = await s.ssh('node2', 'cat /etc/corosync/corosync.conf');
    expect(conf).toContain(`\tcluster_uuid: ${uuid}\n`);
    expect(conf).toMatch(/^\tlogfile: \/var\/log\/corosync\/corosync\.log$/m);
    // pcs's resources under pcs's ids, each marked; pcs's constraints and defaults still there.
    const cib = await s.ssh('node1', 'cibadmin --query --scope configuration');
    expect([...cib.matchAll(/name="haforge-id" value="([^"]+)"/g)].map((m) => m[1])).toEqual(['ms_drbd_r0', 'p_drbd_r0', 'g_services', 'p_fs_r0', 'p_vip', 'p_svc_web']);
    expect(cib).toContain('id="colocation-WebGroup-WebData-clone-INFINITY"');
    expect(cib).toContain('id="rsc_defaults-meta_attributes"');

    const again = await s.bootstrap(inventory);
    timings.secondRun = again.ran.ms / 1000;
    expect(again.report.run.results.filter((r: any) => r.status !== 'ok' && r.status !== 'skipped').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
  }, 20 * MIN);

  it("status and switchover work on pcs's ids; cib restore puts pcs's configuration back without a stop", async () => {
    const moved = await haforge('switchover', '--to', 'node2');
    expect(moved.ran.code, moved.ran.stdout).toBe(0);
    timings.switchover = moved.ran.ms / 1000;
    const status = (await haforge('status')).json.clusters[0];
    expect(status).toMatchObject({ primary: 'node2', healthy: true, drbdClones: ['WebData-clone'], vip: { holders: ['node2'] } });
    expect(status.resources.filter((r: any) => r.group === 'WebGroup').map((r: any) => `${r.id} ${r.role} ${r.nodes.join(',')}`)).toEqual(['WebFS Started node2', 'ClusterIP Started node2', 'WebSite Started node2']);

    const since = await now();
    await probeSince();
    const restored = await runCliJson(['cib', 'restore', '-i', inventory, '--yes'], s.env, 5 * MIN);
    expect(restored.ran.code, restored.ran.stdout).toBe(0);
    await new Promise((r) => setTimeout(r, 5000));
    expect(await actionsSince(since)).toEqual([]);
    expect((await probeSince()).failed).toBe(0);
    const cib = await s.ssh('node1', 'cibadmin --query --scope configuration');
    expect(cib).not.toContain('haforge-id');
    expect(cib).not.toContain('col_g_services_with_ms_drbd_r0');
    expect(cib).toContain('<group id="WebGroup">');
  }, 15 * MIN);
});
