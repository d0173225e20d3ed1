// Runbooks 000 and 001 on real VMs, one cluster's life. 000: a database and
// an application on the replicated volume, Heartbeat v1 with the VIP, mon
// watching both ports and handing over when one dies. haforge bootstraps it
// from bare VMs (MariaDB's data and configuration relocated, its
// bind-address set by a service file template, the application a CGI of
// this test's own that writes a row per request), a second run changes
// nothing, status reads it, a killed mysqld makes mon hand over, switchover
// and migrate move it, a drill powers the primary off under the write probe
// (RPO 0), and mon restarts a service in place when no peer is left. 001: the
// same nodes then move in place to Corosync + Pacemaker (Heartbeat and mon
// stopped, DRBD and the data kept), with the runbook's resources and
// constraints, the application's rows all there; a re-run changes nothing,
// switchover and a power-off drill work on the new stack.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCli, runCliJson, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `rb000-${process.pid}`;
const VIP = '10.99.0.100';

// The application: every request through the VIP inserts a row naming the node that served it and answers with that node and the row count.
const APP = `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
n=$(mariadb -h ${VIP} -u app -papp -N -B app -e "INSERT INTO hits (node) VALUES ('$(uname -n)'); SELECT COUNT(*) FROM hits;" 2>&1)
echo "$(uname -n) $n"
`;
const SERVICES = {
  db: {
    unit: 'mariadb',
    paths: ['/var/lib/mysql', '/etc/mysql'],
    port: 3306,
    // Debian's MariaDB listens on 127.0.0.1: the cluster's clients come through the VIP.
    files: [{ path: '/etc/mysql/mariadb.conf.d/60-cluster.cnf', template: 'mariadb-cluster.cnf.hbs' }],
  },
  web: {
    unit: 'lighttpd',
    paths: ['/var/www/html', '/etc/lighttpd'],
    port: 80,
    files: [
      { path: '/etc/lighttpd/conf-enabled/20-app.conf', content: 'server.modules += ( "mod_cgi" )\ncgi.assign = ( ".sh" => "/bin/sh" )\n' },
      { path: '/var/www/html/app.sh', content: APP, mode: '0755' },
    ],
  },
};

