// The Corosync + Pacemaker stack without a cluster: corosync.conf and the
// generated CIB, checked for real by `corosync -t` and `crm_verify` on this
// host (and shown to reject what they should); the comparison of a live CIB
// and the crm_mon parser on output captured in the lab
// (test/fixtures/pacemaker, README there); DRBD's fence handlers.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { templateContext } from '../../src/engine/template-context.js';
import { parseInventory } from '../../src/inventory/load.js';
import { preparePlaybook } from '../../src/engine/prepare.js';
import { loadPlaybook, PACKAGE_ROOT } from '../../src/playbook/load.js';
import { NAME_PATTERN } from '../../src/inventory/schema.js';
import type { ClusterSpec, Inventory } from '../../src/inventory/model.js';
import { findProgram } from '../../src/lab/preflight.js';
import { configurationIsSecret, generateConfiguration } from '../../src/pacemaker/cib.js';
import { primaryPreference } from '../../src/pacemaker/constraints.js';
import { durationMs, formatDuration } from '../../src/pacemaker/ids.js';
import { render } from '../../src/render/handlebars.js';
import { child, childrenNamed, parseXml, serializeXml, type XmlElement } from '../../src/util/xml.js';
import { cibForVerify, mergeConfiguration } from '../../src/pacemaker/merge.js';
import { propertyNames } from '../../src/pacemaker/managed.js';
import { managedText } from '../../src/pacemaker/normalize.js';
import { cibOperation } from '../../src/operations/cib.js';
import type { EarlierChange, PlanContext, PredictContext } from '../../src/engine/operation.js';
import { parseCibQuery, type LiveCib } from '../../src/pacemaker/live-cib.js';
import { failCount, groupNode, parseCrmMonXml, promotedNodes } from '../../src/pacemaker/crm-mon.js';
import { nodesOnline, pacemakerWaitOperation, servicesStarted } from '../../src/operations/pacemaker-wait.js';
import { parseCorosyncConf } from '../../src/pacemaker/corosync-conf.js';
import { BACKUP_DIR, BACKUPS_KEPT, isBackupName, listBackupsScript, parseBackupList, restoreScript, saveThenReplaceScript } from '../../src/pacemaker/backups.js';

