// haforge status as a pure function over output captured in the lab: crm_mon
// XML (test/fixtures/pacemaker), /proc/drbd, mounts and addresses of the lab
// VMs, cl_status (test/fixtures/heartbeat). Readings are assembled from
// captures of the same lab state; the VIP's line comes from the capture of
// the node that held it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceFact } from '../../src/facts/services.js';
import { clusterStatus } from '../../src/cluster/status.js';
import { renderCluster } from '../../src/ui/status.js';
import { cluster, read, type Side } from '../support/status-readings.js';

const messages = (r: ReturnType<typeof clusterStatus>, severity: 'critical' | 'warning') => r.warnings.filter((w) => w.severity === severity).map((w) => w.message);

describe('status: Pacemaker cluster', () => {
  it('everything on node1: primary node1, healthy, resources and VIP where crm_mon says', () => {
    const r = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
    ]);
    expect(r).toMatchObject({ primary: 'node1', healthy: true, vip: { address: '10.99.0.100', holders: ['node1'] } });
    expect(r.nodes.map((n) => [n.name, n.reachable, n.managerRunning, n.membership, n.vip])).toEqual([
      ['node1', true, true, 'online', true],
      ['node2', true, true, 'online', false],
    ]);
    expect(r.drbd[0]!.verdict).toBe('healthy');
    expect(r.drbd[0]!.nodes.map((n) => `${n.node} ${n.role}/${n.disk} ${n.connection} ${n.mountedAt ?? '-'}`)).toEqual(['node1 Primary/UpToDate Connected /replicated', 'node2 Secondary/UpToDate Connected -']);
    const running = r.resources.filter((x) => x.role === 'Started' || x.role === 'Promoted').map((x) => `${x.id}@${x.nodes.join(',')}`);
    expect(running).toEqual(expect.arrayContaining(['p_vip@node1', 'p_svc_web@node1']));
    // Fencing off on purpose: said every time, but not critical.
    expect(messages(r, 'warning')).toEqual(['fencing is disabled by the inventory: a node that hangs can corrupt data']);
    expect(r.fencing).toEqual({ inventory: 'disabled', stonithEnabled: false, devices: [], history: [] });
  });

  it('node1 powered off: not readable, no primary yet, degraded, VIP nowhere', () => {
    const r = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', 'node1: cannot connect to 127.0.0.1:2222: connect ECONNREFUSED'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-secondary.txt', crmMon: 'lab-crm-mon-node1-lost.xml' }),
    ]);
    expect(r).toMatchObject({ primary: null, healthy: false, viewFrom: 'node2' });
    expect(r.nodes.map((n) => [n.name, n.reachable, n.membership])).toEqual([
      ['node1', false, 'offline'],
      ['node2', true, 'online'],
    ]);
    expect(messages(r, 'critical')).toEqual([
      'node1 cannot be read: node1: cannot connect to 127.0.0.1:2222: connect ECONNREFUSED',
      'DRBD r0 on node2 is WFConnection (UpToDate/DUnknown): degraded, no replication',
      'the VIP 10.99.0.100 is up on no node',
      'no node is Primary for all DRBD resources: the services cannot run',
    ]);
  });

  it('after the failover: primary node2, still degraded until node1 is back', () => {
    const r = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', 'node1: cannot connect'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-after-failover.xml' }),
    ]);
    expect(r.primary).toBe('node2');
    expect(r.resources.find((x) => x.id === 'p_svc_web')).toMatchObject({ role: 'Started', nodes: ['node2'] });
    expect(messages(r, 'critical')).toContain('DRBD r0 on node2 is WFConnection (UpToDate/DUnknown): degraded, no replication');
  });

  it('a fail count, a ban left by a move and a standby node are shown with what to do', () => {
    const failed = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-failcount.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-failcount.xml' }),
    ]);
    expect(failed.failCounts).toEqual([{ node: 'node2', resource: 'p_svc_web', count: 1 }]);
    expect(failed.warnings).toContainEqual({ severity: 'warning', message: 'p_svc_web failed 1 time(s) on node2', hint: 'haforge cleanup p_svc_web' });
    const banned = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-standby-ban-unmanaged.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-standby-ban-unmanaged.xml' }),
    ]);
    expect(banned.nodes.find((n) => n.name === 'node1')!.membership).toBe('standby');
    expect(banned.warnings).toContainEqual(expect.objectContaining({ message: 'g_services is kept off node1 by cli-ban-g_services-on-node1', hint: 'left by a move: haforge unmigrate node1' }));
    expect(messages(banned, 'warning')).toContain('p_svc_web is unmanaged: Pacemaker leaves it alone');
    expect(banned.primary).toBe('node2');
  });

  it('a cluster whose inventory says nothing about fencing is warned about', () => {
    const spec = cluster('pacemaker');
    delete spec.fencing;
    const r = clusterStatus(spec, [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
    ]);
    expect(messages(r, 'warning')).toEqual(['no fencing configured: a node that hangs can corrupt data']);
    expect(r.healthy).toBe(true);
  });
});

