// Facts that read /proc with the shell's read builtin instead of cat, grep,
// awk or id: the same output, without the processes. Run under the real
// /bin/sh of this host, as on a node.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceFilesystemFact } from '../../src/facts/blockdev.js';
import { drbdStatusFact } from '../../src/drbd/status.js';
import { mountsFact } from '../../src/facts/mounts.js';
import { runningManagerFact } from '../../src/facts/running-manager.js';
import { systemFact } from '../../src/facts/system.js';

const sh = (argv: string[], replace: [string, string] = ['', '']) => execFileSync('sh', ['-c', argv[2]!.replaceAll(...replace)], { encoding: 'utf8' });
const drbdFixtures = path.join(__dirname, '../fixtures/drbd');

describe('drbd status fact', () => {
  it('prints every captured /proc/drbd as cat did (the script pointed at the fixture)', () => {
    // A DRBD 9 capture makes the script ask drbdsetup next (the next test): this host's answer is not the point here.
    const [, flag, script] = drbdStatusFact.command(undefined);
    const procOnly = ['sh', flag!, script!.replace('drbdsetup status --json', 'true')];
    for (const name of readdirSync(drbdFixtures).filter((f) => f.includes('proc'))) {
      const text = readFileSync(path.join(drbdFixtures, name), 'utf8');
      const out = sh(procOnly, ['/proc/drbd', path.join(drbdFixtures, name)]);
      expect(out, name).toBe(`== proc\n${text}== json\n`);
    }
  });

  it('asks drbdsetup only where the module is DRBD 9, and prints nothing where there is no /proc/drbd', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-drbd9-'));
    writeFileSync(path.join(dir, 'drbd'), 'version: 9.2.8 (api:2/proto:86-122)\n');
    // drbdsetup replaced by an echo: whether it runs is what counts here.
    const script = drbdStatusFact.command(undefined)[2]!.replace('drbdsetup status --json', 'echo json-asked');
    expect(sh(['sh', '-c', script], ['/proc/drbd', path.join(dir, 'drbd')])).toBe('== proc\nversion: 9.2.8 (api:2/proto:86-122)\n== json\njson-asked\n');
    expect(sh(['sh', '-c', script], ['/proc/drbd', path.join(drbdFixtures, 'lab-8.4-proc-connected-primary.txt')])).not.toContain('json-asked');
    expect(sh(['sh', '-c', script], ['/proc/drbd', path.join(dir, 'none')])).toBe('== proc\n== json\n');
  });
});

describe('device filesystem fact', () => {
  // /proc/self/mounts and /sys/class/block pointed at files made here: a mounted
  // DRBD device and a read-only one need no block tools, anything else is probed.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-devfs-'));
  const mounts = path.join(dir, 'mounts');
  writeFileSync(mounts, '/dev/vda / ext4 rw,noatime 0 0\n/dev/drbd0 /replicated ext4 rw,noatime 0 0\n');
  for (const [name, ro] of [['drbd0', '0'], ['drbd1', '1'], ['drbd2', '0']]) {
    execFileSync('mkdir', ['-p', path.join(dir, 'block', name!)]);
    writeFileSync(path.join(dir, 'block', name!, 'ro'), `${ro}\n`);
  }
  const read = (device: string) => {
    const script = deviceFilesystemFact.command(device)[2]!.replace('/proc/self/mounts', mounts).replace('/sys/class/block/', `${dir}/block/`);
    return deviceFilesystemFact.parse(sh(['sh', '-c', script]), 0);
  };

  it('takes the type of a mounted device from the kernel, and calls a read-only one so', () => {
    expect(read('/dev/drbd0')).toEqual({ mountedAs: 'ext4' });
    expect(read('/dev/drbd1')).toEqual({ readOnly: true });
  });

  it('probes a writable device that is not mounted (here one that does not exist)', () => {
    expect(read('/dev/drbd2')).toEqual({ probed: { exists: false } });
    expect(read('/dev/nothing-here')).toEqual({ probed: { exists: false } });
  });
});

describe('mounts fact', () => {
  it('prints /proc/self/mounts as cat does', () => {
    const out = sh(mountsFact.command(undefined));
    expect(out).toBe(readFileSync('/proc/self/mounts', 'utf8'));
    expect(mountsFact.parse(out, 0).some((m) => m.path === '/')).toBe(true);
  });
});

describe('system fact', () => {
  it('uid, memory and CPUs from /proc and /sys agree with what Node reads on this host', () => {
    const facts = systemFact.parse(sh(systemFact.command(undefined)), 0);
    expect(facts.uid).toBe(process.getuid!());
    expect(facts.memTotalKiB).toBe(os.totalmem() / 1024);
    expect(facts.cpus).toBe(os.cpus().length);
    expect(facts.hostname).toBe(os.hostname());
  });
});

describe('running-manager fact', () => {
  it('knows a manager by its process name as pgrep -x does (stand-in processes named pacemakerd and heartbeat: no cluster runs here)', async () => {
    // Parsed whatever the exit code, as in a batch (crm_attribute is not installed here).
    const look = () => runningManagerFact.parse(spawnSync('sh', ['-c', runningManagerFact.command(undefined)[2]!], { encoding: 'utf8' }).stdout, 0);
    const pgrep = (name: string) => spawnSync('pgrep', ['-x', name]).status === 0;
    expect(look()).toEqual({ pacemaker: pgrep('pacemakerd'), heartbeat: pgrep('heartbeat'), maintenanceMode: undefined });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-manager-'));
    try {
      for (const [name, key] of [['heartbeat', 'heartbeat'], ['pacemakerd', 'pacemaker']] as const) {
        copyFileSync('/bin/sleep', path.join(dir, name));
        const standIn = spawn(path.join(dir, name), ['30'], { stdio: 'ignore' });
        await new Promise((r) => standIn.once('spawn', r));
        try {
          expect(pgrep(name), name).toBe(true);
          expect(look(), name).toMatchObject({ [key]: true, maintenanceMode: undefined });
        } finally {
          standIn.kill();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
