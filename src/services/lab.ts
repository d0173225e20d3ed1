// Lab use cases: up, status, ssh, kill, start, cut, heal, down. Commands call
// exactly one of these; everything here reports progress through `report`
// and returns data for the command to render.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { UserError } from '../errors.js';
import { quoteArgv } from '../util/shell.js';
import { exists } from '../util/fs.js';
import { HOST_NAME_PATTERN } from '../schema/values.js';
import { StoppedWhileBootingError, waitForSsh } from '../lab/boot.js';
import { describeOffset, syncGuestClock } from '../lab/clock.js';
import { runOk } from '../lab/exec.js';
import { ensureImage } from '../lab/image-cache.js';
import { defaultDrbd9SourceDir, readDrbd9Source } from '../lab/drbd9.js';
import { PACKAGE_ROOT } from '../playbook/load.js';
import { writeInventory } from '../lab/inventory.js';
import { LINK_IDS, PRIVATE_LINKS, SBD_DISK_MIB, linkAddress, mcastFor, mcastKey, nodeName, type LinkId, type McastEndpoint } from '../lab/network.js';
import { LabPaths, stateRoot } from '../lab/paths.js';
import { freePorts, isListening } from '../lab/ports.js';
import { requirePrograms } from '../lab/preflight.js';
import { withLabLock } from '../lab/lock.js';
import { killQemu, launch, nicId, type LaunchSpec, qemuProcessesUnder, runningPid, PortBusyError } from '../lab/qemu.js';
import { qmpCommand } from '../lab/qmp.js';
import { ensureKeypair, publicKeyBlob, sshOptions } from '../lab/ssh-keys.js';
import { findNode, hostName, readState, requireState, writeState, type Accel, type LabState, type NodeState, type StackName } from '../lab/state.js';

export type Report = (msg: string) => void;

export interface NodeStatus {
  name: string;
  /** Its host name, and its name in the lab's inventory (qualified when the lab has a domain). */
  hostname: string;
  sshPort: number;
  addresses: { ssh: string } & Record<LinkId, string>;
  power: 'running' | 'off';
  pid: number | null;
  /** Private links that `lab cut` took down. */
  cutLinks: LinkId[];
}

export interface LabStatus {
  name: string;
  inventory: string;
  stateDir: string;
  stack: StackName;
  accel: Accel;
  /** The DRBD the VMs' kernel loads: '8.4' (the kernel's own) or the DRBD 9 tag built into the image. */
  drbd: string;
  nodes: NodeStatus[];
}

export interface UpOptions {
  name: string;
  nodes: number;
  memoryMiB: number;
  cpus: number;
  diskSizeMiB: number;
  accel: Accel;
  stack: StackName;
  /** DNS domain for the VMs' host names (node1.<domain>). */
  domain?: string;
  /** '9': an image with LINBIT's DRBD 9 built from `drbdSource` (default: defaultDrbd9SourceDir); '8.4' (a new lab's default): the kernel's own. */
  drbd?: '8.4' | '9';
  drbdSource?: string;
  bootTimeoutSec: number;
  rebuildImage?: boolean;
  report: Report;
}

const HOST_NAME = new RegExp(HOST_NAME_PATTERN);

const RUNTIME_PROGRAMS = ['qemu-system-x86_64', 'qemu-img', 'ssh', 'ssh-keygen'] as const;

export async function labUp(opts: UpOptions): Promise<LabStatus> {
  // It goes onto each VM's kernel command line and into /etc/hosts.
  if (opts.domain !== undefined && !HOST_NAME.test(`node1.${opts.domain}`)) {
    throw new UserError(`--domain '${opts.domain}' is not a DNS domain`, { hint: 'labels of letters, digits and dashes, separated by dots: ha.example.com' });
  }
  if (opts.drbdSource !== undefined && opts.drbd !== '9') {
    throw new UserError('--drbd-source names DRBD 9 sources, but the lab boots the kernel\'s DRBD 8.4', { hint: 'add --drbd 9, or leave --drbd-source out' });
  }
  const tools = requirePrograms(RUNTIME_PROGRAMS);
  const paths = new LabPaths(opts.name);
  return withLabLock(paths, 'up', () => upLocked(paths, opts, tools));
}

