// SBD fencing: the inventory's section and its rules, the timeouts derived
// from each other, the header as `sbd dump`/`sbd list` print it (captures in
// test/fixtures/sbd), the guarded header operation, /etc/default/sbd and
// the Pacemaker configuration it brings.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { request, type FactRequest } from '../../src/engine/fact.js';
import type { PlanContext } from '../../src/engine/operation.js';
import { parseBlockDevice, blockDeviceFact } from '../../src/facts/blockdev.js';
import { parseSbdHeader, sbdDefaults, sbdHeaderFact, sbdTimeouts, type SbdHeader } from '../../src/fencing/sbd.js';
import { parseInventory } from '../../src/inventory/load.js';
import { sbdDeviceOperation } from '../../src/operations/sbd.js';
import { clusterProperties, generateConfiguration } from '../../src/pacemaker/cib.js';
import { serializeXml } from '../../src/util/xml.js';
import { formatError } from '../../src/ui/errors.js';
import { preparePlaybook } from '../../src/engine/prepare.js';
import { evaluateCluster, nodeRequests } from '../../src/procedures/preflight/checks.js';
import { loadPlaybook, PACKAGE_ROOT } from '../../src/playbook/load.js';

const fx = (dir: string, name: string) => readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');
const header = (name: string) => parseSbdHeader(fx('sbd', name));

const inventory = (fencing: string, stack = 'pacemaker') =>
  parseInventory(
    'inv.yaml',
    `version: 1
clusters:
  lab:
    stack: ${stack}
    primary: node1
    nodes:
      node1: { address: 10.0.0.11 }
      node2: { address: 10.0.0.12 }
    drbd: { resources: { r0: { disk: /dev/vdb, mount: /replicated } } }
    services: { web: { unit: lighttpd, port: 80 } }
    vip: { address: 10.0.0.100 }
    fencing: ${fencing}
`,
  );
const loadError = (fencing: string, stack?: string) => {
  try {
    inventory(fencing, stack);
  } catch (err) {
    return formatError(err);
  }
  throw new Error('loaded');
};

describe('the inventory', () => {
  it('takes SBD as fencing: defaults for the watchdog and the timeouts, no device per node needed', () => {
    const f = inventory('{ sbd: { devices: [/dev/disk/by-id/virtio-sbd] } }').clusters[0]!.fencing!;
    expect(f).toEqual({ enabled: true, devices: [], sbd: { devices: ['/dev/disk/by-id/virtio-sbd'], watchdog: '/dev/watchdog', watchdogTimeout: 5, msgwait: 10 } });
    expect(inventory('{ sbd: { devices: [/dev/vdc], watchdog_timeout: 10 } }').clusters[0]!.fencing!.sbd!.msgwait).toBe(20);
  });

  it('refuses what SBD cannot do: a msgwait below twice the watchdog, Heartbeat, more than three disks, one disk twice', () => {
    expect(loadError('{ sbd: { devices: [/dev/vdc], watchdog_timeout: 5, msgwait: 8 } }')).toMatch(/inv\.yaml:\d+:\d+: SBD msgwait 8 s is below twice watchdog_timeout \(5 s\)\n  hint: .*msgwait: 10/);
    expect(loadError('{ sbd: { devices: [/dev/vdc] } }', 'heartbeat')).toMatch(/SBD fencing needs Pacemaker/);
    expect(loadError('{ sbd: { devices: [/dev/a, /dev/b, /dev/c, /dev/d] } }')).toMatch(/expected at most 3 item\(s\), got 4/);
    expect(loadError('{ sbd: { devices: [/dev/vdc, /dev/vdc] } }')).toMatch(/SBD device \/dev\/vdc is named twice/);
    expect(loadError('{ enabled: false, sbd: { devices: [/dev/vdc] } }')).toMatch(/fencing says enabled: false but names devices/);
  });
});

describe('timeouts', () => {
  it('derive from each other: stonith-timeout above msgwait, the priority delay, hang to fenced', () => {
    const t = sbdTimeouts({ devices: ['/dev/vdc'], watchdog: '/dev/watchdog', watchdogTimeout: 5, msgwait: 10 }, { token: 3000, consensus: 3600 });
    expect(t).toEqual({ watchdog: 5, msgwait: 10, stonithTimeout: 30, priorityFencingDelay: 10, hangToFenced: 27 });
    expect(sbdTimeouts({ devices: ['/dev/vdc'], watchdog: '/dev/watchdog', watchdogTimeout: 30, msgwait: 60 }).stonithTimeout).toBe(137);
  });
});

