// One VM = one QEMU process, started detached (-daemonize) so it outlives the
// CLI, found again through its pid file, and killed with SIGKILL (that is
// what a power failure looks like to the guest).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { UserError } from '../errors.js';
import { run } from './exec.js';
import { PRIVATE_LINKS, SBD_DISK_SERIAL, macFor } from './network.js';
import type { LabPaths } from './paths.js';
import { hostName, type LabState, type NodeState } from './state.js';

export interface LaunchSpec {
  state: LabState;
  node: NodeState;
  paths: LabPaths;
  /** base64 of the lab's ed25519 public key. */
  sshKeyBlob: string;
  qemuBinary: string;
}

/** QEMU could not listen on the node's SSH port (someone took it since it was picked). */
export class PortBusyError extends UserError {}

/** QEMU's NIC id for a private link; QMP set_link names it. */
export function nicId(link: string): string {
  return `nic-${link}`;
}

export function kernelCommandLine(spec: LaunchSpec): string {
  const { state, node } = spec;
  const machineId = createHash('sha256').update(`${state.name}:${node.name}:${state.createdAt}`).digest('hex').slice(0, 32);
  const nets = PRIVATE_LINKS.map((l) => `${l.nic}=${node.addresses[l.id]}/24`).join(',');
  const hosts = (link: 'replication' | 'ring1') => state.nodes.map((n) => `${hostName(state, n)}=${n.addresses[link]}`).join(',');
  // norandmaps: QEMU 7.2's TCG finds translated code by virtual address, so with
  // address-space randomisation every new process's libraries are new code to
  // translate. Without it a fork+exec costs half or less, a Pacemaker switchover 30-43 s -> 16-21 s.
  return [
    'root=/dev/vda', 'rw', 'console=ttyS0', 'quiet', 'net.ifnames=0', 'mitigations=off', 'norandmaps',
    `systemd.hostname=${hostName(state, node)}`, `systemd.machine_id=${machineId}`,
    `haforge.net=${nets}`, `haforge.hosts=${hosts('replication')}`, `haforge.hosts1=${hosts('ring1')}`,
    `haforge.sshkey=${spec.sshKeyBlob}`,
  ].join(' ');
}

export function qemuArgv(spec: LaunchSpec): string[] {
  const { state, node, paths } = spec;
  // TCG's code cache defaults to 1 GiB; a lab node translates about 300 MiB (boot, bootstrap,
  // switchovers; norandmaps lets processes share it), so 512 MiB holds it without flushes.
  // KVM keeps QEMU's default CPU model: `-cpu host` aborts on a PVM-only /dev/kvm (MSR 0x10a).
  const accel = state.accel === 'kvm' ? ['-accel', 'kvm'] : ['-accel', 'tcg,tb-size=512'];
  const argv = [
    spec.qemuBinary,
    '-name', `haforge-${state.name}-${node.name},process=haforge-${state.name}-${node.name}`,
    '-machine', 'pc', ...accel, '-smp', String(state.cpus ?? 1), '-m', String(state.memoryMiB),
    '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
    '-kernel', state.kernel, '-initrd', state.initrd, '-append', kernelCommandLine(spec),
    // Every disk a -device of its own, in this order: devices take PCI slots in the
    // order given, and the guest names virtio disks by slot (vda root, vdb data, vdc SBD).
    '-drive', `file=${paths.overlay(node.name)},if=none,id=root,format=qcow2,discard=unmap`,
    '-device', 'virtio-blk-pci,drive=root',
    '-drive', `file=${paths.dataDisk(node.name)},if=none,id=data,format=raw`,
    '-device', 'virtio-blk-pci,drive=data',
    // SBD's shared disk: one raw file on every VM (share-rw, no image locking), and a
    // watchdog that resets the guest when sbd stops feeding it.
    ...(state.sbd
      ? [
          '-drive', `file=${paths.sbdDisk},if=none,id=sbd,format=raw,file.locking=off,cache=none`,
          '-device', `virtio-blk-pci,drive=sbd,share-rw=on,serial=${SBD_DISK_SERIAL}`,
          '-device', 'i6300esb', '-action', 'watchdog=reset',
        ]
      : []),
    '-netdev', `user,id=mgmt,hostfwd=tcp:127.0.0.1:${node.sshPort}-:22`,
    '-device', `virtio-net-pci,netdev=mgmt,id=nic-mgmt,mac=${macFor(state.name, node.index, 0)}`,
  ];
  PRIVATE_LINKS.forEach((l, i) => {
    const m = state.mcast[l.id];
    argv.push(
      '-netdev', `socket,id=net-${l.id},mcast=${m.group}:${m.port},localaddr=127.0.0.1`,
      '-device', `virtio-net-pci,netdev=net-${l.id},id=${nicId(l.id)},mac=${macFor(state.name, node.index, i + 1)}`,
    );
  });
  argv.push(
    '-device', 'virtio-rng-pci', // entropy for the first-boot host key
    '-chardev', `file,id=serial0,path=${paths.serialLog(node.name)}`,
    '-serial', 'chardev:serial0',
    '-qmp', `unix:${paths.qmpSocket(node.name)},server=on,wait=off`,
    '-pidfile', paths.pidFile(node.name),
    '-daemonize',
  );
  return argv;
}