async function upLocked(paths: LabPaths, opts: UpOptions, tools: Record<string, string>): Promise<LabStatus> {
  let state = await readState(paths);
  if (state && state.nodes.length !== opts.nodes) {
    throw new UserError(`lab "${opts.name}" already exists with ${state.nodes.length} nodes, not ${opts.nodes}`, {
      hint: `\`haforge lab down --name ${opts.name}\` first, or use another --name`,
    });
  }
  if (state && (state.domain ?? '') !== (opts.domain ?? '')) {
    throw new UserError(`lab "${opts.name}" already exists with ${state.domain ? `domain ${state.domain}` : 'no domain'}`, {
      hint: `a VM's host name is set at its first boot: \`haforge lab down --name ${opts.name}\` first, or use another --name`,
    });
  }
  // No --drbd: whatever the lab has (a new one: 8.4).
  if (state && opts.drbd !== undefined && opts.drbd !== (state.drbd9 ? '9' : '8.4')) {
    throw new UserError(`lab "${opts.name}" already exists with ${state.drbd9 ?? 'the kernel\'s DRBD 8.4'}`, {
      hint: `its VMs boot the image they were made from: \`haforge lab down --name ${opts.name}\` first, or use another --name`,
    });
  }
  const isNew = !state;
  if (!state) {
    const drbd9 = opts.drbd === '9' ? await readDrbd9Source(opts.drbdSource ?? defaultDrbd9SourceDir(PACKAGE_ROOT)) : undefined;
    const { image, built } = await ensureImage(opts.report, { rebuild: opts.rebuildImage, drbd9 });
    if (!built) opts.report(`image ${image.hash} (cached)`);
    state = await createLab(paths, opts, image, tools['qemu-img'], tools['ssh-keygen'], drbd9?.tag);
  } else {
    opts.report(`lab "${opts.name}" exists: starting the nodes that are off`);
  }
  const s = state;
  // Let every node finish (or fail and be killed) before reporting: no VM keeps booting behind an error.
  const booted = await Promise.allSettled(s.nodes.map((n) => bootNode(paths, s, n, opts.bootTimeoutSec, tools, opts.report, isNew)));
  const failed = booted.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const inventory = await writeInventory(s, paths);
  opts.report(`inventory: ${inventory}`);
  return labStatus(opts.name);
}

async function createLab(
  paths: LabPaths,
  opts: UpOptions,
  image: { hash: string; kernel: string; initrd: string; base: string },
  qemuImg: string,
  sshKeygen: string,
  drbd9: string | undefined,
): Promise<LabState> {
  await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await ensureKeypair(paths, sshKeygen);
  const ports = await freePorts(opts.nodes);
  const nodes: NodeState[] = Array.from({ length: opts.nodes }, (_, i) => ({
    name: nodeName(i),
    index: i,
    sshPort: ports[i],
    addresses: { replication: linkAddress('replication', i), ring1: linkAddress('ring1', i) },
    cut: [],
  }));
  const state: LabState = {
    version: 1,
    name: opts.name,
    createdAt: new Date().toISOString(),
    imageHash: image.hash,
    kernel: image.kernel,
    initrd: image.initrd,
    base: image.base,
    accel: opts.accel,
    memoryMiB: opts.memoryMiB,
    cpus: opts.cpus,
    diskSizeMiB: opts.diskSizeMiB,
    stack: opts.stack,
    sbd: true,
    mcast: await unusedMcast(opts.name),
    ...(opts.domain ? { domain: opts.domain } : {}),
    ...(drbd9 ? { drbd9 } : {}),
    nodes,
  };
  for (const n of nodes) {
    await runOk([qemuImg, 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.base, paths.overlay(n.name)]);
    await fs.writeFile(paths.dataDisk(n.name), '');
    await fs.truncate(paths.dataDisk(n.name), opts.diskSizeMiB * 1024 * 1024);
  }
  await fs.writeFile(paths.sbdDisk, '');
  await fs.truncate(paths.sbdDisk, SBD_DISK_MIB * 1024 * 1024);
  await fs.writeFile(paths.knownHosts, '', { mode: 0o644 });
  await writeState(paths, state);
  return state;
}

