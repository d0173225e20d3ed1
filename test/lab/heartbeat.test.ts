// Heartbeat v1 + mon on real VMs: blank lab to a VIP serving a page from the
// replicated volume (drbd then heartbeat playbooks), a re-run that changes
// nothing, mon handing the resources over when the web server dies, a power
// failure of the node holding them, and mon restarting the service where it
// runs when no peer is left to take it. Failover times are printed.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `hb-${process.pid}`;
const VIP = '10.99.0.100';
const PAGE = `served from the replicated volume (${NAME})`;

describe.skipIf(skip)('Heartbeat v1 + mon in the lab (real VMs)', () => {
  let s: LabSession;
  let inventory: string;
  const timings: Record<string, number> = {};
  const ssh = (node: string, command: string) => s.ssh(node, command);
  const apply = (playbook: string) => s.apply(inventory, playbook);
  const failures = (report: any) => (report.results ?? []).filter((r: any) => r.status === 'failed');
  /** Seconds since `since` until `curl` of the VIP from `node` serves the page (polled on the node, in ssh-sized rounds). */
  const untilPage = async (node: string, since: number, limitS = 240): Promise<number> => {
    const poll = `for i in $(seq 1 40); do [ "$(curl -s -m 2 http://${VIP}/)" = "${PAGE}" ] && exit 0; sleep 1; done; exit 1`;
    while ((await s.sshRaw(node, poll)).code !== 0) {
      if (Date.now() - since > limitS * 1000) throw new Error(`the page did not come back on ${VIP} (seen from ${node}) within ${limitS} s`);
    }
    return Math.round((Date.now() - since) / 100) / 10;
  };
  /** The node whose eth1 carries the VIP (a node that is off does not answer). */
  const holder = async () => {
    for (const node of ['node1', 'node2']) {
      if ((await s.sshRaw(node, `ip -o -4 addr show dev eth1 | grep -qF ' inet ${VIP}/'`)).code === 0) return node;
    }
    return undefined;
  };
  const monSaid = (node: string) => ssh(node, 'journalctl -t haforge-mon --no-pager -o cat || true');

  beforeAll(async () => {
    s = await openLab(NAME, 'hfhb-');
    // The lab's inventory, stack heartbeat, with timings short enough for emulated VMs (defaults: 2/10/30/60).
    const inv = parse(await fs.readFile(s.status.inventory, 'utf8'));
    Object.assign(inv.clusters.lab, { stack: 'heartbeat', fencing: { enabled: false }, heartbeat: { keepalive: 1, warntime: 3, deadtime: 6, initdead: 12 } });
    inventory = path.join(s.stateRoot, 'heartbeat.yaml');
    await fs.writeFile(inventory, stringify(inv));
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`Heartbeat lab timings (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('takes the lab from blank disks to a VIP serving a page from the replicated volume', async () => {
    const drbd = await apply('drbd');
    timings.drbd = drbd.ran.ms / 1000;
    expect(drbd.report.ok, `${drbd.ran.stderr}\n${JSON.stringify(failures(drbd.report), null, 2)}`).toBe(true);
    const hb = await apply('heartbeat');
    timings.heartbeat = hb.ran.ms / 1000;
    expect(hb.report.ok, `${hb.ran.stderr}\n${JSON.stringify(failures(hb.report), null, 2)}`).toBe(true);
    // Where the time goes: installing what the image lacks, and Heartbeat's initdead + the group's start.
    const longest = (prefix: string) => Math.max(0, ...hb.report.results.filter((r: any) => r.task.startsWith(prefix)).map((r: any) => r.durationMs)) / 1000;
    timings.heartbeatPackages = longest('package ');
    timings.heartbeatTakeover = longest('heartbeat resources');

    expect(await ssh('node1', 'ip -o -4 addr show dev eth1')).toMatch(new RegExp(`inet ${VIP.replace(/\./g, '\\.')}/24 .*secondary eth1`));
    await ssh('node1', `echo '${PAGE}' > /replicated/var/www/html/index.html && sync`);
    // The playbook waits for Heartbeat to finish starting the group; lighttpd may take a moment more to listen.
    timings.pageAfterApply = await untilPage('node2', Date.now(), 30);
    // Heartbeat (and DRBD, for drbddisk) start at boot; what Heartbeat runs does not.
    for (const node of ['node1', 'node2']) {
      expect(await ssh(node, 'for u in heartbeat drbd lighttpd mon; do echo "$u $(systemctl is-enabled $u)"; done')).toBe('heartbeat enabled\ndrbd enabled\nlighttpd disabled\nmon disabled\n');
    }
    expect(await ssh('node1', 'grep -E "^(ucast|node) " /etc/ha.d/ha.cf')).toBe('ucast eth1 10.99.0.12\nucast eth2 10.98.0.12\nnode node1\nnode node2\n');
    expect(await ssh('node1', 'systemctl is-active mon lighttpd; ps -o user= -C mon')).toBe('active\nactive\nroot\n');
    expect(await ssh('node2', 'systemctl is-active mon lighttpd || true')).toBe('inactive\ninactive\n');

    // One random sha1 key, the same on both nodes, root-only, never in the output or the audit log.
    const keys = await Promise.all(['node1', 'node2'].map((n) => ssh(n, 'stat -c %a /etc/ha.d/authkeys && cat /etc/ha.d/authkeys')));
    // Compared and matched without ever landing in a failure message.
    expect(keys[0] === keys[1], 'authkeys differ between the nodes').toBe(true);
    const secret = /^600\n(?:#.*\n)*auth 1\n1 sha1 (\S{20,})\n$/.exec(keys[0]!)?.[1];
    expect(secret !== undefined, `authkeys is not "auth 1 / 1 sha1 KEY" with mode 600 (shape: ${keys[0]!.replace(/sha1 \S+/, 'sha1 <secret>')})`).toBe(true);
    for (const text of [hb.ran.stdout, hb.ran.stderr, JSON.stringify(hb.audit)]) expect(text.includes(secret!), 'the secret appears in the output or the audit log').toBe(false);
  }, 20 * MIN);

  it('a second run changes nothing', async () => {
    const { ran, report, audit } = await apply('heartbeat');
    timings.rerun = ran.ms / 1000;
    expect(report.results.filter((r: any) => r.status !== 'ok')).toEqual([]);
    expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
  }, 5 * MIN);

  it('mon hands the resources to the peer when the web server dies', async () => {
    const t0 = Date.now();
    await ssh('node1', 'pkill -x lighttpd');
    timings.monHandover = await untilPage('node2', t0);
    expect(await holder()).toBe('node2');
    expect(await monSaid('node1')).toMatch(/web \(lighttpd\) stopped answering: handing the resources to node2 \(hb_standby all\)/);
    expect(await ssh('node1', 'systemctl is-active mon lighttpd || true')).toBe('inactive\ninactive\n');
  }, 8 * MIN);

  it('the page comes back from the other node after a power failure', async () => {
    const t0 = Date.now();
    const kill = await s.lab('kill', 'node2');
    expect(kill.code, kill.stderr).toBe(0);
    timings.powerFailover = await untilPage('node1', t0);
    console.info(`Heartbeat failover (power off to page served again): ${timings.powerFailover} s with deadtime 6`);
    expect(await ssh('node1', 'cat /proc/drbd')).toMatch(/ro:Primary\/Unknown ds:UpToDate\/DUnknown/);
  }, 8 * MIN);

  it('with no peer left, mon restarts the web server where it runs', async () => {
    const t0 = Date.now();
    await ssh('node1', 'pkill -x lighttpd');
    timings.monRestart = await untilPage('node1', t0);
    expect(await monSaid('node1')).toMatch(/web \(lighttpd\) stopped answering: no peer can take the resources: restarting lighttpd here/);
    expect(await holder()).toBe('node1');
  }, 5 * MIN);
});
