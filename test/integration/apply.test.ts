// The engine end to end against real sshd nodes: first run changes, second
// run is all ok with no change-making command, --check changes nothing, drift
// is repaired, a bad host key and a dead node are contained to their host.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/engine/audit.js';
import type { RunReport } from '../../src/engine/results.js';
import { planSwitchover } from '../../src/procedures/moves.js';
import type { ApplyRequest } from '../../src/services/apply.js';
import { applyFile } from '../support/apply.js';
import { runMove } from '../../src/services/moves.js';
import { loadInventory } from '../../src/inventory/load.js';
import { writeTestInventory } from '../support/inventory.js';
import { nodesUnavailableReason, startNodes, type TestNodes } from '../support/nodes.js';

const PLAYBOOK = path.join(__dirname, '../fixtures/playbooks/site/site.yaml');
const skip = nodesUnavailableReason();
if (skip) console.warn(`\n*** integration tests SKIPPED: ${skip} ***\n`);

describe.skipIf(!!skip)('apply against real sshd nodes', () => {
  let lab: TestNodes;
  let dir: string;
  let inventory: string;
  const onNode = (i: number, p: string) => path.join(lab.nodes[i]!.upperDir, p);
  const run = async (extra: Partial<ApplyRequest> = {}) => {
    const audit = new AuditLog(path.join(dir, `audit-${Date.now()}-${Math.random()}.jsonl`));
    const report = await applyFile(inventory, { playbook: PLAYBOOK, auditLog: audit.file, ...extra });
    const records = readFileSync(audit.file!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    return { report, records };
  };
  // Drift is made on the node itself: writing into an overlay's upper dir
  // behind its back is undefined behaviour.
  const onHost = (i: number, cmd: string) =>
    execFileSync('ssh', ['-i', lab.identityFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${lab.nodes[i]!.address}`, cmd], { encoding: 'utf8' });
  const statuses = (r: RunReport, host: string) => r.results.filter((x) => x.host === host).map((x) => x.status);

  beforeAll(async () => {
    lab = await startNodes({ count: 3, prefix: 'hfa' });
    dir = mkdtempSync(path.join(tmpdir(), 'hf-apply-'));
    inventory = writeTestInventory(dir, lab.nodes);
  });
  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('first run changes what differs, with templates, variables and handlers', async () => {
    const { report } = await run();
    expect(report.ok).toBe(true);
    const [n1, n2] = lab.nodes;
    for (const host of lab.nodes.map((n) => n.name)) expect(report.hosts[host]!.failed).toBe(0);
    expect(readFileSync(onNode(0, 'srv/hfapp/conf/motd'), 'utf8')).toBe(
      `Welcome to ${n1!.name} in cluster test (debian).\nThis node is the preferred primary.\n`,
    );
    expect(readFileSync(onNode(1, 'srv/hfapp/conf/motd'), 'utf8')).toContain(`The primary is ${n1!.name}.`);
    expect(readFileSync(onNode(1, 'srv/hfapp/conf/node.conf'), 'utf8')).toContain(`address = ${n2!.address}\nport = 8080`);
    expect(readFileSync(onNode(0, 'srv/hfapp/conf/peers'), 'utf8')).toBe(`${n2!.name} ${n2!.address}\n${lab.nodes[2]!.name} ${lab.nodes[2]!.address}\n`);
    expect(execFileSync('stat', ['-c', '%a', onNode(0, 'srv/hfapp/conf/secret.key')], { encoding: 'utf8' }).trim()).toBe('600');
    expect(existsSync(onNode(0, 'srv/hfapp/conf/role'))).toBe(true);
    expect(existsSync(onNode(1, 'srv/hfapp/conf/role'))).toBe(false);
    // The handler ran once, after the change.
    expect(readFileSync(onNode(0, 'srv/hfapp/handler.log'), 'utf8')).toBe('restarted\n');
    const kernel = report.results.find((r) => r.task === 'kernel' && r.host === n1!.name)!;
    expect(kernel.status).toBe('ok');
    expect(kernel.output).toMatch(/^\d+\.\d+/);
    // The secret is in no result, diff or message.
    expect(JSON.stringify(report)).not.toContain('s3cr3t-never-printed');
  });

  it('second run is all ok and runs no change-making command', async () => {
    const { report, records } = await run();
    expect(report.ok).toBe(true);
    for (const n of lab.nodes) expect(new Set(statuses(report, n.name))).toEqual(new Set(['ok']));
    expect(records.filter((r) => r.kind === 'change')).toEqual([]);
    // One fact command per host, and no lock: it is taken only for a change.
    for (const n of lab.nodes) expect(records.filter((r) => r.host === n.name && r.kind === 'fact')).toHaveLength(1);
    expect(records.filter((r) => r.kind === 'lock')).toEqual([]);
    for (const i of [0, 1, 2]) expect(onHost(i, 'test -e /run/haforge.lock && echo held || echo free')).toBe('free\n');
    expect(readFileSync(onNode(0, 'srv/hfapp/handler.log'), 'utf8')).toBe('restarted\n');
  });

  it('--check shows drift with a diff and changes nothing; apply repairs it', async () => {
    onHost(1, "echo '# edited by hand' > /srv/hfapp/conf/node.conf");
    onHost(0, 'chmod 777 /srv/hfapp/conf');
    onHost(2, 'rm /srv/hfapp/current');
    // Only the mode of a file whose change notifies a handler: put right, the handler not run again.
    onHost(0, 'chmod 600 /srv/hfapp/conf/motd');

    const check = await run({ check: true });
    expect(check.records.filter((r) => r.kind !== 'fact')).toEqual([]);
    const nodeConf = check.report.results.find((r) => r.host === lab.nodes[1]!.name && r.task.includes('node.conf'))!;
    expect(nodeConf.status).toBe('changed');
    expect(nodeConf.diff).toContain('-# edited by hand');
    expect(nodeConf.diff).toContain(`+address = ${lab.nodes[1]!.address}`);
    expect(readFileSync(onNode(1, 'srv/hfapp/conf/node.conf'), 'utf8')).toBe('# edited by hand\n');

    const { report } = await run();
    expect(report.ok).toBe(true);
    expect(readFileSync(onNode(1, 'srv/hfapp/conf/node.conf'), 'utf8')).toContain('# managed by haforge');
    expect(execFileSync('stat', ['-c', '%a', onNode(0, 'srv/hfapp/conf')], { encoding: 'utf8' }).trim()).toBe('750');
    expect(execFileSync('readlink', [onNode(2, 'srv/hfapp/current')], { encoding: 'utf8' }).trim()).toBe('/srv/hfapp/conf');
    const changed = report.results.filter((r) => r.status === 'changed').map((r) => `${r.host}:${r.task}`);
    expect(changed.sort()).toEqual(
      [`${lab.nodes[0]!.name}:directory /srv/hfapp/conf`, `${lab.nodes[0]!.name}:motd`, `${lab.nodes[1]!.name}:file /srv/hfapp/conf/node.conf`, `${lab.nodes[2]!.name}:symlink /srv/hfapp/current -> /srv/hfapp/conf`].sort(),
    );
    expect(execFileSync('stat', ['-c', '%a', onNode(0, 'srv/hfapp/conf/motd')], { encoding: 'utf8' }).trim()).toBe('644');
    expect(readFileSync(onNode(0, 'srv/hfapp/handler.log'), 'utf8')).toBe('restarted\n');
    // The replaced version was kept.
    const backups = execFileSync('sh', ['-c', `ls ${onNode(1, 'var/backups/haforge/srv/hfapp/conf')}`], { encoding: 'utf8' });
    expect(backups).toMatch(/node\.conf\.\d{8}T\d{6}/);
  });

  it('a host with a changed host key is refused; the others finish', async () => {
    const other = path.join(dir, 'known_hosts_wrong');
    // node 3's entry carries node 1's key: a changed key.
    const good = readFileSync(lab.knownHostsFile, 'utf8');
    writeFileSync(other, good.replace(lab.nodes[2]!.hostPublicKey, lab.nodes[0]!.hostPublicKey));
    const inv = writeTestInventory(mkdtempSync(path.join(dir, 'k')), lab.nodes, { knownHostsFile: other });
    const report = await applyFile(inv, { playbook: PLAYBOOK, auditLog: path.join(dir, 'a.jsonl') });
    expect(report.ok).toBe(false);
    expect(report.hosts[lab.nodes[2]!.name]!.error).toMatch(/host key/i);
    expect(report.hosts[lab.nodes[0]!.name]).toMatchObject({ failed: 0 });
    expect(report.hosts[lab.nodes[1]!.name]).toMatchObject({ failed: 0 });
  });

  it('a node that is down is reported while the others finish', async () => {
    await lab.stopNode(lab.nodes[1]!);
    try {
      onHost(0, 'echo drifted > /srv/hfapp/conf/inline');
      const { report } = await run();
      expect(report.hosts[lab.nodes[1]!.name]!.error).toMatch(/unreachable|refused|connect/i);
      expect(report.hosts[lab.nodes[0]!.name]).toMatchObject({ failed: 0, changed: 1 });
      expect(readFileSync(onNode(0, 'srv/hfapp/conf/inline'), 'utf8')).toBe('cluster=test\nport=8080\n');
    } finally {
      await lab.startNode(lab.nodes[1]!);
    }
  });

  it('refuses a second run while a lock is held on a node', async () => {
    onHost(0, 'mkdir /run/haforge.lock && echo someone-else > /run/haforge.lock/owner');
    try {
      await expect(run()).rejects.toThrow(/locked by another haforge run \(someone-else\)/);
    } finally {
      onHost(0, 'rm -rf /run/haforge.lock');
    }
    // The other nodes' locks were released.
    const { report } = await run();
    expect(report.ok).toBe(true);
  });

  it('a run that finds another run came and went since its facts were read reads them again, under the lock', async () => {
    // The guard of this task stands in for that other run: read with the facts,
    // it writes the lock's generation as a run taking the lock would (test only:
    // real guards only read).
    const book = path.join(dir, 'generation.yaml');
    writeFileSync(book, [
      '- name: one change',
      '  hosts: all',
      '  tasks:',
      '    - command: { cmd: "date > /srv/hfapp/data/again", unless: "echo other-run > /run/haforge.lock.gen; false" }',
    ].join('\n'));
    const audit = new AuditLog(path.join(dir, 'generation.jsonl'));
    const report = await applyFile(inventory, { playbook: book, auditLog: audit.file });
    expect(report.ok).toBe(true);
    const records = readFileSync(audit.file!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const n of lab.nodes) {
      const kinds = records.filter((r) => r.host === n.name).map((r) => r.kind);
      // facts, lock taken, facts again, the change, lock released
      expect(kinds).toEqual(['fact', 'lock', 'fact', 'change', 'lock']);
    }
    for (const i of [0, 1, 2]) expect(onHost(i, 'test -e /run/haforge.lock && echo held || echo free')).toBe('free\n');
  });

  it('a move takes the run lock on all nodes at once: another run\'s lock refuses it and stays, its own are released', async () => {
    onHost(1, 'mkdir /run/haforge.lock && echo someone-else > /run/haforge.lock/owner');
    try {
      await expect(runMove(await loadInventory(inventory), { auditLog: new AuditLog() }, (r, ctx) => planSwitchover(r, ctx))).rejects.toThrow(/locked by another haforge run \(someone-else\)/);
      expect(onHost(1, 'cat /run/haforge.lock/owner')).toBe('someone-else\n');
      expect(onHost(0, 'test -e /run/haforge.lock && echo held || echo free')).toBe('free\n');
      expect(onHost(2, 'test -e /run/haforge.lock && echo held || echo free')).toBe('free\n');
    } finally {
      onHost(1, 'rm -rf /run/haforge.lock');
    }
  });
});
