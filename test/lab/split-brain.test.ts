// Split brain on real VMs (kernel DRBD 8.4): the drbd playbook takes blank
// VMs to UpToDate with /replicated on node1; cutting the link and writing
// on both sides as Primary makes a real split brain (both StandAlone,
// "Split-Brain detected" in dmesg). Then: detection names each side's
// files; --check prints the sequence and changes nothing; the repair keeps
// node1's data, archives node2's file on this workstation and resyncs; a
// second repair does nothing.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { LabStatus } from '../../src/services/lab.js';
import { labRepairSequence, stepLine } from '../support/split-brain.js';
import { builtCliMissing, labShell, labUnavailableReason, runCli, runProgram, warnLabSkipped } from './cli.js';

// Runs with the rest of the lab suite since 2026-12-03: in 1 of its first 4 runs the
// read-only look at the victim's backing disk listed no files (cause not proven; the
// look has flushed the disk's buffers since); in the 9 runs since, haforge's part was
// always right (one run failed on this test's own --check comparison, mended there).
const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `sb-${process.pid}`;

describe.skipIf(skip)('split brain in the lab (real VMs)', () => {
  let stateRoot: string;
  let env: NodeJS.ProcessEnv;
  let status: LabStatus;
  let rescueDir: string;
  /** When node2 lost the link, by its kernel log (from the detection). */
  let node2Parted: number;
  const timings: Record<string, number> = {};
  const lab = (cmd: string, ...args: string[]) => runCli(['lab', cmd, '--name', NAME, ...args], env);
  const ssh = (node: string, command: string) => labShell(status)(node, command);
  const proc = (node: string) => ssh(node, 'cat /proc/drbd');
  /** Polls both nodes' /proc/drbd until `done` holds for both (or fails after `seconds`). */
  const until = async (what: string, done: (procDrbd: string) => boolean, seconds = 90) => {
    const deadline = Date.now() + seconds * 1000;
    let last: string[] = [];
    while (Date.now() < deadline) {
      last = await Promise.all(['node1', 'node2'].map(proc));
      if (last.every(done)) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`gave up waiting for ${what}:\n${last.join('\n')}`);
  };
  const cli = async (...args: string[]) => {
    const auditFile = path.join(stateRoot, `audit-${Date.now()}.jsonl`);
    const ran = await runCli([...args, '-i', status.inventory, '--json', '--audit-log', auditFile], env);
    const audit = (await fs.readFile(auditFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    let json: any;
    try {
      json = JSON.parse(ran.stdout);
    } catch {
      throw new Error(`not JSON (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    }
    return { ran, json, audit };
  };
  /** haforge status --json's cluster (no cluster manager runs here: only DRBD is configured). */
  const statusNow = async () => JSON.parse((await runCli(['status', '-i', status.inventory, '--json'], env)).stdout).clusters[0];
  const detect = async () => {
    const ran = await runCli(['split-brain', '-i', status.inventory, '--json'], env);
    return { code: ran.code, json: JSON.parse(ran.stdout) };
  };

  beforeAll(async () => {
    const missing = builtCliMissing();
    if (missing) throw new Error(missing);
    stateRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'hfsb-'));
    rescueDir = path.join(stateRoot, 'rescue');
    env = { ...process.env, HAFORGE_LAB_STATE: stateRoot, XDG_STATE_HOME: path.join(stateRoot, 'xdg') };
    const up = await lab('up');
    expect(up.code, `lab up failed:\n${up.stdout}\n${up.stderr}`).toBe(0);
    status = JSON.parse((await lab('status', '--json')).stdout) as LabStatus;
    // DRBD alone, no cluster manager: no fencing (with STONITH fencing, DRBD would freeze I/O and wait for
    // a cluster manager's fence-peer handler when the nodes part, and this test makes them part).
    const inv = parse(await fs.readFile(status.inventory, 'utf8'));
    inv.clusters.lab.fencing = { enabled: false };
    await fs.writeFile(status.inventory, stringify(inv));
    const apply = await runCli(['apply', '-i', status.inventory, 'drbd', '--yes', '--json'], env);
    expect(apply.code, apply.stdout.slice(-3000)).toBe(0);
    expect(await proc('node1')).toMatch(/cs:Connected ro:Primary\/Secondary ds:UpToDate\/UpToDate/);

    // A real split brain: apart, both write as Primary, together again.
    expect((await lab('cut', 'node1', 'node2')).code).toBe(0);
    await until('the nodes to notice the cut', (p) => !/cs:Connected/.test(p));
    await ssh('node2', 'drbdadm primary r0 && mount /replicated && echo "from node2" > /replicated/node2-file.txt && sync');
    await ssh('node1', 'echo "from node1" > /replicated/node1-file.txt && sync');
    await ssh('node2', 'umount /replicated && drbdadm secondary r0');
    expect((await lab('heal')).code).toBe(0);
    // They reconnect by themselves from WFConnection; DRBD then refuses (after-sb-* disconnect).
    const deadline = Date.now() + 90_000;
    while (!(await Promise.all(['node1', 'node2'].map(proc))).every((p) => /cs:StandAlone/.test(p))) {
      if (Date.now() > deadline) {
        for (const n of ['node1', 'node2']) await ssh(n, 'drbdadm connect r0 || true');
        await until('both StandAlone', (p) => /cs:StandAlone/.test(p), 60);
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const n of ['node1', 'node2']) expect(await ssh(n, 'dmesg')).toMatch(/Split-Brain detected but unresolved/);
  }, 20 * MIN);

  afterAll(async () => {
    console.info(`split-brain lab timings (s): ${JSON.stringify(timings)}`);
    if (env) await lab('down');
    if (stateRoot) await fs.rm(stateRoot, { recursive: true, force: true });
  }, 2 * MIN);

  it('detects the split brain and names the files each side changed', async () => {
    const t0 = Date.now();
    const { code, json } = await detect();
    timings.detect = (Date.now() - t0) / 1000;
    expect(code).toBe(2);
    const r0 = json.resources.find((r: any) => r.name === 'r0');
    expect(r0).toMatchObject({ splitBrain: true, verdict: 'split-brain', lineage: 'diverged' });
    expect(r0.signals.map((s: any) => `${s.kind} ${s.node ?? ''}`.trim()).sort()).toEqual(
      expect.arrayContaining(['diverged-data', 'kernel-log node1', 'kernel-log node2', 'standalone node1', 'standalone node2']),
    );
    const side = (n: string) => r0.sides.find((s: any) => s.node === n);
    expect(side('node1')).toMatchObject({ role: 'Primary', connection: 'StandAlone', mountedAt: '/replicated', primaryAtSplit: true });
    expect(side('node2')).toMatchObject({ role: 'Secondary', connection: 'StandAlone', primaryAtSplit: false });
    expect(side('node2').mountedAt).toBeUndefined();
    expect(side('node2').promotedAt).toBeGreaterThan(side('node2').disconnectedAt);
    node2Parted = side('node2').disconnectedAt;
    const files = (n: string) => side(n).changes.files.map((f: any) => f.path);
    for (const [n, via] of [['node1', 'mount'], ['node2', 'read-only look']]) {
      expect(side(n!).changes.via).toBe(via);
      expect(side(n!).changes.error, JSON.stringify(side(n!).changes)).toBeUndefined();
    }
    expect(files('node1')).toContain('node1-file.txt');
    expect(files('node1')).not.toContain('node2-file.txt');
    expect(files('node2')).toContain('node2-file.txt');
    expect(files('node2')).not.toContain('node1-file.txt');
    expect(r0.explanation.join('\n')).toMatch(/node2: Secondary, StandAlone; filesystem not mounted; became Primary at .* UTC while apart/);
    // The look at node2's disk left nothing behind.
    expect(await ssh('node2', 'losetup -a; ls -d /run/haforge-look.* 2>/dev/null; true')).toBe('');
    // status says it too: split brain, critical; node1, the only Primary, is the primary.
    const st = await statusNow();
    expect(st).toMatchObject({ primary: 'node1', healthy: false, drbd: [{ name: 'r0', verdict: 'split-brain' }] });
    expect(st.warnings).toContainEqual(expect.objectContaining({ severity: 'critical', message: 'DRBD r0: SPLIT BRAIN' }));
  }, 5 * MIN);

  it('--check prints the exact sequence and changes nothing', async () => {
    // The generation UUIDs and the states (not the I/O counters: reading files counts too), and
    // node2's out-of-sync count. Not node1's: it is Primary with the volume mounted, and the kernel
    // writes there by itself (ext4 initialises inode tables lazily for a while after mkfs, and
    // commits its journal), which grows its count while nothing of haforge runs.
    const drbdState = "drbdadm get-gi r0; grep -o -e 'cs:[^ ]* ro:[^ ]* ds:[^ ]*' /proc/drbd";
    const state = () => Promise.all([ssh('node1', drbdState), ssh('node2', `${drbdState}; grep -o -e 'oos:[0-9]*' /proc/drbd`)]);
    const before = await state();
    const { ran, json, audit } = await cli('split-brain', 'repair', '--victim', 'node2', '--check');
    expect(ran.code).toBe(0);
    const [r] = json.repairs;
    expect(r).toMatchObject({ status: 'planned', victim: 'node2', survivor: 'node1' });
    // Rescued: node2's files changed since its own loss of the link (kernel log), 30 s early.
    expect(r.steps.map(stepLine)).toEqual(labRepairSequence(Math.floor(node2Parted) - 30));
    expect(audit.filter((a) => a.kind === 'change' || a.kind === 'lock')).toEqual([]);
    expect(before[1]).toMatch(/cs:StandAlone ro:Secondary\/Unknown ds:UpToDate\/DUnknown/);
    expect(await state()).toEqual(before);
    // The policies agree on node2 here: node1 was Primary before the split and is Primary now.
    for (const policy of ['younger-primary', 'not-current-primary']) {
      const p = await cli('split-brain', 'repair', '--policy', policy, '--check');
      expect(p.json.repairs[0], policy).toMatchObject({ status: 'planned', victim: 'node2' });
    }
  }, 5 * MIN);

  it("repairs it: node1's data kept, node2's file in the rescue archive, both UpToDate", async () => {
    const { ran, json, audit } = await cli('split-brain', 'repair', '--victim', 'node2', '--rescue-dir', rescueDir);
    timings.repairCli = ran.ms / 1000;
    const [r] = json.repairs;
    timings.repair = r.timings.totalMs / 1000;
    timings.rescue = r.timings.rescueMs / 1000;
    timings.discardToUpToDate = r.timings.resyncMs / 1000;
    timings.slowestFactRead = Math.max(...audit.filter((a) => a.kind === 'fact').map((a) => a.durationMs)) / 1000;
    expect(r.status, JSON.stringify(r, null, 2)).toBe('repaired');
    expect(ran.code).toBe(0);
    expect(ran.ms).toBeLessThan(60_000);
    // The archive: on this workstation, 0600, with node2's file and not node1's.
    expect(path.dirname(r.rescue)).toBe(rescueDir);
    expect(path.basename(r.rescue)).toMatch(/^lab-r0-node2-\d{8}T\d{6}Z\.tar\.gz$/);
    expect((await fs.stat(r.rescue)).mode & 0o777).toBe(0o600);
    const listing = await runProgram('tar', ['-tzf', r.rescue]);
    expect(listing.stdout.split('\n')).toContain('./node2-file.txt');
    expect(listing.stdout).not.toMatch(/node1-file/);
    expect((await runProgram('tar', ['-xzOf', r.rescue, './node2-file.txt'])).stdout).toBe('from node2\n');
    expect(r.rescued.entries).toContain('node2-file.txt');
    // Survivor intact, the victim's change gone, both sides in sync.
    expect(await ssh('node1', 'cat /replicated/node1-file.txt; test ! -e /replicated/node2-file.txt && echo gone')).toBe('from node1\ngone\n');
    expect(await proc('node1')).toMatch(/cs:Connected ro:Primary\/Secondary ds:UpToDate\/UpToDate/);
    expect(await proc('node2')).toMatch(/cs:Connected ro:Secondary\/Primary ds:UpToDate\/UpToDate[\s\S]*oos:0/);
    const after = await statusNow();
    expect(after).toMatchObject({ primary: 'node1', drbd: [{ name: 'r0', verdict: 'healthy' }] });
    expect(after.warnings.filter((w: any) => /DRBD/.test(w.message))).toEqual([]);
    const destructive = audit.filter((a) => a.destructive).map((a) => `${a.host} ${a.argv.join(' ')}`);
    expect(destructive).toEqual(['node2 drbdadm connect --discard-my-data r0']);
    // The disconnect of a StandAlone resource exits 10, which the repair takes as "already StandAlone".
    expect(r.steps.find((s: any) => s.argv.join(' ') === 'drbdadm disconnect r0')).toMatchObject({ status: 'ok', exitCode: 10 });
    // Facts per node: detection, changed files, the guard before the promotion, the guard before the discard, the final check.
    for (const n of ['node1', 'node2']) expect(audit.filter((a) => a.kind === 'fact' && a.host === n)).toHaveLength(5);
    const discard = audit.findIndex((a) => a.destructive);
    expect(audit.slice(discard - 2, discard).map((a) => `${a.host} ${a.kind}`).sort()).toEqual(['node1 fact', 'node2 fact']);
    // And node2 now really holds node1's data: it can take over with node1's file.
    await ssh('node1', 'umount /replicated && drbdadm secondary r0');
    expect(await ssh('node2', 'drbdadm primary r0 && mount /replicated && cat /replicated/node1-file.txt; test ! -e /replicated/node2-file.txt && echo gone')).toBe('from node1\ngone\n');
    await ssh('node2', 'umount /replicated && drbdadm secondary r0');
    await ssh('node1', 'drbdadm primary r0 && mount /replicated');
  }, 5 * MIN);

  it('a second repair finds nothing to do and changes nothing', async () => {
    const { ran, json, audit } = await cli('split-brain', 'repair', '--victim', 'node2', '--rescue-dir', rescueDir);
    timings.secondRepair = ran.ms / 1000;
    expect(ran.code).toBe(0);
    // The run lock was taken and given back on both nodes (the first repair gave it back too, or this one would be refused).
    expect(audit.filter((a) => a.kind === 'lock').map((a) => a.host).sort()).toEqual(['node1', 'node1', 'node2', 'node2']);
    expect(json.repairs).toEqual([expect.objectContaining({ resource: 'r0', status: 'nothing-to-do', steps: [] })]);
    expect(audit.filter((a) => a.kind === 'change')).toEqual([]);
    expect((await fs.readdir(rescueDir)).length).toBe(1);
    const after = await detect();
    expect(after.code).toBe(0);
    expect(after.json).toMatchObject({ splitBrain: false, resources: [expect.objectContaining({ verdict: 'healthy' })] });
  }, 5 * MIN);
});
