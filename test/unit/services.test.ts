// The read and day-2 services on local nodes (src/transport/local.ts): a
// cluster whose manager is not running, as on machines where nothing has
// been built yet. What the nodes cannot have here (DRBD, a running
// Pacemaker) is tested in the lab; this pins the services' wiring: one
// batched read per node, the run lock taken and released around a move, a
// refusal that reaches the user with its hint, a node that is down.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/engine/audit.js';
import { LOCK_DIR } from '../../src/engine/lock.js';
import { labOfInventory, listLabs } from '../../src/lab/paths.js';
import { UserError } from '../../src/errors.js';
import { planSwitchover } from '../../src/procedures/moves.js';
import { runDrill } from '../../src/services/drill.js';
import { runMove } from '../../src/services/moves.js';
import { clusterStatus } from '../../src/services/status.js';
import { localCluster, type LocalTestCluster } from '../support/local-cluster.js';

let c: LocalTestCluster;
beforeEach(() => {
  c = localCluster(['alice', 'bob'], '    services: { web: { unit: lighttpd, port: 80 } }\n    vip: { address: 192.0.2.100 }\n');
});
afterEach(() => c.remove());

describe('status on local nodes', () => {
  it('reads every node with one command and says the cluster manager is not running there', async () => {
    const report = await clusterStatus(c.inventory, { connector: c.nodes.connect });
    const cluster = report.clusters[0]!;
    expect(cluster.nodes.map((n) => [n.name, n.reachable, n.managerRunning])).toEqual([
      ['alice', true, false],
      ['bob', true, false],
    ]);
    expect(cluster.primary).toBeNull();
    expect(cluster.warnings.filter((w) => w.severity === 'critical').map((w) => w.message)).toEqual([
      'Pacemaker is not running on alice',
      'Pacemaker is not running on bob',
      'the VIP 192.0.2.100 is up on no node',
    ]);
    expect(report.healthy).toBe(false);
  });

  it('a node that cannot be reached is said, the others still read', async () => {
    c.nodes.down.add('bob');
    const cluster = (await clusterStatus(c.inventory, { connector: c.nodes.connect })).clusters[0]!;
    expect(cluster.nodes.map((n) => [n.name, n.reachable])).toEqual([
      ['alice', true],
      ['bob', false],
    ]);
    expect(cluster.nodes[1]!.error).toMatch(/bob: connection refused/);
  });
});

describe('a move and a drill on a cluster that runs nothing', () => {
  it('switchover: read under the run lock, refused with its hint, every lock released', async () => {
    const audit = new AuditLog();
    const err = await runMove(c.inventory, { auditLog: audit, connector: c.nodes.connect }, (r, ctx) => planSwitchover(r, ctx)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ message: 'no node runs the services of cluster local: nothing to switch over', hint: 'haforge status says why' });
    expect(audit.records.map((r) => `${r.host} ${r.kind}`).sort()).toEqual(['alice fact', 'alice lock', 'alice lock', 'bob fact', 'bob lock', 'bob lock']);
    for (const n of ['alice', 'bob']) expect(existsSync(c.nodes.node(n).file(LOCK_DIR))).toBe(false);
  });

  it('switchover: another run\'s lock refuses it before anything is read, and stays', async () => {
    const held = c.nodes.node('bob').file(LOCK_DIR);
    mkdirSync(held, { recursive: true });
    writeFileSync(`${held}/owner`, 'someone-else\n');
    await expect(runMove(c.inventory, { auditLog: new AuditLog(), connector: c.nodes.connect }, (r, ctx) => planSwitchover(r, ctx))).rejects.toThrow(/bob is locked by another haforge run \(someone-else\)/);
    expect(existsSync(held)).toBe(true);
    expect(existsSync(c.nodes.node('alice').file(LOCK_DIR))).toBe(false);
  });

  it('drill --check: refused (no primary), nothing locked or changed', async () => {
    await expect(runDrill(c.inventory, { method: 'stop', check: true, connector: c.nodes.connect })).rejects.toThrow(/no node runs the services of cluster local: nothing to fail over/);
    await expect(runDrill(c.inventory, { method: 'power-off', connector: c.nodes.connect })).rejects.toThrow(/--method power-off needs --power-off-command and --power-on-command/);
  });

  it("drill in the lab: the lab is the inventory's, else the only one; with none, the error lists the labs", async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'hf-labs-'));
    const lab = (name: string) => {
      mkdirSync(path.join(root, name), { recursive: true });
      writeFileSync(path.join(root, name, 'state.json'), '{}');
    };
    expect(labOfInventory('/anywhere/inventory.yaml', root)).toBeUndefined();
    lab('default');
    expect(labOfInventory('/anywhere/inventory.yaml', root)).toBe('default');
    lab('ci');
    expect(labOfInventory('/anywhere/inventory.yaml', root)).toBeUndefined();
    expect(labOfInventory(path.join(root, 'ci', 'inventory.yaml'), root)).toBe('ci');
    expect(listLabs(root)).toEqual(['ci', 'default']);
    const saved = process.env.HAFORGE_LAB_STATE;
    process.env.HAFORGE_LAB_STATE = root;
    try {
      await expect(runDrill(c.inventory, { method: 'lab', connector: c.nodes.connect })).rejects.toThrow(/--method lab needs the lab's name: the inventory is no lab's, and there is not exactly one lab/);
    } finally {
      if (saved === undefined) delete process.env.HAFORGE_LAB_STATE;
      else process.env.HAFORGE_LAB_STATE = saved;
      rmSync(root, { recursive: true, force: true });
    }
  });
});
