// Test nodes: real OpenSSH servers, each in its own network, UTS, PID and
// mount namespace with a private overlay root, so that every node has its
// own address, hostname and files. Needs root, `ip`, `unshare`, `nsenter`
// and `sshd`. Used by the integration tests and the benchmark.
//
// Layout on the host:
//   bridge hfbr0 (10.231.0.1/16) ── veth <name>h ── eth0 in netns <name>
//   /tmp/haforge-nodes/<prefix>/   a tmpfs holding the client key, the
//                                  known_hosts files and each node's upper dir
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { promises as fs, openSync, closeSync, readFileSync, existsSync, accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const BRIDGE = 'hfbr0';
const BRIDGE_CIDR = '10.231.0.1/16';
const STATE_ROOT = '/tmp/haforge-nodes';
/** Non-root test users created on every node. */
export const SUDO_USER = 'hfuser'; // passwordless sudo
export const SUDO_PASSWORD_USER = 'hfpw'; // sudo asks for a password

export interface TestNode {
  /** Node name = hostname = network namespace name (`<prefix><n>`). */
  name: string;
  address: string;
  port: 22;
  user: 'root';
  /** Client private key (ed25519, OpenSSH format) accepted for root, hfuser and hfpw. */
  identityFile: string;
  /** known_hosts with plain entries for every node of this set. */
  knownHostsFile: string;
  /** `SHA256:...` as printed by `ssh-keygen -lf`. */
  hostKeyFingerprint: string;
  /** `ssh-ed25519 AAAA...` */
  hostPublicKey: string;
  /** The node's private upper dir (what it wrote), seen from the host. */
  upperDir: string;
}

export interface StartNodesOptions {
  count: number;
  /** Short lowercase name prefix, e.g. `hft`; nodes are `hft1`, `hft2`, ... */
  prefix: string;
  /** Third octet of the node addresses (10.231.<subnet>.11, .12, ...). Default: derived from the prefix. */
  subnet?: number;
}

export interface TestNodes {
  nodes: TestNode[];
  identityFile: string;
  knownHostsFile: string;
  stateDir: string;
  stop(): Promise<void>;
  stopNode(node: TestNode, opts?: StopNodeOptions): Promise<void>;
  startNode(node: TestNode): Promise<void>;
  /** Write a known_hosts file for these nodes (all by default). */
  writeKnownHosts(file: string, opts?: KnownHostsOptions): Promise<string>;
}

export interface StopNodeOptions {
  /** Also take the node's link down, so connecting times out / is unreachable instead of refused. */
  linkDown?: boolean;
}

export interface KnownHostsOptions {
  nodes?: TestNode[];
  /** Hash host names with `ssh-keygen -H` (the real tool). */
  hashed?: boolean;
}

interface NodeRuntime {
  node: TestNode;
  index: number;
  netns: string;
  hostVeth: string;
  logFile: string;
  proc?: ChildProcess;
  linkDown: boolean;
}

const runtimes = new Map<string, NodeRuntime>();

/** Why test nodes cannot run here, or undefined when they can. */
export function nodesUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'test nodes need Linux';
  if (process.getuid?.() !== 0) return 'test nodes need root (network and mount namespaces)';
  for (const tool of ['/usr/sbin/sshd', 'ip', 'unshare', 'nsenter', 'ssh-keygen', 'sudo']) {
    if (!onPath(tool)) return `test nodes need \`${tool}\` (Debian: openssh-server, iproute2, util-linux, sudo)`;
  }
  return undefined;
}

/** Print a banner that is hard to miss, for test files that skip. */
export function warnNodesSkipped(reason: string): void {
  const line = '!'.repeat(72);
  console.warn(`\n${line}\n!! SKIPPING integration tests on real sshd nodes: ${reason}\n${line}\n`);
}

