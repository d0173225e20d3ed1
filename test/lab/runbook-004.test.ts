// Runbook 004's system on real VMs: Sendmail made redundant with Heartbeat
// over DRBD. /etc/mail, the mail spool (/var/spool/mail, a link Debian makes
// to /var/mail: its target moves) and the queues live on the replicated
// volume with links left behind; haresources is IPaddr + the disk + sendmail.
// A second Heartbeat cluster shares the segment (four VMs, two clusters in
// one inventory, broadcast heartbeats on each), kept apart by its own
// udpport. Mail accepted on the VIP survives a switchover and a power-off
// drill: delivered mail stays in the mailbox, a message held in the queue is
// still queued on the survivor and is delivered there; the other cluster
// never notices.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCli, runCliJson, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `rb004-${process.pid}`;
const MAIL_VIP = '10.99.0.100';
const WEB_VIP = '10.99.0.101';
/** Both clusters broadcast on eth1 and eth2: the segment is shared, the port is not. */
const HEARTBEAT = { comm: 'bcast', keepalive: 1, warntime: 3, deadtime: 6, initdead: 12 };
// The mail server answers on the VIP under the cluster's mail name, whichever node runs it.
const SENDMAIL_M4 = "dnl haforge: the mail server answers on the virtual IP\ndefine(`confDOMAIN_NAME', `mail.lab.example')dnl\nDAEMON_OPTIONS(`Family=inet, Name=MTA-VIP, Port=smtp, Addr={{cluster.vip.address}}')dnl\n";
const MAIL_PATHS = ['/etc/mail', '/var/spool/mail', '/var/spool/mqueue', '/var/spool/mqueue-client'];

