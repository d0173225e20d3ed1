// A repair plan run by the executor against scripted nodes (DRBD cannot run
// on this machine: each node answers drbdadm as the lab's nodes did, from
// captures): the order of commands, the archive streamed into a 0600 file,
// "already so" exit codes, guards that stop the discard, and the undo steps
// that still run after a failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditedConnection, AuditLog } from '../../src/engine/audit.js';
import { drbdLineageFact } from '../../src/drbd/lineage.js';
import { parseKernelLog } from '../../src/drbd/kernel-log.js';
import { parseProcDrbd } from '../../src/drbd/status.js';
import { parseMounts } from '../../src/facts/mounts.js';
import { parseRunningManager } from '../../src/facts/running-manager.js';
import { analyseResource, type NodeReading, type ResourceReport } from '../../src/procedures/split-brain/detect.js';
import { planRepair, type RepairPlan } from '../../src/procedures/split-brain/repair.js';
import { execute } from '../../src/engine/execute.js';
import type { Connection, ExecOptions, ExecResult } from '../../src/transport/types.js';

const fx = (name: string) => readFileSync(path.join(__dirname, '../fixtures/drbd', name), 'utf8');
const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REF = { cluster: 'lab', name: 'r0', minor: 0, device: '/dev/drbd0', mount: '/replicated', filesystem: 'ext4' };
const manager = (active: string) => parseRunningManager(`== active\n${active}\ninactive\n== maintenance\n`);
function reading(node: string, proc: string, gi: string, mounts: string): NodeReading {
  return {
    node,
    family: '8.4',
    status: parseProcDrbd(fx(proc)),
    lineage: { r0: drbdLineageFact.parse(`== gi\n${fx(gi)}== lldev\n/dev/vdb\n`, 0) },
    log: parseKernelLog(`== now\n1\n1 1\n== journal\n${fx(`lab-8.4-sb-journal-${node}.txt`)}`),
    mounts: parseMounts(fx(mounts)),
    manager: manager('inactive'),
  };
}
const split = (): ResourceReport =>
  analyseResource(REF, [
    reading('node1', 'lab-8.4-sb-proc-standalone-primary.txt', 'lab-8.4-get-gi-sb-node1.txt', 'lab-8.4-sb-mounts-node1.txt'),
    reading('node2', 'lab-8.4-sb-proc-standalone-secondary.txt', 'lab-8.4-get-gi-sb-node2.txt', 'lab-8.4-sb-mounts-node2.txt'),
  ]);
const promotedVictim = (): ResourceReport =>
  analyseResource(REF, [
    reading('node1', 'lab-8.4-sb-proc-standalone-primary.txt', 'lab-8.4-get-gi-sb-node1.txt', 'lab-8.4-sb-mounts-node1.txt'),
    reading('node2', 'lab-8.4-sb-proc-standalone-promoted.txt', 'lab-8.4-get-gi-apart-promoted-node2.txt', 'lab-8.4-sb-mounts-node2.txt'),
  ]);

function plan(rescueFile: string, extra: { pacemaker?: boolean } = {}): RepairPlan {
  const r = split();
  const m = manager(extra.pacemaker ? 'active' : 'inactive');
  const p = planRepair(r, { victim: 'node2', survivor: 'node1', reason: 'named', wish: { victim: 'node2' }, families: { node1: '8.4', node2: '8.4' }, managers: { node1: m, node2: m }, rescue: true, rescueSince: 1796289077, rescueFile });
  if (p.refusal) throw new Error(p.refusal.message);
  return p;
}

/** A real archive, as the node's tar makes it. */
function archiveBytes(): Buffer {
  const tree = mkdtempSync(path.join(dir, 'tree-'));
  writeFileSync(path.join(tree, 'node2-file.txt'), 'from node2\n');
  return execFileSync('sh', ['-c', 'cd "$1" && find . -print0 | tar --null --no-recursion -T - -czf -', 'sh', tree]);
}

type Answer = { exitCode: number; stdout?: string; stderr?: string; bytes?: Buffer };
class ScriptedNode implements Connection {
  readonly calls: string[] = [];
  constructor(
    readonly host: string,
    private readonly answer: (command: string) => Answer,
  ) {}
  async exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    const command = argv.join(' ');
    this.calls.push(command);
    const a = this.answer(command);
    if (a.bytes && opts?.stdoutTo) opts.stdoutTo.write(a.bytes);
    return { stdout: a.stdout ?? '', stderr: a.stderr ?? '', exitCode: a.exitCode, durationMs: 1 };
  }
  async close(): Promise<void> {}
}

/** Answers like the lab's nodes did: disconnect of a StandAlone resource exits 10, the resync is done at once. */
function labLike(overrides: (command: string) => Answer | undefined = () => undefined) {
  return (command: string): Answer => {
    const o = overrides(command);
    if (o) return o;
    if (command === 'drbdadm disconnect r0') return { exitCode: 10, stderr: fx('lab-8.4-disconnect-standalone-stderr.txt') };
    if (command.startsWith('sh -c echo \'== proc\'')) return { exitCode: 0, stdout: `== proc\n${fx('lab-8.4-sb-proc-repaired-secondary.txt')}== json\n` };
    if (command.includes('tar --null')) return { exitCode: 0, bytes: archiveBytes() };
    return { exitCode: 0 };
  };
}

