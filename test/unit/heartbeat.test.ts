// The Heartbeat v1 stack: ha.cf, haresources and mon.cf rendered through the
// real loader, template context and template files with addresses captured
// on the lab VMs; the resource wait on captured cl_status output; preflight's
// Heartbeat checks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { templateContext } from '../../src/engine/template-context.js';
import type { PlanContext } from '../../src/engine/operation.js';
import { preparePlaybook, TemplateFiles } from '../../src/engine/prepare.js';
import { nicCarrying, parseAddresses } from '../../src/facts/addresses.js';
import { parseHeartbeatResources, parseHeartbeatView } from '../../src/heartbeat/view.js';
import { systemFact } from '../../src/facts/system.js';
import { heartbeatChecks, heartbeatNodeChecks } from '../../src/heartbeat/preflight.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/model.js';
import { heartbeatResourcesOperation, heartbeatRetiredOperation, pacemakerAbsentOperation } from '../../src/operations/heartbeat.js';
import type { ServiceState } from '../../src/facts/services.js';
import { loadPlaybook, PACKAGE_ROOT } from '../../src/playbook/load.js';
import { stonithHostLine } from '../../src/fencing/heartbeat-stonith.js';
import { formatError } from '../../src/ui/errors.js';

const fixture = (dir: string, name: string) => readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');
const labAddresses = { node1: parseAddresses(fixture('addresses', 'lab-node1-ip-o-4-addr.txt')), node2: parseAddresses(fixture('addresses', 'lab-node2-ip-o-4-addr.txt')) };

/** The lab's cluster (as `lab up --stack heartbeat` writes it), keys of `extra` (YAML) replacing the cluster's. */
function inventory(extra = ''): Inventory {
  const lab = {
    stack: 'heartbeat',
    primary: 'node1',
    nodes: {
      node1: { address: '127.0.0.1', replication_address: '10.99.0.11', ring1_address: '10.98.0.11' },
      node2: { address: '127.0.0.1', replication_address: '10.99.0.12', ring1_address: '10.98.0.12' },
    },
    drbd: { resources: { r0: { disk: '/dev/vdb', mount: '/replicated', mount_options: 'noatime' } } },
    services: { web: { unit: 'lighttpd', paths: ['/var/www/html', '/etc/lighttpd'], port: 80 } },
    vip: { address: '10.99.0.100', cidr_netmask: 24, nic: 'eth1' },
    heartbeat: { keepalive: 1, warntime: 3, deadtime: 6, initdead: 12 },
    ...(parse(extra) ?? {}),
  };
  return parseInventory('inv.yaml', stringify({ version: 1, clusters: { lab } }));
}

const templates = new TemplateFiles(path.join(PACKAGE_ROOT, 'playbooks'));
const PLAY_VARS = { mon_interval: 5, mon_failures: 2 };

function render(name: string, inv: Inventory, node = 'node1', addresses = labAddresses[node as 'node1' | 'node2']): string {
  const spec = inv.clusters[0]!.nodes.find((n) => n.name === node)!;
  return templates.render(name, templateContext(inv, spec, PLAY_VARS, {}, { addresses }));
}
/** The lines that are not comments or blank. */
const directives = (text: string) => text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
const FENCING_OFF = 'fencing: { enabled: false }';

describe('interface addresses on the lab VMs (ip -o -4 addr show)', () => {
  it('parses every IPv4 address with its interface', () => {
    expect(labAddresses.node1).toEqual([
      { nic: 'lo', address: '127.0.0.1', prefix: 8 },
      { nic: 'eth0', address: '10.0.2.15', prefix: 24 },
      { nic: 'eth1', address: '10.99.0.11', prefix: 24 },
      { nic: 'eth2', address: '10.98.0.11', prefix: 24 },
    ]);
  });

  it('names the interface carrying an address, else the one whose subnet holds it, never lo', () => {
    expect(nicCarrying('10.99.0.11', labAddresses.node1)).toBe('eth1');
    expect(nicCarrying('10.98.0.11', labAddresses.node1)).toBe('eth2');
    expect(nicCarrying('10.99.0.100', labAddresses.node1)).toBe('eth1');
    expect(nicCarrying('127.0.0.1', labAddresses.node1)).toBeUndefined();
    expect(nicCarrying('192.0.2.9', labAddresses.node1)).toBeUndefined();
  });

  it('comes with the system fact, so templates see facts.addresses', () => {
    const out = `== uname\nnode1\n6.1.0\nx86_64\n== addr\n${fixture('addresses', 'lab-node1-ip-o-4-addr.txt')}`;
    expect(systemFact.parse(out, 0).addresses.map((a) => a.nic)).toEqual(['lo', 'eth0', 'eth1', 'eth2']);
    expect(systemFact.parse('== uname\nnode1\n', 0).addresses).toEqual([]);
  });
});