/** The lab name's multicast endpoints, moved on if another lab already uses one of them. */
async function unusedMcast(name: string): Promise<Record<LinkId, McastEndpoint>> {
  const taken = new Set<string>();
  for (const other of await fs.readdir(stateRoot()).catch(() => [] as string[])) {
    if (other === name || other.startsWith('.')) continue; // .<name>.lock files live here too
    const s = await Promise.resolve()
      .then(() => readState(new LabPaths(other)))
      .catch(() => undefined);
    if (s) for (const id of LINK_IDS) taken.add(mcastKey(s.mcast[id]));
  }
  for (let bump = 0; ; bump++) {
    const m = mcastFor(name, bump);
    if (LINK_IDS.every((id) => !taken.has(mcastKey(m[id])))) return m;
  }
}

/** Starts a node that is off and waits until SSH works; a running node is left alone. */
async function bootNode(
  paths: LabPaths,
  state: LabState,
  node: NodeState,
  bootTimeoutSec: number,
  tools: Record<string, string>,
  report: Report,
  mayMovePort = false,
): Promise<void> {
  if ((await runningPid(paths, node.name)) !== undefined) {
    report(`${node.name}: already running`);
    return;
  }
  const started = Date.now();
  const spec = { state, node, paths, sshKeyBlob: await publicKeyBlob(paths), qemuBinary: tools['qemu-system-x86_64'] };
  for (let boot = 1; ; boot++) {
    await launchOnFreePort(spec, mayMovePort);
    report(`${node.name}: booting (ssh port ${node.sshPort})`);
    try {
      await waitForSsh({ paths, node, accel: state.accel, timeoutMs: bootTimeoutSec * 1000, ssh: tools.ssh });
      break;
    } catch (err) {
      await killQemu(paths, node.name); // a hung guest would burn a core forever
      // QEMU 7.2's multi-threaded TCG now and then segfaults while a guest boots (seen
      // 2026-12-03 in memory_region_dispatch_write, one boot of many): to the guest that is
      // a power cut before it came up, so a second power-on is what an admin would do.
      if (!(err instanceof StoppedWhileBootingError) || boot >= 2) throw err;
      report(`${node.name}: QEMU exited before the guest came up; powering it on once more`);
    }
  }
  // A power cycle does not plug a pulled cable back in.
  for (const link of node.cut) await setLink(paths, node.name, link, false);
  report(`${node.name}: ssh ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  report(`${node.name}: ${await setGuestClock(paths, node, tools.ssh)}`);
}

/** Launches QEMU; the port was free when picked, and if it got taken before QEMU bound it, a new lab may pick another. */
async function launchOnFreePort(spec: LaunchSpec, mayMovePort: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await launch(spec);
      return;
    } catch (err) {
      if (!(err instanceof PortBusyError) || !mayMovePort || attempt >= 3) throw err;
      [spec.node.sshPort] = await freePorts(1);
      await writeState(spec.paths, spec.state);
    }
  }
}

/** What NTP would do for a real node: the guest's clock set from this machine's (see src/lab/clock.ts). */
async function setGuestClock(paths: LabPaths, node: NodeState, ssh: string): Promise<string> {
  try {
    const r = await syncGuestClock([ssh, ...sshOptions(paths, node.sshPort), '-o', 'BatchMode=yes', 'root@127.0.0.1']);
    const within = `within ${(Number(r.after.roundTripNs) / 2e6).toFixed(0)} ms`;
    return r.steps === 0 ? `clock ${describeOffset(r.after.offsetNs)} of this machine's (${within}): left as it is` : `clock set from this machine's (it was ${describeOffset(r.beforeNs)}; now ${describeOffset(r.after.offsetNs)}, ${within})`;
  } catch (err) {
    return `WARNING: clock not set (${(err as Error).message}); haforge preflight measures the skew between nodes`;
  }
}

export async function labStatus(name: string): Promise<LabStatus> {
  const paths = new LabPaths(name);
  const state = await requireState(paths);
  const nodes: NodeStatus[] = [];
  for (const n of state.nodes) {
    const pid = await runningPid(paths, n.name);
    nodes.push({
      name: n.name,
      hostname: hostName(state, n),
      sshPort: n.sshPort,
      addresses: { ssh: `127.0.0.1:${n.sshPort}`, ...n.addresses },
      power: pid === undefined ? 'off' : 'running',
      pid: pid ?? null,
      cutLinks: [...n.cut],
    });
  }
  return { name, inventory: paths.inventory, stateDir: paths.dir, stack: state.stack, accel: state.accel, drbd: state.drbd9 ?? '8.4', nodes };
}

/** argv of the system ssh for a node; one argument is a shell command line (like ssh), several are an argv. */
export async function labSshArgv(name: string, node: string, command: string[]): Promise<string[]> {
  const { ssh } = requirePrograms(['ssh']);
  const paths = new LabPaths(name);
  const state = await requireState(paths);
  const n = findNode(state, node);
  if ((await runningPid(paths, n.name)) === undefined) {
    throw new UserError(`${node} is off`, { hint: `power it on with \`haforge lab start ${node} --name ${name}\`` });
  }
  const remote = command.length === 0 ? [] : command.length === 1 ? [command[0]] : [quoteArgv(command)];
  return [ssh, ...sshOptions(paths, n.sshPort), 'root@127.0.0.1', ...remote];
}