const REPO = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hf-pcmk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Says loudly which real-tool checks did not run here, like the lab's banner. */
function warnToolSkipped(tools: string[]): string | undefined {
  const missing = tools.filter((t) => !findProgram(t));
  if (missing.length === 0) return undefined;
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! PACEMAKER TOOL CHECKS SKIPPED: ${missing.join(', ')} not installed\n!! Install them with scripts/setup.sh (corosync pacemaker pacemaker-cli-utils drbd-utils).\n${bar}\n`);
  return missing.join(', ');
}
const noCorosync = warnToolSkipped(['corosync']);
const noCrmVerify = warnToolSkipped(['crm_verify']);
const noDrbdadm = warnToolSkipped(['drbdadm']);

interface InvOptions {
  nodes?: number;
  ring1?: boolean;
  /** node1's replication address (127.0.0.1 lets `corosync -t` find the local node). */
  firstAddress?: string;
  extra?: string;
  /** The cluster's services: line (YAML flow), replacing the web server. */
  services?: string;
}

function inventory(o: InvOptions = {}): Inventory {
  const count = o.nodes ?? 2;
  const nodes = Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const address = n === 1 && o.firstAddress ? o.firstAddress : `10.99.0.${10 + n}`;
    return `      node${n}: { address: 192.0.2.${n}, replication_address: ${address}${o.ring1 ? `, ring1_address: 10.98.0.${10 + n}` : ''} }`;
  }).join('\n');
  const text = `version: 1
clusters:
  lab:
    stack: pacemaker
    primary: node1
    nodes:
${nodes}
    drbd:
      resources: { r0: { disk: /dev/vdb, mount: /replicated, mount_options: noatime } }
    services: ${o.services ?? '{ web: { unit: lighttpd, paths: [/var/www/html], port: 80 } }'}
    vip: { address: 10.99.0.100, cidr_netmask: 24, nic: eth1 }
${o.extra ?? '    fencing: { enabled: false }'}
`;
  return parseInventory(path.join(tmp, 'inventory.yaml'), text);
}

function renderCorosync(inv: Inventory, node = 'node1', found?: string): string {
  const n = inv.clusters[0]!.nodes.find((x) => x.name === node)!;
  const file = path.join(REPO, 'templates/corosync/corosync.conf.hbs');
  const facts = { corosync: parseCorosyncConf(found ?? '') };
  return render(readFileSync(file, 'utf8'), templateContext(inv, n, {}, {}, facts), file);
}

/**
 * `corosync -t -c FILE` on the rendered text. corosync reads its key from
 * /etc/corosync/authkey and logs only to syslog as rendered; the test points
 * it at a key of its own and at stderr so its reasons are visible.
 */
function corosyncTest(conf: string): { code: number; output: string } {
  const key = path.join(tmp, 'authkey');
  if (!existsSync(key)) writeFileSync(key, Buffer.alloc(256, 7), { mode: 0o400 });
  const file = path.join(tmp, `corosync-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf.replace(/^totem \{$/m, `totem {\n\tkeyfile: ${key}`).replace('to_stderr: no', 'to_stderr: yes'));
  const r = spawnSync('corosync', ['-t', '-c', file], { encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

describe('corosync.conf', () => {
  it('two nodes: knet, crypto, token, every node with its id and replication address, two_node, syslog', () => {
    const conf = renderCorosync(inventory());
    expect(conf).toContain('\ttransport: knet\n\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n');
    expect(conf).toMatch(/\ttoken: 3000\n\tconsensus: 3600\n/);
    expect(conf).toContain('\tnode {\n\t\tname: node1\n\t\tnodeid: 1\n\t\tring0_addr: 10.99.0.11\n\t}\n\tnode {\n\t\tname: node2\n\t\tnodeid: 2\n\t\tring0_addr: 10.99.0.12\n\t}\n');
    expect(conf).not.toContain('ring1_addr');
    expect(conf).toMatch(/provider: corosync_votequorum\n(\t#.*\n)*\ttwo_node: 1\n/);
    expect(conf).toMatch(/to_syslog: yes\n\tto_stderr: no\n/);
    // The same file on every node.
    expect(renderCorosync(inventory(), 'node2')).toBe(conf);
  });

  it('three nodes with a second link: ring1 on every node, no two_node', () => {
    const conf = renderCorosync(inventory({ nodes: 3, ring1: true, extra: '    corosync: { token: 5000, crypto_cipher: aes128 }\n    fencing: { enabled: false }' }));
    expect(conf.match(/ring1_addr: 10\.98\.0\.1\d/g)).toEqual(['ring1_addr: 10.98.0.11', 'ring1_addr: 10.98.0.12', 'ring1_addr: 10.98.0.13']);
    expect(conf).toContain('\t\tname: node3\n\t\tnodeid: 3\n\t\tring0_addr: 10.99.0.13\n\t\tring1_addr: 10.98.0.13\n');
    expect(conf).toContain('crypto_cipher: aes128');
    expect(conf).toMatch(/token: 5000\n\tconsensus: 6000\n/);
    expect(conf).not.toContain('two_node');
  });

  // Written by pcs 0.11.5 (`pcs cluster setup mycluster node1 addr=10.99.0.11 node2 addr=10.99.0.12 --corosync_conf FILE`,
  // and the same with node2 first), as on a cluster built with pcs that haforge is pointed at.
  const pcsConf = readFileSync(path.join(__dirname, '../fixtures/pacemaker/pcs-0.11.5-corosync.conf'), 'utf8');
  const pcsNode2First = readFileSync(path.join(__dirname, '../fixtures/pacemaker/pcs-0.11.5-corosync-node2-first.conf'), 'utf8');

  const pcsLogging = [
    { key: 'to_logfile', value: 'yes' },
    { key: 'logfile', value: '/var/log/corosync/corosync.log' },
    { key: 'to_syslog', value: 'yes' },
    { key: 'timestamp', value: 'on' },
  ];
  const haforgeLogging = [
    { key: 'to_syslog', value: 'yes' },
    { key: 'to_stderr', value: 'no' },
    { key: 'to_logfile', value: 'no' },
    { key: 'syslog_facility', value: 'daemon' },
  ];

  it("reads what it keeps from a corosync.conf pcs wrote: the cluster's uuid, the members' node ids, its logging", () => {
    expect(parseCorosyncConf(pcsConf)).toEqual({ clusterUuid: '8821e75053534212a291cc6235b7b64c', nodeIds: { node1: 1, node2: 2 }, logging: pcsLogging });
    expect(parseCorosyncConf(pcsNode2First).nodeIds).toEqual({ node2: 1, node1: 2 });
    expect(parseCorosyncConf('')).toEqual({ nodeIds: {} });
    // haforge's own file: ids, no uuid, its default logging.
    expect(parseCorosyncConf(renderCorosync(inventory()))).toEqual({ nodeIds: { node1: 1, node2: 2 }, logging: haforgeLogging });
    // A logging value that is not plainly one (a brace, a space) is not carried into the file.
    expect(parseCorosyncConf('logging {\n  logfile: /tmp/x }\n  to_syslog: yes\n  logger_subsys {\n    subsys: QUORUM\n  }\n}\n').logging).toEqual([{ key: 'to_syslog', value: 'yes' }]);
  });

  it("over a pcs cluster: its cluster_uuid and its logging are kept; node ids that the inventory's order would change are refused", () => {
    const conf = renderCorosync(inventory(), 'node1', pcsConf);
    expect(conf).toMatch(/\tcluster_uuid: 8821e75053534212a291cc6235b7b64c\n/);
    expect(conf).toContain('\t\tname: node1\n\t\tnodeid: 1\n');
    expect(conf).toMatch(/logging \{\n\tto_logfile: yes\n\tlogfile: \/var\/log\/corosync\/corosync.log\n\tto_syslog: yes\n\ttimestamp: on\n\}/);
    // Rendered again over its own output: the same file (a re-run changes nothing).
    expect(renderCorosync(inventory(), 'node1', conf)).toBe(conf);
    const own = renderCorosync(inventory());
    expect(renderCorosync(inventory(), 'node1', own)).toBe(own);
    expect(() => renderCorosync(inventory(), 'node1', pcsNode2First)).toThrow(/corosync\.conf on this node gives node1 nodeid 2; the inventory's order would make it 1/);
  });

  it('second_link: false leaves ring1 out even when every node has an address', () => {
    expect(renderCorosync(inventory({ ring1: true, extra: '    corosync: { second_link: false }\n    fencing: { enabled: false }' }))).not.toContain('ring1_addr');
  });

  describe.skipIf(noCorosync)('corosync -t on this host (real)', () => {
    it('accepts what haforge renders: 2 nodes, 3 nodes, second link', () => {
      for (const o of [{}, { nodes: 3 }, { ring1: true }, { nodes: 3, ring1: true }] as InvOptions[]) {
        const r = corosyncTest(renderCorosync(inventory({ ...o, firstAddress: '127.0.0.1' })));
        expect(r, JSON.stringify(o)).toMatchObject({ code: 0 });
      }
    });

    it('rejects `node { name: x` on one line, a nodeid used twice, links missing on one node, an unknown cipher', () => {
      const good = renderCorosync(inventory({ ring1: true, firstAddress: '127.0.0.1' }));
      const cases: [string, string, RegExp][] = [
        ['one-line node', good.replace('\tnode {\n\t\tname: node2', '\tnode { name: node2'), /Extra characters after opening bracket/],
        ['duplicate nodeid', good.replace('nodeid: 2', 'nodeid: 1'), /Nodeid 1 appears twice/],
        ['missing ring1', good.replace('\t\tring1_addr: 10.98.0.12\n', ''), /Not all nodes have the same number of links/],
        ['bad cipher', good.replace('crypto_cipher: aes256', 'crypto_cipher: rot13'), /Invalid cipher type/],
      ];
      for (const [what, conf, reason] of cases) {
        expect(conf, what).not.toBe(good);
        const r = corosyncTest(conf);
        expect(r.code, what).not.toBe(0);
        expect(r.output, what).toMatch(reason);
      }
    });

    it('rejects a configuration that does not name this host (so a node never installs another cluster\'s file)', () => {
      const r = corosyncTest(renderCorosync(inventory()));
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/No valid name found for local host/);
    });
  });
});

// ------------------------------------------------------------------ CIB

const FENCED = `    fencing:
      devices:
        ipmi-1: { agent: fence_ipmilan, targets: [node1], params: { ip: 192.0.2.101, username: admin, password: 'p&ss"<w>rd' } }
        ipmi-2: { agent: fence_ipmilan, targets: [node2], params: { ip: 192.0.2.102, username: admin, password: other } }`;

const cluster = (o: InvOptions = {}): ClusterSpec => inventory(o).clusters[0]!;
/** The cluster with a VirtualDomain service that has meta attributes (as the inventory's meta: gives them). */
const withVm = (meta: Record<string, string>): ClusterSpec => {
  const c = cluster();
  return { ...c, services: [{ ...c.services[0]!, name: 'vm', unit: 'vm1', paths: [], agent: { class: 'ocf', provider: 'heartbeat', type: 'VirtualDomain' }, params: { config: '/srv/vm/vm1.xml' }, meta }] };
};
const byId = (root: XmlElement, id: string): XmlElement | undefined => {
  if (root.attrs.id === id) return root;
  for (const c of root.children) {
    const found = byId(c, id);
    if (found) return found;
  }
  return undefined;
};
const nv = (set: XmlElement | undefined) => Object.fromEntries(childrenNamed(set, 'nvpair').map((p) => [p.attrs.name, p.attrs.value]));

describe('generated CIB', () => {
  const config = generateConfiguration(cluster());

  it('DRBD as a promotable clone: one promoted, one instance per node, notify, monitors per role at different intervals', () => {
    const clone = byId(config, 'ms_drbd_r0')!;
    expect(clone.name).toBe('clone');
    expect(nv(child(clone, 'meta_attributes'))).toEqual({ promotable: 'true', 'promoted-max': '1', 'promoted-node-max': '1', 'clone-max': '2', 'clone-node-max': '1', notify: 'true' });
    const drbd = child(clone, 'primitive')!;
    expect(drbd.attrs).toMatchObject({ id: 'p_drbd_r0', class: 'ocf', provider: 'linbit', type: 'drbd' });
    expect(nv(child(drbd, 'instance_attributes'))).toEqual({ drbd_resource: 'r0' });
    const monitors = childrenNamed(child(drbd, 'operations'), 'op').filter((o) => o.attrs.name === 'monitor');
    expect(monitors.map((m) => [m.attrs.role, m.attrs.interval])).toEqual([['Promoted', '10s'], ['Unpromoted', '11s']]);
    expect(byId(generateConfiguration(cluster({ nodes: 3 })), 'ms_drbd_r0-meta_attributes-clone-max')!.attrs.value).toBe('3');
  });

  it('one group in start order: filesystem, VIP, services; each with a monitor at the inventory interval', () => {
    const group = byId(config, 'g_services')!;
    expect(group.children.map((c) => c.attrs.id)).toEqual(['p_fs_r0', 'p_vip', 'p_svc_web']);
    expect(nv(byId(config, 'p_fs_r0-instance_attributes'))).toEqual({ device: '/dev/drbd0', directory: '/replicated', fstype: 'ext4', options: 'noatime' });
    expect(nv(byId(config, 'p_vip-instance_attributes'))).toEqual({ ip: '10.99.0.100', cidr_netmask: '24', nic: 'eth1' });
    expect(byId(config, 'p_svc_web')!.attrs).toEqual({ id: 'p_svc_web', class: 'systemd', type: 'lighttpd' });
    for (const p of group.children) {
      const monitor = childrenNamed(child(p, 'operations'), 'op').find((o) => o.attrs.name === 'monitor');
      expect(monitor?.attrs, p.attrs.id).toMatchObject({ interval: '10s', timeout: expect.stringMatching(/^\d+s$/) });
    }
  });

  it('services as lsb and OCF agents, OCF parameters passed, none for systemd', () => {
    const c = generateConfiguration(
      cluster({
        extra: `    pacemaker: { monitor_interval: 30s }
    fencing: { enabled: false }`,
      }),
    );
    expect(byId(c, 'p_svc_web-monitor-interval-30s')).toBeDefined();
    const inv = inventory();
    const spec = inv.clusters[0]!;
    spec.services = [
      { ...spec.services[0]!, name: 'db', agent: { class: 'lsb', type: 'mysql' } },
      { ...spec.services[0]!, name: 'www', agent: { class: 'ocf', provider: 'heartbeat', type: 'apache' }, params: { configfile: '/etc/apache2/apache2.conf' } },
      { ...spec.services[0]!, name: 'sys', params: { ignored: 'x' } },
    ];
    const g = generateConfiguration(spec);
    expect(byId(g, 'p_svc_db')!.attrs).toEqual({ id: 'p_svc_db', class: 'lsb', type: 'mysql' });
    expect(byId(g, 'p_svc_www')!.attrs).toEqual({ id: 'p_svc_www', class: 'ocf', provider: 'heartbeat', type: 'apache' });
    expect(nv(byId(g, 'p_svc_www-instance_attributes'))).toEqual({ configfile: '/etc/apache2/apache2.conf' });
    expect(byId(g, 'p_svc_sys-instance_attributes')).toBeUndefined();
  });

  it("a service's meta attributes from the inventory (runbook 002's allow-migrate); none: no meta_attributes element", () => {
    const g = generateConfiguration(withVm({ 'allow-migrate': 'true', 'resource-stickiness': '200' }));
    expect(nv(byId(g, 'p_svc_vm-meta_attributes'))).toEqual({ 'allow-migrate': 'true', 'resource-stickiness': '200' });
    expect(child(byId(g, 'p_svc_vm')!, 'meta_attributes')).toBe(byId(g, 'p_svc_vm-meta_attributes'));
    expect(byId(config, 'p_svc_web-meta_attributes')).toBeUndefined();
  });

  it('the group lives with the promoted DRBD, starts after the promotion, prefers the primary below stickiness', () => {
    const constraints = child(config, 'constraints')!;
    expect(byId(constraints, 'col_g_services_with_ms_drbd_r0')!.attrs).toMatchObject({ score: 'INFINITY', rsc: 'g_services', 'with-rsc': 'ms_drbd_r0', 'with-rsc-role': 'Promoted' });
    expect(byId(constraints, 'ord_ms_drbd_r0_before_g_services')!.attrs).toMatchObject({ kind: 'Mandatory', first: 'ms_drbd_r0', 'first-action': 'promote', then: 'g_services', 'then-action': 'start' });
    const prefer = byId(constraints, 'loc_g_services_prefers_node1')!;
    expect(prefer.attrs).toMatchObject({ rsc: 'g_services', node: 'node1', score: '50' });
    expect(Number(prefer.attrs.score)).toBeLessThan(100);
    expect([primaryPreference(0), primaryPreference(1), primaryPreference(100), primaryPreference(1000)]).toEqual([1, 1, 50, 500]);
  });

  it('defaults and properties: stickiness, migration threshold, failure timeout, stonith off without devices, quorum policy, extra properties', () => {
    expect(nv(byId(config, 'rsc-options'))).toEqual({ 'resource-stickiness': '100', 'migration-threshold': '3', 'failure-timeout': '120s' });
    expect(nv(byId(config, 'op-options'))).toEqual({ timeout: '60s' });
    expect(nv(byId(config, 'cib-bootstrap-options'))).toEqual({ 'stonith-enabled': 'false', 'no-quorum-policy': 'stop' });
    const c = generateConfiguration(cluster({ extra: `    pacemaker: { resource_stickiness: 500, no_quorum_policy: ignore, properties: { cluster-recheck-interval: 5min } }\n${FENCED}` }));
    expect(nv(byId(c, 'cib-bootstrap-options'))).toEqual({ 'stonith-enabled': 'true', 'no-quorum-policy': 'ignore', 'cluster-recheck-interval': '5min' });
    expect(byId(c, 'loc_g_services_prefers_node1')!.attrs.score).toBe('250');
  });

  it('no ping clone without ping_nodes; with them a clone and a rule that keeps the group off nodes that reach no ping node', () => {
    expect(byId(config, 'cl_ping')).toBeUndefined();
    expect(byId(config, 'loc_g_services_on_connected_node')).toBeUndefined();
    const c = generateConfiguration(cluster({ extra: '    ping_nodes: [10.0.2.2, 192.0.2.254]\n    fencing: { enabled: false }' }));
    expect(nv(byId(c, 'p_ping-instance_attributes'))).toEqual({ host_list: '10.0.2.2 192.0.2.254', multiplier: '1000', dampen: '5s' });
    expect(byId(c, 'cl_ping')!.children.map((x) => x.attrs.id)).toEqual(['p_ping']);
    const rule = byId(c, 'loc_g_services_on_connected_node-rule')!;
    expect(rule.attrs).toEqual({ id: 'loc_g_services_on_connected_node-rule', score: '-INFINITY' });
    // Not on "pingd not_defined": that would stop running services whenever ping starts (see constraints.ts).
    expect(rule.children.map((e) => e.attrs)).toEqual([{ id: 'loc_g_services_on_connected_node-rule-unreachable', attribute: 'pingd', operation: 'lte', value: '0', type: 'number' }]);
  });

  it('fence devices: stonith primitives with pcmk_host_list and their parameters, kept off the node they fence', () => {
    const c = generateConfiguration(cluster({ extra: FENCED }));
    expect(byId(c, 'st_ipmi-1')!.attrs).toEqual({ id: 'st_ipmi-1', class: 'stonith', type: 'fence_ipmilan' });
    expect(nv(byId(c, 'st_ipmi-1-instance_attributes'))).toEqual({ pcmk_host_list: 'node1', ip: '192.0.2.101', username: 'admin', password: 'p&ss"<w>rd' });
    expect(byId(c, 'loc_st_ipmi-1_avoids_node1')!.attrs).toMatchObject({ rsc: 'st_ipmi-1', node: 'node1', score: '-INFINITY' });
    expect(byId(c, 'loc_st_ipmi-2_avoids_node2')!.attrs).toMatchObject({ rsc: 'st_ipmi-2', node: 'node2', score: '-INFINITY' });
    // A device that fences every node may run anywhere.
    const pdu = generateConfiguration(cluster({ extra: '    fencing:\n      devices:\n        pdu: { agent: fence_apc, targets: [node1, node2] }' }));
    expect(nv(byId(pdu, 'st_pdu-instance_attributes'))).toEqual({ pcmk_host_list: 'node1 node2' });
    expect(childrenNamed(child(pdu, 'constraints'), 'rsc_location').map((l) => l.attrs.id)).toEqual(['loc_g_services_prefers_node1']);
  });

  it('escapes XML: a password with & " < > survives a round trip through the serializer and parser', () => {
    const xml = serializeXml(generateConfiguration(cluster({ extra: FENCED })));
    expect(xml).toContain('value="p&amp;ss&quot;&lt;w&gt;rd"');
    expect(nv(byId(parseXml(xml), 'st_ipmi-1-instance_attributes')).password).toBe('p&ss"<w>rd');
  });

  it('is secret when a parameter is named like a secret (fence passwords), not otherwise', () => {
    expect(configurationIsSecret(cluster())).toBe(false);
    expect(configurationIsSecret(cluster({ extra: FENCED }))).toBe(true);
    expect(configurationIsSecret(cluster({ extra: '    fencing:\n      devices:\n        pdu: { agent: fence_apc, targets: [node1, node2], params: { ip: 192.0.2.9 } }' }))).toBe(false);
  });

  it('ids and durations are stable and exact', () => {
    expect(serializeXml(generateConfiguration(cluster()))).toBe(serializeXml(config));
    expect([durationMs('10s'), durationMs('2min'), durationMs('500ms'), durationMs('30'), durationMs('1h')]).toEqual([10_000, 120_000, 500, 30_000, 3_600_000]);
    expect([formatDuration(11_000), formatDuration(1500)]).toEqual(['11s', '1500ms']);
  });
});

describe.skipIf(noCrmVerify)('crm_verify on this host (real)', () => {
  const verify = (cib: XmlElement) => {
    const file = path.join(tmp, `cib-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, serializeXml(cib));
    const r = spawnSync('crm_verify', ['--xml-file', file, '-V'], { encoding: 'utf8' });
    return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  };
  const full = (c: ClusterSpec) => cibForVerify(undefined, mergeConfiguration(generateConfiguration(c), undefined));

  it('accepts every generated configuration: 2 and 3 nodes, ping, fencing, second link', () => {
    expect(verify(full(withVm({ 'allow-migrate': 'true' })))).toEqual({ code: 0, output: '' });
    for (const o of [{}, { nodes: 3 }, { extra: FENCED }, { extra: '    ping_nodes: [10.0.2.2]\n    fencing: { enabled: false }' }, { nodes: 3, ring1: true }] as InvOptions[]) {
      const r = verify(full(cluster(o)));
      expect(r, JSON.stringify(o)).toEqual({ code: 0, output: '' });
    }
  });

  it("accepts a merge that keeps an admin's resource, constraint and defaults set", () => {
    const live = liveAfterPush(cluster());
    const config = child(live, 'configuration')!;
    child(config, 'resources')!.children.push(parseXml('<primitive id="hand-made" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="hand-made-monitor-interval-10s" name="monitor" interval="10s"/></operations></primitive>'));
    child(config, 'constraints')!.children.push(parseXml('<rsc_location id="location-hand-made-node2-INFINITY" rsc="hand-made" node="node2" score="INFINITY"/>'));
    child(config, 'rsc_defaults')!.children.push(parseXml('<meta_attributes id="build-resource-defaults"><nvpair id="build-resource-defaults-priority" name="priority" value="1"/></meta_attributes>'));
    expect(verify(cibForVerify(undefined, mergeConfiguration(generateConfiguration(cluster()), config)))).toEqual({ code: 0, output: '' });
  });

  it('rejects a constraint on a resource that does not exist', () => {
    const cib = full(cluster());
    byId(cib, 'col_g_services_with_ms_drbd_r0')!.attrs['with-rsc'] = 'ms_drbd_r9';
    const r = verify(cib);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/references an unknown ID "ms_drbd_r9"/);
  });

  it('rejects Promoted/Unpromoted roles under a schema older than Pacemaker 2.1 (pacemaker-3.0)', () => {
    const cib = full(cluster());
    cib.attrs['validate-with'] = 'pacemaker-3.0';
    const r = verify(cib);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Invalid attribute with-rsc-role for element rsc_colocation/);
  });

  it('rejects a fenced cluster whose STONITH is on but names no device', () => {
    const c = cluster({ extra: FENCED });
    c.fencing!.devices = [];
    const r = verify(full(c));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/STONITH/);
  });
});

// ------------------------------------------------------------------ live CIB: what is haforge's

/** A live CIB as Pacemaker would hold it after haforge's push: the configuration plus Pacemaker's own additions. */
function liveAfterPush(c: ClusterSpec): XmlElement {
  const config = mergeConfiguration(generateConfiguration(c), undefined);
  const props = byId(config, 'cib-bootstrap-options')!;
  props.children.push(parseXml('<nvpair id="cib-bootstrap-options-dc-version" name="dc-version" value="2.1.5-a3f44794f94"/>'), parseXml('<nvpair id="cib-bootstrap-options-cluster-infrastructure" name="cluster-infrastructure" value="corosync"/>'));
  props.children.reverse();
  child(config, 'nodes')!.children.push(parseXml('<node id="1" uname="node1"/>'), parseXml('<node id="2" uname="node2"><instance_attributes id="nodes-2"><nvpair id="nodes-2-standby" name="standby" value="off"/></instance_attributes></node>'));
  child(config, 'resources')!.children.reverse();
  return { name: 'cib', attrs: { 'validate-with': 'pacemaker-3.9', epoch: '7', num_updates: '3', admin_epoch: '0' }, children: [config, { name: 'status', attrs: {}, children: [], text: '' }], text: '' };
}

describe('managed part of a live configuration', () => {
  const c = cluster();
  const desired = generateConfiguration(c);
  const props = propertyNames(desired);
  const text = (x: XmlElement) => managedText(x, props);

  it('equals the generated one despite Pacemaker\'s additions, nodes and another order', () => {
    expect(text(liveAfterPush(c))).toBe(text(desired));
  });

  it('ignores what admins and other tools change at run time: target-role, maintenance-mode, bans, DRBD fence constraints', () => {
    const live = liveAfterPush(c);
    const svc = byId(live, 'p_svc_web')!;
    svc.children.unshift(parseXml('<meta_attributes id="p_svc_web-meta_attributes"><nvpair id="p_svc_web-meta_attributes-target-role" name="target-role" value="Stopped"/></meta_attributes>'));
    byId(live, 'cib-bootstrap-options')!.children.push(parseXml('<nvpair id="cib-bootstrap-options-maintenance-mode" name="maintenance-mode" value="true"/>'));
    const constraints = child(child(live, 'configuration'), 'constraints')!;
    constraints.children.push(
      parseXml('<rsc_location id="cli-ban-g_services-on-node1" rsc="g_services" role="Started" node="node1" score="-INFINITY"/>'),
      parseXml('<rsc_location rsc="ms_drbd_r0" id="drbd-fence-by-handler-r0-ms_drbd_r0"><rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd_r0"><expression attribute="#uname" operation="ne" value="node2" id="drbd-fence-by-handler-r0-expr-1-ms_drbd_r0"/></rule></rsc_location>'),
    );
    expect(text(live)).toBe(text(desired));
  });

  it('sees a changed value, a removed property and a new group order', () => {
    const changed = liveAfterPush(c);
    byId(changed, 'p_vip-instance_attributes-ip')!.attrs.value = '10.99.0.200';
    expect(text(changed)).not.toBe(text(desired));

    const extraProp = liveAfterPush(c);
    byId(extraProp, 'cib-bootstrap-options')!.children.push(parseXml('<nvpair id="x" name="cluster-recheck-interval" value="1min"/>'));
    expect(text(extraProp)).not.toBe(text(desired));

    const reordered = liveAfterPush(c);
    byId(reordered, 'g_services')!.children.reverse();
    expect(text(reordered)).not.toBe(text(desired));
  });

  it("leaves out what an admin added by hand (pcs, crmsh): a resource, a constraint, a defaults set; haforge's own by their ids", () => {
    const live = liveAfterPush(c);
    const config = child(live, 'configuration')!;
    child(config, 'resources')!.children.push(parseXml('<primitive id="hand-made" class="ocf" provider="heartbeat" type="Dummy"/>'));
    child(config, 'constraints')!.children.push(parseXml('<rsc_location id="location-hand-made-node2-INFINITY" rsc="hand-made" node="node2" score="INFINITY"/>'));
    config.children.push(parseXml('<rsc_defaults><meta_attributes id="build-resource-defaults"><nvpair id="build-resource-defaults-priority" name="priority" value="1"/></meta_attributes></rsc_defaults>'));
    expect(text(live)).toBe(text(desired));
    // ...but haforge's own resource, removed or changed, counts.
    const mine = liveAfterPush(c);
    child(child(mine, 'configuration'), 'resources')!.children.push(parseXml('<primitive id="p_svc_old" class="systemd" type="old"/>'));
    expect(text(mine)).not.toBe(text(desired));
  });

  it('compares a runtime property when the inventory sets it', () => {
    const withMaintenance = cluster({ extra: '    pacemaker: { properties: { maintenance-mode: "false" } }\n    fencing: { enabled: false }' });
    const mine = generateConfiguration(withMaintenance);
    const live = liveAfterPush(withMaintenance);
    byId(live, 'cib-bootstrap-options-maintenance-mode')!.attrs.value = 'true';
    expect(managedText(live, propertyNames(mine))).not.toBe(managedText(mine, propertyNames(mine)));
  });

  it('a replace keeps nodes, Pacemaker\'s properties, bans, DRBD fence constraints and a stopped resource', () => {
    const live = liveAfterPush(c);
    byId(live, 'p_svc_web')!.children.unshift(parseXml('<meta_attributes id="p_svc_web-meta_attributes"><nvpair id="p_svc_web-meta_attributes-target-role" name="target-role" value="Stopped"/></meta_attributes>'));
    byId(live, 'ms_drbd_r0-meta_attributes')!.children.push(parseXml('<nvpair id="ms_drbd_r0-meta_attributes-is-managed" name="is-managed" value="false"/>'));
    child(child(live, 'configuration'), 'constraints')!.children.push(parseXml('<rsc_location id="cli-prefer-g_services" rsc="g_services" role="Started" node="node2" score="INFINITY"/>'));
    const merged = mergeConfiguration(desired, child(live, 'configuration'));
    expect(childrenNamed(child(merged, 'nodes'), 'node').map((n) => n.attrs.uname)).toEqual(['node1', 'node2']);
    expect(nv(byId(merged, 'cib-bootstrap-options'))).toMatchObject({ 'dc-version': '2.1.5-a3f44794f94', 'stonith-enabled': 'false' });
    expect(byId(merged, 'cli-prefer-g_services')).toBeDefined();
    expect(nv(byId(merged, 'p_svc_web-meta_attributes'))).toEqual({ 'target-role': 'Stopped' });
    // The schema wants a resource's meta_attributes before its operations.
    expect(byId(merged, 'p_svc_web')!.children.map((x) => x.name)).toEqual(['meta_attributes', 'operations']);
    expect(nv(byId(merged, 'ms_drbd_r0-meta_attributes'))).toMatchObject({ promotable: 'true', 'is-managed': 'false' });
    // ...and what it keeps is still not haforge's business.
    expect(managedText(merged, props)).toBe(text(desired));
  });
});

// ------------------------------------------------------------------ the cib operation's plan

function planCib(c: ClusterSpec, live: LiveCib) {
  const ctx = {
    node: c.nodes[0]!,
    cluster: c,
    system: {} as PlanContext['system'],
    vars: {},
    fact: () => live,
    renderTemplate: () => '',
    peerFacts: () => [],
    shared: <T>(_k: string, make: () => T) => make(),
  } as PlanContext;
  return cibOperation.plan({}, ctx);
}

describe('cib operation', () => {
  const fresh = () => parseXml('<cib validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-have-watchdog" name="have-watchdog" value="false"/></cluster_property_set></crm_config><nodes><node id="1" uname="node1"/></nodes><resources/><constraints/></configuration><status/></cib>');

  it('a fresh cluster: crm_verify with the live schema, then one cibadmin --replace; XML only on stdin; a readable diff', () => {
    const plan = planCib(cluster(), { state: 'running', cib: fresh() });
    expect(plan.refusal).toBeUndefined();
    expect(plan.steps.map((s) => s.description)).toEqual(["crm_verify the new configuration (with the live CIB's schema)", 'save the live configuration in /var/lib/haforge/cib, cibadmin --replace --scope configuration']);
    expect(plan.steps[1]!.argv).toEqual(saveThenReplaceScript());
    const verified = parseXml(String(plan.steps[0]!.stdin));
    expect(verified.attrs).toMatchObject({ 'validate-with': 'pacemaker-3.9', epoch: '5' });
    const pushed = parseXml(String(plan.steps[1]!.stdin));
    expect(pushed.name).toBe('configuration');
    expect(byId(pushed, 'cib-bootstrap-options-have-watchdog')).toBeDefined();
    expect(childrenNamed(child(pushed, 'nodes'), 'node')).toHaveLength(1);
    expect(plan.diff).toMatch(/^\+.*<primitive class="systemd" id="p_svc_web" type="lighttpd">/m);
  });

  it("keeps what an admin added; removing haforge's own resource (a service taken out) is listed and destructive", () => {
    const live = liveAfterPush(cluster());
    const config = child(live, 'configuration')!;
    child(config, 'resources')!.children.push(parseXml('<primitive id="hand-made" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="hand-made-monitor-interval-10s" name="monitor" interval="10s"/></operations></primitive>'));
    child(config, 'constraints')!.children.push(parseXml('<rsc_location id="location-hand-made-node2-INFINITY" rsc="hand-made" node="node2" score="INFINITY"/>'));
    expect(planCib(cluster(), { state: 'running', cib: live })).toMatchObject({ steps: [], reason: "the live configuration is the inventory's" });
    const fewer = cluster();
    fewer.services = [];
    const plan = planCib(fewer, { state: 'running', cib: live });
    expect(plan.reason).toBe('the live configuration differs from the inventory; removes p_svc_web (stopped where they run)');
    expect(plan.steps[1]).toMatchObject({ description: 'save the live configuration in /var/lib/haforge/cib, cibadmin --replace --scope configuration (removes p_svc_web)', destructive: true });
    const pushed = parseXml(String(plan.steps[1]!.stdin));
    expect(byId(pushed, 'hand-made')).toBeDefined();
    expect(byId(pushed, 'location-hand-made-node2-INFINITY')).toBeDefined();
    expect(byId(pushed, 'p_svc_web')).toBeUndefined();
    // A plain change is not destructive.
    expect(planCib(cluster(), { state: 'running', cib: fresh() }).steps[1]!.destructive).toBe(false);
  });

  // A cluster built with pcs in the lab (fixtures/pacemaker/README.md): the inventory here names what it runs.
  const pcsBuilt = () => parseXml(fixture('lab-cibadmin-query-pcs-built.xml'));
  const pcsAdopted = () => parseXml(fixture('lab-cibadmin-query-pcs-adopted.xml'));
  /** The inventory of that lab, as far as the CIB goes. */
  const labCluster = () => cluster({ extra: "    pacemaker: { properties: { load-threshold: '1000%' } }\n    fencing: { enabled: false }" });

  it("takes over in place what a cluster built with pcs runs: pcs's ids kept, each marked with haforge-id, its constraints and defaults kept, nothing restarted", () => {
    const plan = planCib(cluster(), { state: 'running', cib: pcsBuilt() });
    expect(plan.refusal).toBeUndefined();
    expect(plan.reason).toBe("the live configuration differs from the inventory; takes over WebData-clone as ms_drbd_r0, WebData as p_drbd_r0, WebGroup as g_services, WebFS as p_fs_r0, ClusterIP as p_vip, WebSite as p_svc_web in place");
    expect(plan.steps[1]!.destructive).toBe(false);
    const pushed = parseXml(String(plan.steps[1]!.stdin));
    const resources = child(pushed, 'resources')!;
    // Each resource once, under pcs's id: Pacemaker sees the same resources, not new ones.
    expect([...serializeXml(resources).matchAll(/<(?:primitive|group|clone) id="([^"]+)"/g)].map((m) => m[1])).toEqual(['WebData-clone', 'WebData', 'WebGroup', 'WebFS', 'ClusterIP', 'WebSite']);
    expect(nv(byId(pushed, 'WebGroup-meta_attributes'))).toEqual({ 'haforge-id': 'g_services' });
    expect(nv(byId(pushed, 'ClusterIP-instance_attributes'))).toEqual({ ip: '10.99.0.100', cidr_netmask: '24', nic: 'eth1' });
    // haforge's constraints point at them; pcs's own constraints and defaults stay.
    expect(byId(pushed, 'col_g_services_with_ms_drbd_r0')!.attrs).toMatchObject({ rsc: 'WebGroup', 'with-rsc': 'WebData-clone' });
    expect(byId(pushed, 'ord_ms_drbd_r0_before_g_services')!.attrs).toMatchObject({ first: 'WebData-clone', then: 'WebGroup' });
    expect(byId(pushed, 'colocation-WebGroup-WebData-clone-INFINITY')).toBeDefined();
    expect(byId(pushed, 'rsc_defaults-meta_attributes')).toBeDefined();
    // The diff shows what changes on pcs's resources (marks, operations), not a new configuration.
    expect(plan.diff).toMatch(/^\+ +<nvpair id="ClusterIP-meta_attributes-haforge-id" name="haforge-id" value="p_vip"\/>$/m);
    expect(plan.diff).not.toMatch(/^\+ +<primitive/m);
  });

  it.skipIf(noCrmVerify)('the configuration that takes over a pcs cluster passes crm_verify', () => {
    const plan = planCib(cluster(), { state: 'running', cib: pcsBuilt() });
    const file = path.join(tmp, 'adopt-verify.xml');
    writeFileSync(file, String(plan.steps[0]!.stdin));
    const r = spawnSync('crm_verify', ['--xml-file', file, '-V'], { encoding: 'utf8' });
    expect({ code: r.status, output: `${r.stdout}${r.stderr}` }).toEqual({ code: 0, output: '' });
  });

  it('a cluster taken over: later runs find the resources by their mark; nothing to do', () => {
    expect(planCib(labCluster(), { state: 'running', cib: pcsAdopted() })).toMatchObject({ steps: [], reason: "the live configuration is the inventory's" });
    // The inventory changes the VIP's netmask: ClusterIP (found by its mark, not by its address) is restarted, asked first.
    const other = labCluster();
    other.vip!.cidrNetmask = 16;
    const plan = planCib(other, { state: 'running', cib: pcsAdopted() });
    expect(plan.reason).toBe('the live configuration differs from the inventory; restarts ClusterIP (parameters cidr_netmask) where they run');
    expect(plan.steps[1]).toMatchObject({ destructive: true, description: expect.stringMatching(/\(restarts ClusterIP \(parameters cidr_netmask\)\)$/) });
    // A service taken out of the inventory: its adopted resource is removed like haforge's own.
    const fewer = labCluster();
    fewer.services = [];
    expect(planCib(fewer, { state: 'running', cib: pcsAdopted() }).reason).toBe('the live configuration differs from the inventory; removes WebSite (stopped where they run)');
  });

  it("restarts of haforge's own resources are listed and destructive: new parameters, another agent", () => {
    const live = liveAfterPush(cluster());
    const other = cluster();
    other.vip!.address = '10.99.0.101';
    const plan = planCib(other, { state: 'running', cib: live });
    expect(plan.reason).toBe('the live configuration differs from the inventory; restarts p_vip (parameters ip) where they run');
    expect(plan.steps[1]!.destructive).toBe(true);
    // Operations and meta attributes change without a restart (Pacemaker re-schedules a monitor): not destructive.
    const slower = cluster();
    slower.pacemaker!.monitorInterval = '20s';
    expect(planCib(slower, { state: 'running', cib: live }).steps[1]!.destructive).toBe(false);
  });

  it('refuses to take over what runs in another shape, saying why: adopting it would restart it', () => {
    const refusal = (edit: (cib: XmlElement) => void) => {
      const cib = pcsBuilt();
      edit(cib);
      return planCib(cluster(), { state: 'running', cib }).refusal;
    };
    const group = (cib: XmlElement) => byId(cib, 'WebGroup')!;
    // Members in another order than the inventory's (VIP first).
    expect(refusal((cib) => group(cib).children.reverse())).toMatchObject({
      message: "resources haforge did not make already run what the inventory's would, in another shape: member 1 of group WebGroup is WebSite (systemd:lighttpd), where the inventory's g_services has p_fs_r0 (ocf:heartbeat:Filesystem): taking them over as they are would restart them",
      hint: expect.stringMatching(/delete them \(pcs resource delete/),
    });
    // No group: the web server on its own, beside a group.
    expect(refusal((cib) => child(child(cib, 'configuration'), 'resources')!.children.push(group(cib).children.splice(2, 1)[0]!))?.message).toMatch(/the inventory's g_services runs what WebGroup, WebSite run, which are not one group/);
    // The same address with another agent.
    expect(refusal((cib) => { byId(cib, 'ClusterIP')!.attrs.type = 'IPaddr'; })?.message).toMatch(/member 2 of group WebGroup is ClusterIP \(ocf:heartbeat:IPaddr\)/);
    // The VIP's address alone, under an older agent, where nothing else matches: found by what it runs, not by its agent.
    const oldIp = parseXml('<primitive id="OldIP" class="ocf" provider="heartbeat" type="IPaddr"><instance_attributes id="OldIP-instance_attributes"><nvpair id="OldIP-instance_attributes-ip" name="ip" value="10.99.0.100"/></instance_attributes></primitive>');
    expect(refusal((cib) => { child(child(cib, 'configuration'), 'resources')!.children = [oldIp]; })?.message).toMatch(/OldIP is not a group, as the inventory's g_services is/);
    // DRBD in a clone that is not promotable.
    expect(refusal((cib) => { byId(cib, 'WebData-clone-meta_attributes-promotable')!.attrs.value = 'false'; })?.message).toMatch(/WebData-clone is not a promotable clone, as the inventory's ms_drbd_r0 is/);
  });

  it("a group that holds the inventory's first members is taken over; the further ones are added after them", () => {
    const cib = pcsBuilt();
    byId(cib, 'WebGroup')!.children.splice(2, 1);
    const plan = planCib(cluster(), { state: 'running', cib });
    expect(plan.reason).toMatch(/takes over .*WebGroup as g_services, WebFS as p_fs_r0, ClusterIP as p_vip in place$/);
    const members = childrenNamed(byId(parseXml(String(plan.steps[1]!.stdin)), 'WebGroup'), 'primitive').map((p) => p.attrs.id);
    expect(members).toEqual(['WebFS', 'ClusterIP', 'p_svc_web']);
  });

  it('nothing to do when the live configuration is the inventory\'s', () => {
    const plan = planCib(cluster(), { state: 'running', cib: liveAfterPush(cluster()) });
    expect(plan).toMatchObject({ steps: [], reason: "the live configuration is the inventory's" });
  });

  it('a secret configuration: no diff, and no secret in any argv', () => {
    const plan = planCib(cluster({ extra: FENCED }), { state: 'running', cib: fresh() });
    expect(plan.diff).toBeUndefined();
    expect(plan.reason).toMatch(/secrets: diff not shown/);
    expect(JSON.stringify(plan.steps.map((s) => s.argv))).not.toMatch(/p&ss|other/);
    expect(String(plan.steps[1]!.stdin)).toContain('value="p&amp;ss&quot;&lt;w&gt;rd"');
  });

  it('fails with a hint when Pacemaker does not answer, or when the inventory says nothing about fencing', () => {
    expect(planCib(cluster(), { state: 'down', detail: 'Could not connect to the CIB: Transport endpoint is not connected' }).refusal).toMatchObject({
      message: 'Pacemaker does not answer on node1: Could not connect to the CIB: Transport endpoint is not connected',
      hint: expect.stringMatching(/corosync and pacemaker must run first/),
    });
    const c = cluster();
    delete c.fencing;
    expect(planCib(c, { state: 'running', cib: fresh() }).refusal?.message).toMatch(/^no fencing section/);
  });
});


describe('cib operation in check mode on a cluster not started yet', () => {
  const DOWN: LiveCib = { state: 'down', detail: 'Could not connect to the CIB: Transport endpoint is not connected' };
  const started = (host: string, name: string): EarlierChange => ({ host, op: 'service', args: { name, state: 'started' }, plan: { reason: 'stopped', steps: [] } });
  const predictCib = (c: ClusterSpec, live: LiveCib, earlier: EarlierChange[]) =>
    cibOperation.predict!({}, { node: c.nodes[0]!, cluster: c, fact: () => live, earlier } as unknown as PredictContext);

  it('predicts the whole configuration going into a new cluster once Pacemaker is started here in this run', () => {
    const plan = predictCib(cluster(), DOWN, [started('node1', 'corosync'), started('node1', 'pacemaker')])!;
    expect(plan.predicted).toEqual(["pacemaker started on node1 in this run: a new cluster's configuration is empty (no /var/lib/pacemaker/cib/cib.xml)"]);
    expect(plan.reason).toBe("a new cluster: the inventory's configuration goes in");
    expect(plan.steps.map((s) => s.description)).toEqual(["crm_verify the new configuration (with the live CIB's schema)", 'save the live configuration in /var/lib/haforge/cib, cibadmin --replace --scope configuration']);
    expect(plan.diff).toMatch(/^\+.*<primitive class="systemd" id="p_svc_web" type="lighttpd">/m);
    // Started elsewhere only, or not at all: nothing to rest on.
    expect(predictCib(cluster(), DOWN, [started('node2', 'pacemaker')])).toBeUndefined();
    expect(predictCib(cluster(), DOWN, [started('node1', 'corosync')])).toBeUndefined();
  });

  it('a stopped cluster starts from the CIB it stored: the prediction compares with that one, and shows a removal as destructive', () => {
    const stored = parseCibQuery(`Could not connect to the CIB: Transport endpoint is not connected\n== stored\n${serializeXml(liveAfterPush(cluster()))}`, 102);
    expect(stored).toMatchObject({ state: 'down', detail: 'Could not connect to the CIB: Transport endpoint is not connected', stored: { name: 'cib' } });
    const onStored = (c: ClusterSpec) => predictCib(c, stored, [started('node1', 'pacemaker')])!;
    expect(onStored(cluster())).toMatchObject({ steps: [], reason: "the live configuration is the inventory's", predicted: ['pacemaker started on node1 in this run: it loads the configuration stored in /var/lib/pacemaker/cib/cib.xml'] });
    const fewer = cluster();
    fewer.services = [];
    expect(onStored(fewer).steps[1]).toMatchObject({ destructive: true, description: expect.stringMatching(/removes p_svc_web/) });
    // A stored file that is no CIB tells nothing.
    expect(parseCibQuery('Could not connect\n== stored\n<half', 102)).toEqual({ state: 'down', detail: 'Could not connect' });
  });
});

// ------------------------------------------------------------------ DRBD fence handlers

describe('DRBD fencing with Pacemaker', () => {
  const drbdInventory = (stack: string, fencing: string, one = 'node1') =>
    parseInventory(
      path.join(tmp, 'drbd.yaml'),
      `version: 1
clusters:
  c:
    stack: ${stack}
    nodes:
      ${one}: { address: 127.0.0.1, replication_address: 127.0.0.1 }
      node2: { address: 192.0.2.2, replication_address: 10.99.0.12 }
    drbd:
      resources: { r0: { disk: /dev/vdb } }
${fencing.replace(/node1/g, one)}
`,
    );
  const SHARED_SECRET = 'c0ffee'.repeat(10);
  const renderDrbd = (inv: Inventory, family: string) => {
    const node = inv.clusters[0]!.nodes[0]!;
    // The secret_file task renders global_common.conf with the cluster's shared secret.
    const ctx = { ...templateContext(inv, node, {}, {}, { drbd: { family } }), secret: SHARED_SECRET };
    const file = (name: string) => path.join(REPO, 'templates/drbd', name);
    const common = render(readFileSync(file('global_common.conf.hbs'), 'utf8'), ctx, file('global_common.conf.hbs'));
    const res = render(readFileSync(file('resource.res.hbs'), 'utf8'), { ...ctx, item: inv.clusters[0]!.drbd!.resources[0] }, file('resource.res.hbs'));
    return { common, res };
  };

  it('8.4: fencing resource-and-stonith in disk{}, crm-fence-peer.sh and crm-unfence-peer.sh after resync', () => {
    const { common } = renderDrbd(drbdInventory('pacemaker', FENCED), '8.4');
    expect(common).toMatch(/\tdisk \{\n\t\ton-io-error detach;\n\t\tfencing resource-and-stonith;\n/);
    expect(common).toContain('\t\tfence-peer "/usr/lib/drbd/crm-fence-peer.sh";\n\t\tafter-resync-target "/usr/lib/drbd/crm-unfence-peer.sh";\n');
    expect(common).not.toMatch(/\.9\.sh/);
  });

  it('9: fencing resource-and-stonith in net{}, the .9.sh handlers with unfence-peer', () => {
    const { common } = renderDrbd(drbdInventory('pacemaker', FENCED), '9');
    expect(common).toMatch(/\tnet \{\n(\t\t.*\n)*\t\tfencing resource-and-stonith;\n\t\}/);
    expect(common).toContain('\t\tfence-peer "/usr/lib/drbd/crm-fence-peer.9.sh";\n\t\tunfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh";\n');
  });

  it('with SBD, haforge\'s handler runs LINBIT\'s (for 8.4 and 9), so a node with a poison pill waiting never resumes I/O', () => {
    const SBD = '    fencing: { sbd: { devices: [/dev/disk/by-id/virtio-sbd] } }';
    const v84 = renderDrbd(drbdInventory('pacemaker', SBD), '8.4').common;
    expect(v84).toContain('\t\tfence-peer "/usr/local/lib/haforge/drbd-fence-peer /usr/lib/drbd/crm-fence-peer.sh";\n\t\tafter-resync-target "/usr/lib/drbd/crm-unfence-peer.sh";\n');
    expect(v84).toMatch(/\tdisk \{\n\t\ton-io-error detach;\n\t\tfencing resource-and-stonith;\n/);
    const v9 = renderDrbd(drbdInventory('pacemaker', SBD), '9').common;
    expect(v9).toContain('\t\tfence-peer "/usr/local/lib/haforge/drbd-fence-peer /usr/lib/drbd/crm-fence-peer.9.sh";\n\t\tunfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh";\n');
    // Fence devices power a hung node off: it never runs on, LINBIT's handler alone is right.
    expect(renderDrbd(drbdInventory('pacemaker', FENCED), '8.4').common).not.toContain('haforge/drbd-fence-peer');
  });

  it('nothing of it without fencing, with fencing disabled, or with Heartbeat: the files stay byte for byte as before', () => {
    for (const family of ['8.3', '8.4', '9']) {
      const plain = renderDrbd(drbdInventory('pacemaker', ''), family).common;
      expect(plain).not.toMatch(/fenc/);
      expect(renderDrbd(drbdInventory('pacemaker', '    fencing: { enabled: false }'), family).common).toBe(plain);
      expect(renderDrbd(drbdInventory('heartbeat', FENCED), family).common).toBe(plain);
    }
  });

  // This host is node one (its own name, 127.0.0.1), so drbdadm can parse the files for real.
  const me = os.hostname();
  const meIsNodeName = new RegExp(NAME_PATTERN).test(me);
  if (!noDrbdadm && !meIsNodeName) console.warn(`!! drbdadm checks skipped: this host's name ${me} is not a valid inventory node name`);

  describe.skipIf(noDrbdadm || !meIsNodeName)('drbdadm on this host (real)', () => {
    const dump = (family: string) => {
      const { common, res } = renderDrbd(drbdInventory('pacemaker', FENCED, me), family);
      const dir = mkdtempSync(path.join(tmp, 'drbd-'));
      writeFileSync(path.join(dir, 'global_common.conf'), common);
      writeFileSync(path.join(dir, 'drbd.conf'), `include "${dir}/global_common.conf";\n${res}`);
      // drbd-utils 9 speaks the 8.4 syntax through drbdadm-84, as it does on an 8.4 kernel.
      const tool = family === '9' ? 'drbdadm' : '/usr/lib/drbd/drbdadm-84';
      const r = spawnSync(tool, ['-c', path.join(dir, 'drbd.conf'), 'dump', 'all'], { encoding: 'utf8' });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr.replace(/^sh: 1: modinfo: not found\n/gm, '') };
    };

    it('accepts the handlers and the fencing policy for 8.4 and 9', () => {
      const v84 = dump('8.4');
      expect(v84, v84.err).toMatchObject({ code: 0 });
      expect(v84.out).toMatch(/fencing\s+resource-and-stonith;[\s\S]*fence-peer\s+\/usr\/lib\/drbd\/crm-fence-peer\.sh;\s+after-resync-target \/usr\/lib\/drbd\/crm-unfence-peer\.sh;/);
      const v9 = dump('9');
      expect(v9, v9.err).toMatchObject({ code: 0 });
      expect(v9.out).toMatch(/unfence-peer\s+\/usr\/lib\/drbd\/crm-unfence-peer\.9\.sh;/);
    });

    it('peers authenticate with the shared secret (cram-hmac-alg sha256), in every syntax', () => {
      for (const family of ['8.4', '9']) {
        const r = dump(family);
        expect(r, r.err).toMatchObject({ code: 0 });
        expect(r.out).toMatch(new RegExp(`cram-hmac-alg\\s+sha256;\\s+shared-secret\\s+"?${SHARED_SECRET}"?;`));
      }
    });

    it('rejects the 8.4 file under DRBD 9 rules (fencing moved from disk to net)', () => {
      const { common, res } = renderDrbd(drbdInventory('pacemaker', FENCED, me), '8.4');
      const dir = mkdtempSync(path.join(tmp, 'drbd-'));
      writeFileSync(path.join(dir, 'global_common.conf'), common);
      writeFileSync(path.join(dir, 'drbd.conf'), `include "${dir}/global_common.conf";\n${res.replace(/\t\tnode-id \d+;\n/g, '')}`);
      const r = spawnSync('drbdadm', ['-c', path.join(dir, 'drbd.conf'), 'dump', 'all'], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/but got 'fencing'/);
    });
  });
});

// ------------------------------------------------------------------ real captures from the lab

const FIX = path.join(__dirname, '../fixtures/pacemaker');
const fixture = (name: string) => readFileSync(path.join(FIX, name), 'utf8');
const mon = (name: string) => parseCrmMonXml(fixture(name));

describe('crm_mon --output-as=xml (captured in the lab, Pacemaker 2.1.5)', () => {
  it('not running: on this host, in the lab before start, while the CIB is not up yet; empty and cut-off output', () => {
    expect(parseCrmMonXml(fixture('host-crm-mon-not-running.xml'), 102)).toMatchObject({ running: false, error: 'error: Could not connect to launcher: Connection refused; crm_mon: Connection to cluster failed: Connection refused' });
    expect(mon('lab-crm-mon-not-running.xml').running).toBe(false);
    expect(mon('lab-crm-mon-cib-not-up.xml')).toMatchObject({ running: false, error: 'Could not connect to the CIB: Transport endpoint is not connected' });
    expect(parseCrmMonXml('', 127)).toMatchObject({ running: false, error: 'crm_mon printed nothing (exit 127)', nodes: [] });
    const cut = fixture('lab-crm-mon-running.xml').slice(0, 900);
    expect(parseCrmMonXml(cut, 0)).toMatchObject({ running: false, error: expect.stringMatching(/^crm_mon: <pacemaker-result/) });
    expect(parseCrmMonXml('sh: 1: crm_mon: not found\n', 127)).toMatchObject({ running: false, error: 'crm_mon: sh: 1: crm_mon: not found' });
  });

  it('starting: no DC yet, both nodes not yet members', () => {
    const s = mon('lab-crm-mon-starting-no-dc.xml');
    expect(s).toMatchObject({ running: true, dc: undefined, quorum: false, resources: [] });
    expect(s.nodes.map((n) => [n.name, n.online, n.unclean])).toEqual([['node1', false, true], ['node2', false, true]]);
    expect(nodesOnline(cluster(), s)).toMatchObject({ done: false, progress: 'online: none; waiting for node1, node2' });
    const online = mon('lab-crm-mon-online-no-resources.xml');
    expect(online).toMatchObject({ dc: 'node2', quorum: true, stonithEnabled: true, noQuorumPolicy: 'stop', resources: [] });
    expect(nodesOnline(cluster(), online)).toEqual({ done: true, progress: 'online: node1, node2 (DC node2)' });
    expect(servicesStarted(cluster(), online)).toMatchObject({ done: false, progress: 'ms_drbd_r0 promoted on no node' });
  });

  it('resources starting after the CIB was loaded: DRBD adopted as promoted on node1, the VIP starting', () => {
    const s = mon('lab-crm-mon-starting-vip.xml');
    expect(s.stonithEnabled).toBe(false);
    expect(promotedNodes(s, 'ms_drbd_r0')).toEqual(['node1']);
    expect(s.clones).toMatchObject([{ id: 'ms_drbd_r0', promotable: true }]);
    expect(s.groups[0]!.members.map((m) => [m.id, m.agent, m.role, m.nodes])).toEqual([
      ['p_fs_r0', 'ocf:heartbeat:Filesystem', 'Started', ['node1']],
      ['p_vip', 'ocf:heartbeat:IPaddr2', 'Starting', ['node1']],
      ['p_svc_web', 'systemd:lighttpd', 'Stopped', []],
    ]);
    expect(groupNode(s, 'g_services')).toBeUndefined();
    expect(servicesStarted(cluster(), s)).toMatchObject({ done: false, progress: 'ms_drbd_r0 promoted on node1, p_fs_r0 Started on node1, p_vip Starting on node1, p_svc_web Stopped' });
  });

  it('all running on node1: group, promoted DRBD, promotion scores, no failures', () => {
    const s = mon('lab-crm-mon-running.xml');
    expect(s.nodes.map((n) => [n.name, n.online, n.isDc])).toEqual([['node1', true, false], ['node2', true, true]]);
    expect(groupNode(s, 'g_services')).toBe('node1');
    expect(promotedNodes(s, 'ms_drbd_r0')).toEqual(['node1']);
    expect(s.clones[0]!.instances.map((i) => [i.role, i.nodes[0]])).toEqual([['Unpromoted', 'node2'], ['Promoted', 'node1']]);
    expect(s.nodeAttributes).toEqual({ node1: { 'master-p_drbd_r0': '10000' }, node2: { 'master-p_drbd_r0': '10000' } });
    expect([s.failCounts, s.failures, s.bans]).toEqual([[], [], []]);
    expect(servicesStarted(cluster(), s)).toMatchObject({ done: true, progress: expect.stringMatching(/^running on node1: /) });
  });

  it('node1 powered off: lost, everything stopped; then DRBD promoting on node2; then all on node2', () => {
    const lost = mon('lab-crm-mon-node1-lost.xml');
    expect(lost.nodes.find((n) => n.name === 'node1')).toMatchObject({ online: false, unclean: false });
    expect(lost.groups[0]!.members.every((m) => m.role === 'Stopped')).toBe(true);
    expect(nodesOnline(cluster(), lost)).toMatchObject({ done: false, progress: 'online: node2; waiting for node1' });
    expect(mon('lab-crm-mon-failover-promoting.xml').clones[0]!.instances.find((i) => i.nodes[0] === 'node2')!.role).toBe('Promoting');
    const after = mon('lab-crm-mon-after-failover.xml');
    expect(groupNode(after, 'g_services')).toBe('node2');
    expect(promotedNodes(after, 'ms_drbd_r0')).toEqual(['node2']);
  });

  it('a killed service: failed and stopping with a fail count and a failed monitor, then started again', () => {
    const failed = mon('lab-crm-mon-service-failed.xml');
    expect(failed.resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ role: 'Stopping', failed: true, nodes: ['node2'] });
    expect(failed.failCounts).toEqual([{ node: 'node2', resource: 'p_svc_web', failCount: 1, migrationThreshold: 3 }]);
    expect(failed.failures).toEqual([
      { opKey: 'p_svc_web_monitor_10000', resource: 'p_svc_web', node: 'node2', task: 'monitor', intervalMs: 10000, exitStatus: 'not running', exitReason: 'failed', lastRcChange: '2026-12-03 09:04:26Z' },
    ]);
    const back = mon('lab-crm-mon-failcount.xml');
    expect(groupNode(back, 'g_services')).toBe('node2');
    expect(failCount(back, 'p_svc_web', 'node2')).toBe(1);
    expect(failCount(back, 'p_svc_web', 'node1')).toBe(0);
  });

  it('node1 back: its DRBD instance starting, then unpromoted; the services stay on node2', () => {
    const starting = mon('lab-crm-mon-rejoin-drbd-starting.xml');
    expect(starting.clones[0]!.instances.find((i) => i.nodes[0] === 'node1')!.role).toBe('Starting');
    const rejoined = mon('lab-crm-mon-rejoined.xml');
    expect(rejoined.nodes.every((n) => n.online)).toBe(true);
    expect(groupNode(rejoined, 'g_services')).toBe('node2');
    expect(rejoined.clones[0]!.instances.map((i) => `${i.role}@${i.nodes[0]}`).sort()).toEqual(['Promoted@node2', 'Unpromoted@node1']);
  });

  it('standby, a ban and an unmanaged resource (set by hand), ping running: all visible', () => {
    const s = mon('lab-crm-mon-standby-ban-unmanaged.xml');
    expect(s.nodes.map((n) => [n.name, n.online, n.standby])).toEqual([['node1', true, true], ['node2', true, false]]);
    expect(s.resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ role: 'Started', managed: false, nodes: ['node2'] });
    expect(s.bans.map((b) => [b.id, b.resource, b.node, b.weight])).toEqual([['cli-ban-g_services-on-node1', 'g_services', 'node1', -1000000]]);
    expect(s.nodeAttributes.node2).toEqual({ 'master-p_drbd_r0': '10000', pingd: '1000' });
    expect(s.clones.map((c) => [c.id, c.promotable, c.instances.map((i) => `${i.role}@${i.nodes.join('') || '-'}`)])).toEqual([
      ['ms_drbd_r0', true, ['Promoted@node2', 'Stopped@-']],
      ['cl_ping', false, ['Started@node2', 'Stopped@-']],
    ]);
    // Unmanaged but running where the group is: the wait is satisfied, it does not give up.
    expect(servicesStarted(cluster(), s)).toMatchObject({ done: true });
  });

  it('a cluster haforge took over from pcs: its clone and group (pcs\'s ids) are found by what they are', () => {
    const s = mon('lab-crm-mon-pcs-adopted.xml');
    expect(servicesStarted(cluster(), s)).toEqual({ done: true, progress: 'running on node2: WebData-clone promoted on node2, WebFS Started on node2, ClusterIP Started on node2, WebSite Started on node2' });
    // Two groups: nothing tells which is the inventory's; the wait looks for haforge's own id, and lists no member.
    const twoGroups = { ...s, groups: [...s.groups, { id: 'other', members: [] }] };
    expect(servicesStarted(cluster(), twoGroups).progress).toBe('running on node2: WebData-clone promoted on node2');
  });

  it('a service an admin stopped on purpose (target-role Stopped) is not waited for; the rest of the group is', () => {
    const s = mon('lab-crm-mon-web-stopped-on-purpose.xml');
    expect(s.resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ role: 'Stopped', targetRole: 'Stopped' });
    expect(servicesStarted(cluster(), s)).toMatchObject({ done: true, progress: expect.stringMatching(/^running on node1: .*p_svc_web Stopped/) });
    // Without the target-role it is a service that did not start: the wait goes on.
    const failedToStart = { ...s, groups: s.groups.map((g) => ({ ...g, members: g.members.map((m) => ({ ...m, targetRole: undefined })) })) };
    expect(servicesStarted(cluster(), failedToStart).done).toBe(false);
  });

  it('the waits: no step when already there, else one crm_mon poll that is done on the next state', () => {
    const ctx = (name: string) => ({ node: cluster().nodes[0]!, cluster: cluster(), fact: () => mon(name) }) as unknown as PlanContext;
    expect(pacemakerWaitOperation.plan({ until: 'online' }, ctx('lab-crm-mon-running.xml'))).toMatchObject({ steps: [], reason: 'online: node1, node2 (DC node2)' });
    const plan = pacemakerWaitOperation.plan({ until: 'started', timeout: 60 }, ctx('lab-crm-mon-online-no-resources.xml'));
    expect(plan.steps).toHaveLength(1);
    const step = plan.steps[0]!;
    expect(step.argv).toEqual(['crm_mon', '--output-as=xml', '--fence-history=2']);
    expect(step.watch!.timeoutMs).toBe(60_000);
    expect(step.watch!.check(fixture('lab-crm-mon-starting-vip.xml'), 0).done).toBe(false);
    expect(step.watch!.check(fixture('lab-crm-mon-running.xml'), 0)).toMatchObject({ done: true });
    expect(step.watch!.check(fixture('lab-crm-mon-cib-not-up.xml'), 0)).toMatchObject({ done: false, progress: 'Pacemaker not answering (Could not connect to the CIB: Transport endpoint is not connected)' });
  });

  it('the wait gives up at once on a blocked resource', () => {
    const s = mon('lab-crm-mon-starting-vip.xml');
    s.resources.find((r) => r.id === 'p_vip')!.blocked = true;
    expect(servicesStarted(cluster(), s).error).toMatch(/^p_vip blocked or unmanaged/);
  });
});

describe('live CIB captured in the lab (cibadmin --query)', () => {
  const labCluster = cluster();
  const desired = generateConfiguration(labCluster);
  const props = propertyNames(desired);
  const live = (name: string) => parseCibQuery(fixture(name), 0);

  it('the fact: a CIB, or Pacemaker down with its reason', () => {
    expect(live('lab-cibadmin-query-fresh.xml')).toMatchObject({ state: 'running', cib: { name: 'cib', attrs: { 'validate-with': 'pacemaker-3.9' } } });
    // On failure the fact prints cibadmin's first line of stderr.
    expect(parseCibQuery(fixture('host-cibadmin-not-running.txt').split('\n')[0]!, 102)).toEqual({ state: 'down', detail: 'Could not connect to the CIB: Transport endpoint is not connected' });
    expect(parseCibQuery('<cib><configuration>', 0)).toMatchObject({ state: 'unreadable' });
    expect(parseCibQuery('<pacemaker-result/>', 0)).toMatchObject({ state: 'unreadable', detail: 'cibadmin printed <pacemaker-result>, not <cib>' });
  });

  it('after haforge\'s push, Pacemaker\'s copy equals the generated configuration: dc-version, have-watchdog, nodes, status ignored', () => {
    const after = live('lab-cibadmin-query-after-push.xml');
    if (after.state !== 'running') throw new Error(after.state);
    expect(managedText(after.cib, props)).toBe(managedText(desired, props));
    expect(planCib(labCluster, after)).toMatchObject({ steps: [], reason: "the live configuration is the inventory's" });
  });

  it('a fresh cluster differs: the push keeps the nodes and Pacemaker\'s properties, and crm_verify accepts it', () => {
    const fresh = live('lab-cibadmin-query-fresh.xml');
    const plan = planCib(labCluster, fresh);
    expect(plan.steps).toHaveLength(2);
    const pushed = parseXml(String(plan.steps[1]!.stdin));
    expect(childrenNamed(child(pushed, 'nodes'), 'node').map((n) => n.attrs.uname)).toEqual(['node1', 'node2']);
    expect(nv(byId(pushed, 'cib-bootstrap-options'))).toEqual({ 'stonith-enabled': 'false', 'no-quorum-policy': 'stop', 'have-watchdog': 'false', 'dc-version': '2.1.5-a3f44794f94', 'cluster-infrastructure': 'corosync', 'cluster-name': 'lab' });
    if (!noCrmVerify) {
      const r = spawnSync('crm_verify', ['--xml-pipe', '-V'], { input: String(plan.steps[0]!.stdin), encoding: 'utf8' });
      expect({ code: r.status, err: r.stderr }).toEqual({ code: 0, err: '' });
    }
  });

  it('standby, a ban and an unmanaged resource set by hand (with ping): no difference; a push would keep all three', () => {
    const withPing = cluster({ extra: '    ping_nodes: [10.0.2.2]\n    fencing: { enabled: false }' });
    const admin = live('lab-cibadmin-query-admin-changes.xml');
    if (admin.state !== 'running') throw new Error(admin.state);
    expect(planCib(withPing, admin)).toMatchObject({ steps: [], reason: "the live configuration is the inventory's" });
    const mine = generateConfiguration(withPing);
    byId(mine, 'p_vip-instance_attributes-ip')!.attrs.value = '10.99.0.101';
    const merged = mergeConfiguration(mine, child(admin.cib, 'configuration'));
    expect(nv(byId(merged, 'nodes-1'))).toEqual({ standby: 'on' });
    expect(byId(merged, 'cli-ban-g_services-on-node1')).toBeDefined();
    expect(nv(byId(merged, 'p_svc_web-meta_attributes'))).toEqual({ 'is-managed': 'false' });
  });

  it('a VM\'s utilization, written by VirtualDomain at its start: no difference; a push keeps it', () => {
    const vm = live('lab-cibadmin-query-vm-utilization.xml');
    if (vm.state !== 'running') throw new Error(vm.state);
    const configuration = child(vm.cib, 'configuration')!;
    const without = parseXml(serializeXml(configuration).replace(/<utilization id="p_svc_vm-utilization">[\s\S]*?<\/utilization>/, ''));
    expect(serializeXml(without)).not.toMatch(/utilization/);
    expect(managedText(configuration, props)).toBe(managedText(without, props));
    const merged = mergeConfiguration(generateConfiguration(withVm({})), configuration);
    expect(nv(byId(merged, 'p_svc_vm-utilization'))).toEqual({ cpu: '1', host_memory: '16', hv_memory: '16' });
  });

  it('after failovers and a property set by hand: only that property is a difference, and the diff names it', () => {
    const drifted = live('lab-cibadmin-query-after-failovers.xml');
    const plan = planCib(labCluster, drifted);
    expect(plan.steps).toHaveLength(2);
    expect(plan.diff!.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-    <nvpair id="cib-bootstrap-options-load-threshold" name="load-threshold" value="1000%"/>']);
  });
});

/**
 * The save-then-replace and restore scripts, run here with a cibadmin
 * stand-in on PATH (this suite has no Pacemaker): it prints a numbered
 * configuration for --query and records what --replace gets. The backup
 * directory moves into the test's directory.
 */
describe('configuration backups', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  function node() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-cib-'));
    made.push(dir);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'cibadmin'), `#!/bin/sh
d=${dir}
case "$*" in
  *--query*) [ -e $d/query-fails ] && exit 105; n=$(cat $d/n 2>/dev/null || echo 0); echo $((n+1)) > $d/n; echo '<configuration n="'$n'"/>' ;;
  *--xml-pipe*) cat > $d/replaced ;;
  *--xml-file*) for a; do f=$a; done; cp "$f" $d/replaced ;;
esac
`);
    chmodSync(path.join(bin, 'cibadmin'), 0o755);
    const backups = path.join(dir, 'backups');
    const run = (argv: string[], stdin = '') => {
      const [sh, c, script, ...rest] = argv;
      return spawnSync(sh!, [c!, script!.replaceAll(BACKUP_DIR, backups), ...rest], { input: stdin, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    };
    const list = () => parseBackupList(run(listBackupsScript()).stdout);
    return { dir, backups, run, list };
  }

  it('saves the live configuration (0600 in a 0700 directory) before replacing it, keeps the newest ten', () => {
    const n = node();
    const r = n.run(saveThenReplaceScript(), '<configuration new="1"/>');
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(n.dir, 'replaced'), 'utf8')).toBe('<configuration new="1"/>');
    const [first] = n.list();
    expect(readFileSync(path.join(n.backups, first!.name), 'utf8')).toBe('<configuration n="0"/>\n');
    expect(statSync(path.join(n.backups, first!.name)).mode & 0o777).toBe(0o600);
    expect(statSync(n.backups).mode & 0o777).toBe(0o700);
    for (let i = 0; i < 11; i++) expect(n.run(saveThenReplaceScript(), 'x').status).toBe(0);
    const kept = n.list();
    expect(kept).toHaveLength(BACKUPS_KEPT);
    // Newest first; the oldest two went.
    expect(kept.map((b) => readFileSync(path.join(n.backups, b.name), 'utf8'))[0]).toBe('<configuration n="11"/>\n');
    expect(kept.at(-1)!.savedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('replaces nothing when the live configuration cannot be saved', () => {
    const n = node();
    writeFileSync(path.join(n.dir, 'query-fails'), '');
    const r = n.run(saveThenReplaceScript(), '<configuration new="1"/>');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/could not save the live configuration/);
    expect(existsSync(path.join(n.dir, 'replaced'))).toBe(false);
    expect(n.list()).toEqual([]);
  });

  it('restores a saved one, even the oldest of ten, after saving the live one; an unknown name changes nothing', () => {
    const n = node();
    for (let i = 0; i < BACKUPS_KEPT; i++) n.run(saveThenReplaceScript(), 'x');
    const oldest = n.list().at(-1)!;
    const r = n.run(restoreScript(oldest.name));
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(n.dir, 'replaced'), 'utf8')).toBe('<configuration n="0"/>\n');
    expect(n.list()).toHaveLength(BACKUPS_KEPT);
    expect(n.run(restoreScript('20260101T000000.0Z.xml')).status).not.toBe(0);
    expect(isBackupName('../../etc/shadow')).toBe(false);
    expect(isBackupName(oldest.name)).toBe(true);
  });
});