describe('ha.cf', () => {
  it('unicasts to the peer on the replication interface and on the second ring, with the inventory timings', () => {
    expect(directives(render('heartbeat/ha.cf.hbs', inventory(FENCING_OFF)))).toEqual([
      'logfacility local0',
      'use_logd no',
      'keepalive 1',
      'warntime 3',
      'deadtime 6',
      'initdead 12',
      'udpport 694',
      'ucast eth1 10.99.0.12',
      'ucast eth2 10.98.0.12',
      'auto_failback off',
      'node node1',
      'node node2',
      'crm no',
    ]);
    expect(directives(render('heartbeat/ha.cf.hbs', inventory(FENCING_OFF), 'node2'))).toContain('ucast eth1 10.99.0.11');
  });

  it('has no second path when the nodes have no ring1_address, and takes heartbeat.interface over the facts', () => {
    const inv = parseInventory(
      'inv.yaml',
      `version: 1
clusters:
  c:
    stack: heartbeat
    nodes:
      a: { address: 10.99.0.11 }
      b: { address: 10.99.0.12 }
    heartbeat: { interface: bond0, udpport: 695 }
    fencing: { enabled: false }
`,
    );
    const lines = directives(render('heartbeat/ha.cf.hbs', inv, 'a', labAddresses.node1));
    expect(lines.filter((l) => /^(ucast|udpport|keepalive|deadtime)/.test(l))).toEqual(['keepalive 2', 'deadtime 30', 'udpport 695', 'ucast bond0 10.99.0.12']);
  });

  it('broadcasts or multicasts on both rings', () => {
    const bcast = directives(render('heartbeat/ha.cf.hbs', inventory(`${FENCING_OFF}\nheartbeat: { comm: bcast, udpport: 700 }`)));
    expect(bcast.filter((l) => /^(bcast|ucast|mcast)/.test(l))).toEqual(['bcast eth1 eth2']);
    const mcast = directives(render('heartbeat/ha.cf.hbs', inventory(`${FENCING_OFF}\nheartbeat: { comm: mcast, mcast_group: 239.1.2.3, udpport: 701 }`)));
    expect(mcast.filter((l) => /^(bcast|ucast|mcast)/.test(l))).toEqual(['mcast eth1 239.1.2.3 701 1 0', 'mcast eth2 239.1.2.3 701 1 0']);
    // Heartbeat reads udpport only before the media that use it.
    expect(mcast.findIndex((l) => l.startsWith('udpport'))).toBeLessThan(mcast.findIndex((l) => l.startsWith('mcast')));
  });

  it('adds a serial path and auto_failback on when asked', () => {
    const lines = directives(render('heartbeat/ha.cf.hbs', inventory(`${FENCING_OFF}\nheartbeat: { auto_failback: true, serial: /dev/ttyS0 }`)));
    expect(lines).toContain('auto_failback on');
    expect(lines).toContain('serial /dev/ttyS0');
  });

  it('pings the ping nodes and respawns ipfail only when there are some', () => {
    const lines = directives(render('heartbeat/ha.cf.hbs', inventory(`${FENCING_OFF}\nping_nodes: [10.99.0.1, 10.98.0.1]`)));
    expect(lines.filter((l) => /^(ping|respawn)/.test(l))).toEqual(['ping 10.99.0.1', 'ping 10.98.0.1', 'respawn hacluster /usr/libexec/heartbeat/ipfail']);
    expect(render('heartbeat/ha.cf.hbs', inventory(FENCING_OFF))).not.toMatch(/^(ping|respawn)/m);
  });

  it('says which address no interface carries', () => {
    expect(() => render('heartbeat/ha.cf.hbs', inventory(FENCING_OFF), 'node1', labAddresses.node1.filter((a) => a.nic !== 'eth2'))).toThrow(
      /^no network interface carries 10\.98\.0\.11 \(this node has eth0 10\.0\.2\.15\/24, eth1 10\.99\.0\.11\/24\) \(in .*ha\.cf\.hbs\)$/,
    );
  });
});