/** Runs ssh attached to this terminal; resolves with its exit code. */
export async function labSsh(name: string, node: string, command: string[]): Promise<number> {
  const argv = await labSshArgv(name, node, command);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + 9 : 255)));
  });
}

/** Power failure: SIGKILL the VM's QEMU process. */
export async function labKill(name: string, node: string): Promise<{ node: string; pid: number | null }> {
  const paths = new LabPaths(name);
  return withLabLock(paths, `kill ${node}`, async () => {
    const n = findNode(await requireState(paths), node);
    const pid = await killQemu(paths, n.name);
    return { node: n.name, pid: pid ?? null };
  });
}

/**
 * A hang: the VM stops (QMP stop) and stays alive but silent, its clocks and
 * watchdog standing still; `resume` lets it run on from where it stopped.
 */
export async function labFreeze(name: string, node: string, frozen: boolean): Promise<{ node: string; frozen: boolean }> {
  const paths = new LabPaths(name);
  return withLabLock(paths, `${frozen ? 'hang' : 'resume'} ${node}`, async () => {
    const n = findNode(await requireState(paths), node);
    if ((await runningPid(paths, n.name)) === undefined) throw new UserError(`${node} is off`, { hint: `power it on with \`haforge lab start ${node} --name ${name}\`` });
    await qmpCommand(paths.qmpSocket(n.name), frozen ? 'stop' : 'cont');
    return { node: n.name, frozen };
  });
}

/** Power on again: the same overlay, data disk and ports. */
export async function labStart(name: string, node: string, bootTimeoutSec: number, report: Report): Promise<LabStatus> {
  const tools = requirePrograms(RUNTIME_PROGRAMS);
  const paths = new LabPaths(name);
  await withLabLock(paths, `start ${node}`, async () => {
    const state = await requireState(paths);
    await bootNode(paths, state, findNode(state, node), bootTimeoutSec, tools, report);
  });
  return labStatus(name);
}

async function setLink(paths: LabPaths, node: string, link: LinkId, up: boolean): Promise<void> {
  await qmpCommand(paths.qmpSocket(node), 'set_link', { name: nicId(link), up });
}

