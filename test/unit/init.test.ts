// haforge init without hosts: the answer parsers, the commented inventory
// (round trip through the real loader), and the wizard's flow with scripted
// prompts and a fake prober.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, UserErrors } from '../../src/errors.js';
import { nicFor, parseAddresses } from '../../src/facts/addresses.js';
import { parseBlockDevice, type BlockDeviceState } from '../../src/facts/blockdev.js';
import { evaluateCluster } from '../../src/procedures/preflight/checks.js';
import {
  checkAnswers,
  fenceDevices,
  holdsSecret,
  maskFenceParam,
  parseDiskFlag,
  parseFenceAgent,
  parseFenceParam,
  secretParamsFromFiles,
  parseNodeFlag,
  parseNodeList,
  parseServiceFlag,
  parseSshAddress,
  parseVip,
  showFenceParam,
  validator,
  type FencingAnswer,
  type InitAnswers,
} from '../../src/init/answers.js';
import { loadInventory, parseInventory } from '../../src/inventory/load.js';
import { renderAndCheck, renderInventory } from '../../src/init/write.js';
import type { HostInfo, Probe, Prober, ProbeTarget } from '../../src/init/probe.js';
import type { ClusterSpec } from '../../src/inventory/model.js';
import { fencingFromFlags, initInventory, type InitGiven, type Note, type Prompts } from '../../src/init/wizard.js';

const fixture = (dir: string, name: string) => readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');

const answers = (over: Partial<InitAnswers> = {}): InitAnswers => ({
  cluster: 'web',
  nodes: [
    { name: 'alice', host: '192.0.2.11', replicationAddress: '10.0.0.11' },
    { name: 'bob', host: '192.0.2.12', user: 'admin', port: 2222, replicationAddress: '10.0.0.12', disk: '/dev/sdc' },
  ],
  ssh: {},
  stack: 'pacemaker',
  primary: 'alice',
  resource: 'r0',
  disk: '/dev/sdb',
  filesystem: 'ext4',
  mount: '/replicated',
  vip: { address: '192.0.2.50', cidrNetmask: 24, nic: 'eth0' },
  services: [
    { name: 'web', unit: 'nginx', paths: ['/var/www', '/etc/nginx'], port: 80 },
    { name: 'mysql', unit: 'mariadb', paths: ['/var/lib/mysql'], port: 3306 },
  ],
  ...over,
});

const render = (a: InitAnswers) => renderInventory(a, { file: 'inventory.yaml', schemaRef: './schemas/inventory.schema.json' });

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserErrors) return err.errors.map((e) => `${e.message} | ${e.hint ?? ''}`);
    if (err instanceof UserError) return [`${err.message} | ${err.hint ?? ''}`];
    throw err;
  }
  throw new Error('expected an error');
}

describe('answer parsers', () => {
  it('--node: [NAME=][USER@]HOST[:PORT], IPv6 in brackets', () => {
    expect(parseNodeFlag('alice=192.0.2.11')).toEqual({ name: 'alice', host: '192.0.2.11', user: undefined, port: undefined });
    expect(parseNodeFlag('bob=admin@192.0.2.12:2222')).toEqual({ name: 'bob', host: '192.0.2.12', user: 'admin', port: 2222 });
    expect(parseNodeFlag('db1.example.org')).toEqual({ host: 'db1.example.org', user: undefined, port: undefined });
    expect(parseSshAddress('root@[2001:db8::1]:22')).toEqual({ host: '2001:db8::1', user: 'root', port: 22 });
    expect(parseSshAddress('2001:db8::1')).toEqual({ host: '2001:db8::1', user: undefined, port: undefined });
    // Node names are host names as uname -n prints them: fully qualified ones too (runbook 002's nodes).
    expect(parseNodeFlag('alice.example.cz=192.0.2.11')).toMatchObject({ name: 'alice.example.cz', host: '192.0.2.11' });
    expect(errorsOf(() => parseNodeFlag('alice..example=192.0.2.11'))[0]).toMatch(/node name 'alice..example' is not a valid host name \| .*dots between the labels/);
    expect(errorsOf(() => parseNodeFlag('alice=192.0.2.11:99999'))[0]).toMatch(/SSH port '99999' is not a TCP port/);
    expect(errorsOf(() => parseNodeFlag('alice=@host'))[0]).toMatch(/empty user/);
  });

  it('--service NAME[:unit=,paths=,port=,package=]', () => {
    expect(parseServiceFlag('web:unit=nginx,paths=/var/www:/etc/nginx,port=80')).toEqual({ name: 'web', unit: 'nginx', paths: ['/var/www', '/etc/nginx'], port: 80 });
    expect(parseServiceFlag('redis')).toEqual({ name: 'redis', paths: [] });
    expect(errorsOf(() => parseServiceFlag('web:prot=80'))[0]).toContain("unknown service setting 'prot' (did you mean 'port'?)");
    expect(errorsOf(() => parseServiceFlag('web:paths=var/www'))[0]).toContain("path 'var/www' is not an absolute path");
    expect(errorsOf(() => parseServiceFlag('web:port=http'))[0]).toContain("port 'http' is not a TCP port");
  });

  it('--vip, --disk', () => {
    expect(parseVip('192.0.2.50')).toEqual({ address: '192.0.2.50', cidrNetmask: 24 });
    expect(parseVip('192.0.2.50/25')).toEqual({ address: '192.0.2.50', cidrNetmask: 25 });
    expect(errorsOf(() => parseVip('192.0.2.500/24'))[0]).toContain('not an IPv4 address');
    expect(errorsOf(() => parseVip('192.0.2.50/33'))[0]).toContain("'/33' is not a netmask length");
    expect(parseDiskFlag('/dev/sdb')).toEqual({ device: '/dev/sdb' });
    expect(parseDiskFlag('bob=/dev/sdc')).toEqual({ node: 'bob', device: '/dev/sdc' });
    expect(errorsOf(() => parseDiskFlag('sdb'))[0]).toContain("'sdb' is not a device path");
  });

  it('a parser doubles as a prompt validator', () => {
    const v = validator(parseVip);
    expect(v('192.0.2.50/24')).toBe(true);
    expect(v('nope')).toBe("'nope' is not an IPv4 address: e.g. 192.0.2.50 or 192.0.2.50/24");
  });
});