function setup(answer1: (c: string) => Answer, answer2: (c: string) => Answer, rereads: (() => ResourceReport)[] = [split, split]) {
  const audit = new AuditLog();
  const node1 = new ScriptedNode('node1', answer1);
  const node2 = new ScriptedNode('node2', answer2);
  const conns = new Map([
    ['node1', new AuditedConnection(node1, audit)],
    ['node2', new AuditedConnection(node2, audit)],
  ]);
  let n = 0;
  const reread = async () => (rereads[Math.min(n++, rereads.length - 1)] ?? split)();
  const rescueFile = path.join(dir, `rescue-${Math.random().toString(16).slice(2)}`, 'lab-r0-node2.tar.gz');
  return { audit, node1, node2, rescueFile, env: { connection: async (node: string) => conns.get(node)!, reread }, rereadCount: () => n };
}

describe('running a repair plan', () => {
  it('runs the sequence in order, streams the archive into a 0600 file, takes exit 10 of disconnect as done', async () => {
    const t = setup(labLike(), labLike());
    const run = await execute(plan(t.rescueFile).steps, t.env);
    expect(run.failure).toBeUndefined();
    expect(run.outcomes.every((s) => s.status === 'ok')).toBe(true);
    expect(t.node2.calls.filter((c) => !c.startsWith('sh -c echo'))).toEqual([
      'drbdadm primary r0',
      'mkdir -p /run/haforge-rescue-r0',
      'mount -o ro /dev/drbd0 /run/haforge-rescue-r0',
      expect.stringMatching(/^sh -c cd \/run\/haforge-rescue-r0 && find/),
      'umount /run/haforge-rescue-r0',
      'rmdir /run/haforge-rescue-r0',
      'drbdadm secondary r0',
      'drbdadm secondary r0',
      'drbdadm disconnect r0',
      'drbdadm connect --discard-my-data r0',
    ]);
    expect(t.node1.calls).toEqual(['drbdadm connect r0']);
    expect(run.outcomes.find((s) => s.argv.join(' ') === 'drbdadm disconnect r0')).toMatchObject({ status: 'ok', exitCode: 10, note: 'exit 10: already StandAlone' });
    expect(run.outcomes.find((s) => s.file)!.file).toMatchObject({ path: t.rescueFile, entries: ['node2-file.txt'] });
    expect(statSync(t.rescueFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(t.rescueFile)).mode & 0o777).toBe(0o700);
    expect(t.rereadCount()).toBe(2);
    expect(t.audit.records.filter((r) => r.destructive).map((r) => `${r.host} ${r.argv.join(' ')}`)).toEqual(['node2 drbdadm connect --discard-my-data r0']);
    expect([...run.phaseStarts.keys()]).toEqual(['rescue', 'discard', 'reconnect', 'resync']);
  });

  it('a failed archive: the victim is unmounted and Secondary again, nothing is discarded, no file is left', async () => {
    const t = setup(labLike(), labLike((c) => (c.includes('tar --null') ? { exitCode: 2, stderr: 'tar: ./big: Cannot open: Input/output error', bytes: Buffer.from('partial') } : undefined)));
    const run = await execute(plan(t.rescueFile).steps, t.env);
    expect(run.failure?.message).toMatch(/^node2: sh -c 'cd \/run\/haforge-rescue-r0 && find .* -czf -' exited 2: tar: \.\/big: Cannot open: Input\/output error$/);
    expect(run.failure?.hint).toMatch(/nothing was discarded/);
    expect(t.node2.calls.slice(4)).toEqual(['umount /run/haforge-rescue-r0', 'rmdir /run/haforge-rescue-r0', 'drbdadm secondary r0']);
    expect(t.node1.calls).toEqual([]);
    expect(run.outcomes.filter((s) => s.status === 'skipped').map((s) => s.argv.join(' '))).toEqual([
      'drbdadm secondary r0',
      'drbdadm disconnect r0',
      'drbdadm connect --discard-my-data r0',
      'drbdadm connect r0',
      expect.stringMatching(/^sh -c echo/),
    ]);
    expect(existsSync(t.rescueFile)).toBe(false);
  });

  it('a guard that no longer holds stops the discard', async () => {
    const t = setup(labLike(), labLike(), [split, promotedVictim]);
    const run = await execute(plan(t.rescueFile).steps, t.env);
    expect(run.failure?.message).toBe('"node2 reconnects discarding its own changes" not run: r0: node2 is Primary, not Secondary');
    expect(t.node2.calls).not.toContain('drbdadm connect --discard-my-data r0');
    expect(t.audit.records.filter((r) => r.destructive)).toEqual([]);
  });

  it("Pacemaker's maintenance mode is set back even when the repair fails", async () => {
    const t = setup(labLike(), labLike((c) => (c === 'drbdadm primary r0' ? { exitCode: 11, stderr: '0: State change failed: (-2) Need access to UpToDate data' } : undefined)));
    const run = await execute(plan(t.rescueFile, { pacemaker: true }).steps, t.env);
    expect(run.failure?.message).toMatch(/^node2: drbdadm primary r0 exited 11: 0: State change failed/);
    expect(t.node1.calls).toEqual(['crm_attribute --type crm_config --name maintenance-mode --update true', 'crm_attribute --type crm_config --name maintenance-mode --delete']);
    expect(t.node2.calls).toEqual([
      'crm_attribute --type crm_config --name maintenance-mode --update true',
      'drbdadm primary r0',
      // The rescue phase had begun: its undo steps run (umount of nothing exits 0 here).
      'umount /run/haforge-rescue-r0',
      'rmdir /run/haforge-rescue-r0',
      'drbdadm secondary r0',
      'crm_attribute --type crm_config --name maintenance-mode --delete',
    ]);
  });
});