describe.skipIf(skip)('runbooks 000 and 001: MariaDB and an application under Heartbeat + mon, then moved in place to Pacemaker (real VMs)', () => {
  let s: LabSession;
  let heartbeatInventory: string;
  let pacemakerInventory: string;
  let inventory: string;
  const timings: Record<string, number> = {};
  const haforge = (...args: string[]) => runCliJson([...args, '-i', inventory], s.env, 15 * MIN);
  const status = async () => (await haforge('status')).json.clusters[0];
  const bootstrap = async () => {
    const { ran, report, audit } = await s.bootstrap(inventory);
    const failed = (report.run?.results ?? []).filter((r: any) => r.status === 'failed');
    expect(report.ok, JSON.stringify({ failed, preflight: report.preflight?.checks?.filter((c: any) => c.status === 'fail'), error: report.error }, null, 2)).toBe(true);
    return { ran, report, audit };
  };
  /** One request to the application through the VIP, from `from`: "<node> <rows>". */
  const app = async (from = 'node2') => (await s.ssh(from, `curl -s -m 10 --retry 10 --retry-connrefused --retry-delay 1 http://${VIP}/app.sh`)).trim();
  /** Seconds since `since` until the application answers from `node`'s side with a row count above `rows`. */
  const untilApp = async (since: number, rows: number, from = 'node2', limitS = 240): Promise<{ s: number; said: string }> => {
    for (;;) {
      const said = (await s.sshRaw(from, `curl -s -m 3 http://${VIP}/app.sh`)).stdout.trim();
      const m = /^(node\d) (\d+)$/.exec(said);
      if (m && Number(m[2]) > rows) return { s: Math.round((Date.now() - since) / 100) / 10, said };
      if (Date.now() - since > limitS * 1000) throw new Error(`the application did not answer through ${VIP} within ${limitS} s (last: ${said})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const rowsIn = (said: string) => Number(said.split(' ')[1]);
  /** The answer came from `node` with every row written before and this request's: a request cut off by a timeout after its insert adds one more. */
  const expectServed = (said: string, node: string | RegExp, rows: number) => {
    expect(said.split(' ')[0]).toMatch(node);
    expect(rowsIn(said), said).toBeGreaterThanOrEqual(rows + 1);
  };
  const monSaid = (node: string) => s.ssh(node, 'journalctl -t haforge-mon --no-pager -o cat || true');

  beforeAll(async () => {
    s = await openLab(NAME, 'hfrb0-');
    await fs.writeFile(path.join(s.stateRoot, 'mariadb-cluster.cnf.hbs'), '# haforge: clients reach the database through the virtual IP\n[mysqld]\nbind-address = {{cluster.vip.address}}\n');
    const common = { services: SERVICES, drill: { quiescent: ['/etc/lighttpd'] }, fencing: { enabled: false } };
    heartbeatInventory = await s.inventory('runbook-000.yaml', { ...common, stack: 'heartbeat', heartbeat: { keepalive: 1, warntime: 3, deadtime: 6, initdead: 12 } });
    // Runbook 001's Pacemaker: stonith-enabled=false, as the runbook sets it.
    pacemakerInventory = await s.inventory('runbook-001.yaml', { ...common, stack: 'pacemaker' });
    inventory = heartbeatInventory;
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`runbooks 000/001 timings (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('000: bootstrap takes bare VMs to MariaDB and the application on the VIP, from the replicated volume, under Heartbeat + mon', async () => {
    const { ran, report, audit } = await bootstrap();
    timings.bootstrap = ran.ms / 1000;
    expect(report.run.results.filter((r: any) => r.task.startsWith('wait for ')).map((r: any) => `${r.task} ${r.status}`).sort()).toEqual([
      `wait for ${VIP}:3306 ok`, `wait for ${VIP}:3306 ok`, `wait for ${VIP}:80 ok`, `wait for ${VIP}:80 ok`,
    ]);
    // The data and configuration live on the volume; the template's bind address is there, read by the running server.
    expect(await s.ssh('node1', 'readlink /var/lib/mysql /etc/mysql; cat /replicated/etc/mysql/mariadb.conf.d/60-cluster.cnf; ss -Hltn sport = :3306 | tr -s " " | cut -d" " -f4')).toBe(
      `/replicated/var/lib/mysql\n/replicated/etc/mysql\n# haforge: clients reach the database through the virtual IP\n[mysqld]\nbind-address = ${VIP}\n${VIP}:3306\n`,
    );
    // The application's schema, as its installer would make it.
    await s.ssh('node1', `mariadb -e "CREATE DATABASE app; CREATE USER 'app'@'%' IDENTIFIED BY 'app'; GRANT ALL ON app.* TO 'app'@'%'; CREATE TABLE app.hits (id INT AUTO_INCREMENT PRIMARY KEY, node VARCHAR(64) NOT NULL)"`);
    expect(await app()).toBe('node1 1');
    // Heartbeat and DRBD start at boot; what Heartbeat runs (the services, mon) does not.
    for (const node of ['node1', 'node2']) {
      expect(await s.ssh(node, 'for u in heartbeat drbd mariadb lighttpd mon; do echo "$u $(systemctl is-enabled $u)"; done')).toBe('heartbeat enabled\ndrbd enabled\nmariadb disabled\nlighttpd disabled\nmon disabled\n');
    }
    expect(await s.ssh('node1', 'grep -E "^(ucast|node) " /etc/ha.d/ha.cf; grep -v "^#" /etc/ha.d/haresources')).toBe(
      `ucast eth1 10.99.0.12\nucast eth2 10.98.0.12\nnode node1\nnode node2\nnode1 IPaddr2::${VIP}/24/eth1 drbddisk::r0 Filesystem::/dev/drbd0::/replicated::ext4::noatime haforge-systemd::mariadb haforge-systemd::lighttpd haforge-systemd::mon\n`,
    );
    expect(await s.ssh('node1', 'systemctl is-active mon mariadb lighttpd; ps -o user= -C mon')).toBe('active\nactive\nactive\nroot\n');
    expect(await s.ssh('node2', 'systemctl is-active mon mariadb lighttpd || true')).toBe('inactive\ninactive\ninactive\n');
    // One random sha1 key, the same on both nodes, root-only, never in the output or the audit log (compared without landing in a message).
    const keys = await Promise.all(['node1', 'node2'].map((n) => s.ssh(n, 'stat -c %a /etc/ha.d/authkeys && cat /etc/ha.d/authkeys')));
    expect(keys[0] === keys[1], 'authkeys differ between the nodes').toBe(true);
    const secret = /^600\n(?:#.*\n)*auth 1\n1 sha1 (\S{20,})\n$/.exec(keys[0]!)?.[1];
    expect(secret !== undefined, `authkeys is not "auth 1 / 1 sha1 KEY" with mode 600 (shape: ${keys[0]!.replace(/sha1 \S+/, 'sha1 <secret>')})`).toBe(true);
    for (const text of [ran.stdout, ran.stderr, JSON.stringify(audit)]) expect(text.includes(secret!), 'the secret appears in the output or the audit log').toBe(false);
  }, 25 * MIN);

  it('000: a second bootstrap changes nothing', async () => {
    const { ran, report, audit } = await bootstrap();
    timings.secondBootstrap = ran.ms / 1000;
    expect(report.run.results.filter((r: any) => r.status !== 'ok').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
    expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
  }, 10 * MIN);

  it('000: status --json reads the Heartbeat cluster: node1 primary, holding the VIP and both services, DRBD healthy, no fencing said', async () => {
    const { ran, json } = await haforge('status');
    expect(ran.code, ran.stderr).toBe(0);
    const c = json.clusters[0];
    expect(c).toMatchObject({ cluster: 'lab', stack: 'heartbeat', primary: 'node1', healthy: true, vip: { address: VIP, holders: ['node1'] } });
    expect(c.nodes.map((n: any) => `${n.name} ${n.reachable} ${n.managerRunning} ${n.membership} ${n.vip}`)).toEqual(['node1 true true online true', 'node2 true true online false']);
    expect(c.drbd.map((r: any) => [r.name, r.verdict, r.nodes.map((n: any) => `${n.node} ${n.role}/${n.disk} ${n.connection} ${n.mountedAt ?? '-'}`)])).toEqual([
      ['r0', 'healthy', ['node1 Primary/UpToDate Connected /replicated', 'node2 Secondary/UpToDate Connected -']],
    ]);
    expect(c.warnings).toEqual([{ severity: 'warning', message: 'fencing is disabled by the inventory: a node that hangs can corrupt data' }]);
  }, 5 * MIN);

  it('000: a killed mysqld makes mon hand everything to node2, where the application finds every row', async () => {
    const rows = rowsIn(await app());
    const t0 = Date.now();
    // A clean TERM: systemd's Restart=on-abnormal leaves it down, as a crash it could not restart would.
    await s.ssh('node1', 'pkill -x mariadbd');
    const back = await untilApp(t0, rows, 'node1');
    timings.monHandover = back.s;
    expectServed(back.said, 'node2', rows);
    expect(await monSaid('node1')).toMatch(/db \(mariadb\) stopped answering: handing the resources to node2 \(hb_standby all\)/);
    // Stopped by Heartbeat; lighttpd may end "failed" when the stop cut off CGI requests in flight (seen under load): down either way.
    expect(await s.ssh('node1', 'for u in mon mariadb lighttpd; do echo "$u $(systemctl is-active $u | sed s/failed/inactive/)"; done')).toBe('mon inactive\nmariadb inactive\nlighttpd inactive\n');
  }, 8 * MIN);

  it('000: switchover to node1 and back, each timed; a second one to the same node does nothing; migrate moves it off a node', async () => {
    const there = await haforge('switchover', '--to', 'node1');
    expect(there.ran.code, there.ran.stderr).toBe(0);
    expect(there.json).toMatchObject({ status: 'done', from: 'node2', to: 'node1' });
    timings.switchoverToNode1 = there.json.movedMs / 1000;
    expect(await app()).toMatch(/^node1 \d+$/);
    expect((await haforge('switchover', '--to', 'node1')).json).toMatchObject({ status: 'noop', noop: 'the services already run on node1' });
    const back = await haforge('switchover');
    expect(back.json).toMatchObject({ status: 'done', from: 'node1', to: 'node2' });
    timings.switchoverToNode2 = back.json.movedMs / 1000;
    expect(await app('node1')).toMatch(/^node2 \d+$/);
    const away = await haforge('migrate', 'node2');
    expect(away.json).toMatchObject({ status: 'done', from: 'node2', to: 'node1' });
    expect((await haforge('unmigrate', 'node2')).json).toMatchObject({ status: 'noop', noop: 'Heartbeat v1 keeps no ban: nothing to lift' });
    expect(await status()).toMatchObject({ primary: 'node1', healthy: true });
  }, 15 * MIN);

  it('000: drill: node1 loses power under the write probe, node2 takes over with every acknowledged write (RPO 0), node1 comes back and resyncs', async () => {
    const rows = rowsIn(await app());
    const { ran, json } = await haforge('drill', '--method', 'lab', '--timeout', '300', '--yes');
    expect(ran.code, `${ran.stderr}\n${ran.stdout}`).toBe(0);
    expect(json).toMatchObject({ status: 'passed', dataIntact: true, primary: 'node1', survivor: 'node2', finalPrimary: 'node2' });
    expect(json.probe).toMatchObject({ file: '/replicated/.haforge-probe', lost: 0, writers: ['node1', 'node2'] });
    expect(json.after).toEqual(json.before);
    // Heartbeat starts haresources left to right: the IP, the disk, the filesystem, then each service.
    const stages = json.timeline.map((e: any) => e.stage);
    expect(stages.slice(0, 4)).toEqual(['membership', 'vip', 'promoted', 'mounted']);
    expect(json.timeline.filter((e: any) => e.stage === 'service').map((e: any) => e.what)).toEqual(['db started', 'web started']);
    console.info(`runbook 000 drill timeline: ${json.timeline.map((e: any) => `${(e.atMs / 1000).toFixed(1)} s ${e.what}`).join('; ')}`);
    Object.assign(timings, { drillWritesBack: json.writesBackMs / 1000, drillFailover: json.failoverMs / 1000, drillRejoin: json.rejoinMs / 1000, drillResync: json.resyncMs / 1000 });
    expectServed(await app('node1'), 'node2', rows);
  }, 20 * MIN);

  it('000: with no peer left, mon restarts a dead service where it runs', async () => {
    expect((await s.lab('kill', 'node1')).code).toBe(0);
    const rows = rowsIn(await app('node2'));
    const t0 = Date.now();
    await s.ssh('node2', 'pkill -x lighttpd');
    timings.monRestart = (await untilApp(t0, rows, 'node2')).s;
    expect(await monSaid('node2')).toMatch(/web \(lighttpd\) stopped answering: no peer can take the resources: restarting lighttpd here/);
    const started = await s.lab('start', 'node1');
    expect(started.code, started.stderr).toBe(0);
  }, 10 * MIN);

  it('001: bootstrap with stack: pacemaker moves the same nodes in place to Corosync + Pacemaker: Heartbeat and mon stopped, DRBD and every row kept', async () => {
    // node1 is back from the power cut: its DRBD reconnects and takes node2's writes first.
    await s.ssh('node1', 'for i in $(seq 1 120); do grep -q "ds:UpToDate/UpToDate" /proc/drbd && exit 0; sleep 1; done; cat /proc/drbd; exit 1');
    const rows = rowsIn(await app('node1'));
    inventory = pacemakerInventory;
    const check = await runCli(['bootstrap', '-i', inventory, '--check', '--json'], s.env, 10 * MIN);
    const planned = JSON.parse(check.stdout);
    // The plan shows the one destructive step: Heartbeat on the holder lets the services go.
    const destructive = (planned.run?.plan ?? planned.plan ?? []).filter((p: any) => p.destructive).map((p: any) => `${p.host} ${p.task}`);
    expect(destructive).toEqual(['node2 heartbeat stopped']);
    const { ran, report, audit } = await bootstrap();
    const done = Date.now();
    timings.conversion = ran.ms / 1000;
    expect(report.run.results.filter((r: any) => r.task === 'heartbeat stopped').map((r: any) => `${r.host} ${r.status} ${r.msg}`).sort()).toEqual([
      'node1 changed enabled at boot, running, holds nothing',
      'node2 changed enabled at boot, running, holds the resources',
    ]);
    // The services are down from Heartbeat's stop on the holder until Pacemaker has started them (the run waits for that).
    const stopped = audit.find((r) => r.host === 'node2' && r.argv.join(' ') === 'systemctl stop heartbeat.service');
    timings.conversionOutage = Math.round((done - Date.parse(stopped.time)) / 100) / 10;
    expectServed(await app('node1'), /^node\d$/, rows);
    for (const node of ['node1', 'node2']) {
      // drbd.service only brought DRBD up at boot (a oneshot that stays "active"); from now on Pacemaker does.
      expect(await s.ssh(node, 'for u in heartbeat corosync pacemaker; do echo "$u $(systemctl is-enabled $u) $(systemctl is-active $u)"; done; systemctl is-enabled drbd; pgrep -x mon || echo no mon')).toBe(
        'heartbeat disabled inactive\ncorosync enabled active\npacemaker enabled active\ndisabled\nno mon\n',
      );
    }
    // Runbook 001's configuration: the DRBD clone, a group, colocation, order, a location preference, stickiness, no STONITH.
    const cib = await s.ssh('node1', 'cibadmin --query --scope configuration');
    expect(cib).toMatch(/<primitive id="p_drbd_r0" class="ocf" provider="linbit" type="drbd"/);
    expect(cib).toMatch(/name="promotable" value="true"/);
    expect(cib).toMatch(/<group id="g_services">/);
    expect(cib).toMatch(/<rsc_colocation /);
    expect(cib).toMatch(/<rsc_order /);
    expect(cib).toMatch(/<rsc_location id="loc_g_services_prefers_node1"/);
    expect(cib).toMatch(/name="resource-stickiness"/);
    expect(cib).toMatch(/name="stonith-enabled" value="false"/);
    const c = await status();
    expect(c).toMatchObject({ stack: 'pacemaker', primary: expect.stringMatching(/^node[12]$/), healthy: true });
    expect(c.nodes.map((n: any) => `${n.name} ${n.managerRunning} ${n.membership}`)).toEqual(['node1 true online', 'node2 true online']);
    expect(c.drbd[0].verdict).toBe('healthy');
  }, 25 * MIN);

  it('001: a second bootstrap changes nothing; the application keeps writing', async () => {
    const rows = rowsIn(await app('node1'));
    const { ran, report, audit } = await bootstrap();
    timings.secondConversion = ran.ms / 1000;
    expect(report.run.results.filter((r: any) => r.status !== 'ok').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
    expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
    expectServed(await app('node1'), /^node\d$/, rows);
  }, 10 * MIN);

  it('001: on Pacemaker: switchover there and back, each timed, then a power-off drill under the write probe (RPO 0) with every row kept', async () => {
    const from = (await status()).primary;
    const to = from === 'node1' ? 'node2' : 'node1';
    const there = await haforge('switchover');
    expect(there.json).toMatchObject({ status: 'done', from, to });
    const back = await haforge('switchover');
    expect(back.json).toMatchObject({ status: 'done', from: to, to: from });
    Object.assign(timings, { pacemakerSwitchover: there.json.movedMs / 1000, pacemakerSwitchoverBack: back.json.movedMs / 1000 });
    const rows = rowsIn(await app(to));
    const { ran, json } = await haforge('drill', '--method', 'lab', '--timeout', '300', '--yes');
    expect(ran.code, `${ran.stderr}\n${ran.stdout}`).toBe(0);
    expect(json).toMatchObject({ status: 'passed', dataIntact: true, primary: from, survivor: to });
    expect(json.probe).toMatchObject({ lost: 0, writers: [from, to] });
    const stages = json.timeline.map((e: any) => e.stage);
    expect(stages.filter((x: string) => ['promoted', 'mounted', 'vip'].includes(x))).toEqual(['promoted', 'mounted', 'vip']);
    expect(json.timeline.filter((e: any) => e.stage === 'service').map((e: any) => e.what)).toEqual(['db started', 'web started']);
    console.info(`runbook 001 drill timeline: ${json.timeline.map((e: any) => `${(e.atMs / 1000).toFixed(1)} s ${e.what}`).join('; ')}`);
    Object.assign(timings, { pacemakerDrillWritesBack: json.writesBackMs / 1000, pacemakerDrillFailover: json.failoverMs / 1000, pacemakerDrillResync: json.resyncMs / 1000 });
    expectServed(await app(from), to, rows);
  }, 20 * MIN);
});