describe('the header, as sbd prints it', () => {
  it('a blank disk has none; a missing one cannot be read', () => {
    expect(header('host-blank-disk.txt')).toEqual({ present: false, slots: [] });
    expect(header('host-missing-disk.txt')).toEqual({ present: false, slots: [], error: '== disk /dev/nonexistent unreadable!' });
  });
  it('a created one: its uuid and timeouts; slots with their messages and senders', () => {
    expect(header('host-created.txt')).toEqual({ present: true, uuid: '4f2acf0e-5674-4731-b500-ece13a57a1c3', watchdog: 5, msgwait: 10, slots: [] });
    expect(header('host-slots-reset.txt').slots).toEqual([
      { node: 'node1', message: 'clear' },
      { node: 'node2', message: 'reset', from: 'vm' },
    ]);
  });
});

describe('the SBD header operation', () => {
  const cluster = inventory('{ sbd: { devices: [/dev/vdc] } }').clusters[0]!;
  const ARGS = { device: '/dev/vdc', watchdog_timeout: 5, msgwait: 10 };
  const plan = (h: string | SbdHeader, disk = 'blank-disk.txt', args = ARGS) => {
    const values = new Map<string, unknown>([
      [request(sbdHeaderFact, '/dev/vdc').key, typeof h === 'string' ? header(h) : h],
      [request(blockDeviceFact, '/dev/vdc').key, parseBlockDevice(fx('blockdev', disk))],
    ]);
    const ctx = { node: cluster.nodes[0], cluster, fact: (r: FactRequest) => values.get(r.key) } as unknown as PlanContext;
    return sbdDeviceOperation.plan(args, ctx);
  };

  it('guard: an SBD header only on a blank disk, marked destructive', () => {
    expect(plan('host-blank-disk.txt').steps).toMatchObject([{ argv: ['sbd', '-d', '/dev/vdc', '-1', '5', '-4', '10', 'create'], destructive: true }]);
    expect(plan('host-blank-disk.txt', 'ext4-disk.txt').refusal?.message).toMatch(/holds ext4 .*refusing to write an SBD header over it/);
  });
  it('guard: another cluster\'s SBD disk is never overwritten', () => {
    const foreign = parseSbdHeader(fx('sbd', 'host-slots-reset.txt').replace('node2', 'db-a'));
    expect(plan(foreign).refusal?.message).toMatch(/slots of db-a, not nodes of cluster lab: another cluster's SBD disk/);
  });
  it('guard: a header with other timeouts is not rewritten behind a running cluster', () => {
    expect(plan('host-created.txt', 'blank-disk.txt', { ...ARGS, msgwait: 20 }).refusal?.message).toMatch(/watchdog 5 s and msgwait 10 s, the inventory says 5 s and 20 s/);
  });
  it('guard: a disk that cannot be read gets no header', () => {
    expect(plan('host-missing-disk.txt').refusal?.message).toMatch(/cannot read \/dev\/vdc on node1/);
  });
  it('keeps this cluster\'s header', () => {
    expect(plan('host-slots-reset.txt')).toMatchObject({ steps: [], reason: 'SBD header present (watchdog 5 s, msgwait 10 s, slots: node1, node2)' });
  });
});

describe('configuration files', () => {
  const cluster = inventory('{ sbd: { devices: [/dev/vdc, /dev/vdd] } }').clusters[0]!;

  it('/etc/default/sbd: both disks, the watchdog, Pacemaker integration, a delayed start', () => {
    const text = sbdDefaults(cluster.fencing!.sbd!);
    expect(text).toContain('SBD_DEVICE="/dev/vdc;/dev/vdd"\n');
    expect(text).toContain('SBD_WATCHDOG_DEV=/dev/watchdog\nSBD_WATCHDOG_TIMEOUT=5\n');
    expect(text).toContain('SBD_PACEMAKER=yes\n');
    expect(text).toContain('SBD_DELAY_START=yes\n');
  });

  it('the CIB: fence_sbd on the disks, STONITH on with its timeout, the services\' node wins a fence race', () => {
    expect(clusterProperties(cluster, cluster.pacemaker!)).toMatchObject({ 'stonith-enabled': 'true', 'stonith-timeout': '30s', 'priority-fencing-delay': '10s' });
    const xml = serializeXml(generateConfiguration(cluster));
    expect(xml).toMatch(/<primitive id="st_sbd" class="stonith" type="fence_sbd">\s*<instance_attributes id="st_sbd-instance_attributes">\s*<nvpair id="st_sbd-instance_attributes-devices" name="devices" value="\/dev\/vdc,\/dev\/vdd"\/>/);
    expect(xml).toMatch(/<group id="g_services">\s*<meta_attributes id="g_services-meta_attributes">\s*<nvpair id="g_services-meta_attributes-priority" name="priority" value="10"\/>/);
  });
});

describe('the Pacemaker playbook with SBD', () => {
  it('writes the header on the primary only, then sbd settings and sbd started with corosync on every node', async () => {
    const inv = inventory('{ sbd: { devices: [/dev/vdc] } }');
    const plays = preparePlaybook(inv, await loadPlaybook(path.join(PACKAGE_ROOT, 'playbooks', 'pacemaker.yaml')), {});
    const tasks = (node: string) => plays.flatMap((p) => (p.tasks.get(node) ?? []).map((t) => ({ play: p.play.name, title: t.title, args: t.args })));
    expect(tasks('node1').find((t) => t.title.startsWith('sbd header'))).toMatchObject({ play: 'sbd disk', args: { device: '/dev/vdc', watchdog_timeout: 5, msgwait: 10 } });
    expect(tasks('node2').some((t) => t.title.startsWith('sbd header'))).toBe(false);
    for (const node of ['node1', 'node2']) {
      expect(tasks(node).find((t) => t.title === 'sbd settings')!.args).toMatchObject({ path: '/etc/default/sbd', content: sbdDefaults(inv.clusters[0]!.fencing!.sbd!) });
      expect(tasks(node).find((t) => t.title === 'sbd starts with corosync')!.args).toEqual({ name: 'sbd', enabled: true });
      // Before corosync first starts: sbd must be enabled by then.
      const titles = tasks(node).map((t) => t.title);
      expect(titles.indexOf('sbd starts with corosync')).toBeLessThan(titles.indexOf('service corosync'));
    }
    // Without SBD none of it.
    const off = preparePlaybook(inventory('{ enabled: false }'), await loadPlaybook(path.join(PACKAGE_ROOT, 'playbooks', 'pacemaker.yaml')), {});
    expect(off.flatMap((p) => [...p.tasks.values()].flat()).some((t) => t.title.includes('sbd'))).toBe(false);
  });
});

describe('preflight with SBD', () => {
  const cluster = inventory('{ sbd: { devices: [/dev/vdc] } }').clusters[0]!;
  const sbdChecks = (n1: { header: string | SbdHeader; watchdog?: boolean }, n2: { header: string | SbdHeader; watchdog?: boolean }) => {
    const facts = new Map(
      [n1, n2].map((n, i) => [`node${i + 1}`, { sbd: { '/dev/vdc': typeof n.header === 'string' ? header(n.header) : n.header }, watchdog: n.watchdog ?? true }] as const),
    );
    return evaluateCluster(cluster, facts as never).checks.filter((c) => c.check === 'watchdog' || c.check === 'sbd disk').map((c) => `${c.node} ${c.check} ${c.status}: ${c.detail}`);
  };

  it('asks every node for each disk\'s header and the watchdog', () => {
    const r = nodeRequests(cluster, cluster.nodes[0]!);
    expect(Object.keys(r.sbd)).toEqual(['/dev/vdc']);
    expect(r.watchdog!.args).toEqual({ tools: [], files: ['/dev/watchdog'] });
  });

  it('the same disk on every node: blank everywhere before the bootstrap, the same header after', () => {
    expect(sbdChecks({ header: 'host-blank-disk.txt' }, { header: 'host-blank-disk.txt' })).toEqual([
      'node1 watchdog ok: /dev/watchdog',
      'node1 sbd disk ok: /dev/vdc: no SBD header yet (the bootstrap writes it: watchdog 5 s, msgwait 10 s)',
      'node2 watchdog ok: /dev/watchdog',
      'node2 sbd disk ok: /dev/vdc: no SBD header yet (the bootstrap writes it: watchdog 5 s, msgwait 10 s)',
    ]);
    expect(sbdChecks({ header: 'host-created.txt' }, { header: 'host-slots-reset.txt' })[1]).toBe(
      'node1 sbd disk ok: /dev/vdc: header 4f2acf0e-5674-4731-b500-ece13a57a1c3, watchdog 5 s, msgwait 10 s; stonith-timeout 30 s; a hung node is fenced within 27 s',
    );
  });

  it('fails a node without a watchdog, a disk one node does not see, and two disks under one name', () => {
    expect(sbdChecks({ header: 'host-blank-disk.txt', watchdog: false }, { header: 'host-blank-disk.txt' })[0]).toMatch(/^node1 watchdog fail: no \/dev\/watchdog: nothing resets this node when sbd stops/);
    expect(sbdChecks({ header: 'host-created.txt' }, { header: 'host-missing-disk.txt' })).toContain('node2 sbd disk fail: /dev/vdc: == disk /dev/nonexistent unreadable!');
    expect(sbdChecks({ header: 'host-created.txt' }, { header: 'host-blank-disk.txt' })[1]).toMatch(/^node1 sbd disk fail: \/dev\/vdc: header 4f2acf0e-.* here, no header on node2: not the same disk/);
  });
});