describe('interface addresses (ip -o -4 addr show)', () => {
  it('parses a host capture and finds the VIP interface', () => {
    const addrs = parseAddresses(fixture('addresses', 'host-ip-o-4-addr.txt'));
    expect(addrs).toEqual([
      { nic: 'lo', address: '127.0.0.1', prefix: 8 },
      { nic: 'eth0', address: '192.0.2.2', prefix: 24, broadcast: '192.0.2.255' },
    ]);
    expect(nicFor('192.0.2.50', addrs)).toBe('eth0');
    expect(nicFor('198.51.100.7', addrs)).toBeUndefined();
    expect(nicFor('127.0.0.5', addrs)).toBeUndefined(); // never loopback
  });
  it('takes the most specific subnet; empty or broken output is no address', () => {
    const text = '2: eth0    inet 10.0.0.11/8 scope global eth0\\ x\n3: eth1@if9    inet 10.1.2.11/24 scope global eth1\\ x\n';
    expect(nicFor('10.1.2.50', parseAddresses(text))).toBe('eth1');
    expect(parseAddresses('')).toEqual([]);
    expect(parseAddresses('ip: command not found\n')).toEqual([]);
  });
});

describe('the written inventory', () => {
  it('loads with the real loader, with what was answered', () => {
    const text = render(answers());
    const inv = parseInventory('inventory.yaml', text);
    const c = inv.clusters[0]!;
    expect(c).toMatchObject({ name: 'web', stack: 'pacemaker', primary: 'alice', vip: { address: '192.0.2.50', cidrNetmask: 24, nic: 'eth0' } });
    expect(c.nodes.map((n) => [n.name, n.address, n.replicationAddress, n.ssh.user, n.ssh.port, n.sudo, n.disks.r0])).toEqual([
      ['alice', '192.0.2.11', '10.0.0.11', undefined, undefined, false, '/dev/sdb'],
      ['bob', '192.0.2.12', '10.0.0.12', 'admin', 2222, true, '/dev/sdc'],
    ]);
    expect(c.drbd!.resources[0]).toMatchObject({ name: 'r0', device: '/dev/drbd0', filesystem: 'ext4', mount: '/replicated' });
    expect(c.services.map((s) => [s.name, s.unit, s.paths, s.port])).toEqual([
      ['web', 'nginx', ['/var/www', '/etc/nginx'], 80],
      ['mysql', 'mariadb', ['/var/lib/mysql'], 3306],
    ]);
    expect(inv.warnings).toEqual([]);
  });

  it('is commented like inventory.example.yaml', () => {
    const text = render(answers());
    expect(text).toMatch(/^# haforge inventory of cluster web, written by `haforge init`\./);
    expect(text).toContain('# yaml-language-server: $schema=./schemas/inventory.schema.json');
    expect(text).toContain('# Check it with:   haforge inventory validate -i inventory.yaml');
    expect(text).toContain('# The cluster manager: heartbeat (v1 haresources) or pacemaker (Corosync + Pacemaker).');
    expect(text).toContain('alice: # must equal `uname -n` on that machine');
    expect(text).toContain('sudo: true # commands run through `sudo -n`');
    expect(text).toContain('disk: /dev/sdb # backing disk on every node (same size!)');
    expect(text).toContain("r0: /dev/sdc # bob's backing disk differs from the resource's");
    expect(text).toContain('paths: [/var/www, /etc/nginx] # data and config, moved onto the volume');
    expect(text).toContain('# The address clients use; it moves with the services.');
    expect(text).toMatch(/# Fencing \(STONITH\) is not decided yet[^]*# +targets: \[alice\]\n[^]*# +targets: \[bob\]\n/);
  });

  it('defaults: ssh settings, a non-root default user with sudo, a heartbeat cluster without services', () => {
    const text = render(answers({ stack: 'heartbeat', services: [], ssh: { user: 'deploy', identityFile: 'keys/id_ed25519', knownHosts: '~/.ssh/known_hosts' } }));
    expect(text).toContain('# Services moved onto the replicated volume');
    expect(text).toMatch(/None yet, e\.g\.:\n +# +services:/);
    const dir = mkdtempSync(path.join(tmpdir(), 'hf-init-'));
    try {
      const inv = parseInventory(path.join(dir, 'inventory.yaml'), text);
      const [alice, bob] = inv.clusters[0]!.nodes;
      expect(alice!.ssh).toMatchObject({ user: 'deploy', identityFile: path.join(dir, 'keys/id_ed25519') });
      expect(alice!.sudo).toBe(true);
      expect(bob!.ssh.user).toBe('admin');
      expect(inv.clusters[0]!.stack).toBe('heartbeat');
      expect(inv.clusters[0]!.services).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names that need quoting in YAML stay strings', () => {
    const text = render(answers({ cluster: '0123', nodes: [{ name: 'yes', host: '192.0.2.11' }, { name: '1e3', host: '192.0.2.12' }], primary: 'yes' }));
    const c = parseInventory('x.yaml', text).clusters[0]!;
    expect([c.name, ...c.nodes.map((n) => n.name)]).toEqual(['0123', 'yes', '1e3']);
  });

  it('bad answers are refused, each with what to do', () => {
    const errs = errorsOf(() =>
      render(
        answers({
          nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'alice', host: '192.0.2.11' }],
          primary: 'carol',
          mount: '/',
          vip: { address: '192.0.2.11', cidrNetmask: 24 },
          stack: 'heartbeat',
          services: [{ name: 'web', paths: ['/replicated/www', 'relative'] }],
        }),
      ),
    );
    expect(errs).toEqual([
      "node 'alice' is named twice | every node needs its own name (its `uname -n`)",
      "nodes 'alice' and 'alice' both connect to 192.0.2.11:22 | each node needs its own SSH address",
      "primary 'carol' is not one of the nodes | choose one of alice with --primary",
      'the replicated filesystem cannot be mounted on / | pick an empty directory such as /replicated',
      'Heartbeat needs the interface the VIP goes on | give --vip-nic (e.g. eth0): it also carries the heartbeats',
      "path of service web 'relative' is not an absolute path | a path starting with /, without spaces",
    ]);
    expect(errorsOf(() => render(answers({ nodes: [{ name: 'alice', host: '192.0.2.11' }] })))[0]).toBe('a failover cluster needs at least two nodes, not 1 | give --node once per node');
    expect(checkAnswers(answers())).toEqual([]);
  });

  it('what the inventory loader refuses is said about the answers, without a position in a file not yet written', () => {
    const vip = answers({ vip: { address: '192.0.2.11', cidrNetmask: 24 }, nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }] });
    expect(errorsOf(() => renderAndCheck(vip, { file: 'inventory.yaml', path: 'inventory.yaml', schemaRef: 'x' }))).toEqual(["the virtual IP 192.0.2.11 is an address of node 'alice' | the VIP must be a free address that moves between the nodes"]);
    const onVolume = answers({ services: [{ name: 'web', paths: ['/replicated/www'] }] });
    expect(errorsOf(() => renderAndCheck(onVolume, { file: 'inventory.yaml', path: 'inventory.yaml', schemaRef: 'x' }))).toEqual(['service \'web\': /replicated/www is already on the replicated volume (/replicated) | list the paths where the service keeps them now; haforge moves them onto the volume']);
  });
});

