// The lab on real VMs: boots two QEMU guests through the built CLI once for
// this file, then checks SSH (strict host key checking), kernel DRBD, the
// private networks, a network cut and heal, power off and on, status --json
// and a clean teardown. Skipped, loudly, where VMs cannot run.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isListening } from '../../src/lab/ports.js';
import { qemuProcessesUnder } from '../../src/lab/qemu.js';
import type { LabStatus } from '../../src/services/lab.js';
import { builtCliMissing, labUnavailableReason, runCli, strictSsh, warnLabSkipped, type SshTarget } from './cli.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `test-${process.pid}`;

describe.skipIf(skip)('haforge lab (real VMs)', () => {
  let stateRoot: string;
  let env: NodeJS.ProcessEnv;
  let status: LabStatus;
  let wentDown = false;
  // --name goes right after the subcommand: anything after `--` belongs to the remote command.
  const lab = (cmd: string, ...args: string[]) => runCli(['lab', cmd, '--name', NAME, ...args], env);
  const target = (node: string): SshTarget => {
    const n = status.nodes.find((x) => x.name === node)!;
    return { port: n.sshPort, identityFile: path.join(status.stateDir, 'id_ed25519'), knownHosts: path.join(status.stateDir, 'known_hosts') };
  };
  const ssh = async (node: string, command: string) => strictSsh(target(node), command);
  const readStatus = async (): Promise<LabStatus> => {
    const r = await lab('status', '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as LabStatus;
  };

  beforeAll(async () => {
    const missing = builtCliMissing();
    if (missing) throw new Error(missing);
    // A short private state root: unix socket paths must stay under 108 bytes.
    stateRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'hflab-'));
    env = { ...process.env, HAFORGE_LAB_STATE: stateRoot };
    const up = await lab('up');
    console.info(`lab up (2 VMs) took ${(up.ms / 1000).toFixed(1)} s:\n${up.stderr}`);
    expect(up.code, `lab up failed:\n${up.stdout}\n${up.stderr}`).toBe(0);
    status = await readStatus();
  }, 15 * MIN); // the first run also builds the image (about 2-4 minutes)

  afterAll(async () => {
    if (!wentDown && env) await lab('down');
    if (stateRoot) await fs.rm(stateRoot, { recursive: true, force: true });
  }, 2 * MIN);

  it('status --json names the inventory and every node, all running', async () => {
    expect(status.name).toBe(NAME);
    expect(status.nodes.map((n) => n.name)).toEqual(['node1', 'node2']);
    for (const [i, n] of status.nodes.entries()) {
      expect(n.power).toBe('running');
      expect(n.pid).toBeGreaterThan(0);
      expect(n.addresses).toEqual({ ssh: `127.0.0.1:${n.sshPort}`, replication: `10.99.0.${11 + i}`, ring1: `10.98.0.${11 + i}` });
    }
    const inv = parse(await fs.readFile(status.inventory, 'utf8'));
    expect(inv.version).toBe(1);
    expect(inv.defaults.ssh).toEqual({ user: 'root', identity_file: target('node1').identityFile, known_hosts: target('node1').knownHosts });
    expect(inv.clusters.lab.primary).toBe('node1');
    expect(inv.clusters.lab.stack).toBe('pacemaker');
    expect(inv.clusters.lab.nodes.node2).toEqual({
      address: '127.0.0.1',
      ssh: { port: status.nodes[1].sshPort },
      replication_address: '10.99.0.12',
      ring1_address: '10.98.0.12',
      vars: { data_disk: '/dev/vdb' },
    });
    expect((await fs.stat(target('node1').identityFile)).mode & 0o777).toBe(0o600);
  });

  it('SSH works with strict host key checking, and fails without the recorded key', async () => {
    for (const node of ['node1', 'node2']) {
      const r = await ssh(node, 'hostname');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(node);
    }
    const empty = path.join(stateRoot, 'empty_known_hosts');
    await fs.writeFile(empty, '');
    const refused = await strictSsh({ ...target('node1'), knownHosts: empty }, 'true');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Host key verification failed/);
  });

  it('kernel DRBD 8.4 loads, the data disk is there, cluster daemons are installed but not enabled', async () => {
    const r = await ssh('node1', 'modprobe drbd && cat /proc/drbd && lsblk -bdno SIZE /dev/vdb && systemctl is-enabled corosync pacemaker heartbeat lighttpd || true; command -v crm_mon corosync drbdadm cibadmin');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^version: 8\.4\./m);
    expect(r.stdout).toMatch(/^268435456$/m);
    expect(r.stdout).not.toMatch(/^enabled$/m);
    expect(r.stdout).toMatch(/crm_mon/);
  });

  it('the image\'s tuning is in place: 2 vCPUs, unused systemd generators off, lighttpd reads static includes', async () => {
    const r = await ssh('node1', 'nproc; readlink /etc/systemd/system-generators/systemd-cryptsetup-generator; grep -c "^include_shell" /etc/lighttpd/lighttpd.conf; grep "^include \\"mime.conf\\"" /etc/lighttpd/lighttpd.conf && lighttpd -tt -f /etc/lighttpd/lighttpd.conf && echo config-ok');
    expect(r.stdout).toBe('2\n/dev/null\n0\ninclude "mime.conf"\nconfig-ok\n');
  });

  it('nodes reach each other on both private networks and by name', async () => {
    const r = await ssh('node1', 'ping -c1 -W3 10.99.0.12 && ping -c1 -W3 10.98.0.12 && ping -c1 -W3 node2 && getent hosts node2');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10\.99\.0\.12\s+node2/);
  });

  it('lab ssh runs one command and exits with its code', async () => {
    const argv = await lab('ssh', 'node2', '--', 'sh', '-c', 'echo "$(hostname) a b"; exit 7');
    expect(argv.code).toBe(7);
    expect(argv.stdout).toBe('node2 a b\n');
    const line = await lab('ssh', 'node1', '--', 'cat /proc/sys/kernel/hostname | tr a-z A-Z');
    expect(line.code, line.stderr).toBe(0);
    expect(line.stdout).toBe('NODE1\n');
  });

  it('cut really cuts both private links, heal restores them', async () => {
    const cut = await lab('cut', 'node1', 'node2');
    expect(cut.code, cut.stderr).toBe(0);
    expect((await readStatus()).nodes[0].cutLinks).toEqual(['replication', 'ring1']);
    const during = await ssh('node1', 'ping -c2 -W1 10.99.0.12; echo "r=$?"; ping -c2 -W1 10.98.0.12; echo "r=$?"');
    expect(during.stdout).toMatch(/r=1[\s\S]*r=1/);
    const fromPeer = await ssh('node2', 'ping -c2 -W1 10.99.0.11 >/dev/null; echo "r=$?"');
    expect(fromPeer.stdout.trim()).toBe('r=1');

    const heal = await lab('heal');
    expect(heal.code, heal.stderr).toBe(0);
    // The link is back at once; allow a few seconds for ARP.
    const after = await ssh('node1', 'for i in 1 2 3 4 5; do ping -c1 -W2 10.99.0.12 >/dev/null && ping -c1 -W2 10.98.0.12 >/dev/null && exit 0; done; exit 1');
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect((await readStatus()).nodes[0].cutLinks).toEqual([]);
  });

  it('kill is a power failure; start boots the same disk with the same port and host key, powering on again if QEMU dies during the boot', async () => {
    const write = await ssh('node2', 'echo kept > /root/marker && sync');
    expect(write.code, write.stderr).toBe(0);
    const kill = await lab('kill', 'node2');
    expect(kill.code, kill.stderr).toBe(0);
    const off = await readStatus();
    expect(off.nodes[1]).toMatchObject({ power: 'off', pid: null });
    expect(off.nodes[0].power).toBe('running');
    expect(await isListening(off.nodes[1].sshPort)).toBe(false);

    // QEMU dies while the guest boots (QEMU 7.2's TCG crashes so, now and then): start powers it on once more.
    const starting = lab('start', 'node2');
    const pidFile = path.join(status.stateDir, 'node2.pid');
    let crashed: number | undefined;
    for (let i = 0; i < 200 && crashed === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0 && (await qemuProcessesUnder(status.stateDir)).includes(pid)) crashed = pid;
    }
    expect(crashed, 'the new QEMU process of node2').toBeDefined();
    await new Promise((r) => setTimeout(r, 3000)); // into the guest's boot
    process.kill(crashed!, 'SIGKILL');
    const start = await starting;
    console.info(`lab start node2 (QEMU killed 3 s into the first boot) took ${(start.ms / 1000).toFixed(1)} s`);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain('node2: QEMU exited before the guest came up; powering it on once more');
    status = await readStatus();
    expect(status.nodes[1].power).toBe('running');
    expect(status.nodes[1].sshPort).toBe(off.nodes[1].sshPort);
    const r = await ssh('node2', 'cat /root/marker; ping -c1 -W3 10.99.0.11 >/dev/null && echo reach');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('kept\nreach\n');
  }, 6 * MIN);

  it('down stops every VM and leaves no process, port or file', async () => {
    const ports = status.nodes.map((n) => n.sshPort);
    const down = await lab('down', '--json');
    wentDown = true;
    expect(down.code, down.stderr).toBe(0);
    const report = JSON.parse(down.stdout);
    expect(report.leftovers).toEqual({ processes: [], listeningPorts: [], stateDir: false });
    expect(await qemuProcessesUnder(status.stateDir)).toEqual([]);
    for (const p of ports) expect(await isListening(p)).toBe(false);
    await expect(fs.stat(status.stateDir)).rejects.toThrow(/ENOENT/);
    const gone = await lab('status', '--json');
    // Every command's errors, with --json: the error as JSON on stdout, exit 1.
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout).error).toMatchObject({ kind: 'user', message: expect.stringMatching(/no lab named/) });
  });
});