describe('status: split brain', () => {
  it('both StandAlone, both Primary: split brain, and primary is the VIP holder among them', () => {
    const r = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-sb-proc-standalone-primary.txt', mounted: true, vip: true }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-sb-proc-standalone-promoted.txt', mounted: true }),
    ]);
    expect(r.drbd[0]!.verdict).toBe('split-brain');
    expect(r.primary).toBe('node1');
    expect(messages(r, 'critical')).toContain('DRBD r0: SPLIT BRAIN');
    expect(r.healthy).toBe(false);
  });
});

describe('status: the screen', () => {
  it('shows the primary, a row per node with DRBD, the resources and the warnings, worst first', () => {
    const r = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', 'node1: cannot connect'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-after-failover.xml' }),
    ]);
    const text = renderCluster(r);
    expect(text.split('\n')[0]).toBe('cluster lab (pacemaker): NOT HEALTHY, primary node2');
    expect(text).toMatch(/^node2 +yes +running +online +yes +Primary\/UpToDate WFConnection$/m);
    expect(text).toMatch(/^node1 +- +stopped +offline +- +not up$/m);
    expect(text).toMatch(/^p_svc_web +systemd:lighttpd +Started +node2$/m);
    expect(text).toMatch(/^vip 10\.99\.0\.100: node2$/m);
    const warnings = text.split('\n').filter((l) => /^ {2}(CRITICAL|warning) /.test(l));
    expect(warnings[0]).toMatch(/^ {2}CRITICAL node1 cannot be read/);
    expect(warnings.at(-1)).toMatch(/^ {2}warning fencing is disabled/);
  });
});

