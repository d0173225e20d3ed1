// Facts that read /proc with the shell's read builtin instead of cat, grep,
// awk or id: the same output, without the processes. Run under the real
// /bin/sh of this host, as on a node.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { drbdStatusFact } from '../../src/facts/drbd.js';
import { mountsFact } from '../../src/facts/mounts.js';
import { runningManagerFact } from '../../src/facts/running-manager.js';
import { systemFact } from '../../src/facts/system.js';

const sh = (argv: string[], replace: [string, string] = ['', '']) => execFileSync('sh', ['-c', argv[2]!.replaceAll(...replace)], { encoding: 'utf8' });
const drbdFixtures = path.join(__dirname, '../fixtures/drbd');

describe('drbd status fact', () => {
  it('prints every captured /proc/drbd as cat did (the script pointed at the fixture)', () => {
    for (const name of readdirSync(drbdFixtures).filter((f) => f.includes('proc'))) {
      const text = readFileSync(path.join(drbdFixtures, name), 'utf8');
      const out = sh(drbdStatusFact.command(undefined), ['/proc/drbd', path.join(drbdFixtures, name)]);
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
    const look = () => runningManagerFact.parse(spawnSync('sh', ['-c', runningManagerFact.command(undefined)[2]!], { encoding: 'utf8' }).stdout, undefined);
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
