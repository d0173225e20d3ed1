// haforge init against real sshd nodes: flags only, JSON and host keys, and
// the interactive wizard under a real pseudo-terminal. The disk check uses a
// loop device (the nodes share the host's /dev) and a path that does not exist.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { ensureBuilt, haforge } from '../support/cli.js';
import { nodesUnavailableReason, startNodes, warnNodesSkipped, type TestNodes } from '../support/nodes.js';
import { KEY, PtySession, ptyUnavailableReason } from '../support/pty.js';

const MISSING_DISK = '/dev/haforge-no-such-disk';

describe('haforge init without nodes', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'hf-init-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const offline = (file: string) => ['init', '--offline', '-o', file, '--cluster', 'web', '--node', 'alice=192.0.2.11', '--node', 'bob=192.0.2.12', '--disk', '/dev/sdb', '--mount', '/replicated', '--vip', '192.0.2.50/24'];

  it('explains its flags with examples', () => {
    const help = haforge(['init', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--node [NAME=][USER@]HOST[:PORT]');
    expect(help.stdout).toContain('haforge init --cluster web --node alice=192.0.2.11');
    expect(help.stdout).toContain('--fence-param [NODE:]NAME=VALUE');
    expect(help.stdout).toMatch(/--no-fencing +Run without fencing on purpose/);
    expect(help.stdout).toContain('--fence-param alice:ip=192.0.2.111');
    expect(haforge(['--help']).stdout).toMatch(/\binit\b/);
  });

  it('without a terminal it asks nothing: missing flags are named, bad values explained', () => {
    const missing = haforge(['init', '--no-probe', '-o', path.join(dir, 'never.yaml'), '--cluster', 'web']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: missing required flags:\n  --node [NAME=][USER@]HOST[:PORT] (at least two nodes; 0 given)\n  --disk DEVICE\n  --mount PATH\n  --vip ADDRESS[/CIDR]');
    const bad = haforge([...offline(path.join(dir, 'never.yaml')), '--service', 'web:prot=80']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: --service web:prot=80: unknown service setting 'prot' (did you mean 'port'?)");
    // A password in a bad fence flag is not repeated.
    const secret = haforge([...offline(path.join(dir, 'never.yaml')), '--fence-agent', 'fence_ipmilan', '--fence-param', 'bob_x:password=hunter2']);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain("error: --fence-param bob_x:password=(hidden): node name 'bob_x' is not a valid host name");
    expect(secret.stdout + secret.stderr).not.toContain('hunter2');
    const contradiction = haforge([...offline(path.join(dir, 'never.yaml')), '--no-fencing', '--fence-agent', 'fence_virsh']);
    expect(contradiction.stderr).toContain('error: --no-fencing contradicts --fence-agent');
    expect(existsSync(path.join(dir, 'never.yaml'))).toBe(false);
  });

  it('--offline writes a valid file; never overwrites without --force, which keeps a backup', () => {
    const file = path.join(dir, 'offline.yaml');
    const first = haforge(offline(file));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`wrote ${file}: cluster web (pacemaker), nodes alice, bob; primary alice`);
    // No fencing flag and nothing asked: written, with a clear word on stderr that preflight will refuse it.
    expect(first.stderr).toContain(`warning: ${file} has no fencing decision yet: haforge preflight fails`);
    expect(first.stdout).toContain(`next: decide on fencing in ${file}`);
    expect(readFileSync(file, 'utf8')).toContain('# Fencing (STONITH) is not decided yet');
    expect(haforge(['inventory', 'validate', '-i', file]).code).toBe(0);
    const again = haforge(offline(file));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: ${file} exists: not overwriting it`);
    const forced = haforge([...offline(file), '--force', '--stack', 'heartbeat', '--vip-nic', 'eth1']);
    expect(forced.code).toBe(0);
    const backups = readdirSync(dir).filter((f) => /^offline\.yaml\.\d{8}T\d{6}\.bak$/.test(f));
    expect(backups).toHaveLength(1);
    expect(readFileSync(path.join(dir, backups[0]!), 'utf8')).toContain('stack: pacemaker');
    expect(readFileSync(file, 'utf8')).toContain('stack: heartbeat');
  });

  it('fencing as flags: devices (file 0600 for the password, never printed) or --no-fencing', async () => {
    const file = path.join(dir, 'fenced.yaml');
    // The password read from a file: it never appears on a command line.
    const passwordFile = path.join(dir, 'bmc-password');
    writeFileSync(passwordFile, 'hunter2 #x\n', { mode: 0o600 });
    const fenced = haforge([
      ...offline(file),
      '--fence-agent', 'fence_ipmilan',
      '--fence-param', 'alice:ip=192.0.2.111',
      '--fence-param', 'bob:ip=192.0.2.112',
      '--fence-param', 'username=admin',
      '--fence-param', `password=@${passwordFile}`,
      '--fence-param', 'lanplus=1',
    ]);
    expect(fenced.stderr).toBe('');
    expect(fenced.code).toBe(0);
    expect(fenced.stdout).toContain('fencing: ipmilan-alice (fence_ipmilan → alice), ipmilan-bob (fence_ipmilan → bob); mode 0600: the file holds the fence password');
    expect(fenced.stdout).not.toContain('hunter2');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('password: "hunter2 #x"'); // quoted: a plain # would start a comment
    const c = (await loadInventory(file)).clusters[0]!;
    expect(c.fencing!.devices.map((d) => [d.name, d.targets, d.params])).toEqual([
      ['ipmilan-alice', ['alice'], { ip: '192.0.2.111', username: 'admin', password: 'hunter2 #x', lanplus: '1' }],
      ['ipmilan-bob', ['bob'], { ip: '192.0.2.112', username: 'admin', password: 'hunter2 #x', lanplus: '1' }],
    ]);
    expect(haforge(['inventory', 'validate', '-i', file]).code).toBe(0);

    // Heartbeat cannot write that password into ha.cf: refused, without showing it, and nothing written.
    const hb = haforge([...offline(path.join(dir, 'never.yaml')), '--stack', 'heartbeat', '--vip-nic', 'eth0', '--fence-agent', 'fence_ipmilan', '--fence-param', 'alice:ip=192.0.2.111', '--fence-param', 'bob:ip=192.0.2.112', '--fence-param', 'username=admin', '--fence-param', 'password=hunter2 #x', '--json']);
    expect(hb.code).toBe(1);
    expect(hb.stdout + hb.stderr).not.toContain('hunter2');
    // Given in clear on the command line: a warning with the safer ways.
    expect(hb.stderr).toContain('warning: the value of --fence-param password is on the command line: other users see it in ps, and your shell history keeps it\n  hint: give it as --fence-param password=@FILE');
    expect(hb.stdout + hb.stderr).toContain("fence device 'ipmilan-alice': a parameter is empty or holds a blank, a control character or '#', which ha.cf cannot hold");
    expect(existsSync(path.join(dir, 'never.yaml'))).toBe(false);

    const off = path.join(dir, 'unfenced.yaml');
    const json = haforge([...offline(off), '--no-fencing', '--json']);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ fencing: { state: 'disabled' }, mode: '0644' });
    expect(statSync(off).mode & 0o777).toBe(0o644);
    expect((await loadInventory(off)).clusters[0]!.fencing).toEqual({ enabled: false, devices: [] });
    const valid = haforge(['inventory', 'validate', '-i', off]);
    expect(valid.code).toBe(0);
  });

  it.skipIf(!!ptyUnavailableReason())('Ctrl-C at a question writes nothing and is no crash', async () => {
    const file = path.join(dir, 'cancelled.yaml');
    const pty = new PtySession(['init', '--offline', '-o', file]);
    try {
      await pty.answer(/Cluster name/, 'web');
      await pty.expect(/SSH address of node 1/);
      pty.send(KEY.ctrlC);
      expect(await pty.exit()).toBe(1);
      expect(pty.output).toContain('error: cancelled: nothing written');
      expect(pty.output).not.toMatch(/internal error/);
      expect(existsSync(file)).toBe(false);
    } finally {
      pty.kill();
    }
  });
});

const skip = nodesUnavailableReason();
if (skip) warnNodesSkipped(skip);

describe.skipIf(!!skip)('haforge init against real nodes', () => {
  let lab: TestNodes;
  let dir: string;
  let loop: { device: string; file: string } | undefined;
  let ssh: string[];
  let a1: string;
  let a2: string;
  let subnet: string;

  beforeAll(async () => {
    ensureBuilt();
    lab = await startNodes({ count: 2, prefix: 'hfi' });
    dir = mkdtempSync(path.join(tmpdir(), 'hf-init-'));
    [a1, a2] = lab.nodes.map((n) => n.address) as [string, string];
    subnet = a1.split('.').slice(0, 3).join('.');
    ssh = ['--identity-file', lab.identityFile, '--known-hosts', lab.knownHostsFile];
    // A 64 MiB blank disk: the nodes see the host's /dev.
    const file = path.join(dir, 'disk.img');
    writeFileSync(file, '');
    spawnSync('truncate', ['-s', '64M', file]);
    const r = spawnSync('losetup', ['-f', '--show', file], { encoding: 'utf8' });
    if (r.status === 0) loop = { device: r.stdout.trim(), file };
    else console.warn(`!! no loop device (${r.stderr.trim()}): the disk checks use a missing disk only`);
  });
  afterAll(async () => {
    if (loop) spawnSync('losetup', ['-d', loop.device]);
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('flags only: reads uname -n, checks the disk on every node, reports a dead node and goes on', () => {
    const file = path.join(dir, 'flags.yaml');
    const disk = loop?.device ?? MISSING_DISK;
    const out = haforge([
      'init', '-o', file, ...ssh,
      '--cluster', 'it',
      '--node', a1, // the name is read from the node
      '--node', `hfi2=${a2}`,
      '--node', `ghost=${subnet}.99`, // nothing answers there
      '--replication', `hfi1=${a1}`,
      '--disk', disk,
      '--disk', `hfi2=${MISSING_DISK}`,
      '--mount', '/replicated',
      '--vip', `${subnet}.50/24`,
      '--service', 'web:unit=nginx,paths=/var/www:/etc/nginx,port=80',
      '--no-fencing',
      '--yes',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`✓ ${a1}: uname -n hfi1, .+, kernel \\S+`));
    expect(out.stdout).toMatch(new RegExp(`✓ ${a2}: uname -n hfi2, `));
    expect(out.stdout).toMatch(new RegExp(`warning: ${subnet}\\.99: not checked over SSH: cannot reach ${subnet}\\.99`));
    if (loop) expect(out.stdout).toContain(`✓ hfi1: ${loop.device}, 64 MiB, blank`);
    expect(out.stdout).toContain(`warning: hfi2: ${MISSING_DISK} does not exist`);
    expect(out.stdout).toContain('· VIP interface: eth0');
    expect(out.stdout).toContain(`wrote ${file}: cluster it (pacemaker), nodes hfi1, hfi2, ghost; primary hfi1`);
    expect(statSync(file).mode & 0o777).toBe(0o644);

    const valid = haforge(['inventory', 'validate', '-i', file]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('cluster it (pacemaker): hfi1, hfi2, ghost; primary hfi1');
  });

  it('the file it writes works: haforge facts connects with it', async () => {
    const file = path.join(dir, 'flags.yaml');
    const inv = await loadInventory(file);
    expect(inv.clusters[0]!.nodes.map((n) => [n.name, n.address, n.disks.r0])).toEqual([
      ['hfi1', a1, loop?.device ?? MISSING_DISK],
      ['hfi2', a2, MISSING_DISK],
      ['ghost', `${subnet}.99`, loop?.device ?? MISSING_DISK],
    ]);
    const facts = haforge(['facts', '-i', file, 'hfi2', '--json']);
    expect(facts.code).toBe(0);
    expect(JSON.parse(facts.stdout).system.hostname).toBe('hfi2');
  });

  it('--json: a wrong name is warned about; an unknown host key is refused with its fingerprint, then accepted on request', () => {
    const knownHosts = path.join(dir, 'empty_known_hosts');
    writeFileSync(knownHosts, '');
    const args = (file: string) => ['init', '-o', file, '--identity-file', lab.identityFile, '--known-hosts', knownHosts, '--cluster', 'it', '--node', `wrong=${a1}`, '--node', `hfi2=${a2}`, '--disk', MISSING_DISK, '--mount', '/srv', '--vip', `${subnet}.50`, '--json'];
    const refused = haforge(args(path.join(dir, 'keys1.yaml')));
    expect(refused.code).toBe(0);
    const r1 = JSON.parse(refused.stdout);
    expect(r1.nodes).toEqual([
      { name: 'wrong', address: a1, reachable: false },
      { name: 'hfi2', address: a2, reachable: false },
    ]);
    const keyNote = r1.notes.find((n: { text: string }) => n.text.startsWith(`${a1}: not checked over SSH: host key of ${a1}`));
    expect(keyNote.text).toContain(lab.nodes[0]!.hostKeyFingerprint);
    expect(keyNote.hint).toMatch(/--accept-new-host-keys/);

    const accepted = haforge([...args(path.join(dir, 'keys2.yaml')), '--accept-new-host-keys']);
    expect(accepted.code).toBe(0);
    const r2 = JSON.parse(accepted.stdout);
    expect(r2.nodes.map((n: { hostname: string; reachable: boolean }) => [n.hostname, n.reachable])).toEqual([
      ['hfi1', true],
      ['hfi2', true],
    ]);
    expect(r2.notes).toContainEqual(expect.objectContaining({ level: 'warn', text: `${a1} says \`uname -n\` = hfi1, not wrong` }));
    expect(r2.notes).toContainEqual(expect.objectContaining({ level: 'warn', text: `hfi2: ${MISSING_DISK} does not exist` }));
    expect(readFileSync(knownHosts, 'utf8')).toContain(lab.nodes[0]!.hostPublicKey.split(' ')[1]);
  });

  it.skipIf(!!ptyUnavailableReason())('interactive, in a real terminal: asks, checks each answer on the nodes, writes what was answered', async () => {
    const file = path.join(dir, 'interactive.yaml');
    const knownHosts = path.join(dir, 'interactive_known_hosts');
    writeFileSync(knownHosts, '');
    const pty = new PtySession(['init', '-o', file, '--identity-file', lab.identityFile, '--known-hosts', knownHosts]);
    try {
      await pty.answer(/\? Cluster name/, 'it');
      await pty.answer(/\? SSH address of node 1 \(\[user@\]host\[:port\]\)/, a1);
      // An unknown host key: shown, and trusted at the question.
      await pty.expect(new RegExp(`warning: host key of ${a1} \\(${a1}\\) is not known: ${lab.nodes[0]!.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
      await pty.answer(/\? Trust this host key and record it in .*interactive_known_hosts\? \(y\/N\)/, 'y');
      await pty.expect(new RegExp(`✓ ${a1}: uname -n hfi1, `));
      await pty.answer(new RegExp(`\\? Name of ${a1} \\(as \`uname -n\` prints it\\) \\(hfi1\\)`), ''); // the default read from the node
      await pty.expect(new RegExp(`the replication address carries DRBD and cluster traffic; hfi1 has ${a1} \\(eth0\\)`));
      await pty.answer(new RegExp(`\\? Replication address of hfi1 \\(empty: ${a1}\\)`), '');
      // The second node's key is not trusted: it goes unchecked, the wizard goes on.
      await pty.answer(/\? SSH address of node 2/, a2);
      await pty.answer(/\? Trust this host key/, 'n');
      await pty.expect(new RegExp(`warning: ${a2}: not checked over SSH: host key of ${a2}`));
      await pty.answer(new RegExp(`\\? Name of ${a2} \\(as \`uname -n\` prints it\\)`), 'hfi2');
      await pty.answer(/\? Replication address of hfi2/, '');
      await pty.answer(/\? Add another node\? \(y\/N\)/, 'n');
      // A disk that is not there: reported, and asked again.
      await pty.answer(/\? Backing disk for DRBD/, MISSING_DISK);
      await pty.expect(new RegExp(`warning: hfi1: ${MISSING_DISK} does not exist`));
      await pty.answer(new RegExp(`\\? Use ${MISSING_DISK} anyway\\? \\(y/N\\)`), loop ? 'n' : 'y');
      if (loop) {
        await pty.answer(/\? Backing disk for DRBD/, loop.device);
        await pty.expect(new RegExp(`✓ hfi1: ${loop.device}, 64 MiB, blank`));
      }
      await pty.answer(/\? Mount point of the replicated filesystem \(\/replicated\)/, '');
      await pty.answer(/\? Virtual IP clients use/, `${subnet}.50/24`);
      await pty.answer(/\? Interface for the VIP \(empty: the one routing to it\) \(eth0\)/, '');
      await pty.answer(/\? Cluster stack/, ''); // pacemaker, the first choice
      await pty.expect(/\? Primary node/);
      pty.send(KEY.down + KEY.enter); // hfi2
      await pty.answer(/\? Add a service to make highly available\? \(Y\/n\)/, 'y');
      await pty.answer(/\? Service name/, 'web');
      await pty.answer(/\? systemd unit or init script of web \(web\)/, 'nginx');
      await pty.answer(/\? Paths of web to move onto \/replicated/, '/var/www /etc/nginx');
      await pty.answer(/\? TCP port of web/, '80');
      await pty.answer(/\? Add another service\? \(y\/N\)/, 'n');
      // Fencing: one IPMI controller per node, a shared login; the password shows as stars.
      await pty.expect(/fencing \(STONITH\) powers off a node that stops answering/);
      await pty.answer(/\? Fencing \(STONITH\)[^]*configure a fence device now[^]*run without fencing on purpose/, ''); // the first choice
      await pty.answer(/\? Fence agent \(from fence-agents: [^)]*\) \(fence_ipmilan\)/, '');
      await pty.answer(/\? What does one fence_ipmilan device power off\?[^]*one node: each node has its own/, ''); // a BMC: one per node
      await pty.answer(/\? Nodes that each have such a device \(comma-separated\) \(hfi1,hfi2\)/, '');
      await pty.answer(/\? Parameter every node's fence_ipmilan device shares, as NAME=VALUE/, 'username=admin');
      await pty.answer(/\? Parameter every node's fence_ipmilan device shares/, 'password=s3cret-pty');
      await pty.expect(/password=\*{10}/);
      await pty.answer(/\? Parameter every node's fence_ipmilan device shares/, '');
      await pty.answer(/\? Parameter of hfi1's own device/, 'ip=192.0.2.201');
      await pty.answer(/\? Parameter of hfi1's own device/, '');
      await pty.answer(/\? Parameter of hfi2's own device/, 'ip=192.0.2.202');
      await pty.answer(/\? Parameter of hfi2's own device/, '');
      await pty.expect(/the fence password goes into .*interactive\.yaml only, written with mode 0600; it is never shown/);
      await pty.answer(/\? Write .*interactive\.yaml\? \(Y\/n\)/, '');
      await pty.expect(/wrote .*interactive\.yaml: cluster it \(pacemaker\), nodes hfi1, hfi2; primary hfi2/);
      await pty.expect(/fencing: ipmilan-hfi1 \(fence_ipmilan → hfi1\), ipmilan-hfi2 \(fence_ipmilan → hfi2\); mode 0600/);
      expect(await pty.exit()).toBe(0);
      expect(pty.output).not.toContain('s3cret-pty');
    } finally {
      pty.kill();
    }
    expect(readFileSync(knownHosts, 'utf8')).toContain(lab.nodes[0]!.hostPublicKey.split(' ')[1]);
    expect(readFileSync(knownHosts, 'utf8')).not.toContain(lab.nodes[1]!.hostPublicKey.split(' ')[1]);
    expect(haforge(['inventory', 'validate', '-i', file]).code).toBe(0);
    const c = (await loadInventory(file)).clusters[0]!;
    expect(c).toMatchObject({ name: 'it', stack: 'pacemaker', primary: 'hfi2', vip: { address: `${subnet}.50`, cidrNetmask: 24, nic: 'eth0' } });
    expect(c.nodes.map((n) => [n.name, n.address, n.replicationAddress, n.disks.r0])).toEqual([
      ['hfi1', a1, undefined, loop?.device ?? MISSING_DISK],
      ['hfi2', a2, undefined, loop?.device ?? MISSING_DISK],
    ]);
    expect(c.services).toEqual([expect.objectContaining({ name: 'web', unit: 'nginx', paths: ['/var/www', '/etc/nginx'], port: 80 })]);
    expect(c.fencing!.devices.map((d) => [d.name, d.targets, d.params])).toEqual([
      ['ipmilan-hfi1', ['hfi1'], { ip: '192.0.2.201', username: 'admin', password: 's3cret-pty' }],
      ['ipmilan-hfi2', ['hfi2'], { ip: '192.0.2.202', username: 'admin', password: 's3cret-pty' }],
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