describe('status: fencing health with SBD (captures of the lab with SBD on)', () => {
  const SBD = { fencing: { sbd: { devices: ['/dev/disk/by-id/virtio-haforge-sbd'] } } };
  const fenced = (node2: Partial<Side>, crmMon = 'lab-crm-mon-fence-history.xml') =>
    clusterStatus(cluster('pacemaker', SBD), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon, sbd: 'lab-health-running.txt' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon, ...node2 }),
    ]);

  it('per node: sbd running, the watchdog armed with its timeout, the slot clear; the last fencing and its outcome', () => {
    const r = fenced({ sbd: 'lab-health-running.txt' });
    expect(r.fencing.sbd).toEqual([
      { node: 'node1', sbd: 'active', watchdog: { present: true, identity: 'i6300ESB timer', state: 'active', timeout: 5 }, slots: [{ device: '/dev/disk/by-id/virtio-haforge-sbd', message: 'clear' }] },
      { node: 'node2', sbd: 'active', watchdog: { present: true, identity: 'i6300ESB timer', state: 'active', timeout: 5 }, slots: [{ device: '/dev/disk/by-id/virtio-haforge-sbd', message: 'clear' }] },
    ]);
    expect(r.fencing.history).toEqual([{ action: 'reboot', target: 'node2', status: 'success', delegate: 'node1', origin: 'node1', client: 'pacemaker-controld.817', completed: '2026-12-06 03:58:52Z' }]);
    expect(r.warnings).toEqual([]);
    const text = renderCluster(r);
    expect(text).toContain('\n  node1: sbd active, watchdog i6300ESB timer active 5 s, slot clear\n');
    expect(text).toContain('\n  last fencing: reboot of node2 by node1: success (2026-12-06 03:58:52Z)');
  });

  it('sbd stopped with a pill waiting: critical, since the pill would count as delivered while the node runs on', () => {
    const r = fenced({ sbd: 'lab-health-stopped-pill.txt' });
    expect(messages(r, 'critical')).toEqual(['sbd is inactive on node2: a poison pill would not reset it, yet it counts as delivered after msgwait']);
    expect(messages(r, 'warning')).toEqual(["a 'reset' message from node2 waits in node2's slot on /dev/disk/by-id/virtio-haforge-sbd"]);
    expect(r.healthy).toBe(false);
    expect(renderCluster(r)).toContain('\n  node2: sbd inactive, watchdog i6300ESB timer inactive 5 s, slot reset from node2\n');
  });

  it('no watchdog device and an SBD disk that cannot be read: critical each', () => {
    const wrong = { fencing: { sbd: { devices: ['/dev/disk/by-id/virtio-haforge-sbd', '/dev/disk/by-id/virtio-nonexistent'], watchdog: '/dev/watchdog9' } } };
    const r = clusterStatus(cluster('pacemaker', wrong), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-fence-history.xml', sbd: 'lab-health-wrong-devices.txt' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-fence-history.xml', sbd: 'lab-health-running.txt' }),
    ]);
    expect(messages(r, 'critical')).toEqual([
      'node1 has no watchdog device: sbd cannot reset it if sbd itself hangs',
      'node1 cannot read its SBD slot on /dev/disk/by-id/virtio-nonexistent: disk /dev/disk/by-id/virtio-nonexistent unreadable!',
    ]);
  });

  it('a failed fencing is warned about until one succeeds on that node', () => {
    const r = fenced({ sbd: 'lab-health-running.txt' }, 'lab-crm-mon-fence-failed.xml');
    expect(r.fencing.history.map((e) => `${e.action} ${e.target} ${e.status}`)).toEqual(['reboot node3 failed', 'reboot node2 success']);
    expect(messages(r, 'warning')).toEqual(['the last fencing of node3 failed (reboot by node1, 2026-12-06 04:01:53Z)']);
    expect(r.healthy).toBe(true);
  });
});

describe('status: the wrong stack', () => {
  it('says which cluster manager runs when it is not the inventory\'s', () => {
    const r = clusterStatus(cluster('pacemaker'), [
      { ...read('node1', 'heartbeat', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true }) },
      { ...read('node2', 'heartbeat', { proc: 'lab-8.4-proc-connected-secondary.txt' }) },
    ]);
    expect(r.warnings).toContainEqual({ severity: 'critical', message: 'Heartbeat runs on node1, not Pacemaker', hint: expect.stringMatching(/hands it over in place/) });
    expect(r.healthy).toBe(false);
  });
});

describe('status: a service that starts behind the cluster manager', () => {
  it('warns where a service the cluster runs starts at boot or on demand through a socket (captured: Debian\'s mariadb.socket)', () => {
    const socket = serviceFact.parse(readFileSync(path.join(__dirname, '../fixtures/services/lab-mariadb-socket-activated.txt'), 'utf8'), 0);
    const node1 = read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml', lighttpd: true });
    const node2 = read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-running.xml' });
    node2.services = { lighttpd: { ...socket, active: false, enabled: true } };
    const r = clusterStatus(cluster('pacemaker'), [node1, node2]);
    expect(r.warnings.filter((w) => /starts/.test(w.message))).toEqual([
      { severity: 'warning', message: 'lighttpd on node2 starts at boot and on demand (mariadb.socket): only the cluster manager may start it', hint: expect.stringMatching(/systemctl disable lighttpd\.service mariadb\.socket/) },
    ]);
  });
});