export async function startNodes(opts: StartNodesOptions): Promise<TestNodes> {
  const reason = nodesUnavailableReason();
  if (reason) throw new Error(`cannot start test nodes: ${reason}`);
  const { count, prefix } = opts;
  if (!/^[a-z][a-z0-9]{0,8}$/.test(prefix)) throw new Error(`bad node prefix ${JSON.stringify(prefix)} (1-9 chars, a-z0-9)`);
  if (count < 1 || count > 200) throw new Error(`bad node count ${count}`);

  await cleanupLeftovers(prefix);
  const subnet = opts.subnet ?? (await freeSubnet(prefix));
  const stateDir = path.join(STATE_ROOT, prefix);
  await fs.mkdir(stateDir, { recursive: true });
  // A tmpfs: an overlay's upper dir must not live on the filesystem of its lower dir (/).
  await run('mount', ['-t', 'tmpfs', '-o', 'mode=0700', `haforge-${prefix}`, stateDir]);
  await fs.writeFile(path.join(stateDir, 'subnet'), `${subnet}\n`);

  const identityFile = path.join(stateDir, 'id_ed25519');
  const knownHostsFile = path.join(stateDir, 'known_hosts');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `haforge-test-${prefix}`, '-f', identityFile]);
  const clientPub = (await fs.readFile(`${identityFile}.pub`, 'utf8')).trim();
  await ensureBridge();
  // Forget neighbour entries of an earlier set on these addresses, or the host
  // keeps sending to old MACs for seconds.
  await run('ip', ['neigh', 'flush', 'to', `10.231.${subnet}.0/24`, 'dev', BRIDGE]).catch(() => {});

  const names = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  const hosts = names.map((name, i) => ({ name, address: `10.231.${subnet}.${11 + i}` }));
  const rts = await Promise.all(
    hosts.map(async ({ name, address }, i) => {
      const upperDir = path.join(stateDir, name, 'upper');
      const hostKey = await prepareRoot(path.join(stateDir, name), name, hosts, clientPub);
      const node: TestNode = {
        name,
        address,
        port: 22,
        user: 'root',
        identityFile,
        knownHostsFile,
        hostKeyFingerprint: fingerprintOf(hostKey),
        hostPublicKey: hostKey,
        upperDir,
      };
      const rt: NodeRuntime = {
        node,
        index: i,
        netns: name,
        hostVeth: `${name}h`,
        logFile: path.join(stateDir, name, 'sshd.log'),
        linkDown: false,
      };
      runtimes.set(name, rt);
      await createNetwork(rt);
      return rt;
    }),
  );
  const nodes = rts.map((rt) => rt.node);

  const set: TestNodes = {
    nodes,
    identityFile,
    knownHostsFile,
    stateDir,
    stop: () => stopAll(prefix, rts),
    stopNode,
    startNode,
    writeKnownHosts: (file, o = {}) => writeKnownHosts(file, o.nodes ?? nodes, o.hashed ?? false),
  };
  try {
    await writeKnownHosts(knownHostsFile, nodes, false);
    await Promise.all(rts.map((rt) => launch(rt)));
  } catch (err) {
    await set.stop().catch(() => {});
    throw err;
  }
  return set;
}

/** Simulate a node that is down: kill everything in it (its files stay). */
export async function stopNode(node: TestNode, opts: StopNodeOptions = {}): Promise<void> {
  const rt = runtimeOf(node);
  await killNodeProcesses(rt.netns);
  rt.proc = undefined;
  if (opts.linkDown) {
    await run('ip', ['link', 'set', rt.hostVeth, 'down']);
    rt.linkDown = true;
  }
}

/** Start a stopped node again, with the files it had. */
export async function startNode(node: TestNode): Promise<void> {
  const rt = runtimeOf(node);
  if (rt.linkDown) {
    await run('ip', ['link', 'set', rt.hostVeth, 'up']);
    rt.linkDown = false;
  }
  if (rt.proc && rt.proc.exitCode === null) return;
  await launch(rt);
}

/** known_hosts lines for nodes: `<address> <key>`; hashed with the real ssh-keygen -H when asked. */
export async function writeKnownHosts(file: string, nodes: TestNode[], hashed: boolean): Promise<string> {
  const text = nodes.map((n) => `${n.address} ${n.hostPublicKey}\n`).join('');
  await fs.writeFile(file, text, { mode: 0o600 });
  if (hashed) {
    await run('ssh-keygen', ['-H', '-f', file]);
    await fs.rm(`${file}.old`, { force: true });
  }
  return file;
}

