// Corosync + Pacemaker on real VMs (kernel DRBD 8.4): bare lab VMs to a
// page served on the VIP from the replicated volume, handed over from the
// DRBD playbook without a demotion; a re-run that changes nothing; power
// loss of the active node and the time until the page is back on the other
// one; a killed web server restarted by Pacemaker's monitor; the old node
// back without pulling the services home (stickiness above the preference).
//
// HAFORGE_CAPTURE_PACEMAKER=DIR keeps every crm_mon/cibadmin output the
// test reads, as fixture candidates (test/fixtures/pacemaker/README.md).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failCount, groupNode, parseCrmMonXml, promotedNodes, type ClusterStatus } from '../../src/pacemaker/crm-mon.js';
import { labUnavailableReason, runCli, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const GATEWAY = '10.0.2.3';
const VIP = '10.99.0.100';
const CAPTURE = process.env.HAFORGE_CAPTURE_PACEMAKER;

describe.skipIf(skip)('Corosync + Pacemaker in the lab (real VMs)', () => {
  let lab: LabSession;
  let inventory: string;
  let page: string;
  const timings: Record<string, number> = {};
  const ssh = (node: string, command: string) => lab.ssh(node, command);
  const apply = (playbook: string) => lab.apply(inventory, playbook);
  const capture = async (name: string, text: string) => {
    if (CAPTURE) await fs.mkdir(CAPTURE, { recursive: true }).then(() => fs.writeFile(path.join(CAPTURE, name), text));
  };
  const crmMon = async (node: string, captureAs?: string): Promise<ClusterStatus> => {
    const r = await lab.sshRaw(node, 'crm_mon --output-as=xml');
    if (captureAs) await capture(captureAs, r.stdout);
    return parseCrmMonXml(r.stdout, r.code);
  };
  const failures = (report: any) => JSON.stringify(report.results.filter((r: any) => r.status === 'failed'), null, 2);
  /** Polls until check passes; returns the seconds it took. */
  const until = async (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> => {
    const started = Date.now();
    while (!(await check().catch(() => false))) {
      if (Date.now() - started > timeoutMs) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return (Date.now() - started) / 1000;
  };
  /** A haforge command with --json against the test's inventory that must succeed: its parsed output. */
  const haforge = async (...args: string[]) => {
    const ran = await runCli([...args, '-i', inventory, '--json'], lab.env, 10 * MIN);
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    return JSON.parse(ran.stdout);
  };
  const curlFromNode2 = async () => (await lab.sshRaw('node2', `curl -s --max-time 2 http://${VIP}/`)).stdout;

  beforeAll(async () => {
    lab = await openLab(`pcmk-${process.pid}`, 'hfpcmk-');
    // The lab's own inventory (VIP, web service, r0) with the stack and fencing said explicitly, and
    // the QEMU user network's DNS address as ping node (the "gateway"): it answers every VM, so the ping
    // clone and its rule run for real, and a blackhole route cuts one node from it without cutting SSH.
    inventory = await lab.inventory('pacemaker.yaml', { stack: 'pacemaker', fencing: { enabled: false }, ping_nodes: [GATEWAY] });
  }, 15 * MIN);

  afterAll(async () => {
    console.info(`Pacemaker lab timings (s): ${JSON.stringify(timings)}`);
    await lab?.close();
  }, 2 * MIN);

  it('bare VMs to the page on the VIP: DRBD, then Corosync + Pacemaker taking over the mounted volume', async () => {
    const drbd = await apply('drbd');
    timings.drbd = drbd.ran.ms / 1000;
    expect(drbd.report.ok, failures(drbd.report)).toBe(true);
    // The peers authenticate with one shared secret, never in a report or the audit log.
    const shared = (node: string) => ssh(node, 'stat -c %a /etc/drbd.d/global_common.conf; grep -o "shared-secret \\"[0-9a-f]*\\"" /etc/drbd.d/global_common.conf');
    const secretLine = await shared('node1');
    expect(secretLine).toMatch(/^600\nshared-secret "[0-9a-f]{60}"\n$/);
    expect(await shared('node2')).toBe(secretLine);
    expect(await ssh('node1', 'drbdsetup show r0 | grep -c cram-hmac-alg')).toBe('1\n');
    const drbdSecret = /"([0-9a-f]{60})"/.exec(secretLine)![1]!;
    expect(JSON.stringify(drbd.audit) + JSON.stringify(drbd.report)).not.toContain(drbdSecret);
    page = `haforge pacemaker lab ${Date.now()}\n`;
    await ssh('node1', `printf %s '${page}' > /var/www/html/index.html && sync`);
    await capture('lab-crm-mon-not-running.xml', (await lab.sshRaw('node1', 'crm_mon --output-as=xml')).stdout);

    const { ran, report, audit } = await apply('pacemaker');
    timings.pacemaker = ran.ms / 1000;
    expect(report.ok, failures(report)).toBe(true);
    // Handed over, not restarted: Pacemaker's probes found DRBD promoted and the volume mounted on node1,
    // and it never demoted, stopped or unmounted them.
    const controld = await ssh('node1', 'journalctl -q -t pacemaker-controld --no-pager');
    expect(controld).toContain('Result of probe operation for p_drbd_r0 on node1: promoted');
    expect(controld).toContain('Result of probe operation for p_fs_r0 on node1: ok');
    expect(controld).not.toMatch(/Requesting local execution of (demote|stop) operation for p_(drbd|fs)_r0/);
    // The authkey was written with the secret never on a command line: no piece of it in the audit log.
    const authkey = (await ssh('node1', 'base64 -w0 < /etc/corosync/authkey')).trim();
    expect(authkey.length).toBeGreaterThan(300);
    for (const at of [0, 100, 200, 300]) expect(JSON.stringify(audit)).not.toContain(authkey.slice(at, at + 24));
    for (const node of ['node1', 'node2']) {
      expect(await ssh(node, 'stat -c %a /etc/corosync/authkey; systemctl is-enabled corosync pacemaker drbd')).toBe('400\nenabled\nenabled\ndisabled\n');
    }
    expect(await ssh('node1', 'md5sum < /etc/corosync/authkey')).toBe(await ssh('node2', 'md5sum < /etc/corosync/authkey'));

    const s = await crmMon('node2', 'lab-crm-mon-running.xml');
    expect(s.nodes.map((n) => [n.name, n.online])).toEqual([['node1', true], ['node2', true]]);
    expect(s.stonithEnabled).toBe(false);
    expect(groupNode(s, 'g_services')).toBe('node1');
    expect(promotedNodes(s, 'ms_drbd_r0')).toEqual(['node1']);
    // Ping reports shortly after (the services do not wait for it: see the ping rule in src/pacemaker/constraints.ts).
    await until('pingd 1000 on node1 (the gateway answers)', 2 * MIN, async () => Number((await crmMon('node2')).nodeAttributes.node1?.pingd) === 1000);
    expect(await curlFromNode2()).toBe(page);
    await capture('lab-cibadmin-query-after-push-ping.xml', await ssh('node1', 'cibadmin --query'));
  }, 30 * MIN);

  it('a second run of both playbooks reports no change and runs no change-making command', async () => {
    for (const playbook of ['drbd', 'pacemaker']) {
      const { ran, report, audit } = await apply(playbook);
      timings[`${playbook}Rerun`] = ran.ms / 1000;
      expect(report.results.filter((r: any) => r.status !== 'ok'), playbook).toEqual([]);
      expect(audit.filter((r) => r.kind === 'change'), playbook).toEqual([]);
    }
  }, 10 * MIN);

  it('power loss of node1: the same page comes back from node2', async () => {
    const killed = await lab.lab('kill', 'node1');
    expect(killed.code, killed.stderr).toBe(0);
    timings.failover = await until('the page on the VIP from node2', 5 * MIN, async () => (await curlFromNode2()) === page);
    console.info(`failover (power off node1 -> page served by node2): ${timings.failover.toFixed(1)} s`);
    // The page can answer before the web server's start operation has returned to Pacemaker
    // (crm_mon then still says Starting): its view is waited for, not assumed.
    let s!: ClusterStatus;
    await until("Pacemaker's view of the failover", MIN, async () => groupNode((s = await crmMon('node2')), 'g_services') === 'node2');
    await capture('lab-crm-mon-after-failover.xml', (await lab.sshRaw('node2', 'crm_mon --output-as=xml')).stdout);
    expect(s.nodes.find((n) => n.name === 'node1')!.online).toBe(false);
    expect(groupNode(s, 'g_services')).toBe('node2');
    expect(promotedNodes(s, 'ms_drbd_r0')).toEqual(['node2']);
  }, 10 * MIN);

  it('a killed web server is restarted by the monitor, with a fail count', async () => {
    await ssh('node2', 'kill -9 $(pidof lighttpd)');
    timings.serviceRestart = await until('lighttpd restarted and counted', 3 * MIN, async () => {
      const s = await crmMon('node2');
      return failCount(s, 'p_svc_web', 'node2') >= 1 && groupNode(s, 'g_services') === 'node2' && (await curlFromNode2()) === page;
    });
    const s = await crmMon('node2', 'lab-crm-mon-failcount.xml');
    expect(failCount(s, 'p_svc_web', 'node2')).toBeGreaterThanOrEqual(1);
    expect(s.failures.map((f) => [f.resource, f.node, f.task])).toContainEqual(['p_svc_web', 'node2', 'monitor']);
  }, 5 * MIN);

  it('node1 back: it rejoins as DRBD secondary and the services stay on node2', async () => {
    const started = await lab.lab('start', 'node1');
    expect(started.code, started.stderr).toBe(0);
    timings.rejoin = await until('node1 online with its DRBD instance', 5 * MIN, async () => {
      const s = await crmMon('node2');
      return !!s.nodes.find((n) => n.name === 'node1')?.online && s.clones.find((c) => c.id === 'ms_drbd_r0')!.instances.some((i) => i.nodes.includes('node1') && i.role === 'Unpromoted');
    });
    const s = await crmMon('node2', 'lab-crm-mon-rejoined.xml');
    expect(groupNode(s, 'g_services')).toBe('node2');
    expect(promotedNodes(s, 'ms_drbd_r0')).toEqual(['node2']);
    expect(await curlFromNode2()).toBe(page);
  }, 10 * MIN);

  it('standby, a ban and an unmanaged resource set by hand: seen by the parser, left alone by a re-run', async () => {
    await ssh('node2', 'crm_attribute --node node1 --name standby --update on && crm_resource --ban --resource g_services --node node1 && crm_resource --resource p_svc_web --meta --set-parameter is-managed --parameter-value false');
    await until('node1 in standby with its DRBD instance stopped', 3 * MIN, async () => {
      const s = await crmMon('node2');
      return !!s.nodes.find((n) => n.name === 'node1')?.standby && !s.clones[0]!.instances.some((i) => i.nodes.includes('node1'));
    });
    const s = await crmMon('node2', 'lab-crm-mon-standby-ban-unmanaged.xml');
    // crm_mon lists every negative location constraint in effect as a ban.
    expect(s.bans).toContainEqual(expect.objectContaining({ id: 'cli-ban-g_services-on-node1', resource: 'g_services', node: 'node1' }));
    expect(s.resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ managed: false, role: 'Started' });
    await capture('lab-cibadmin-query-admin-changes.xml', await ssh('node2', 'cibadmin --query'));
    // Runtime choices of an admin are not drift: no change, and they are still there afterwards.
    const { report, audit } = await apply('pacemaker');
    expect(report.results.filter((r: any) => r.status !== 'ok')).toEqual([]);
    expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
    expect(await ssh('node2', 'cibadmin --query --scope constraints | grep -c cli-ban-g_services-on-node1')).toBe('1\n');
    await ssh('node2', 'crm_attribute --node node1 --name standby --delete && crm_resource --clear --resource g_services && crm_resource --resource p_svc_web --meta --delete-parameter is-managed');
  }, 10 * MIN);

  it('node2 cut from the gateway: the ping rule moves the services to node1, which still reaches it', async () => {
    expect(groupNode(await crmMon('node1'), 'g_services')).toBe('node2');
    await ssh('node2', `ip route add blackhole ${GATEWAY}/32`);
    try {
      timings.gatewayCut = await until('the services on node1', 3 * MIN, async () => groupNode(await crmMon('node1'), 'g_services') === 'node1' && (await lab.sshRaw('node1', `curl -s --max-time 2 http://${VIP}/`)).stdout === page);
    } finally {
      await ssh('node2', `ip route del blackhole ${GATEWAY}/32`);
    }
    // The gateway back: stickiness keeps them on node1.
    await new Promise((r) => setTimeout(r, 20_000));
    expect(groupNode(await crmMon('node1'), 'g_services')).toBe('node1');
  }, 10 * MIN);

  it('resource stop / start (runbook 002\'s forcestop / forcestart): the web server stopped on purpose stays down, then runs again', async () => {
    // Without --yes and without a terminal, an outage is not started.
    const refused = await runCli(['resource', 'stop', 'p_svc_web', '-i', inventory, '--json'], lab.env, 5 * MIN);
    expect(refused.code).not.toBe(0);
    expect(await ssh('node1', 'systemctl is-active lighttpd')).toBe('active\n');
    expect(await haforge('resource', 'stop', 'p_svc_web', '--yes')).toMatchObject({ status: 'done' });
    expect((await crmMon('node1')).resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ role: 'Stopped' });
    expect((await lab.sshRaw('node1', 'systemctl is-active lighttpd')).stdout).toBe('inactive\n');
    // A re-run of the playbook keeps what the admin stopped stopped.
    const { report } = await apply('pacemaker');
    expect(report.results.filter((r: any) => r.status === 'failed')).toEqual([]);
    expect((await crmMon('node1')).resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ role: 'Stopped' });
    expect(await haforge('resource', 'start', 'p_svc_web')).toMatchObject({ status: 'done' });
    await until('the page on the VIP again', MIN, async () => (await lab.sshRaw('node2', `curl -s --max-time 2 http://${VIP}/`)).stdout === page);
  }, 10 * MIN);

  it('the configuration replaced by a run is saved first, and cib restore puts it back', async () => {
    const threshold = async () => (await ssh('node1', 'crm_attribute --type crm_config --name load-threshold --query --quiet')).trim();
    expect(await threshold()).toBe('1000%');
    const before = (await haforge('cib', 'backups')).nodes.flatMap((n: any) => n.backups.map((b: any) => b.name));
    // A changed inventory replaces the configuration: the old one is saved on the node that replaced it.
    const changed = await lab.inventory('pacemaker-changed.yaml', { stack: 'pacemaker', fencing: { enabled: false }, ping_nodes: [GATEWAY], pacemaker: { properties: { 'load-threshold': '900%' } } });
    const { report } = await lab.apply(changed, 'pacemaker');
    expect(report.results.filter((r: any) => r.status === 'failed')).toEqual([]);
    expect(await threshold()).toBe('900%');
    const listing = await haforge('cib', 'backups');
    const added = listing.nodes.flatMap((n: any) => n.backups.filter((b: any) => !before.includes(b.name)).map((b: any) => ({ node: n.node, ...b })));
    expect(added).toHaveLength(1);
    expect(await ssh(added[0].node, `stat -c %a /var/lib/haforge/cib/${added[0].name}; grep -c 'load-threshold" value="1000%"' /var/lib/haforge/cib/${added[0].name}`)).toBe('600\n1\n');
    // Restore (the newest): the old value is back, and the services never stopped.
    expect(await haforge('cib', 'restore', '--yes')).toMatchObject({ status: 'done' });
    expect(await threshold()).toBe('1000%');
    expect(await curlFromNode2()).toBe(page);
    // The inventory's configuration again: no change.
    const again = await apply('pacemaker');
    expect(again.report.results.filter((r: any) => r.status !== 'ok')).toEqual([]);
  }, 10 * MIN);
});