describe.skipIf(skip)('runbook 004: Sendmail under Heartbeat over DRBD, beside a second cluster on its own udpport (real VMs)', () => {
  let s: LabSession;
  let inventory: string;
  const timings: Record<string, number> = {};
  const haforge = (...args: string[]) => runCliJson([...args, '-i', inventory], s.env, 15 * MIN);
  const mailStatus = async () => (await haforge('status', '--cluster', 'mail')).json.clusters[0];
  /** One message through the VIP by SMTP (curl), from a node of the other cluster: the token is its body. */
  const send = async (from: string, token: string) => {
    const r = await s.sshRaw(from, `printf 'Subject: ${token}\\n\\n${token}\\n' | curl --crlf -sS -m 60 --retry 10 --retry-connrefused --retry-delay 1 smtp://${MAIL_VIP} --mail-from test@${from}.lab.example --mail-rcpt root@mail.lab.example -T -`, 90_000);
    expect(r.code, `${from}: SMTP to ${MAIL_VIP} failed: ${r.stderr}`).toBe(0);
  };
  /** The tokens of the mail delivered to root on `node` (the mailbox is on the volume). */
  const delivered = async (node: string) => (await s.ssh(node, 'grep -h "^token-" /var/mail/root || true')).trim().split('\n').filter(Boolean);
  /** Delivery follows acceptance by a moment (sendmail forks it off): the mailbox on `node` once it holds `token`, or after 30 s. */
  const deliveredWith = async (node: string, token: string) => {
    for (let i = 0; i < 30; i++) {
      const tokens = await delivered(node);
      if (tokens.includes(token)) return tokens;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return delivered(node);
  };
  /** Which node's page the web cluster's VIP serves, seen from `from`. */
  const web = async (from: string) => (await s.ssh(from, `curl -s -m 5 --retry 5 --retry-connrefused --retry-delay 1 http://${WEB_VIP}/`)).trim();

  beforeAll(async () => {
    s = await openLab(NAME, 'hfrb4-', { nodes: 4 });
    await fs.writeFile(path.join(s.stateRoot, 'sendmail-cluster.m4.hbs'), SENDMAIL_M4);
    // The site's name resolution, as the runbook's /etc/hosts step: sendmail waits
    // 60 s at every start for a qualified name of its host when it has none.
    for (const n of ['node1', 'node2', 'node3', 'node4']) await s.ssh(n, String.raw`sed -i -E 's/^(10\.99\.0\.1[0-9]) (node[0-9])$/\1 \2.lab.example \2/' /etc/hosts`);
    // The web cluster has no volume: each node serves its own page, naming it.
    for (const n of ['node3', 'node4']) await s.ssh(n, 'uname -n > /var/www/html/index.html');
    inventory = await s.inventoryWith('runbook-004.yaml', (inv) => {
      const lab = inv.clusters.lab;
      const nodes = (...names: string[]) => Object.fromEntries(names.map((n) => [n, lab.nodes[n]]));
      const common = { stack: 'heartbeat', fencing: { enabled: false } };
      inv.clusters = {
        mail: {
          ...common,
          primary: 'node1',
          nodes: nodes('node1', 'node2'),
          drbd: lab.drbd,
          services: { mail: { unit: 'sendmail', paths: MAIL_PATHS, port: 25, files: [{ path: '/etc/mail/m4/provider.m4', template: 'sendmail-cluster.m4.hbs' }] } },
          vip: { address: MAIL_VIP, cidr_netmask: 24, nic: 'eth1' },
          heartbeat: { ...HEARTBEAT, udpport: 694 },
        },
        web: {
          ...common,
          primary: 'node3',
          nodes: nodes('node3', 'node4'),
          services: { web: { unit: 'lighttpd', port: 80 } },
          vip: { address: WEB_VIP, cidr_netmask: 24, nic: 'eth1' },
          heartbeat: { ...HEARTBEAT, udpport: 695 },
        },
      };
    });
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`runbook 004 timings (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 3 * MIN);

  it('two Heartbeat clusters on one segment with one udpport are refused at load, with the fix', async () => {
    const same = path.join(s.stateRoot, 'same-udpport.yaml');
    await fs.writeFile(same, (await fs.readFile(inventory, 'utf8')).replace('udpport: 695', 'udpport: 694'));
    const r = await runCli(['inventory', 'validate', '-i', same], s.env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/same-udpport\.yaml:\d+:\d+: Heartbeat clusters 'mail' and 'web' both use udpport 694/);
    expect(r.stderr).toMatch(/hint: clusters sharing a network segment need distinct ports/);
    expect((await runCli(['inventory', 'validate', '-i', inventory], s.env)).code).toBe(0);
  });

  it('bootstrap builds both clusters from bare VMs: the mail data on the volume with links left behind, sendmail on the VIP; a second run changes nothing', async () => {
    const { ran, report } = await s.bootstrap(inventory);
    const failed = (report.run?.results ?? []).filter((r: any) => r.status === 'failed');
    expect(report.ok, JSON.stringify({ failed, error: report.error }, null, 2)).toBe(true);
    timings.bootstrap = ran.ms / 1000;
    expect(report.run.results.filter((r: any) => r.task.startsWith('wait for ')).map((r: any) => `${r.task} ${r.status}`).sort()).toEqual([
      `wait for ${MAIL_VIP}:25 ok`, `wait for ${MAIL_VIP}:25 ok`, `wait for ${WEB_VIP}:80 ok`, `wait for ${WEB_VIP}:80 ok`,
    ]);
    // The runbook's layout: the directories are links into /replicated; /var/spool/mail is Debian's own link and stays, its target moved.
    expect(await s.ssh('node1', 'readlink /etc/mail /var/spool/mail /var/mail /var/spool/mqueue /var/spool/mqueue-client')).toBe(
      '/replicated/etc/mail\n../mail\n/replicated/var/mail\n/replicated/var/spool/mqueue\n/replicated/var/spool/mqueue-client\n',
    );
    // Debian's /etc/mail/aliases -> ../aliases would dangle on the volume (and fail sendmail's start): it points where it meant.
    expect(await s.ssh('node1', 'readlink /replicated/etc/mail/aliases; stat -c "%U:%G %a" /replicated/var/spool/mqueue /replicated/var/mail')).toBe('/etc/aliases\nsmmta:smmsp 2750\nroot:mail 3777\n');
    // The standby keeps its own copies aside; its links dangle until it takes over.
    expect(await s.ssh('node2', 'readlink /etc/mail /var/mail; ls -d /etc/mail.haforge-local /var/mail.haforge-local')).toBe('/replicated/etc/mail\n/replicated/var/mail\n/etc/mail.haforge-local\n/var/mail.haforge-local\n');
    expect(await s.ssh('node1', `grep -v "^#" /etc/ha.d/haresources; ss -Hltn "sport = :25" | tr -s " " | cut -d" " -f4 | sort`)).toBe(
      `node1 IPaddr2::${MAIL_VIP}/24/eth1 drbddisk::r0 Filesystem::/dev/drbd0::/replicated::ext4::noatime haforge-systemd::sendmail haforge-systemd::mon\n${MAIL_VIP}:25\n127.0.0.1:25\n`,
    );
    expect(await s.ssh('node2', 'systemctl is-active sendmail || true; systemctl is-enabled sendmail || true')).toBe('inactive\ndisabled\n');
    // Each cluster broadcasts on its own port and sees only its own two nodes.
    for (const [node, port, peers] of [['node1', 694, 'node1 node2'], ['node3', 695, 'node3 node4']] as const) {
      expect(await s.ssh(node, 'grep -E "^(udpport|bcast) " /etc/ha.d/ha.cf')).toBe(`udpport ${port}\nbcast eth1 eth2\n`);
      expect((await s.ssh(node, 'cl_status listnodes -n')).trim().split('\n').sort().join(' ')).toBe(peers);
    }
    expect(await web('node1')).toBe('node3');

    const second = await s.bootstrap(inventory);
    timings.secondBootstrap = second.ran.ms / 1000;
    expect(second.report.run.results.filter((r: any) => r.status !== 'ok').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
    expect(second.audit.filter((r) => r.kind === 'change')).toEqual([]);
  }, 30 * MIN);

  it('mail sent to the VIP is delivered into the mailbox on the volume; a message the site holds stays in the queue there', async () => {
    await send('node3', 'token-1');
    expect(await deliveredWith('node1', 'token-1')).toEqual(['token-1']);
    expect(await s.ssh('node1', 'ls /replicated/var/mail')).toBe('root\n');
    // The site's policy holds everything node4 sends (sendmail quarantine, access db on the volume): accepted, queued, not delivered.
    await s.ssh('node1', String.raw`printf 'Connect:10.99.0.14\t\tQUARANTINE:held until released\n' >> /etc/mail/access && /etc/init.d/sendmail reload >/dev/null`);
    await send('node4', 'token-held');
    expect(await s.ssh('node1', 'mailq -qQ | grep -c "QUARANTINE: held until released"')).toBe('1\n');
    expect(await delivered('node1')).toEqual(['token-1']);
  }, 5 * MIN);

  it('switchover (hb_standby) moves sendmail to node2 with the mailbox and the queue, and back; the web cluster stays where it is', async () => {
    const there = await haforge('switchover', '--cluster', 'mail', '--to', 'node2');
    expect(there.ran.code, there.ran.stderr).toBe(0);
    expect(there.json).toMatchObject({ status: 'done', from: 'node1', to: 'node2' });
    timings.switchoverToNode2 = there.json.movedMs / 1000;
    expect(await delivered('node2')).toEqual(['token-1']);
    expect(await s.ssh('node2', 'mailq -qQ | grep -c "QUARANTINE: held until released"')).toBe('1\n');
    await send('node3', 'token-2');
    expect(await deliveredWith('node2', 'token-2')).toEqual(['token-1', 'token-2']);
    const back = await haforge('switchover', '--cluster', 'mail', '--to', 'node1');
    expect(back.json).toMatchObject({ status: 'done', from: 'node2', to: 'node1' });
    timings.switchoverToNode1 = back.json.movedMs / 1000;
    expect(await mailStatus()).toMatchObject({ primary: 'node1', healthy: true });
    expect(await web('node2')).toBe('node3');
  }, 15 * MIN);

  it('drill: node1 loses power under the write probe; node2 takes over with every acknowledged write (RPO 0), every mail delivered or still queued; the held one is delivered there', async () => {
    const { ran, json } = await haforge('drill', '--cluster', 'mail', '--method', 'lab', '--timeout', '300', '--yes');
    expect(ran.code, `${ran.stderr}\n${ran.stdout}`).toBe(0);
    expect(json).toMatchObject({ status: 'passed', dataIntact: true, primary: 'node1', survivor: 'node2', finalPrimary: 'node2' });
    expect(json.probe).toMatchObject({ lost: 0, writers: ['node1', 'node2'] });
    expect(json.timeline.filter((e: any) => e.stage === 'service').map((e: any) => e.what)).toEqual(['mail started']);
    console.info(`runbook 004 drill timeline: ${json.timeline.map((e: any) => `${(e.atMs / 1000).toFixed(1)} s ${e.what}`).join('; ')}`);
    Object.assign(timings, { drillWritesBack: json.writesBackMs / 1000, drillFailover: json.failoverMs / 1000, drillRejoin: json.rejoinMs / 1000, drillResync: json.resyncMs / 1000 });
    expect(await delivered('node2')).toEqual(['token-1', 'token-2']);
    // The held message crossed the failover in the queue; released, it is delivered on the survivor.
    await s.ssh('node2', 'mailq -qQ | grep -c "QUARANTINE: held until released" && sendmail-mta -Q -qQ && sendmail-mta -q');
    expect(await deliveredWith('node2', 'token-held')).toEqual(['token-1', 'token-2', 'token-held']);
    await send('node3', 'token-3');
    expect(await deliveredWith('node2', 'token-3')).toEqual(['token-1', 'token-2', 'token-held', 'token-3']);
    // The other cluster never lost a member or moved: its heartbeats never met these.
    expect(await web('node4')).toBe('node3');
    expect(await s.ssh('node3', 'journalctl -u heartbeat -o cat | grep -cE "node1|node2" || true')).toBe('0\n');
  }, 20 * MIN);
});
