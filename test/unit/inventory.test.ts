import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError, UserErrors } from '../../src/errors.js';
import { loadInventory, parseInventory } from '../../src/inventory/load.js';
import { formatError } from '../../src/ui/errors.js';
import { isSecretName } from '../../src/util/secrets.js';

const fixture = (name: string) => path.join(__dirname, '../fixtures/inventory', name);

async function errorsOf(file: string): Promise<string> {
  try {
    await loadInventory(file);
  } catch (err) {
    expect(err).toBeInstanceOf(UserErrors);
    return formatError(err);
  }
  throw new Error('expected the inventory to be refused');
}

describe('inventory', () => {
  it('loads the shipped example with precedence applied', async () => {
    const inv = await loadInventory(path.join(__dirname, '../../inventory.example.yaml'));
    const [web] = inv.clusters;
    expect(web!.name).toBe('web');
    expect(web!.stack).toBe('pacemaker');
    expect(web!.primary).toBe('alice');
    const [alice, bob] = web!.nodes;
    // defaults.vars < cluster vars < group vars < node vars
    expect(alice!.vars).toMatchObject({ ntp_server: 'pool.ntp.org', admin_email: 'root@example.org', mysql_port: 3306 });
    expect(bob!.vars.mysql_port).toBe(3307);
    expect(alice!.ssh).toMatchObject({ host: '192.0.2.11', user: 'root', port: 22, identityFile: path.join(homedir(), '.ssh/id_ed25519') });
    expect(bob!.ssh).toMatchObject({ user: 'admin', port: 2222 });
    expect(bob!.sudo).toBe(true);
    expect(bob!.groups).toEqual(['dbservers']);
    // DRBD, services and VIP with defaults filled in.
    expect(web!.drbd).toMatchObject({ protocol: 'C', resyncRate: '100M', cPlanAhead: 0, onIoError: 'detach', afterSb: { pri0: 'disconnect', pri1: 'disconnect', pri2: 'disconnect' } });
    expect(web!.drbd!.resources).toEqual([
      { name: 'r0', minor: 0, device: '/dev/drbd0', port: 7788, wholeDisks: undefined, filesystem: 'ext4', mount: '/replicated', mountOptions: 'noatime', reuse: false },
    ]);
    expect(alice!.disks).toEqual({ r0: '/dev/sdb' });
    expect(bob!.disks).toEqual({ r0: '/dev/sdc' });
    expect(web!.services.map((s) => [s.name, s.unit, s.resource])).toEqual([['mysql', 'mariadb', 'r0'], ['web', 'nginx', 'r0']]);
    expect(web!.vip).toEqual({ address: '192.0.2.50', cidrNetmask: 24, nic: 'eth0' });
    expect(inv.warnings).toEqual([]);
    // The cluster manager's settings, with defaults.
    expect(alice!.ring1Address).toBe('10.1.0.11');
    expect(web!.corosync).toEqual({ token: 3000, consensus: 3600, cryptoCipher: 'aes256', cryptoHash: 'sha256', secondLink: true });
    expect(web!.pacemaker).toEqual({ resourceStickiness: 100, migrationThreshold: 3, failureTimeout: '120s', monitorInterval: '10s', noQuorumPolicy: 'stop', properties: {} });
    expect(web!.heartbeat).toBeUndefined();
    expect(web!.pingNodes).toEqual(['192.0.2.1']);
    expect(web!.fencing!.enabled).toBe(true);
    expect(web!.fencing!.devices.map((d) => [d.name, d.agent, d.targets, d.params.lanplus])).toEqual([['ipmi-alice', 'fence_ipmilan', ['alice'], '1'], ['ipmi-bob', 'fence_ipmilan', ['bob'], '1']]);
    expect(web!.services[1]!.agent).toEqual({ class: 'systemd', type: 'nginx' });
    // stack: heartbeat: the same file read for the other cluster manager.
    const example = readFileSync(path.join(__dirname, '../../inventory.example.yaml'), 'utf8');
    const hb = parseInventory('example.yaml', example.replace('stack: pacemaker', 'stack: heartbeat')).clusters[0]!;
    expect(hb.heartbeat).toEqual({ keepalive: 2, warntime: 10, deadtime: 30, initdead: 60, autoFailback: false, udpport: 694, comm: 'ucast', interface: undefined, mcastGroup: '239.0.0.1', serial: undefined, logfacility: 'local0', auth: 'sha1' });
    expect(hb.corosync).toBeUndefined();
  });

  it('checks the cluster manager: Heartbeat timings, udpport per cluster, fencing said explicitly, service agents', () => {
    const text = (extra: string, second = '') =>
      `version: 1\nclusters:\n  c:\n    stack: heartbeat\n    nodes:\n      n1: {address: a}\n      n2: {address: b}\n${extra}${second}`;
    const bad = (extra: string, second = '') => {
      try {
        parseInventory('x.yaml', text(extra, second));
      } catch (err) {
        return formatError(err);
      }
      throw new Error('expected a refusal');
    };
    expect(bad('    heartbeat: {keepalive: 5, deadtime: 5, warntime: 4, initdead: 9}\n')).toMatch(
      /x\.yaml:8:\d+: heartbeat deadtime 5 s must be well above keepalive 5 s[\s\S]*warntime 4 s must lie between[\s\S]*initdead 9 s must be at least twice deadtime \(10 s\)/,
    );
    const warned = parseInventory('x.yaml', text('    heartbeat: {keepalive: 2, warntime: 4, deadtime: 5, initdead: 10}\n'));
    expect(warned.warnings).toEqual([expect.stringMatching(/deadtime 5 s is less than 3 × keepalive 2 s/)]);
    const twin = '  d:\n    stack: heartbeat\n    heartbeat: {comm: bcast}\n    nodes:\n      n3: {address: c}\n      n4: {address: d}\n';
    expect(bad('    heartbeat: {comm: bcast}\n', twin)).toMatch(/clusters 'c' and 'd' both use udpport 694[\s\S]*hint: clusters sharing a network segment need distinct ports/);
    expect(() => parseInventory('x.yaml', text('    heartbeat: {comm: bcast}\n', twin.replace('{comm: bcast}', '{comm: bcast, udpport: 695}')))).not.toThrow();
    expect(bad('    fencing: {}\n')).toMatch(/fencing is enabled but names no device/);
    expect(bad('    fencing: {enabled: false, devices: {f: {agent: fence_ipmilan, targets: [n1]}}}\n')).toMatch(/says enabled: false but names devices/);
    expect(bad('    fencing: {devices: {f: {agent: fence_ipmilan, targets: [n1, n9]}}}\n')).toMatch(/targets 'n9', which is not a node[\s\S]*no fence device can power off node 'n2'/);
    expect(parseInventory('x.yaml', text('    fencing: {enabled: false}\n')).clusters[0]!.fencing).toEqual({ enabled: false, devices: [] });
    const svc = parseInventory('x.yaml', text('    services:\n      web: {unit: apache2, agent: "ocf:heartbeat:apache", params: {configfile: /etc/apache2/apache2.conf}}\n      old: {agent: lsb}\n')).clusters[0]!.services;
    expect(svc.map((s) => [s.agent, s.params])).toEqual([[{ class: 'ocf', provider: 'heartbeat', type: 'apache' }, { configfile: '/etc/apache2/apache2.conf' }], [{ class: 'lsb', type: 'old' }, {}]]);
    expect(bad('    services:\n      web: {agent: "ocf:apache"}\n')).toMatch(/x\.yaml:9:\d+: clusters\.c\.services\.web\.agent: .ocf:apache. is not one of systemd/);
  });

  it('checks DRBD: a disk for every node, partitions, minors, automatic split-brain policies', () => {
    const text = (drbd: string) =>
      `version: 1\nclusters:\n  c:\n    nodes:\n      n1: {address: 10.0.0.1}\n      n2: {address: 10.0.0.2, disks: {r0: /dev/nvme0n1}}\n    drbd:\n${drbd}`;
    const ok = parseInventory('x.yaml', text('      after_sb_1pri: consensus\n      resources:\n        r0: {disk: /dev/vdb, partition: true}\n'));
    expect(ok.clusters[0]!.nodes.map((n) => n.disks.r0)).toEqual(['/dev/vdb1', '/dev/nvme0n1p1']);
    expect(ok.clusters[0]!.drbd!.resources[0]!.wholeDisks).toEqual({ n1: '/dev/vdb', n2: '/dev/nvme0n1' });
    expect(ok.warnings[0]).toMatch(/after-sb-1pri consensus\) silently discards/);
    expect(() => parseInventory('x.yaml', text('      resources:\n        r0: {}\n'))).toThrow(/resource 'r0' has no backing disk for node 'n1'/);
    expect(() => parseInventory('x.yaml', text('      resources:\n        r0: {disk: /dev/a}\n        r1: {disk: /dev/b, minor: 0}\n'))).toThrow(/both use minor 0/);
  });

  it('names file:line:column, the expectation and a close match for every schema error', async () => {
    const text = await errorsOf(fixture('typo.yaml'));
    const file = fixture('typo.yaml');
    expect(text).toContain(`${file}:4:12: clusters.web.stack: 'pacemakr' is not one of heartbeat, pacemaker (did you mean 'pacemaker'?)`);
    expect(text).toContain(`${file}:8:9: clusters.web.nodes.alice.adress: unknown key 'adress' (did you mean 'address'?)`);
    expect(text).toContain(`${file}:8:9: clusters.web.nodes.alice: missing required key 'address'`);
    expect(text).toContain(`${file}:12:17: clusters.web.nodes.bob.ssh.port: 70000 is out of range 1..65535`);
    expect(text).toMatch(/hint: allowed here: address, replication_address, ring1_address, ssh, sudo, disks, vars/);
  });

  it('an inventory is never rendered: a value with {{ is checked like any other', () => {
    const text = 'version: 1\nclusters:\n  web:\n    drbd: { resources: { r0: { disk: /dev/vdb, minor: "{{x}}" } } }\n    nodes:\n      a: { address: 10.0.0.1 }\n';
    let message = '';
    try {
      parseInventory('inv.yaml', text);
    } catch (err) {
      message = formatError(err);
    }
    expect(message).toBe("error: inv.yaml:4:55: clusters.web.drbd.resources.r0.minor: expected a whole number, got the string '{{x}}'");
  });

  it('values that reach a shell or a config file are what they claim: a unit is no path, a device no quote, no ".."', () => {
    const refused = (cluster: string) => {
      try {
        parseInventory('inv.yaml', `version: 1\nclusters:\n  web:\n${cluster}    nodes:\n      a: { address: 10.0.0.1 }\n      b: { address: 10.0.0.2 }\n`);
      } catch (err) {
        return formatError(err);
      }
      return 'accepted';
    };
    expect(refused("    services: { mail: { unit: ../../tmp/evil, paths: [/var/spool/mail] } }\n")).toMatch(/^error: inv\.yaml:4:31: clusters\.web\.services\.mail\.unit: '\.\.\/\.\.\/tmp\/evil' is not a unit or init script name \(letters, digits and : _ \. @ -, not a path/);
    expect(refused("    services: { web: { unit: 'lighttpd; reboot' } }\n")).toMatch(/unit: 'lighttpd; reboot' is not a unit or init script name/);
    expect(refused("    drbd: { resources: { r0: { disk: '/dev/vdb\" -o /etc' } } }\n")).toMatch(/disk: '\/dev\/vdb" -o \/etc' is not a device path under \/dev/);
    expect(refused('    drbd: { resources: { r0: { disk: /dev/../etc/passwd } } }\n')).toMatch(/disk: '\/dev\/\.\.\/etc\/passwd' is not a device path under \/dev/);
    expect(refused("    stack: pacemaker\n    fencing: { sbd: { devices: ['/dev/sdb;/dev/sdc'] } }\n")).toMatch(/devices\[0\]: '\/dev\/sdb;\/dev\/sdc' is not a device path under \/dev/);
    expect(refused('    stack: pacemaker\n    fencing: { sbd: { devices: [/dev/disk/by-path/pci-0000:00:1f.2-ata-1], watchdog: /dev/watchdog0 } }\n    drbd: { resources: { r0: { disk: /dev/mapper/vg0-drbd_r0 } } }\n    services: { web: { unit: getty@tty1 } }\n')).toBe('accepted');
  });

  it('reads regular files only, a few MiB at most; aliases expand a bounded number of times; duplicate keys found in wide maps', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-load-'));
    const readError = async (file: string) => {
      try {
        await loadInventory(file);
      } catch (err) {
        expect(err instanceof UserError || err instanceof UserErrors).toBe(true);
        return formatError(err);
      }
      throw new Error(`${file} was accepted`);
    };
    try {
      execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
      expect(await readError(path.join(dir, 'fifo.yaml'))).toBe(`error: inventory ${dir}/fifo.yaml is a FIFO, not a file\n  hint: give the path of the inventory file itself`);
      expect(await readError(dir)).toMatch(/is a directory, not a file/);
      expect(await readError('/dev/zero')).toMatch(/^error: inventory \/dev\/zero is a character device, not a file/);
      writeFileSync(path.join(dir, 'big.yaml'), Buffer.alloc(5 * 1024 * 1024, 'a'));
      expect(await readError(path.join(dir, 'big.yaml'))).toMatch(/is larger than 4 MiB \(5120 KiB\)\n  hint: inventories and playbooks are a few KiB/);
      const laughs = ['version: 1', 'defaults:', '  vars:', '    l0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 8; i++) laughs.push(`    l${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
      writeFileSync(path.join(dir, 'laughs.yaml'), `${laughs.join('\n')}\nclusters:\n  c:\n    nodes:\n      a: { address: 10.0.0.1 }\n`);
      expect(await readError(path.join(dir, 'laughs.yaml'))).toMatch(/YAML aliases expand too far[\s\S]*hint: a document may expand aliases at most 1000 times/);
      const wide = ['version: 1', 'defaults:', '  vars:', ...Array.from({ length: 20000 }, (_, i) => `    k${i}: v`), '    k7: again'];
      writeFileSync(path.join(dir, 'wide.yaml'), `${wide.join('\n')}\nclusters:\n  c:\n    nodes:\n      a: { address: 10.0.0.1 }\n`);
      expect(await readError(path.join(dir, 'wide.yaml'))).toBe(`error: ${dir}/wide.yaml:20004:5: YAML: Map keys must be unique\n  hint: each key may appear once in a map`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never echoes a secret in an error, and shows control characters from the input as \\xNN', () => {
    const message = (cluster: string) => {
      try {
        parseInventory('inv.yaml', `version: 1\nclusters:\n  web:\n    stack: pacemaker\n${cluster}    nodes:\n      a: { address: 10.0.0.1 }\n      b: { address: 10.0.0.2 }\n`);
      } catch (err) {
        return formatError(err);
      }
      return 'accepted';
    };
    // One rule says what is a secret (init, this loader, the CIB writer).
    expect(['password', 'passwd', 'passwd_script', 'hexadecimal_kg', 'kg', 'community', 'api_token', 'secret', 'ssh_key'].filter((n) => !isSecretName(n))).toEqual([]);
    expect(['ip', 'username', 'lanplus', 'port', 'ipport', 'method'].filter(isSecretName)).toEqual([]);
    const fencing = (params: string) => `    fencing: { devices: { ipmi: { agent: fence_ipmilan, targets: [a, b], params: { ip: 192.0.2.9, ${params} } } } }\n`;
    const typed = message(fencing('password: 3.25'));
    expect(typed).toContain('clusters.web.fencing.devices.ipmi.params.password: expected a whole number, got a number (not shown: it is a secret)');
    expect(typed).not.toContain('3.25');
    expect(message(fencing('hexadecimal_kg: [0x1234abcd]'))).not.toContain('1234abcd');
    expect(message(fencing('community: [public-s3cret]'))).not.toContain('s3cret');
    // An escape sequence in a value reaches the terminal as text.
    const escaped = message('    services: { web: { unit: "lighttpd\\e[2J\\e]0;owned\\a" } }\n');
    expect(escaped).toContain("'lighttpd\\x1b[2J\\x1b]0;owned\\x07' is not a unit or init script name");
    expect(escaped).not.toMatch(/[\x1b\x07]/);
  });

  it('checks cross references: primary, group members, reserved variables', async () => {
    const text = await errorsOf(fixture('crossref.yaml'));
    const file = fixture('crossref.yaml');
    expect(text).toContain(`${file}:4:14: primary 'carol' is not a node of cluster 'web'`);
    expect(text).toContain(`${file}:7:24: group 'db' names unknown node 'bobb' (did you mean 'bob'?)`);
    expect(text).toContain(`${file}:9:7: variable 'node' is reserved`);
  });

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    const bad = 'version: 1\nclusters:\n  web:\n    nodes:\n      a:\n        address: x\n        address: y\n';
    expect(() => parseInventory('dup.yaml', bad)).toThrow(UserErrors);
    try {
      parseInventory('dup.yaml', bad);
    } catch (err) {
      expect(formatError(err)).toMatch(/^error: dup\.yaml:7:9: YAML: Map keys must be unique/);
    }
    try {
      parseInventory('tab.yaml', 'version: 1\nclusters: [\n');
    } catch (err) {
      expect(formatError(err)).toMatch(/tab\.yaml:\d+:\d+: YAML:/);
    }
  });

  it('refuses a node defined in two clusters and expands relative key paths', () => {
    const text = 'version: 1\ndefaults:\n  ssh:\n    identity_file: keys/id\nclusters:\n  a:\n    nodes:\n      n1: {address: h}\n  b:\n    nodes:\n      n1: {address: h2}\n';
    expect(() => parseInventory('/srv/inv/x.yaml', text)).toThrow(/already defined in cluster 'a'/);
    const ok = parseInventory('/srv/inv/x.yaml', text.replace('      n1: {address: h2}', '      n2: {address: h2}'));
    expect(ok.clusters[0]!.nodes[0]!.ssh.identityFile).toBe('/srv/inv/keys/id');
  });

  it('publishes the schemas it validates with, the operations and the commands reference (npm run schema refreshes them)', async () => {
    const { operationsDoc, schemaFiles } = await import('../../src/services/inventory.js');
    for (const [name, text] of Object.entries(schemaFiles())) {
      expect(readFileSync(path.join(__dirname, '../../schemas', name), 'utf8'), `schemas/${name} is stale: run npm run schema`).toBe(text);
    }
    const reference = operationsDoc();
    expect(readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8'), 'docs/operations.md is stale: run npm run schema').toBe(reference);
    // The commands reference, from the same definitions oclif reads (here the sources).
    const { commandsReference, loadCommands } = await import('../../src/ui/commands-reference.js');
    const commands = await loadCommands(path.join(__dirname, '../../src/commands'), '.ts');
    expect(commands.map((c) => c.id)).toContain('cib restore');
    expect(readFileSync(path.join(__dirname, '../../docs/commands.md'), 'utf8'), 'docs/commands.md is stale: run npm run schema').toBe(commandsReference(commands));
    // Every operation is in it, with each of its arguments.
    const { operations } = await import('../../src/operations/index.js');
    for (const op of operations.values()) {
      expect(reference).toContain(`## ${op.name}\n`);
      for (const arg of Object.keys(op.schema.properties ?? {})) expect(reference, `${op.name}.${arg}`).toContain(`| \`${arg}\` |`);
    }
  });
});