/** Starts the VM; resolves once QEMU has daemonized (devices and ports set up), not when the guest is up. */
export async function launch(spec: LaunchSpec): Promise<number> {
  const { paths, node } = spec;
  const sock = paths.qmpSocket(node.name);
  if (Buffer.byteLength(sock) > 100) {
    throw new UserError(`the lab state path is too long for a unix socket: ${sock}`, { hint: 'set HAFORGE_LAB_STATE to a shorter directory' });
  }
  await fs.rm(sock, { force: true });
  await fs.rm(paths.pidFile(node.name), { force: true });
  const r = await run(qemuArgv(spec), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    const msg = r.stderr.trim() || `exit code ${r.exitCode ?? r.signal}`;
    const portBusy = /hostfwd|Could not set up host forwarding/i.test(msg);
    throw new (portBusy ? PortBusyError : UserError)(`QEMU could not start ${node.name}: ${msg}`, {
      hint: portBusy
        ? `port ${node.sshPort} is taken by another program; \`haforge lab down --name ${spec.state.name}\` and \`lab up\` again picks new ports`
        : spec.state.accel === 'kvm'
          ? 'KVM does not work with this machine\'s /dev/kvm; use `--accel tcg` (the default)'
          : undefined,
    });
  }
  const pid = await readPid(paths, node.name);
  if (pid === undefined) throw new UserError(`QEMU started ${node.name} but wrote no pid file`);
  return pid;
}

export async function readPid(paths: LabPaths, node: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(paths.pidFile(node), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of this node's QEMU if it is running (checked against its command line: pids get reused). */
export async function runningPid(paths: LabPaths, node: string): Promise<number | undefined> {
  const pid = await readPid(paths, node);
  if (pid === undefined) return undefined;
  return (await isOurQemu(pid, paths.qmpSocket(node))) ? pid : undefined;
}

async function isOurQemu(pid: number, qmpSocket: string): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false; // killed, not yet reaped
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(qmpSocket);
  } catch {
    return false;
  }
}

/** SIGKILL and wait until the process is gone. */
export async function killQemu(paths: LabPaths, node: string): Promise<number | undefined> {
  const pid = await runningPid(paths, node);
  if (pid !== undefined) {
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (await isOurQemu(pid, paths.qmpSocket(node))) {
      if (Date.now() > deadline) throw new UserError(`QEMU process ${pid} (${node}) did not die after SIGKILL`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await fs.rm(paths.pidFile(node), { force: true });
  await fs.rm(paths.qmpSocket(node), { force: true });
  return pid;
}

/** Every QEMU process whose command line mentions a path under dir (for `down`'s leftover check). */
export async function qemuProcessesUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = await fs.readFile(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('qemu-system') && cmdline.includes(`${dir}/`)) {
        const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8');
        if (!stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) pids.push(Number(name));
      }
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