/** OpenSSH-style fingerprint of a `type base64 [comment]` public key line. */
export function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A `|1|salt|hash` host pattern, as `ssh-keygen -H` writes it. */
export function hashHostName(host: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(host).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

// ---- internals -------------------------------------------------------------

function runtimeOf(node: TestNode): NodeRuntime {
  const rt = runtimes.get(node.name);
  if (!rt) throw new Error(`unknown test node ${node.name}`);
  return rt;
}

// Different prefixes get different subnets, so two suites can run at once:
// start from a hash of the prefix, skip subnets that running sets use.
function subnetFor(prefix: string): number {
  const h = createHash('sha1').update(prefix).digest();
  return 1 + (h.readUInt16BE(0) % 250);
}

async function freeSubnet(prefix: string): Promise<number> {
  const used = new Set<number>();
  for (const other of await fs.readdir(STATE_ROOT).catch(() => [] as string[])) {
    if (other === prefix) continue;
    const text = await fs.readFile(path.join(STATE_ROOT, other, 'subnet'), 'utf8').catch(() => '');
    if (text) used.add(Number(text));
  }
  let subnet = subnetFor(prefix);
  while (used.has(subnet)) subnet = (subnet % 250) + 1;
  return subnet;
}

async function run(cmd: string, args: string[], input?: string): Promise<string> {
  try {
    const child = execFileP(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    const { stdout } = await child;
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

function onPath(tool: string): boolean {
  const dirs = tool.includes('/') ? [''] : (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(d ? path.join(d, tool) : tool, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function ensureBridge(): Promise<void> {
  const links = await run('ip', ['-o', 'link', 'show']);
  if (!new RegExp(`^\\d+: ${BRIDGE}[:@]`, 'm').test(links)) {
    await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']).catch((err: Error) => {
      if (!/File exists/.test(err.message)) throw err; // a concurrent suite made it
    });
  }
  const addrs = await run('ip', ['-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(BRIDGE_CIDR)) {
    await run('ip', ['addr', 'add', BRIDGE_CIDR, 'dev', BRIDGE]).catch((err: Error) => {
      if (!/File exists/.test(err.message)) throw err;
    });
  }
  await run('ip', ['link', 'set', BRIDGE, 'up']);
}

async function createNetwork(rt: NodeRuntime): Promise<void> {
  const ns = rt.netns;
  await run('ip', ['netns', 'add', ns]);
  await run('ip', ['link', 'add', rt.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await run('ip', ['link', 'set', rt.hostVeth, 'master', BRIDGE, 'up']);
  // A MAC derived from the address: a restarted set keeps valid ARP entries.
  const [, , c, d] = rt.node.address.split('.').map(Number) as [number, number, number, number];
  const mac = `02:48:46:00:${c.toString(16).padStart(2, '0')}:${d.toString(16).padStart(2, '0')}`;
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', mac]);
  await run('ip', ['-n', ns, 'addr', 'add', `${rt.node.address}/16`, 'dev', 'eth0']);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', BRIDGE_CIDR.split('/')[0]!]);
}

/**
 * Fill a node's upper dir before its first boot: host key, sshd config,
 * hostname, /etc/hosts, test users and their keys. Returns the host public key.
 */
async function prepareRoot(
  nodeDir: string,
  name: string,
  hosts: { name: string; address: string }[],
  clientPub: string,
): Promise<string> {
  const upper = path.join(nodeDir, 'upper');
  const u = (p: string) => path.join(upper, p);
  await fs.mkdir(path.join(nodeDir, 'work'), { recursive: true });
  await fs.mkdir(path.join(nodeDir, 'root'), { recursive: true });
  await fs.mkdir(u('etc/ssh'), { recursive: true, mode: 0o755 });
  await fs.mkdir(u('etc/sudoers.d'), { recursive: true, mode: 0o750 });

  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', u('etc/ssh/ssh_host_ed25519_key')]);
  await fs.writeFile(u('etc/ssh/sshd_config'), SSHD_CONFIG);
  await fs.writeFile(u('etc/hostname'), `${name}\n`);
  await fs.writeFile(
    u('etc/hosts'),
    `127.0.0.1\tlocalhost\n::1\tlocalhost\n${hosts.map((h) => `${h.address}\t${h.name}\n`).join('')}`,
  );

  // Nodes have no route to a DNS server: resolve from /etc/hosts only, or
  // every lookup of an unknown name (or of an IPv6 address) hangs for seconds.
  const nsswitch = await fs.readFile('/etc/nsswitch.conf', 'utf8').catch(() => '');
  await fs.writeFile(u('etc/nsswitch.conf'), `${nsswitch.replace(/^hosts:.*\n?/m, '')}hosts: files\n`);

  // Users: copies of the host's account files plus ours.
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const group = readFileSync('/etc/group', 'utf8');
  const shadow = readFileSync('/etc/shadow', 'utf8');
  const used = new Set(passwd.split('\n').map((l) => Number(l.split(':')[2])));
  const users: { name: string; uid: number }[] = [];
  let uid = 2900;
  for (const user of [SUDO_USER, SUDO_PASSWORD_USER]) {
    while (used.has(uid)) uid++;
    used.add(uid);
    users.push({ name: user, uid });
  }
  const existing = (text: string, user: string) => new RegExp(`^${user}:`, 'm').test(text);
  const add = (text: string, lines: string[]) => (text.endsWith('\n') || text === '' ? text : `${text}\n`) + lines.join('');
  const fresh = users.filter((x) => !existing(passwd, x.name));
  await writeLike('/etc/passwd', u('etc/passwd'), add(passwd, fresh.map((x) => `${x.name}:x:${x.uid}:${x.uid}::/home/${x.name}:/bin/bash\n`)));
  await writeLike('/etc/group', u('etc/group'), add(group, fresh.map((x) => `${x.name}:x:${x.uid}:\n`)));
  // `*`: no password login, but not locked (sshd refuses locked accounts for key login).
  await writeLike('/etc/shadow', u('etc/shadow'), add(shadow, fresh.map((x) => `${x.name}:*:20000:0:99999:7:::\n`)));
  await fs.writeFile(
    u('etc/sudoers.d/haforge-test'),
    `${SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n${SUDO_PASSWORD_USER} ALL=(ALL) ALL\n`,
    { mode: 0o440 },
  );

  await installKey(u('root'), clientPub, 0, 0, 0o700);
  // A fresh machine's dotfiles, not the host's: a heavy host .bashrc (pyenv,
  // ...) runs for every SSH command and would dominate every timing.
  await copyIfExists('/usr/share/base-files/dot.bashrc', u('root/.bashrc'), 0, 0);
  await copyIfExists('/usr/share/base-files/dot.profile', u('root/.profile'), 0, 0);
  await fs.mkdir(u('home'), { recursive: true, mode: 0o755 });
  for (const x of users) {
    const uidNow = fresh.includes(x) ? x.uid : Number(passwd.match(new RegExp(`^${x.name}:[^:]*:(\\d+)`, 'm'))?.[1]);
    await installKey(u(`home/${x.name}`), clientPub, uidNow, uidNow, 0o755);
    for (const f of ['.bashrc', '.profile']) await copyIfExists(`/etc/skel/${f}`, u(`home/${x.name}/${f}`), uidNow, uidNow);
  }
  return (await fs.readFile(u('etc/ssh/ssh_host_ed25519_key.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
}

async function writeLike(original: string, target: string, content: string): Promise<void> {
  const st = await fs.stat(original);
  await fs.writeFile(target, content);
  await fs.chown(target, st.uid, st.gid);
  await fs.chmod(target, st.mode & 0o7777);
}

async function copyIfExists(from: string, to: string, uid: number, gid: number): Promise<void> {
  try {
    await fs.copyFile(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fs.chown(to, uid, gid);
  await fs.chmod(to, 0o644);
}

async function installKey(home: string, pub: string, uid: number, gid: number, homeMode: number): Promise<void> {
  await fs.mkdir(path.join(home, '.ssh'), { recursive: true });
  await fs.writeFile(path.join(home, '.ssh/authorized_keys'), `${pub}\n`, { mode: 0o600 });
  await fs.chmod(home, homeMode);
  await fs.chmod(path.join(home, '.ssh'), 0o700);
  for (const p of [home, path.join(home, '.ssh'), path.join(home, '.ssh/authorized_keys')]) {
    await fs.chown(p, uid, gid);
  }
}

const SSHD_CONFIG = `# haforge test node
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PidFile /run/sshd.pid
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`;

// Runs as PID 1 of the node's PID namespace, in its own mount and UTS
// namespaces: overlay root, fresh /proc and /sys, private /run /tmp /dev/shm,
// then sshd in the foreground (it reaps orphans; when it dies, the node dies).
function bootScript(name: string, nodeDir: string): string {
  return `set -e
hostname ${name}
M=${nodeDir}/root
mount -t overlay overlay -o lowerdir=/,upperdir=${nodeDir}/upper,workdir=${nodeDir}/work "$M"
mount --rbind /dev "$M/dev"
mount -t proc proc "$M/proc"
mount -t sysfs sysfs "$M/sys"
mount -t tmpfs -o mode=755 tmpfs "$M/run"
mount -t tmpfs -o mode=1777 tmpfs "$M/tmp"
mount -t tmpfs -o mode=1777 tmpfs "$M/dev/shm"
cd "$M"
pivot_root . .
umount -l .
cd /
mkdir -p -m 755 /run/sshd
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
`;
}

async function launch(rt: NodeRuntime): Promise<void> {
  const nodeDir = path.dirname(rt.node.upperDir);
  const log = openSync(rt.logFile, 'a');
  const proc = spawn(
    'nsenter',
    [
      `--net=/run/netns/${rt.netns}`,
      '--',
      'unshare', '--pid', '--fork', '--kill-child', '--mount', '--uts', '--propagation', 'private',
      '--', 'sh', '-c', bootScript(rt.node.name, nodeDir),
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  proc.unref(); // a forgotten stop() must not keep the test process alive; the next start cleans up
  rt.proc = proc;
  await waitForSsh(rt, 10_000);
}

async function waitForSsh(rt: NodeRuntime, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (rt.proc && rt.proc.exitCode !== null) break;
    if (await sshBanner(rt.node.address)) return;
    await sleep(25);
  }
  const log = existsSync(rt.logFile) ? readFileSync(rt.logFile, 'utf8').slice(-2000) : '';
  throw new Error(`test node ${rt.node.name} did not start sshd in ${timeoutMs} ms\n${log}`);
}

function sshBanner(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port: 22 });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

async function killNodeProcesses(netns: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = (await run('ip', ['netns', 'pids', netns]).catch(() => ''))
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await sleep(20);
  }
  throw new Error(`processes in test node ${netns} did not die`);
}

async function stopAll(prefix: string, rts: NodeRuntime[]): Promise<void> {
  for (const rt of rts) runtimes.delete(rt.node.name);
  await cleanupLeftovers(prefix);
}

/** Remove everything a run with this prefix may have left: processes, namespaces, veths, mounts, files. */
async function cleanupLeftovers(prefix: string): Promise<void> {
  const mine = new RegExp(`^${prefix}\\d+$`);
  const netnses = (await run('ip', ['netns', 'list']))
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => mine.test(n));
  await Promise.all(netnses.map((ns) => killNodeProcesses(ns)));
  for (const ns of netnses) await run('ip', ['netns', 'del', ns]).catch(() => {});
  const links = await run('ip', ['-o', 'link', 'show']);
  for (const m of links.matchAll(/^\d+: ([^:@]+)[:@]/gm)) {
    const link = m[1]!;
    if (link.endsWith('h') && mine.test(link.slice(0, -1))) await run('ip', ['link', 'del', link]).catch(() => {});
  }
  const stateDir = path.join(STATE_ROOT, prefix);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  if (mounts.split('\n').some((l) => l.split(' ')[4] === stateDir)) await run('umount', ['-l', stateDir]);
  await fs.rm(stateDir, { recursive: true, force: true });
  // The bridge is shared by every prefix: remove it only when nothing uses it.
  const ports = await run('ip', ['-o', 'link', 'show', 'master', BRIDGE]).catch(() => 'missing');
  if (ports.trim() === '') await run('ip', ['link', 'del', BRIDGE]).catch(() => {});
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