/**
 * Cut: node `a` loses carrier on its private links (all, or only `links`).
 * The private networks are shared segments, so with three nodes `a` is cut
 * off from every other node, not only from `b`; `b` and the rest still
 * reach each other. SSH from the workstation (eth0) keeps working.
 */
export async function labCut(name: string, a: string, b: string, links: readonly LinkId[]): Promise<{ node: string; links: LinkId[]; isolatedFrom: string[] }> {
  const paths = new LabPaths(name);
  return withLabLock(paths, `cut ${a} ${b}`, () => cutLocked(paths, name, a, b, links));
}

async function cutLocked(paths: LabPaths, name: string, a: string, b: string, links: readonly LinkId[]): Promise<{ node: string; links: LinkId[]; isolatedFrom: string[] }> {
  const state = await requireState(paths);
  const na = findNode(state, a);
  const nb = findNode(state, b);
  if (na === nb) throw new UserError('cut needs two different nodes');
  if ((await runningPid(paths, na.name)) === undefined) {
    throw new UserError(`${a} is off`, { hint: `power it on with \`haforge lab start ${a} --name ${name}\`` });
  }
  for (const link of links) await setLink(paths, na.name, link, false);
  na.cut = [...new Set([...na.cut, ...links])].sort();
  await writeState(paths, state);
  return { node: na.name, links: na.cut, isolatedFrom: state.nodes.filter((n) => n !== na).map((n) => n.name) };
}

/** Heal: every private link of every node up again. */
export async function labHeal(name: string): Promise<{ healed: string[] }> {
  const paths = new LabPaths(name);
  return withLabLock(paths, 'heal', () => healLocked(paths));
}

async function healLocked(paths: LabPaths): Promise<{ healed: string[] }> {
  const state = await requireState(paths);
  const healed: string[] = [];
  for (const n of state.nodes) {
    if ((await runningPid(paths, n.name)) !== undefined) {
      for (const l of PRIVATE_LINKS) await setLink(paths, n.name, l.id, true);
    }
    if (n.cut.length > 0) healed.push(n.name);
    n.cut = [];
  }
  await writeState(paths, state);
  return { healed };
}

export interface DownReport {
  name: string;
  existed: boolean;
  killed: { node: string; pid: number }[];
  /** Whatever survived the teardown; all empty when it was clean. */
  leftovers: { processes: number[]; listeningPorts: number[]; stateDir: boolean };
}

/** Kill every VM, remove the whole state dir, then check that nothing is left. */
export async function labDown(name: string): Promise<DownReport> {
  const paths = new LabPaths(name);
  return withLabLock(paths, 'down', () => downLocked(paths, name));
}

async function downLocked(paths: LabPaths, name: string): Promise<DownReport> {
  if (!(await exists(paths.dir))) {
    return { name, existed: false, killed: [], leftovers: { processes: [], listeningPorts: [], stateDir: false } };
  }
  const state = await readState(paths).catch(() => undefined);
  // Node names from the state, and from pid files in case the state is damaged.
  const names = new Set(state?.nodes.map((n) => n.name) ?? []);
  for (const f of await fs.readdir(paths.dir)) if (f.endsWith('.pid')) names.add(f.slice(0, -4));
  const killed: DownReport['killed'] = [];
  for (const node of names) {
    const pid = await killQemu(paths, node);
    if (pid !== undefined) killed.push({ node, pid });
  }
  for (const pid of await qemuProcessesUnder(paths.dir)) {
    process.kill(pid, 'SIGKILL');
    killed.push({ node: '?', pid });
  }
  await fs.rm(paths.dir, { recursive: true, force: true });
  await new Promise((r) => setTimeout(r, 100)); // let the kernel reap the last sockets

  const ports = state?.nodes.map((n) => n.sshPort) ?? [];
  const listening: number[] = [];
  for (const p of ports) if (await isListening(p)) listening.push(p);
  return {
    name,
    existed: true,
    killed,
    leftovers: { processes: await qemuProcessesUnder(paths.dir), listeningPorts: listening, stateDir: await exists(paths.dir) },
  };
}
