// The haforge binary as users run it: help, exit codes, JSON, host keys.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, haforge, ROOT } from '../support/cli.js';
import { writeTestInventory } from '../support/inventory.js';
import { nodesUnavailableReason, startNodes, type TestNodes } from '../support/nodes.js';

const SITE = path.join(ROOT, 'test/fixtures/playbooks/site/site.yaml');

describe('haforge binary without nodes', () => {
  beforeAll(() => ensureBuilt());

  it('explains itself and every command', () => {
    const top = haforge(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['apply', 'facts', 'unlock', 'inventory']) expect(top.stdout).toContain(cmd);
    const apply = haforge(['apply', '--help']);
    expect(apply.stdout).toMatch(/--check/);
    expect(apply.stdout).toMatch(/EXAMPLES/);
    expect(apply.stdout).toContain('haforge apply -i inventory.yaml playbooks/site.yaml --check --diff');
  });

  it('inventory validate: ok, and errors with file:line:column and exit 1', () => {
    const ok = haforge(['inventory', 'validate', '-i', 'inventory.example.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('cluster web (pacemaker): alice, bob; primary alice');
    const bad = haforge(['inventory', 'validate', '-i', 'test/fixtures/inventory/typo.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("test/fixtures/inventory/typo.yaml:8:9: clusters.web.nodes.alice.adress: unknown key 'adress' (did you mean 'address'?)");
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    const json = haforge(['inventory', 'validate', '-i', 'test/fixtures/inventory/typo.yaml', '--json']);
    expect(JSON.parse(json.stdout).error.kind).toBe('user');
    const missing = haforge(['inventory', 'validate', '-i', 'nope.yaml']);
    expect(missing.stderr).toMatch(/cannot read inventory nope\.yaml: no such file\n {2}hint:/);
  });

  it('inventory schema prints the published schema', () => {
    const out = haforge(['inventory', 'schema']);
    expect(JSON.parse(out.stdout)).toEqual(JSON.parse(readFileSync(path.join(ROOT, 'schemas/inventory.schema.json'), 'utf8')));
    const pb = haforge(['inventory', 'schema', '--playbook']);
    expect(JSON.parse(pb.stdout)).toEqual(JSON.parse(readFileSync(path.join(ROOT, 'schemas/playbook.schema.json'), 'utf8')));
  });
});

const skip = nodesUnavailableReason();
describe.skipIf(!!skip)('haforge binary against real nodes', () => {
  let lab: TestNodes;
  let dir: string;
  let inventory: string;

  beforeAll(async () => {
    ensureBuilt();
    lab = await startNodes({ count: 2, prefix: 'hfc' });
    dir = mkdtempSync(path.join(tmpdir(), 'hf-cli-'));
    inventory = writeTestInventory(dir, lab.nodes);
  });
  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('apply --check --json, apply, then a no-change re-run', () => {
    const check = haforge(['apply', '-i', inventory, SITE, '--check', '--json', '--audit-log', path.join(dir, 'check.jsonl')]);
    expect(check.code).toBe(0);
    const plan = JSON.parse(check.stdout);
    expect(plan.check).toBe(true);
    expect(plan.results.filter((r: { status: string }) => r.status === 'changed').length).toBeGreaterThan(20);
    const first = haforge(['apply', '-i', inventory, SITE]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/RECAP\n {2}hfc1 +ok=\d+ changed=13 failed=0/);
    const again = haforge(['apply', '-i', inventory, SITE, '--json']);
    const report = JSON.parse(again.stdout);
    expect(report.results.every((r: { status: string }) => r.status === 'ok')).toBe(true);
  });

  it('bootstrap stops after a failed preflight and changes nothing', () => {
    // These nodes have no backing disk, no DRBD and no fencing section: preflight must fail.
    const inv = path.join(dir, 'bootstrap.yaml');
    writeFileSync(
      inv,
      readFileSync(inventory, 'utf8') + '    drbd:\n      resources:\n        r0: { disk: /dev/hf-no-such-disk, mount: /replicated }\n',
    );
    const audit = path.join(dir, 'bootstrap.jsonl');
    const out = haforge(['bootstrap', '-i', inv, '--json', '--audit-log', audit]);
    expect(out.code).toBe(1);
    const report = JSON.parse(out.stdout);
    expect(report.ok).toBe(false);
    expect(report.run).toBeUndefined();
    const failed = report.preflight.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { node: string; check: string }) => `${c.node} ${c.check}`);
    expect(failed).toEqual(expect.arrayContaining([`${lab.nodes[0]!.name} disk r0`, `${lab.nodes[0]!.name} fencing`]));
    // Preflight records its reads in the run's one audit log (--audit-log), one fact command per node.
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string; kind: string });
    expect(records.map((r) => r.kind)).toEqual(lab.nodes.map(() => 'fact'));
    const human = haforge(['bootstrap', '-i', inv]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('preflight failed: nothing was changed');
    expect(human.stdout).toContain('/dev/hf-no-such-disk does not exist');
  });

  it('facts shows the node as it is', () => {
    const out = haforge(['facts', '-i', inventory, lab.nodes[1]!.name, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).system).toMatchObject({ hostname: lab.nodes[1]!.name, packageManager: 'apt', uid: 0 });
  });

  it('refuses an unknown host key with its fingerprint; --accept-new-host-keys records it', () => {
    const knownHosts = path.join(dir, 'empty_known_hosts');
    writeFileSync(knownHosts, '');
    const inv = writeTestInventory(mkdtempSync(path.join(dir, 'u')), lab.nodes, { knownHostsFile: knownHosts });
    const refused = haforge(['facts', '-i', inv, lab.nodes[0]!.name]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(lab.nodes[0]!.hostKeyFingerprint);
    expect(refused.stderr).toMatch(/accept-new-host-keys/);
    const accepted = haforge(['facts', '-i', inv, lab.nodes[0]!.name, '--accept-new-host-keys']);
    expect(accepted.code).toBe(0);
    expect(readFileSync(knownHosts, 'utf8')).toContain(lab.nodes[0]!.hostPublicKey.split(' ')[1]);
    expect(haforge(['facts', '-i', inv, lab.nodes[0]!.name]).code).toBe(0);
  });

  it('exits 2 when a host fails, and unlock clears a stale lock', async () => {
    await lab.stopNode(lab.nodes[1]!);
    try {
      const out = haforge(['apply', '-i', inventory, SITE]);
      expect(out.code).toBe(2);
      expect(out.stdout).toMatch(new RegExp(`${lab.nodes[1]!.name} +ok=0 changed=0 failed=0 skipped=0\\n +.*(unreachable|refused)`, 'i'));
    } finally {
      await lab.startNode(lab.nodes[1]!);
    }
    const unlock = haforge(['unlock', '-i', inventory]);
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toContain(`${lab.nodes[0]!.name}: no lock`);
  });
});
