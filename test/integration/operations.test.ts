// Services (SysV/LSB: the test nodes run no systemd), packages (dpkg) and
// sudo, on real sshd nodes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyRequest } from '../../src/services/apply.js';
import { applyFile } from '../support/apply.js';
import { writeTestInventory } from '../support/inventory.js';
import { nodesUnavailableReason, startNodes, SUDO_PASSWORD_USER, SUDO_USER, type TestNodes } from '../support/nodes.js';

const PLAYBOOKS = path.join(__dirname, '../fixtures/playbooks/ops');
const skip = nodesUnavailableReason();

describe.skipIf(!!skip)('operations on real nodes', () => {
  let lab: TestNodes;
  let dir: string;
  let inventory: string;
  const apply = (playbook: string, extra: Partial<ApplyRequest> = {}) =>
    applyFile(inventory, { playbook: path.join(PLAYBOOKS, playbook), auditLog: path.join(dir, 'audit.jsonl'), ...extra });
  const onHost = (i: number, cmd: string) =>
    execFileSync('ssh', ['-i', lab.identityFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${lab.nodes[i]!.address}`, cmd], { encoding: 'utf8' });

  beforeAll(async () => {
    lab = await startNodes({ count: 2, prefix: 'hfo' });
    dir = mkdtempSync(path.join(tmpdir(), 'hf-ops-'));
    inventory = writeTestInventory(dir, lab.nodes);
  });
  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts and enables an LSB service, then is idempotent, then stops and disables it', async () => {
    const first = await apply('service.yaml');
    expect(first.ok).toBe(true);
    expect(first.results.find((r) => r.task === 'service hfdemo')).toMatchObject({ status: 'changed', msg: 'not enabled at boot, stopped' });
    expect(onHost(0, '/etc/init.d/hfdemo status && echo running')).toContain('running');
    expect(onHost(0, 'ls /etc/rc2.d/')).toMatch(/S\d\dhfdemo/);

    const second = await apply('service.yaml');
    expect(second.results.every((r) => r.status === 'ok')).toBe(true);

    onHost(1, '/etc/init.d/hfdemo stop');
    const repaired = await apply('service.yaml');
    expect(repaired.results.filter((r) => r.status === 'changed').map((r) => r.host)).toEqual([lab.nodes[1]!.name]);

    const stopped = await apply('service.yaml', { vars: { want_state: 'stopped', want_enabled: false } });
    expect(stopped.ok).toBe(true);
    expect(() => onHost(0, '/etc/init.d/hfdemo status')).toThrow();
    expect(onHost(0, 'ls /etc/rc2.d/')).toMatch(/K\d\dhfdemo/);
  });

  it('a service that is not installed fails its host with a hint', async () => {
    const pb = path.join(dir, 'missing-service.yaml');
    writeFileSync(pb, '- hosts: all\n  tasks:\n    - service: { name: hf-no-such-service, state: started }\n');
    const missing = await applyFile(inventory, { playbook: pb });
    expect(missing.ok).toBe(false);
    expect(missing.results[0]).toMatchObject({ status: 'failed', msg: expect.stringMatching(/not installed/), hint: expect.stringMatching(/package/) });
  });

  it('packages: installed ones are ok, a missing one is planned with the host package manager', async () => {
    const report = await apply('packages.yaml', { check: true, vars: { missing: 'hf-missing-pkg' } });
    const byTask = (t: string) => report.results.find((r) => r.task === t && r.host === lab.nodes[0]!.name)!;
    expect(byTask('package openssh-server sudo').status).toBe('ok');
    expect(byTask('package hf-surely-not-a-package').status).toBe('ok');
    expect(byTask('missing package')).toMatchObject({ status: 'changed', msg: 'missing: hf-missing-pkg' });
    const plan = report.plan.find((p) => p.task === 'missing package')!;
    expect(plan.steps).toEqual(['apt-get install hf-missing-pkg']);
  });

  it('works through sudo -n for a non-root user, and names the problem when sudo wants a password', async () => {
    const sudoInv = writeTestInventory(mkdtempSync(path.join(dir, 's')), lab.nodes, {
      nodeExtra: {
        [lab.nodes[0]!.name]: { ssh: { user: SUDO_USER }, sudo: true },
        [lab.nodes[1]!.name]: { ssh: { user: SUDO_PASSWORD_USER }, sudo: true },
      },
    });
    const report = await applyFile(sudoInv, { playbook: path.join(PLAYBOOKS, 'sudo.yaml'), auditLog: path.join(dir, 'sudo.jsonl') });
    expect(report.hosts[lab.nodes[0]!.name]).toMatchObject({ changed: 1, failed: 0 });
    expect(onHost(0, 'stat -c %U:%a /etc/hf-sudo-test').trim()).toBe('root:600');
    expect(report.hosts[lab.nodes[1]!.name]!.error).toMatch(/password/i);
    expect(readFileSync(path.join(dir, 'sudo.jsonl'), 'utf8')).not.toContain('written through sudo');
  });
});