// ---- fencing: parsers, flags, the section written, the file's mode -------------

const SECRET = 'pa ss#w0rd:x';
/** alice and bob, each with its own IPMI controller; a shared login. */
const ipmi = (): FencingAnswer => ({
  enabled: true,
  devices: fenceDevices(
    'fence_ipmilan',
    [
      { name: 'username', value: 'admin' },
      { name: 'password', value: SECRET },
      { name: 'lanplus', value: '1' },
      { node: 'alice', name: 'ip', value: '192.0.2.111' },
      { node: 'bob', name: 'ip', value: '192.0.2.112' },
    ],
    ['alice', 'bob'],
    true,
  ),
});

/** What preflight says about fencing for a loaded cluster (the check that needs no node). */
const preflightFencing = (c: ClusterSpec) => evaluateCluster(c, new Map(c.nodes.map((n) => [n.name, {}]))).checks.filter((x) => x.check === 'fencing').map((x) => x.status);

describe('fencing answers', () => {
  it('--fence-param [NODE:]NAME=VALUE; a secret is kept as typed, never repeated in an error', () => {
    expect(parseFenceParam('ip=192.0.2.111')).toEqual({ node: undefined, name: 'ip', value: '192.0.2.111' });
    expect(parseFenceParam('alice:ip = 192.0.2.111 ')).toEqual({ node: 'alice', name: 'ip', value: '192.0.2.111' });
    expect(parseFenceParam('username= admin ').value).toBe('admin');
    expect(parseFenceParam(`password=${SECRET} `).value).toBe(`${SECRET} `); // a password may end with a blank
    expect(parseFenceParam('pcmk_host_map=alice:1;bob:2').value).toBe('alice:1;bob:2');
    expect(errorsOf(() => parseFenceParam('password'))[0]).toBe("fence parameter 'password' has no value | write password=VALUE");
    expect(errorsOf(() => parseFenceParam('bob:password=  '))[0]).toBe("fence parameter 'password' has no value | write bob:password=VALUE");
    expect(errorsOf(() => parseFenceParam('=hunter2'))[0]).toMatch(/^'' is not a fence parameter name/);
    expect(errorsOf(() => parseFenceParam('alice_x:ip=1'))[0]).toMatch(/^node name 'alice_x' is not a valid host name/);
    expect(errorsOf(() => parseFenceParam('password=a\nb'))[0]).toBe("the value of fence parameter 'password' has a line break | a value is one line");
    // A secret on the command line is warned about; NAME=@FILE reads it from a file (@@ for a value starting with @).
    const files: Record<string, string> = { '/run/pw': `${SECRET}\nsecond line ignored\n` };
    const read = (f: string) => {
      if (!(f in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return files[f]!;
    };
    const given = secretParamsFromFiles(['ip=192.0.2.1', 'password=@/run/pw', 'alice:passwd=@@at-start', `bob:password=${SECRET}`], read);
    expect(given.params).toEqual(['ip=192.0.2.1', `password=${SECRET}`, 'alice:passwd=@at-start', `bob:password=${SECRET}`]);
    expect(given.warnings).toEqual(['the value of --fence-param bob:password is on the command line: other users see it in ps, and your shell history keeps it']);
    expect(errorsOf(() => secretParamsFromFiles(['password=@/nowhere'], read))[0]).toBe("cannot read the value of fence parameter 'password' from /nowhere: ENOENT | NAME=@FILE reads the first line of FILE");
    for (const t of ['password=hunter2', '=hunter2', 'bob:passwd=hunter2', 'api_key=hunter2', 'token=hunter2']) expect(showFenceParam(t)).not.toContain('hunter2');
    expect(showFenceParam('bob:passwd=hunter2')).toBe('bob:passwd=(hidden)');
    expect(showFenceParam('ip=192.0.2.1')).toBe('ip=192.0.2.1');
    expect(maskFenceParam('password=abc d')).toBe('password=*****');
    expect(maskFenceParam('passw')).toBe('passw');
    expect(maskFenceParam('ip=192.0.2.1')).toBe('ip=192.0.2.1');
  });

  it('--fence-agent, --fence-targets', () => {
    expect(parseFenceAgent(' fence_ipmilan ')).toBe('fence_ipmilan');
    expect(errorsOf(() => parseFenceAgent('ipmilan'))[0]).toMatch(/^'ipmilan' is not a fence agent name \| an agent from fence-agents/);
    expect(parseNodeList('alice, bob,alice')).toEqual(['alice', 'bob']);
    expect(errorsOf(() => parseNodeList(' , '))[0]).toMatch(/^no nodes given/);
  });

  it('devices: one for all targets, or one per node with the shared parameters after its own', () => {
    expect(fenceDevices('fence_virsh', [{ name: 'ip', value: '192.0.2.1' }], ['alice', 'bob'], false)).toEqual([{ name: 'virsh', agent: 'fence_virsh', targets: ['alice', 'bob'], params: { ip: '192.0.2.1' } }]);
    const f = ipmi();
    const [a, b] = f.enabled ? f.devices : [];
    expect(a).toEqual({ name: 'ipmilan-alice', agent: 'fence_ipmilan', targets: ['alice'], params: { ip: '192.0.2.111', username: 'admin', password: SECRET, lanplus: '1' } });
    expect(Object.keys(a!.params)).toEqual(['ip', 'username', 'password', 'lanplus']);
    expect(b!.params.ip).toBe('192.0.2.112');
    // A node's own value wins over the shared one; names already taken get a number.
    const own = fenceDevices('fence_ipmilan', [{ name: 'ip', value: 'x' }, { node: 'bob', name: 'ip', value: 'y' }], ['bob'], true, ['ipmilan-bob']);
    expect(own).toEqual([{ name: 'ipmilan-bob-2', agent: 'fence_ipmilan', targets: ['bob'], params: { ip: 'y' } }]);
  });

  it('the flags: --no-fencing, or an agent with its parameters and targets; contradictions are refused', () => {
    const names = ['alice', 'bob'];
    expect(fencingFromFlags({ disabled: true, params: [] }, names)).toEqual({ enabled: false });
    expect(fencingFromFlags({ agent: 'fence_virsh', params: [{ name: 'ip', value: '192.0.2.1' }] }, names)).toEqual({
      enabled: true,
      devices: [{ name: 'virsh', agent: 'fence_virsh', targets: ['alice', 'bob'], params: { ip: '192.0.2.1' } }],
    });
    // A parameter for one node makes one device per node.
    const perNode = fencingFromFlags({ agent: 'fence_ipmilan', params: [parseFenceParam('alice:ip=192.0.2.111'), parseFenceParam('bob:ip=192.0.2.112')] }, names);
    expect(perNode.enabled && perNode.devices.map((d) => [d.name, d.targets, d.params.ip])).toEqual([
      ['ipmilan-alice', ['alice'], '192.0.2.111'],
      ['ipmilan-bob', ['bob'], '192.0.2.112'],
    ]);
    const refused = (f: Parameters<typeof fencingFromFlags>[0]) => errorsOf(() => fencingFromFlags(f, names));
    expect(refused({ disabled: true, agent: 'fence_virsh', params: [] })).toEqual(['--no-fencing contradicts --fence-agent | either fence devices (--fence-agent ...), or --no-fencing to run without fencing on purpose']);
    expect(refused({ params: [parseFenceParam('password=hunter2')], targets: ['alice'] })[0]).toMatch(/^--fence-param, --fence-targets need --fence-agent \| e\.g\. --fence-agent fence_ipmilan/);
    expect(refused({ agent: 'fence_virsh', params: [], targets: ['alice', 'bobb'] })).toEqual(["'bobb' (in --fence-targets or --fence-param) is not a node (did you mean 'bob'?) | nodes: alice, bob"]);
    expect(refused({ agent: 'fence_ipmilan', params: [parseFenceParam('bob:ip=1')], targets: ['alice'] })[0]).toMatch(/^fence parameter 'bob:ip' is for bob, which the device does not fence/);
    const twice = refused({ agent: 'fence_ipmilan', params: [parseFenceParam('password=hunter2'), parseFenceParam('password=hunter3')] });
    expect(twice).toEqual(["fence parameter 'password' is given twice | give each parameter once (NODE:NAME=VALUE for one node's own value)"]);
  });

  it('devices: the section loads with the real loader, passes preflight, and the file is to be private', () => {
    const a = answers({ fencing: ipmi() });
    expect(holdsSecret(a)).toBe(true);
    const text = render(a);
    expect(text).toContain('# This file holds the fence password: it is written with mode 0600');
    expect(text).toContain('targets: [alice] # the nodes it powers off');
    expect(text).toMatch(/ipmilan-alice:\n +agent: fence_ipmilan # from fence-agents\n/);
    expect(text).toContain('lanplus: 1}'); // a whole number, as in inventory.example.yaml
    expect(text).not.toContain('is not decided yet');
    const c = parseInventory('inventory.yaml', text).clusters[0]!;
    expect(c.fencing).toEqual({
      enabled: true,
      devices: [
        { name: 'ipmilan-alice', agent: 'fence_ipmilan', targets: ['alice'], params: { ip: '192.0.2.111', username: 'admin', password: SECRET, lanplus: '1' } },
        { name: 'ipmilan-bob', agent: 'fence_ipmilan', targets: ['bob'], params: { ip: '192.0.2.112', username: 'admin', password: SECRET, lanplus: '1' } },
      ],
    });
    expect(preflightFencing(c)).toEqual(['ok', 'ok']);
    // Without a secret parameter the file stays 0644.
    expect(holdsSecret(answers({ fencing: { enabled: true, devices: fenceDevices('fence_sbd', [{ name: 'devices', value: '/dev/sdz' }], ['alice', 'bob'], false) } }))).toBe(false);
  });

  it('none on purpose: enabled: false, with what it risks; preflight warns instead of failing', () => {
    const text = render(answers({ fencing: { enabled: false } }));
    expect(text).toMatch(/# Fencing \(STONITH\) is off on purpose\. The risk: a node that only looks dead\n[^]*split brain[^]*\n +fencing:\n +enabled: false\n/);
    const c = parseInventory('inventory.yaml', text).clusters[0]!;
    expect(c.fencing).toEqual({ enabled: false, devices: [] });
    expect(preflightFencing(c)).toEqual(['warn', 'warn']);
    expect(holdsSecret(answers({ fencing: { enabled: false } }))).toBe(false);
  });

  it('undecided: no section, the commented example, and preflight fails (as it must)', () => {
    const text = render(answers());
    expect(text).toMatch(/# Fencing \(STONITH\) is not decided yet: haforge preflight fails/);
    expect(text).toMatch(/#       ipmi-alice:\n +#         agent: fence_ipmilan\n +#         targets: \[alice\]/);
    const c = parseInventory('inventory.yaml', text).clusters[0]!;
    expect(c.fencing).toBeUndefined();
    expect(preflightFencing(c)).toEqual(['fail', 'fail']);
  });

  it('bad fencing answers are refused with the flag to fix them, never showing a password', () => {
    const heartbeat = (fencing: FencingAnswer) => errorsOf(() => render(answers({ stack: 'heartbeat', fencing })));
    const shared = fencingFromFlags({ agent: 'fence_ipmilan', params: [parseFenceParam('ip=192.0.2.200'), parseFenceParam('username=admin'), parseFenceParam(`password=${SECRET}`)] }, ['alice', 'bob']);
    const errs = [
      ...heartbeat(shared),
      ...heartbeat({ enabled: true, devices: fenceDevices('fence_virsh', [], ['alice', 'bob'], true) }),
      ...heartbeat({ enabled: true, devices: fenceDevices('fence_ipmilan', [{ name: 'password', value: SECRET }, { node: 'alice', name: 'ip', value: '1' }, { node: 'bob', name: 'ip', value: '2' }], ['alice', 'bob'], true) }),
      ...errorsOf(() => render(answers({ fencing: { enabled: true, devices: fenceDevices('fence_virsh', [{ name: 'password', value: SECRET }], ['alice', 'carl'], false) } }))),
    ];
    expect(errs).toEqual([
      "fence device 'ipmilan' (fence_ipmilan) is to power off alice, bob: Heartbeat drives one IPMI controller per machine | give each node its controller's address, which makes one device per node: --fence-param alice:ip=ADDRESS --fence-param bob:ip=ADDRESS",
      "Heartbeat cannot drive fence_virsh (device 'virsh-alice') | with --stack heartbeat the fence agents are fence_ipmilan; use --stack pacemaker for fence_virsh",
      "Heartbeat cannot drive fence_virsh (device 'virsh-bob') | with --stack heartbeat the fence agents are fence_ipmilan; use --stack pacemaker for fence_virsh",
      // The password has blanks and #, which ha.cf cannot hold; and the login is missing.
      "fence device 'ipmilan-alice' has no username parameter | add params: { username: ... } to the device; as a flag: --fence-param NAME=VALUE (NODE:NAME=VALUE for one node)",
      "fence device 'ipmilan-bob' has no username parameter | add params: { username: ... } to the device; as a flag: --fence-param NAME=VALUE (NODE:NAME=VALUE for one node)",
      "fence device 'virsh' targets 'carl', which is not a node | nodes: alice, bob",
      "no fence device can power off node 'bob' | every node needs one: add bob to --fence-targets (default: every node)",
    ]);
    for (const e of errs) expect(e).not.toContain(SECRET);
    const blank = { enabled: true as const, devices: fenceDevices('fence_ipmilan', [{ name: 'username', value: 'admin' }, { name: 'password', value: SECRET }, { node: 'alice', name: 'ip', value: '1' }, { node: 'bob', name: 'ip', value: '2' }], ['alice', 'bob'], true) };
    const hb = heartbeat(blank);
    expect(hb[0]).toMatch(/^fence device 'ipmilan-alice': a parameter is empty or holds a blank, a control character or '#', which ha\.cf cannot hold/);
    for (const e of hb) expect(e).not.toContain(SECRET);
    // The same devices are fine with Pacemaker, and with a plain password with Heartbeat.
    expect(checkAnswers(answers({ fencing: blank }))).toEqual([]);
    const plain = fenceDevices('fence_ipmilan', [{ name: 'username', value: 'admin' }, { name: 'password', value: 'plain' }, { node: 'alice', name: 'ip', value: '1' }, { node: 'bob', name: 'ip', value: '2' }], ['alice', 'bob'], true);
    expect(checkAnswers(answers({ stack: 'heartbeat', fencing: { enabled: true, devices: plain } }))).toEqual([]);
  });
});

// ---- the wizard, with scripted answers ----------------------------------------

/** An answer; a list is typed in turn, every one but the last refused by the question's validator (as a terminal re-asks). */
type Script = [RegExp, string | boolean | string[]][];

/** Prompts that answer from a script, in order, and check each question's wording. */
function scripted(script: Script): Prompts & { asked: string[]; shown: string[]; refused: string[]; left: () => number } {
  const queue = [...script];
  const asked: string[] = [];
  /** Every typed answer as the terminal shows it once given (secrets masked). */
  const shown: string[] = [];
  /** What the validators said to the answers they refused. */
  const refused: string[] = [];
  const next = (message: string) => {
    asked.push(message);
    const step = queue.shift();
    if (!step) throw new Error(`unexpected question: ${message}`);
    if (!step[0].test(message)) throw new Error(`expected a question like ${step[0]}, got: ${message}`);
    return step[1];
  };
  return {
    asked,
    shown,
    refused,
    left: () => queue.length,
    async input(q) {
      const typed = next(q.message);
      const a = Array.isArray(typed) ? typed[typed.length - 1]! : typed;
      for (const t of Array.isArray(typed) ? typed.slice(0, -1) : []) {
        const r = q.validate?.(t) ?? true;
        if (r === true) throw new Error(`answer '${t}' to '${q.message}' was accepted, not refused`);
        refused.push(r);
      }
      const text = a === '' && q.default !== undefined ? q.default : String(a);
      const ok = q.validate ? q.validate(text) : true;
      if (ok !== true) throw new Error(`answer '${text}' to '${q.message}' refused: ${ok}`);
      shown.push(q.transformer ? q.transformer(text, { isFinal: true }) : text);
      return text;
    },
    async confirm(q) {
      const a = next(q.message);
      return a === '' ? !!q.default : a === true;
    },
    async select(q) {
      const a = next(q.message);
      const v = a === '' ? q.default : q.choices.find((c) => c.value === a)?.value;
      if (v === undefined) throw new Error(`no choice '${a}' in ${q.message}`);
      return v;
    },
  };
}

const hostInfo = (hostname: string, addrs: string): HostInfo => ({ hostname, os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-18-amd64', uid: 0, addresses: parseAddresses(addrs) });

/** Hosts and disks by address; anything else is unreachable. */
function fakeProber(hosts: Record<string, HostInfo>, disks: Record<string, Record<string, BlockDeviceState>>): Prober & { targets: ProbeTarget[] } {
  const targets: ProbeTarget[] = [];
  return {
    targets,
    async host(t): Promise<Probe<HostInfo>> {
      targets.push(t);
      const h = hosts[t.host];
      return h ? { ok: true, value: h } : { ok: false, error: { message: `cannot reach ${t.host} at ${t.host}:22: connect EHOSTUNREACH`, hint: 'Check that the host is up', failure: 'unreachable' } };
    },
    async disk(t, device): Promise<Probe<BlockDeviceState>> {
      return { ok: true, value: disks[t.host]?.[device] ?? { exists: false } };
    },
    async close() {},
  };
}

const noGiven = (over: Partial<InitGiven> = {}): InitGiven => ({ nodes: [], replication: {}, ssh: {}, nodeDisks: {}, services: [], ...over });

describe('the wizard', () => {
  let dir: string;
  let out: string;
  let notes: Note[];
  const say = (n: Note) => notes.push(n);
  const blank = parseBlockDevice(fixture('blockdev', 'blank-disk.txt'));
  const ext4 = parseBlockDevice(fixture('blockdev', 'ext4-disk.txt'));
  const prober = () =>
    fakeProber(
      {
        '192.0.2.11': hostInfo('alice', '2: eth0    inet 192.0.2.11/24 scope global eth0\\\n3: eth1    inet 10.0.0.11/24 scope global eth1\\\n'),
        '192.0.2.12': hostInfo('bob', '2: eth0    inet 192.0.2.12/24 scope global eth0\\\n3: eth1    inet 10.0.0.12/24 scope global eth1\\\n'),
      },
      { '192.0.2.11': { '/dev/sdb': blank, '/dev/vdb': blank }, '192.0.2.12': { '/dev/sdb': ext4, '/dev/vdb': blank } },
    );

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hf-init-'));
    out = path.join(dir, 'inventory.yaml');
    notes = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks everything, checks each answer on the nodes, and writes a file that loads', async () => {
    const prompts = scripted([
      [/^Cluster name$/, 'web'],
      [/^SSH address of node 1/, '192.0.2.11'],
      [/^Name of 192\.0\.2\.11 \(as `uname -n` prints it\)$/, ''], // the default: uname -n
      [/^Replication address of alice \(empty: 192\.0\.2\.11\)$/, '10.0.0.11'],
      [/^SSH address of node 2/, 'admin@192.0.2.12:2222'],
      [/^Name of 192\.0\.2\.12/, 'bobby'], // not what the node says: warned
      [/^Replication address of bobby/, '10.0.0.99'], // not on the node: warned
      [/^Add another node\?$/, false],
      [/^Backing disk for DRBD/, '/dev/sdb'], // ext4 on bob ...
      [/^Use \/dev\/sdb anyway\?$/, false], // ... so another one
      [/^Backing disk for DRBD/, '/dev/vdb'],
      [/^Mount point/, ''],
      [/^Virtual IP/, '192.0.2.50/24'],
      [/^Interface for the VIP/, ''], // the default found on the nodes: eth0
      [/^Cluster stack$/, 'heartbeat'],
      [/^Primary node/, 'bobby'],
      [/^Add a service to make highly available\?$/, true],
      [/^Service name/, 'web'],
      [/^systemd unit or init script of web$/, 'nginx'],
      [/^Paths of web to move onto \/replicated/, '/var/www /etc/nginx'],
      [/^TCP port of web/, '80'],
      [/^Add another service\?$/, false],
      // Heartbeat: fence_ipmilan, one device per node (no question about that).
      [/^Fencing \(STONITH\)$/, 'device'],
      [/^Fence agent \(Heartbeat drives fence_ipmilan\)$/, ['fence_virsh', '']], // refused, then the default
      [/^Nodes that each have such a device \(comma-separated\)$/, ''], // every node
      [/^Parameter every node's fence_ipmilan device shares, as NAME=VALUE \(e\.g\. username=admin, password=\.\.\., lanplus=1; empty: done\)$/, 'username=admin'],
      [/^Parameter every node's/, ['alice:ip=192.0.2.111', 'username=root', 'password=s3cret-pw1']],
      [/^Parameter every node's/, ''],
      [/^Parameter of alice's own device, as NAME=VALUE \(e\.g\. ip=ADDRESS of alice's controller; empty: done\)$/, 'ip=192.0.2.111'],
      [/^Parameter of alice's own device/, ''],
      [/^Parameter of bobby's own device/, 'ip=192.0.2.112'],
      [/^Parameter of bobby's own device/, ''],
      [new RegExp(`^Write ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\?$`), true],
    ]);
    const p = prober();
    const report = await initInventory({ output: out, given: noGiven() }, { prompts, say, prober: p });
    expect(prompts.left()).toBe(0);
    expect(prompts.refused).toEqual([
      'Heartbeat cannot drive fence_virsh: with the heartbeat stack the agent is fence_ipmilan; choose the pacemaker stack for other agents',
      "no NODE: here: a node's own values are asked next",
      "'username' is already given",
    ]);
    // The password is stars on the terminal, and nowhere in what init says or reports; the file holds it, 0600.
    expect(prompts.shown.filter((t) => t.startsWith('password'))).toEqual(['password=**********']);
    expect(prompts.shown.join('\n')).not.toContain('s3cret');
    expect(JSON.stringify(notes)).not.toContain('s3cret');
    expect(JSON.stringify(report)).not.toContain('s3cret');
    expect(notes.map((n) => n.text)).toContain(`the fence password goes into ${out} only, written with mode 0600; it is never shown`);
    expect(report.fencing).toEqual({
      state: 'devices',
      devices: [
        { name: 'ipmilan-alice', agent: 'fence_ipmilan', targets: ['alice'], params: ['ip', 'username', 'password'] },
        { name: 'ipmilan-bobby', agent: 'fence_ipmilan', targets: ['bobby'], params: ['ip', 'username', 'password'] },
      ],
    });
    expect(report.mode).toBe('0600');
    expect(p.targets[1]).toMatchObject({ host: '192.0.2.12', user: 'admin', port: 2222, sudo: true });

    const said = notes.map((n) => `${n.level} ${n.text}`);
    expect(said).toContain('ok 192.0.2.11: uname -n alice, Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64');
    expect(said).toContain('info the replication address carries DRBD and cluster traffic; alice has 192.0.2.11 (eth0), 10.0.0.11 (eth1)');
    expect(said).toContain('warn 192.0.2.12 says `uname -n` = bob, not bobby');
    expect(said).toContain('warn 10.0.0.99 is not an address of bobby (it has 192.0.2.12, 10.0.0.12)');
    expect(said.find((s) => s.startsWith('warn bobby: /dev/sdb, 64 MiB, holds ext4 (UUID'))).toBeDefined();
    expect(said).toContain('ok alice: /dev/vdb, 64 MiB, blank');
    expect(said).toContain('ok bobby: /dev/vdb, 64 MiB, blank');

    expect(report).toMatchObject({ file: out, cluster: 'web', stack: 'heartbeat', primary: 'bobby', probed: true });
    const inv = await loadInventory(out);
    const c = inv.clusters[0]!;
    expect(c.nodes.map((n) => [n.name, n.address, n.replicationAddress, n.ssh.user, n.ssh.port, n.sudo])).toEqual([
      ['alice', '192.0.2.11', '10.0.0.11', undefined, undefined, false],
      ['bobby', '192.0.2.12', '10.0.0.99', 'admin', 2222, true],
    ]);
    expect(c).toMatchObject({ stack: 'heartbeat', primary: 'bobby', vip: { address: '192.0.2.50', cidrNetmask: 24, nic: 'eth0' } });
    expect(c.drbd!.resources[0]).toMatchObject({ mount: '/replicated' });
    expect(c.nodes[0]!.disks).toEqual({ r0: '/dev/vdb' });
    expect(c.services[0]).toMatchObject({ name: 'web', unit: 'nginx', paths: ['/var/www', '/etc/nginx'], port: 80 });
    expect(c.fencing!.devices.map((d) => [d.name, d.targets, d.params])).toEqual([
      ['ipmilan-alice', ['alice'], { ip: '192.0.2.111', username: 'admin', password: 's3cret-pw1' }],
      ['ipmilan-bobby', ['bobby'], { ip: '192.0.2.112', username: 'admin', password: 's3cret-pw1' }],
    ]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toMatch(/# yaml-language-server: \$schema=file:\/\/.*\/schemas\/inventory\.schema\.json/);
  });

  it('flags answer their questions; only what is missing is asked', async () => {
    const prompts = scripted([
      [/^Replication address of alice/, ''],
      [/^Replication address of bob/, ''],
      [/^Backing disk/, '/dev/vdb'],
      [/^Mount point/, '/srv/data'],
      [/^Interface for the VIP/, 'eth1'],
      [/^Cluster stack$/, ''],
      [/^Primary node/, ''],
      [/^Add a service to make highly available\?$/, false],
      [/^Fencing \(STONITH\)$/, 'none'],
      [/^Write /, true],
    ]);
    const report = await initInventory(
      { output: out, given: noGiven({ cluster: 'web', nodes: [{ host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }], vip: { address: '10.0.0.50', cidrNetmask: 24 } }) },
      { prompts, say, prober: prober() },
    );
    expect(prompts.left()).toBe(0);
    const c = (await loadInventory(out)).clusters[0]!;
    expect(c.nodes.map((n) => n.name)).toEqual(['alice', 'bob']); // alice's name read with uname -n
    expect(c).toMatchObject({ stack: 'pacemaker', primary: 'alice', services: [], vip: { nic: 'eth1' }, fencing: { enabled: false, devices: [] } });
    expect(readFileSync(out, 'utf8')).toMatch(/# Fencing \(STONITH\) is off on purpose\. The risk:/);
    expect([report.fencing, report.mode, statSync(out).mode & 0o777]).toEqual([{ state: 'disabled' }, '0644', 0o644]);
  });

  it('with every required flag it asks nothing, even with a terminal; unreachable nodes are reported', async () => {
    const prompts = scripted([]);
    const report = await initInventory(
      {
        output: out,
        given: noGiven({
          cluster: 'web',
          nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }, { name: 'carol', host: '192.0.2.13' }],
          disk: '/dev/sdb',
          nodeDisks: { bob: '/dev/vdb' },
          mount: '/replicated',
          vip: { address: '192.0.2.50', cidrNetmask: 24 },
        }),
      },
      { prompts, say, prober: prober() },
    );
    expect(prompts.asked).toEqual([]);
    const said = notes.map((n) => `${n.level} ${n.text}`);
    expect(said).toContain('warn 192.0.2.13: not checked over SSH: cannot reach 192.0.2.13 at 192.0.2.13:22: connect EHOSTUNREACH');
    expect(said).toContain('info VIP interface: eth0 (the nodes\' interface in that network; --vip-nic to choose another)');
    expect(said).toContain('ok bob: /dev/vdb, 64 MiB, blank');
    expect(report.nodes.map((n) => [n.name, n.reachable])).toEqual([['alice', true], ['bob', true], ['carol', false]]);
    const c = (await loadInventory(out)).clusters[0]!;
    expect(c.nodes.map((n) => n.disks.r0)).toEqual(['/dev/sdb', '/dev/vdb', '/dev/sdb']);
    // No fencing flag and nobody to ask: left undecided (the command warns on stderr), the example in the file.
    expect(report.fencing).toEqual({ state: 'undecided' });
    expect(c.fencing).toBeUndefined();
    expect(readFileSync(out, 'utf8')).toContain('# Fencing (STONITH) is not decided yet: haforge preflight fails');
  });

  it('fencing as flags asks nothing: one device per node when a parameter names a node; 0600 for a password', async () => {
    const prompts = scripted([]);
    const given = noGiven({
      cluster: 'web',
      nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }],
      disk: '/dev/vdb',
      mount: '/r',
      vip: { address: '192.0.2.50', cidrNetmask: 24 },
      fencing: { agent: 'fence_ipmilan', params: ['alice:ip=192.0.2.111', 'bob:ip=192.0.2.112', 'username=admin', 'password=s3cret'].map(parseFenceParam) },
    });
    const report = await initInventory({ output: out, given }, { prompts, say, prober: prober() });
    expect(prompts.asked).toEqual([]);
    expect(report.fencing).toMatchObject({ state: 'devices', devices: [{ name: 'ipmilan-alice' }, { name: 'ipmilan-bob' }] });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await loadInventory(out)).clusters[0]!.fencing!.devices.map((d) => d.params.ip)).toEqual(['192.0.2.111', '192.0.2.112']);
    expect(JSON.stringify([report, notes])).not.toContain('s3cret');

    // One IPMI address for both nodes: written (Pacemaker takes it), but warned about.
    rmSync(out);
    notes = [];
    await initInventory({ output: out, given: { ...given, fencing: { agent: 'fence_ipmilan', params: [parseFenceParam('ip=192.0.2.200')] } } }, { say, prober: prober() });
    expect(notes.filter((n) => n.level === 'warn').map((n) => `${n.text} | ${n.hint}`)).toEqual([
      "fence device 'ipmilan': fence_ipmilan drives one machine's management controller, but it is to power off alice, bob | give each node its own controller's address, which makes one device per node: --fence-param alice:ip=ADDRESS --fence-param bob:ip=ADDRESS",
    ]);
    expect(statSync(out).mode & 0o777).toBe(0o644);

    // Contradicting flags: nothing is written.
    rmSync(out);
    await expect(initInventory({ output: out, given: { ...given, fencing: { disabled: true, agent: 'fence_virsh', params: [] } } }, { say, prober: prober() })).rejects.toThrow(/^--no-fencing contradicts --fence-agent$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fencing asked: devices until every node is covered; a wrong answer is said and asked again', async () => {
    const base = noGiven({ cluster: 'web', nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }, { name: 'carol', host: '192.0.2.13' }], disk: '/dev/vdb', mount: '/r', replication: { alice: '10.0.0.11', bob: '10.0.0.12', carol: '10.0.0.13' } });
    const prompts = scripted([
      [/^Virtual IP/, '192.0.2.50/24'],
      [/^Interface for the VIP/, ''],
      [/^Cluster stack$/, ''],
      [/^Primary node/, ''],
      [/^Add a service/, false],
      [/^Fencing \(STONITH\)$/, 'device'],
      [/^Fence agent \(from fence-agents/, ['virsh', 'fence_virsh']],
      [/^What does one fence_virsh device power off\?$/, ''], // default for a hypervisor: several nodes
      [/^Nodes this device powers off \(comma-separated\)$/, ['alice,bobb', 'alice,bob']],
      [/^Parameter of the fence_virsh device, as NAME=VALUE \(e\.g\. ip=192\.0\.2\.200/, 'ip=192.0.2.1'],
      [/^Parameter of the fence_virsh device/, ''],
      [/^No device powers off carol yet\. Add another fence device\?$/, false], // so carol has none: said, and asked again
      [/^Fencing \(STONITH\)$/, 'device'],
      [/^Fence agent/, ''], // the last one: fence_virsh
      [/^What does one fence_virsh device power off\?$/, 'one'],
      [/^Nodes this device powers off/, 'alice,bob'],
      [/^Parameter of the fence_virsh device/, 'ip=192.0.2.1'],
      [/^Parameter of the fence_virsh device/, ''],
      [/^No device powers off carol yet\. Add another fence device\?$/, ''], // yes
      [/^Fence agent/, 'fence_ipmilan'],
      [/^What does one fence_ipmilan device power off\?$/, ''], // default for a BMC: one node each
      [/^Nodes that each have such a device \(comma-separated\)$/, ''], // default: the nodes still without one
      [/^Parameter every node's fence_ipmilan device shares/, 'password=s3cret'],
      [/^Parameter every node's/, ''],
      [/^Parameter of carol's own device/, 'ip=192.0.2.113'],
      [/^Parameter of carol's own device/, ''],
      [/^Write /, true],
    ]);
    const report = await initInventory({ output: out, probe: false, given: base }, { prompts, say });
    expect(prompts.left()).toBe(0);
    expect(prompts.refused[0]).toMatch(/^'virsh' is not a fence agent name/);
    expect(prompts.refused[1]).toBe("'bobb' is not a node (did you mean 'bob'?): nodes: alice, bob, carol");
    expect(notes.filter((n) => n.level === 'warn').map((n) => n.text)).toContain("no fence device can power off node 'carol'");
    const c = (await loadInventory(out)).clusters[0]!;
    expect(c.fencing!.devices.map((d) => [d.name, d.agent, d.targets])).toEqual([
      ['virsh', 'fence_virsh', ['alice', 'bob']],
      ['ipmilan-carol', 'fence_ipmilan', ['carol']],
    ]);
    expect(report.mode).toBe('0600');
    expect(preflightFencing(c)).toEqual(['ok', 'ok', 'ok']);
  });

  it('a login that is not root gets sudo, and the disk is read through it', async () => {
    const p = prober();
    const user: Prober = { ...p, host: async (t) => (t.host === '192.0.2.12' ? { ok: true, value: { ...hostInfo('bob', ''), uid: 1000 } } : p.host(t)) };
    const disks: ProbeTarget[] = [];
    user.disk = async (t, device) => (disks.push(t), p.disk(t, device));
    const given = noGiven({ cluster: 'web', nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }], disk: '/dev/vdb', mount: '/r', vip: { address: '192.0.2.50', cidrNetmask: 24 } });
    await initInventory({ output: out, given }, { say, prober: user });
    expect(notes.map((n) => n.text)).toContain('bob: the login is not root (uid 1000): commands will run through sudo -n (sudo: true)');
    expect(disks.map((t) => [t.host, t.sudo])).toEqual([
      ['192.0.2.11', false],
      ['192.0.2.12', true],
    ]);
    expect((await loadInventory(out)).clusters[0]!.nodes.map((n) => n.sudo)).toEqual([false, true]);
  });

  it('without a terminal, missing flags are one clear error; nothing is written', async () => {
    await expect(initInventory({ output: out, probe: false, given: noGiven({ cluster: 'web', nodes: [{ host: '192.0.2.11' }] }) }, { say })).rejects.toThrow(
      /^missing required flags:\n {2}--node \[NAME=\]\[USER@\]HOST\[:PORT\] \(at least two nodes; 1 given\)\n {2}--node NAME=192\.0\.2\.11 .*\n {2}--disk DEVICE\n {2}--mount PATH\n {2}--vip ADDRESS\[\/CIDR\]$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never overwrites without --force; with it, the old file is kept', async () => {
    writeFileSync(out, 'old: inventory\n');
    const given = noGiven({ cluster: 'web', nodes: [{ name: 'alice', host: '192.0.2.11' }, { name: 'bob', host: '192.0.2.12' }], disk: '/dev/sdb', mount: '/r', vip: { address: '192.0.2.50', cidrNetmask: 24 } });
    await expect(initInventory({ output: out, probe: false, given }, { say })).rejects.toThrow(/inventory\.yaml exists: not overwriting it/);
    const report = await initInventory({ output: out, probe: false, force: true, given }, { say });
    expect(report.backup).toMatch(/inventory\.yaml\.\d{8}T\d{6}\.bak$/);
    expect(readFileSync(report.backup!, 'utf8')).toBe('old: inventory\n');
    expect((await loadInventory(out)).clusters[0]!.name).toBe('web');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('offers to trust an unknown host key, and says no to the name of a machine given twice', async () => {
    const OFFERED = Buffer.from('the key 192.0.2.11 offered');
    const p = prober();
    let accepted = false;
    const keyed: Prober = {
      ...p,
      async host(t, o) {
        if (!o?.approvedHostKey && !accepted) return { ok: false, error: { message: 'host key of 192.0.2.11 (192.0.2.11) is not known: SHA256:abc', failure: 'host-key-unknown', offeredHostKey: OFFERED } };
        // The second connection may record exactly the key shown, no other.
        expect(o?.approvedHostKey?.equals(OFFERED) ?? accepted).toBe(true);
        accepted = true;
        return p.host(t);
      },
    };
    const prompts = scripted([
      [/^Cluster name$/, 'web'],
      [/^SSH address of node 1/, '192.0.2.11'],
      [/^Trust this host key and record it in .*known_hosts\?$/, true],
      [/^Name of 192\.0\.2\.11/, ''],
      [/^Replication address of alice/, ''],
      [/^SSH address of node 2/, '192.0.2.12'],
      [/^Name of 192\.0\.2\.12/, ''],
      [/^Replication address of bob/, ''],
      [/^Add another node\?$/, false],
    ]);
    await expect(initInventory({ output: out, given: noGiven() }, { prompts, say, prober: keyed })).rejects.toThrow(/unexpected question: Backing disk/);
    expect(notes.map((n) => n.text)).toContain('host key of 192.0.2.11 (192.0.2.11) is not known: SHA256:abc');
    expect(notes.map((n) => n.text)).toContain('192.0.2.11: uname -n alice, Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64');
  });
});