describe('the Pacemaker playbook with a virtual machine (VirtualDomain)', () => {
  const tasks = async (services?: string, playbook = 'pacemaker') => {
    const plays = preparePlaybook(inventory({ services }), await loadPlaybook(path.join(PACKAGE_ROOT, 'playbooks', `${playbook}.yaml`)), {});
    return plays.flatMap((p) => (p.tasks.get('node2') ?? []).map((t) => ({ title: t.title, args: t.args })));
  };
  const VM = '{ vm: { agent: "ocf:heartbeat:VirtualDomain", paths: [/srv/vm], params: { config: /srv/vm/tiny.xml } } }';

  it('relocates the VM\'s directory; no unit of its name is looked for (an OCF agent has none)', async () => {
    const relocate = await tasks(VM, 'relocate');
    expect(relocate.map((t) => t.title)).toEqual(['relocate vm']);
    expect((await tasks(undefined, 'relocate')).map((t) => t.title)).toEqual(['relocate web', 'lighttpd started by the cluster manager, not at boot']);
  });

  it('installs libvirt and keeps libvirtd\'s sockets listening on every node, outside the cluster; not for other services', async () => {
    const vm = await tasks(VM);
    expect(vm.find((t) => t.title.startsWith('package libvirt'))!.args).toEqual({ name: ['libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients'] });
    expect(vm.find((t) => t.title === 'libvirtd started at boot')!.args).toEqual({ name: 'libvirtd', enabled: true });
    expect(vm.find((t) => t.title === "libvirtd's sockets listening")!.args).toMatchObject({ unless: 'systemctl -q is-active libvirtd.socket' });
    // Before the cluster starts: Pacemaker's first probe of the VM asks libvirt.
    const titles = vm.map((t) => t.title);
    expect(titles.indexOf("libvirtd's sockets listening")).toBeLessThan(titles.indexOf('service corosync'));
    expect((await tasks()).some((t) => t.title.includes('libvirt'))).toBe(false);
  });
});
