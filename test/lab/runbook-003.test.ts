// Runbook 003's system on real VMs: Heartbeat v1 keeping an IP and a web
// server available, no DRBD (each node serves its own copy of a static
// site), ucast heartbeats and a ping node. haforge bootstraps it from bare
// VMs, a second run changes nothing, a switchover (hb_standby) moves it and
// back, a node cut from its ping node (the "gateway") hands the services to
// the one that still reaches it (ipfail), and a drill that powers the
// primary off times the takeover from the survivor's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCli, runCliJson, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `rb003-${process.pid}`;
/** QEMU's user network answers pings for its DNS address in every VM: the lab's stand-in for a gateway. */
const GATEWAY = '10.0.2.3';

describe.skipIf(skip)('runbook 003: Heartbeat, an IP and a web server, no DRBD (real VMs)', () => {
  let s: LabSession;
  let inventory: string;
  const timings: Record<string, number> = {};
  const haforge = (...args: string[]) => runCliJson([...args, '-i', inventory], s.env, 15 * MIN);
  const status = async () => (await haforge('status')).json.clusters[0];
  /** Which node's page the VIP serves, seen from `from`. */
  const served = async (from: string) => (await s.ssh(from, 'curl -s -m 5 --retry 5 --retry-connrefused --retry-delay 1 http://10.99.0.100/')).trim();
  const until = async (what: string, done: () => Promise<boolean>, minutes = 3) => {
    const end = Date.now() + minutes * MIN;
    while (Date.now() < end) {
      if (await done().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`${what}: not within ${minutes} min`);
  };

  beforeAll(async () => {
    s = await openLab(NAME, 'hfrb3-');
    inventory = await s.inventory('runbook-003.yaml', {
      stack: 'heartbeat',
      drbd: undefined,
      drill: undefined,
      pacemaker: undefined,
      services: { web: { unit: 'lighttpd', port: 80 } },
      ping_nodes: [GATEWAY],
      heartbeat: { comm: 'ucast', keepalive: 1, warntime: 3, deadtime: 5, initdead: 12 },
      fencing: { enabled: false },
    });
    // The runbook's way to see who serves: each node's page names it.
    for (const n of ['node1', 'node2']) await s.ssh(n, 'uname -n > /var/www/html/index.html');
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`runbook 003 timings (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('bootstrap takes bare VMs to the VIP serving from node1; nothing of DRBD is touched; a second run changes nothing', async () => {
    const first = await runCli(['bootstrap', '-i', inventory, '--yes', '--json'], s.env, 20 * MIN);
    const report = JSON.parse(first.stdout);
    expect(report.ok, first.stdout.slice(0, 4000)).toBe(true);
    timings.bootstrap = first.ms / 1000;
    expect(report.run.results.filter((r: any) => /drbd/i.test(r.task) && r.status !== 'skipped').map((r: any) => r.task)).toEqual([]);
    expect(await served('node2')).toBe('node1');
    const haCf = await s.ssh('node1', 'cat /etc/ha.d/ha.cf');
    expect(haCf).toMatch(/^ucast eth1 10\.99\.0\.12$/m);
    expect(haCf).toMatch(new RegExp(`^ping ${GATEWAY.replace(/\./g, '\\.')}$`, 'm'));
    expect(await s.ssh('node1', 'cat /etc/ha.d/haresources | grep -v "^#"')).toBe('node1 IPaddr2::10.99.0.100/24/eth1 haforge-systemd::lighttpd haforge-systemd::mon\n');
    for (const n of ['node1', 'node2']) expect(await s.ssh(n, 'systemctl is-active drbd || true')).toBe('inactive\n');
    // At boot Heartbeat may start before eth1 exists and exit: systemd starts it again (seen: a rebooted node that never rejoined).
    expect(await s.ssh('node2', 'systemctl show heartbeat -p Restart -p RestartUSec')).toBe('Restart=on-failure\nRestartUSec=5s\n');

    const second = await runCli(['bootstrap', '-i', inventory, '--yes', '--json'], s.env, 10 * MIN);
    const again = JSON.parse(second.stdout);
    timings.secondBootstrap = second.ms / 1000;
    expect(again.run.results.filter((r: any) => r.status !== 'ok' && r.status !== 'skipped').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
  }, 30 * MIN);

  it('switchover (hb_standby) moves the VIP and the web server to node2 and back', async () => {
    const there = await haforge('switchover', '--to', 'node2');
    expect(there.json).toMatchObject({ status: 'done' });
    expect(await served('node1')).toBe('node2');
    const back = await haforge('switchover', '--to', 'node1');
    expect(back.json).toMatchObject({ status: 'done' });
    expect(await served('node2')).toBe('node1');
    Object.assign(timings, { switchoverToNode2: there.json.movedMs / 1000, switchoverToNode1: back.json.movedMs / 1000 });
  }, 10 * MIN);

  it('node1 cut from the gateway hands the services to node2, which still reaches it', async () => {
    await s.ssh('node1', `ip route add blackhole ${GATEWAY}/32`);
    const cut = Date.now();
    try {
      await until('the VIP served by node2', async () => (await served('node1')) === 'node2');
      timings.gatewayCut = (Date.now() - cut) / 1000;
    } finally {
      await s.ssh('node1', `ip route del blackhole ${GATEWAY}/32`);
    }
    expect(await status()).toMatchObject({ primary: 'node2', healthy: true });
  }, 10 * MIN);

  it('drill: node2 loses power, node1 takes over; the timeline comes from its log', async () => {
    const { ran, json } = await haforge('drill', '--method', 'lab', '--yes', '--timeout', '300');
    if (ran.code !== 0) {
      // What each node's Heartbeat says, for the report.
      for (const n of ['node1', 'node2']) console.info(`${n}:\n${(await s.sshRaw(n, 'systemctl status heartbeat --no-pager -n 0; journalctl -b --no-pager -t heartbeat -t ipfail | tail -40')).stdout}`);
    }
    expect(ran.code, `${json.failure}`).toBe(0);
    expect(json).toMatchObject({ status: 'passed', primary: 'node2', survivor: 'node1', finalPrimary: 'node1' });
    // No replicated volume: nothing to probe, nothing to resync.
    expect(json.probe).toBeUndefined();
    expect(json.resyncMs).toBeUndefined();
    expect(json.timeline.map((e: any) => e.stage)).toEqual(['membership', 'vip', 'service']);
    expect(await served('node1')).toBe('node1');
    Object.assign(timings, { drillFailover: json.failoverMs / 1000, drillRejoin: json.rejoinMs / 1000 });
  }, 15 * MIN);
});