describe('ha.cf fencing (STONITH)', () => {
  const ipmi = (node: string, params: string) => `${node}-bmc: { agent: fence_ipmilan, targets: [${node}], params: { ${params} } }`;
  const fencing = (devices: string[]) => `fencing:\n  devices:\n${devices.map((d) => `    ${d}`).join('\n')}`;

  it('maps fence_ipmilan to cluster-glue external/ipmi, one stonith_host per node', () => {
    const inv = inventory(fencing([ipmi('node1', 'ip: 10.0.0.201, username: admin, password: s3cret, lanplus: 1'), ipmi('node2', 'ipaddr: 10.0.0.202, login: admin, passwd: other')]));
    expect(directives(render('heartbeat/ha.cf.hbs', inv)).filter((l) => l.startsWith('stonith'))).toEqual([
      'stonith_host * external/ipmi node1 10.0.0.201 admin s3cret lanplus',
      'stonith_host * external/ipmi node2 10.0.0.202 admin other lan',
    ]);
  });

  // Refused when the inventory is loaded (fencing/rules.ts), with the device's position; the renderer refuses too.
  const loadError = (extra: string) => {
    try {
      inventory(extra);
    } catch (err) {
      return formatError(err);
    }
    throw new Error('loaded');
  };

  it('refuses agents Heartbeat cannot drive, naming the ones it can', () => {
    const text = loadError(fencing(['fence-all: { agent: fence_xvm, targets: [node1, node2], params: { port: x } }']));
    expect(text).toMatch(/^error: inv\.yaml:\d+:\d+: Heartbeat cannot drive fence_xvm \(device 'fence-all'\)\n  hint: with stack: heartbeat the fence agents are fence_ipmilan/);
    expect(() => stonithHostLine({ name: 'fence-all', agent: 'fence_xvm', targets: ['node1'], params: {} })).toThrow(/^fence device 'fence-all': Heartbeat v1 cannot drive fence_xvm/);
  });

  it('refuses an IPMI device for two nodes, unknown or missing parameters and values ha.cf cannot hold, never echoing a password', () => {
    expect(loadError(fencing(['bmc: { agent: fence_ipmilan, targets: [node1, node2], params: { ip: 10.0.0.1, username: a, password: b } }']))).toMatch(/Heartbeat drives one IPMI controller per machine/);
    expect(loadError(fencing([ipmi('node1', 'ip: 10.0.0.1, username: a, password: b, ipport: 623'), ipmi('node2', 'ip: 10.0.0.2, username: a, password: b')]))).toMatch(/parameter ipport has no equivalent in Heartbeat's external\/ipmi plugin/);
    expect(loadError(fencing([ipmi('node1', 'ip: 10.0.0.1, username: a'), ipmi('node2', 'ip: 10.0.0.2, username: a, password: b')]))).toMatch(/fence device 'node1-bmc' has no password parameter/);
    const blank = loadError(fencing([ipmi('node1', 'ip: 10.0.0.1, username: a, password: "two words"'), ipmi('node2', 'ip: 10.0.0.2, username: a, password: b')]));
    expect(blank).toMatch(/a parameter is empty or holds a blank, a control character or '#'/);
    expect(blank).not.toMatch(/two words/);
    expect(() => stonithHostLine({ name: 'bmc', agent: 'fence_ipmilan', targets: ['node1', 'node2'], params: { ip: '10.0.0.1', username: 'a', password: 'b' } })).toThrow(/targets 2 nodes: an IPMI controller powers exactly one machine/);
  });

  it('refuses to configure Heartbeat when the inventory says nothing about fencing', () => {
    expect(() => render('heartbeat/ha.cf.hbs', inventory())).toThrow(/^the inventory has no fencing section/);
  });
});

describe('haresources', () => {
  it('is one group on the preferred node: VIP, DRBD, filesystem, services, then mon', () => {
    expect(directives(render('heartbeat/haresources.hbs', inventory(FENCING_OFF)))).toEqual([
      'node1 IPaddr2::10.99.0.100/24/eth1 drbddisk::r0 Filesystem::/dev/drbd0::/replicated::ext4::noatime haforge-systemd::lighttpd haforge-systemd::mon',
    ]);
  });

  it('is the same on every node, runs LSB services by their init script and leaves mon out when no service has a port', () => {
    const inv = inventory(`${FENCING_OFF}\nprimary: node2\nservices:\n  db: { unit: mariadb, agent: lsb }\n  app: { unit: app }`);
    const line = directives(render('heartbeat/haresources.hbs', inv, 'node1'));
    expect(line).toEqual(['node2 IPaddr2::10.99.0.100/24/eth1 drbddisk::r0 Filesystem::/dev/drbd0::/replicated::ext4::noatime mariadb haforge-systemd::app']);
    expect(directives(render('heartbeat/haresources.hbs', inv, 'node2'))).toEqual(line);
  });

  it('refuses OCF agents with a way out', () => {
    const inv = inventory(`${FENCING_OFF}\nservices:\n  web: { unit: apache2, agent: "ocf:heartbeat:apache", port: 80 }`);
    expect(() => render('heartbeat/haresources.hbs', inv)).toThrow(/^service 'web' uses the OCF agent ocf:heartbeat:apache, which Heartbeat v1 \(haresources\) cannot run reliably/);
  });
});

describe('mon.cf', () => {
  it('watches every service port on the VIP and hands over through the alert', () => {
    const inv = inventory(`${FENCING_OFF}\nservices:\n  web: { unit: lighttpd, port: 80 }\n  db: { unit: mariadb, agent: lsb, port: 3306 }\n  worker: { unit: worker }`);
    const text = render('mon/mon.cf.hbs', inv);
    const lines = directives(text).map((l) => l.trim());
    expect(lines).toContain('hostgroup haforge 10.99.0.100');
    expect(lines).toContain('serverbind  = 127.0.0.1');
    expect(lines.filter((l) => /^(service|monitor|alert |alertafter|interval)/.test(l))).toEqual([
      'service web', 'interval 5s', 'monitor tcp.monitor -p 80 -t 5', 'alertafter 2', 'alert heartbeat-standby.alert systemd lighttpd',
      'service db', 'interval 5s', 'monitor tcp.monitor -p 3306 -t 5', 'alertafter 2', 'alert heartbeat-standby.alert lsb mariadb',
    ]);
    // mon ends a record at a blank line: the hostgroup needs one, the watch must have none.
    expect(text).toMatch(/^hostgroup haforge 10\.99\.0\.100\n\nwatch haforge\n\tservice web\n/m);
    expect(text.slice(text.indexOf('watch haforge')).trimEnd()).not.toMatch(/\n\s*\n/);
  });

  it('watches localhost without a VIP, and has no watch without ports', () => {
    const noVip = parseInventory('inv.yaml', `version: 1\nclusters:\n  c:\n    stack: heartbeat\n    nodes: { a: { address: 10.99.0.11 }, b: { address: 10.99.0.12 } }\n    services: { web: { unit: nginx, port: 8080 } }\n    fencing: { enabled: false }\n`);
    expect(render('mon/mon.cf.hbs', noVip, 'a', labAddresses.node1)).toMatch(/^hostgroup haforge 127\.0\.0\.1$/m);
    expect(render('mon/mon.cf.hbs', inventory(`${FENCING_OFF}\nservices: { app: { unit: app } }`))).not.toMatch(/^watch/m);
  });
});

describe('the heartbeat playbook', () => {
  it('prepares on the lab cluster: every task valid, ha.cf secret only with fencing', async () => {
    const playbook = await loadPlaybook(path.join(PACKAGE_ROOT, 'playbooks', 'heartbeat.yaml'));
    const find = (inv: Inventory, title: string) => preparePlaybook(inv, playbook, {}).flatMap((p) => p.tasks.get('node1') ?? []).find((t) => t.title === title)!;
    expect(find(inventory(FENCING_OFF), 'heartbeat ha.cf').args).toMatchObject({ path: '/etc/ha.d/ha.cf', mode: '0644', secret: false });
    const fenced = inventory('fencing:\n  devices:\n    n1: { agent: fence_ipmilan, targets: [node1], params: { ip: 10.0.0.1, username: a, password: b } }\n    n2: { agent: fence_ipmilan, targets: [node2], params: { ip: 10.0.0.2, username: a, password: b } }');
    expect(find(fenced, 'heartbeat ha.cf').args).toMatchObject({ mode: '0600', secret: true });
    expect(find(fenced, 'package ipmitool')).toBeDefined();
    expect(find(inventory(FENCING_OFF), 'package ipmitool')).toBeUndefined();
    expect(find(inventory(FENCING_OFF), 'secret /etc/ha.d/authkeys').args).toEqual({ path: '/etc/ha.d/authkeys', kind: 'heartbeat-authkeys', method: 'sha1' });
    const plays = preparePlaybook(inventory(FENCING_OFF), playbook, {});
    expect(plays.map((p) => [p.play.name, p.hosts.map((h) => h.name)])).toEqual([
      ['heartbeat packages', ['node1', 'node2']],
      ['heartbeat configuration', ['node1', 'node2']],
      ['heartbeat on the primary', ['node1']],
      ['heartbeat on the other nodes', ['node2']],
      ['resources taken', ['node1']],
    ]);
  });
});

describe('Heartbeat resources (captured cl_status and ip output)', () => {
  const state = (name: string) => parseHeartbeatResources(fixture('heartbeat', name));

  it('parses a holding node, a standby node and a stopped Heartbeat', () => {
    // Captured before the fact read systemd's view (no `== unit` section): the unit counts as not active.
    expect(state('lab-node1-holds-all.txt')).toEqual({ running: true, unitActive: false, rscstatus: 'all', vipNic: 'eth1', vipAnswers: false });
    expect(state('lab-node2-standby.txt')).toEqual({ running: true, unitActive: false, rscstatus: 'none', vipNic: undefined, vipAnswers: true });
    expect(state('lab-node2-heartbeat-stopped.txt')).toEqual({ running: false, unitActive: false, rscstatus: undefined, vipNic: undefined, vipAnswers: true });
    expect(parseHeartbeatResources('')).toEqual({ running: false, unitActive: false, rscstatus: undefined, vipNic: undefined, vipAnswers: false });
    // Captured with systemd's view of the unit: just started (API not up yet), and holding the group with rscstatus `local`.
    expect(state('lab-node2-heartbeat-starting.txt')).toEqual({ running: false, unitActive: true, rscstatus: undefined, vipNic: undefined, vipAnswers: true });
    expect(state('lab-node1-holds-local.txt')).toEqual({ running: true, unitActive: true, rscstatus: 'local', vipNic: 'eth1', vipAnswers: false });
  });

  const plan = (name: string) => {
    const ctx = { node: { name: 'node1' }, fact: () => state(name) } as unknown as PlanContext;
    return heartbeatResourcesOperation.plan({ vip: '10.99.0.100', timeout: 30 }, ctx);
  };

  it('is done where the VIP is up or answers from the node that holds the resources, fails where Heartbeat is stopped', () => {
    expect(plan('lab-node1-holds-all.txt')).toMatchObject({ steps: [], reason: '10.99.0.100 is up on eth1 (heartbeat running, holds all)' });
    expect(plan('lab-node2-standby.txt')).toMatchObject({ steps: [], reason: expect.stringMatching(/answers from another node/) });
    expect(plan('lab-node1-holds-local.txt')).toMatchObject({ steps: [], reason: '10.99.0.100 is up on eth1 (heartbeat running, holds local)' });
    expect(plan('lab-node2-heartbeat-stopped.txt').refusal?.message).toBe('Heartbeat is not running on node1');
  });

  it('fails at once, with the unit\'s last log lines, where Heartbeat gave the group up because a resource failed to start', () => {
    expect(state('lab-node1-gave-up.txt').gaveUp).toEqual({
      resource: 'haforge-systemd::sendmail',
      log: expect.arrayContaining(["ln: failed to create symbolic link '/etc/mail/aliases': File exists", "sendmail.service: Failed with result 'exit-code'."]),
    });
    // rscstatus still says `all`, and the VIP is down: without the journal this looked like a takeover still under way.
    const failed = plan('lab-node1-gave-up.txt');
    expect(failed.refusal?.message).toMatch(/^Heartbeat gave the resources up: haforge-systemd::sendmail failed to start; its last log lines:\n {4}Starting sendmail\.service/);
    expect(failed.refusal?.hint).toMatch(/systemctl restart heartbeat/);
    const waiting = plan('lab-node2-heartbeat-starting.txt').steps[0]!.watch!.check;
    expect(waiting(fixture('heartbeat', 'lab-node1-gave-up.txt'), 0)).toMatchObject({ done: false, error: expect.stringMatching(/make: \*\*\* \[Makefile:303: \/etc\/mail\/aliases\] Error 1/) });
    // A later acquisition (the admin's hb_takeover) is the last word: no verdict from the old failure.
    expect(parseHeartbeatResources('== hb\nHeartbeat is running on this machine.\n== gaveup\n').gaveUp).toBeUndefined();
  });

  it('waits, not fails, for a Heartbeat that systemd has just started and whose API does not answer yet', () => {
    const starting = plan('lab-node2-heartbeat-starting.txt');
    expect(starting.refusal).toBeUndefined();
    expect(starting.reason).toMatch(/heartbeat starting \(its API does not answer yet\)/);
    const check = starting.steps[0]!.watch!.check;
    expect(check(fixture('heartbeat', 'lab-node2-heartbeat-starting.txt'), 0)).toMatchObject({ done: false, progress: expect.stringMatching(/starting/) });
    expect(check(fixture('heartbeat', 'lab-node2-heartbeat-stopped.txt'), 0)).toMatchObject({ done: false, error: expect.stringMatching(/Heartbeat stopped/) });
  });

  it('waits with Heartbeat\'s view as progress until the VIP is up here and the group started', () => {
    const waiting = parseHeartbeatResources('== hb\nHeartbeat is running on this machine.\n== rsc\ntransition\n== vip\n== ping\n');
    const ctx = { node: { name: 'node1' }, fact: () => waiting } as unknown as PlanContext;
    const step = heartbeatResourcesOperation.plan({ vip: '10.99.0.100' }, ctx).steps[0]!;
    expect(step.watch!.timeoutMs).toBe(180_000);
    expect(step.watch!.check('== hb\nHeartbeat is running on this machine.\n== rsc\ntransition\n== vip\n== ping\n', 0)).toMatchObject({ done: false, progress: expect.stringMatching(/^10\.99\.0\.100 not up yet, heartbeat running, holds transition/) });
    // The VIP comes first in the group: up while the services are still starting is not done yet.
    const vipUp = fixture('heartbeat', 'lab-node1-holds-all.txt').replace('== rsc\nall', '== rsc\ntransition');
    expect(step.watch!.check(vipUp, 0)).toMatchObject({ done: false, progress: expect.stringMatching(/^10\.99\.0\.100 up, resources still starting/) });
    expect(step.watch!.check(fixture('heartbeat', 'lab-node1-holds-all.txt'), 0)).toMatchObject({ done: true });
    expect(step.watch!.check(fixture('heartbeat', 'lab-node2-heartbeat-stopped.txt'), 0)).toMatchObject({ done: false, error: expect.stringMatching(/Heartbeat stopped/) });
  });
});

describe('Heartbeat retired for a move to Pacemaker (heartbeat_retired)', () => {
  const service = (active: boolean, enabled: boolean, exists = true): ServiceState => ({ init: 'systemd', exists, active, enabled, enabledState: enabled ? 'enabled' : 'disabled', triggers: [] });
  /** node1's plan on a captured cl_status/ip reading (its `== vip` section is the `ip -o -4 addr` line of the VIP, when it is here). */
  const plan = (reading: string, svc: ServiceState) => {
    const facts: Record<string, unknown> = { service: svc, 'heartbeat-view': parseHeartbeatView(reading), addresses: parseAddresses(reading) };
    const ctx = { node: { name: 'node1' }, fact: (r: { fact: { id: string } }) => facts[r.fact.id] } as unknown as PlanContext;
    return heartbeatRetiredOperation.plan({ vip: '10.99.0.100' }, ctx);
  };
  const steps = (p: ReturnType<typeof plan>) => p.steps.map((x) => `${x.watch ? 'wait: ' : ''}${x.argv.join(' ')}${x.destructive ? ' DESTRUCTIVE' : ''}`);
  const view = (members: string) => `== hb\nHeartbeat is running on this machine.\n== unit\nactive\n== rsc\nall\n== members\n${members}\n`;

  it('stops a standby node at once, neither waiting nor destructive', () => {
    expect(steps(plan(fixture('heartbeat', 'lab-node2-standby.txt'), service(true, true)))).toEqual(['systemctl disable heartbeat.service', 'systemctl stop heartbeat.service']);
  });

  it('stops the holder, destructively, only after its Heartbeat sees no other node running', () => {
    const holder = plan(fixture('heartbeat', 'lab-node1-holds-all.txt'), service(true, true));
    expect(steps(holder)).toEqual(['systemctl disable heartbeat.service', "wait: sh -c " + holder.steps[1]!.argv[2], 'systemctl stop heartbeat.service DESTRUCTIVE']);
    expect(holder.steps[2]!.description).toMatch(/releases 10\.99\.0\.100 and the services/);
    const check = holder.steps[1]!.watch!.check;
    // Captured on node1 of the lab with both nodes up; then node2 gone, as cl_status says after its Heartbeat stopped.
    expect(check(fixture('heartbeat', 'lab-node1-view.txt'), 0)).toMatchObject({ done: false, progress: 'Heartbeat still runs on node2' });
    expect(check(view('node2 dead\nnode1 active'), 0)).toMatchObject({ done: true });
    expect(check(fixture('heartbeat', 'lab-node2-heartbeat-stopped.txt'), 0)).toMatchObject({ done: false, error: 'Heartbeat on node1 stopped by itself' });
  });

  it('does nothing where Heartbeat is stopped and off at boot, or not installed; only disables one that is stopped but enabled', () => {
    const stopped = fixture('heartbeat', 'lab-node2-heartbeat-stopped.txt');
    expect(plan(stopped, service(false, false))).toMatchObject({ steps: [], reason: 'stopped, disabled at boot' });
    expect(plan(stopped, service(false, false, false))).toMatchObject({ steps: [], reason: 'Heartbeat is not installed' });
    expect(steps(plan(stopped, service(false, true)))).toEqual(['systemctl disable heartbeat.service']);
  });

  it('Heartbeat is never started where Pacemaker runs (pacemaker_absent), whatever an earlier change does', () => {
    const on = (pacemaker: boolean) =>
      pacemakerAbsentOperation.plan({}, { node: { name: 'node1' }, fact: () => ({ pacemaker, heartbeat: false }) } as unknown as PlanContext);
    expect(on(false)).toMatchObject({ steps: [], reason: 'Pacemaker does not run here' });
    expect(on(true).refusal).toMatchObject({ message: expect.stringMatching(/^Pacemaker runs on node1: Heartbeat beside it/), hint: expect.stringMatching(/stack: pacemaker/), certain: true });
  });

  it('refuses while Heartbeat moves the resources', () => {
    const moving = fixture('heartbeat', 'lab-node2-standby.txt').replace('== rsc\nnone', '== rsc\ntransition');
    expect(plan(moving, service(true, true)).refusal?.message).toMatch(/moving resources right now/);
  });
});

describe("Heartbeat's view of the cluster (status)", () => {
  it('parses the members and their state from a captured reading; a stopped Heartbeat has none', () => {
    expect(parseHeartbeatView(fixture('heartbeat', 'lab-node1-view.txt'))).toEqual({
      running: true,
      unitActive: true,
      rscstatus: 'local',
      members: [
        { name: 'node2', status: 'active' },
        { name: 'node1', status: 'active' },
      ],
    });
    expect(parseHeartbeatView(fixture('heartbeat', 'lab-node2-heartbeat-stopped.txt'))).toMatchObject({ running: false, members: [] });
  });
});

describe('preflight: Heartbeat checks', () => {
  const checks = (inv: Inventory) => Object.fromEntries(heartbeatChecks(inv.clusters[0]!).map((c) => [c.check, c]));

  it('accepts the lab cluster', () => {
    expect(Object.values(checks(inventory(FENCING_OFF))).map((c) => c.status)).toEqual(['ok']);
  });

  it('refuses more than two nodes when the inventory loads', () => {
    const three = () => parseInventory('inv.yaml', `version: 1\nclusters:\n  c:\n    stack: heartbeat\n    nodes: { a: { address: 10.0.0.1 }, b: { address: 10.0.0.2 }, c: { address: 10.0.0.3 } }\n    fencing: { enabled: false }\n`);
    expect(three).toThrow(/cluster 'c' has 3 nodes: Heartbeat v1 \(haresources\) runs exactly two/);
  });

  it('warns when the takeover would start before DRBD sees the peer gone', () => {
    const fast = inventory(`${FENCING_OFF}\nheartbeat: { keepalive: 1, warntime: 2, deadtime: 4, initdead: 8 }`);
    expect(checks(fast)['heartbeat timing']).toMatchObject({ status: 'warn', hint: 'use deadtime ≥ 5 s' });
  });

  it('says nothing for a Pacemaker cluster', () => {
    const pm = parseInventory('inv.yaml', 'version: 1\nclusters:\n  c:\n    nodes: { a: { address: 10.0.0.1 }, b: { address: 10.0.0.2 } }\n');
    expect(heartbeatChecks(pm.clusters[0]!)).toEqual([]);
    expect(heartbeatNodeChecks(pm.clusters[0]!, pm.clusters[0]!.nodes[0]!, [])).toEqual([]);
  });

  it('fails broadcast heartbeats on an interface whose address has no broadcast (they would reach no peer: both nodes take the resources)', () => {
    const bcast = inventory(`${FENCING_OFF}\nheartbeat: { comm: bcast, keepalive: 1, warntime: 3, deadtime: 6, initdead: 12 }`);
    const node1 = bcast.clusters[0]!.nodes[0]!;
    // Captured on the lab VMs while their addresses were added without `brd +`: both clusters of runbook 004 split this way.
    expect(heartbeatNodeChecks(bcast.clusters[0]!, node1, labAddresses.node1)).toEqual([{
      check: 'heartbeat broadcast',
      status: 'fail',
      detail: 'eth1, eth2 have no broadcast address: broadcast heartbeats (comm: bcast) would reach no peer, and after initdead each node would take the resources',
      hint: 'give the address its broadcast (ip addr add ADDRESS/PREFIX brd + dev eth1; ifupdown and networkd set it by default), or use comm: ucast',
    }]);
    expect(heartbeatNodeChecks(bcast.clusters[0]!, node1, parseAddresses(fixture('addresses', 'lab-node1-ip-o-4-addr-brd.txt')))).toEqual([
      { check: 'heartbeat broadcast', status: 'ok', detail: 'eth1 broadcasts to 10.99.0.255, eth2 broadcasts to 10.98.0.255' },
    ]);
    // ucast and mcast do not use the broadcast address.
    expect(heartbeatNodeChecks(inventory(FENCING_OFF).clusters[0]!, node1, labAddresses.node1)).toEqual([]);
  });
});
