// Cluster secrets on real sshd nodes: one secret, identical everywhere, made
// once; a good existing one is kept (a running cluster keeps talking); a
// crc authkeys is replaced; the content is never in a report or audit log.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyRequest } from '../../src/services/apply.js';
import { applyFile } from '../support/apply.js';
import { writeTestInventory } from '../support/inventory.js';
import { nodesUnavailableReason, startNodes, type TestNodes } from '../support/nodes.js';

const PLAYBOOK = path.join(__dirname, '../fixtures/playbooks/secrets/secrets.yaml');
const skip = nodesUnavailableReason();
if (skip) console.warn(`\n*** integration tests SKIPPED: ${skip} ***\n`);

describe.skipIf(!!skip)('secret_file against real sshd nodes', () => {
  let lab: TestNodes;
  let dir: string;
  let inventory: string;
  const sh = (i: number, cmd: string) =>
    execFileSync('ssh', ['-i', lab.identityFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${lab.nodes[i]!.address}`, cmd], { encoding: 'utf8' });
  const run = async () => {
    const audit = path.join(dir, `audit-${Date.now()}.jsonl`);
    const report = await applyFile(inventory, { playbook: PLAYBOOK, auditLog: audit });
    return { report, audit: readFileSync(audit, 'utf8') };
  };
  const authkeys = (i: number) => sh(i, 'cat /etc/hfsecret/authkeys');
  const authkey = (i: number) => sh(i, 'sha256sum < /etc/hfsecret/authkey');
  const statOf = (i: number) => sh(i, 'stat -c "%a %U:%G" /etc/hfsecret/authkeys /etc/hfsecret/authkey');

  beforeAll(async () => {
    lab = await startNodes({ count: 3, prefix: 'hfs' });
    dir = mkdtempSync(path.join(tmpdir(), 'hf-secret-'));
    inventory = writeTestInventory(dir, lab.nodes);
    for (let i = 0; i < 3; i++) sh(i, 'mkdir -p /etc/hfsecret');
  });
  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('makes one random secret, the same on every node, with the right modes, shown nowhere', async () => {
    const { report, audit } = await run();
    expect(report.ok).toBe(true);
    const keys = [0, 1, 2].map(authkeys);
    expect(keys[0]).toMatch(/^# Written by haforge.*\nauth 1\n1 sha1 [0-9a-f]{64}\n$/);
    expect(new Set(keys).size).toBe(1);
    expect(new Set([0, 1, 2].map(authkey)).size).toBe(1);
    expect(sh(0, 'stat -c %s /etc/hfsecret/authkey')).toBe('256\n');
    for (let i = 0; i < 3; i++) expect(statOf(i)).toBe('600 root:root\n400 root:root\n');
    const secret = keys[0]!.split(' ').pop()!.trim();
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(audit).not.toContain(secret);
    expect(report.results.filter((r) => r.task === 'secret /etc/hfsecret/authkeys').map((r) => r.msg)).toEqual(Array(3).fill('create (new random secret)'));
  });

  it('a second run changes nothing', async () => {
    const before = authkeys(0);
    const { report, audit } = await run();
    expect(report.results.map((r) => r.status)).toEqual(Array(6).fill('ok'));
    expect(audit).not.toMatch(/"kind":"change"/);
    expect(authkeys(2)).toBe(before);
  });

  it('keeps the cluster secret: a lost file comes back as it was, a crc or foreign one is replaced', async () => {
    const before = authkeys(0);
    sh(1, 'rm /etc/hfsecret/authkeys');
    sh(2, 'printf "auth 1\\n1 crc\\n" > /etc/hfsecret/authkeys; chmod 644 /etc/hfsecret/authkeys; head -c 256 /dev/urandom > /etc/hfsecret/authkey');
    sh(0, 'chmod 644 /etc/hfsecret/authkey');
    const { report } = await run();
    expect(report.ok).toBe(true);
    const msg = (host: number, task: string) => report.results.find((r) => r.host === lab.nodes[host]!.name && r.task === task)!.msg;
    expect(msg(1, 'secret /etc/hfsecret/authkeys')).toBe(`create (the cluster's secret, as on ${lab.nodes[0]!.name})`);
    expect(msg(2, 'secret /etc/hfsecret/authkeys')).toBe(`replace: it uses crc, which authenticates nothing (the cluster's secret, as on ${lab.nodes[0]!.name})`);
    expect(msg(2, 'secret /etc/hfsecret/authkey')).toBe(`replace: differs from the cluster's secret on ${lab.nodes[0]!.name}`);
    expect(msg(0, 'secret /etc/hfsecret/authkey')).toBe('attributes differ');
    for (let i = 0; i < 3; i++) expect(authkeys(i)).toBe(before);
    expect(new Set([0, 1, 2].map(authkey)).size).toBe(1);
    for (let i = 0; i < 3; i++) expect(statOf(i)).toBe('600 root:root\n400 root:root\n');
    // A replaced secret is not kept anywhere.
    expect(sh(2, 'ls -A /var/backups/haforge/etc/hfsecret 2>/dev/null; true')).toBe('');
  });

  it('removes the backups of a secret an older version kept', async () => {
    sh(1, 'mkdir -p -m 0700 /var/backups/haforge/etc/hfsecret && cp -p /etc/hfsecret/authkey /var/backups/haforge/etc/hfsecret/authkey.20261201T000000 && cp -p /etc/hfsecret/authkeys /var/backups/haforge/etc/hfsecret/authkeys.20261201T000000');
    const { report } = await run();
    expect(report.ok).toBe(true);
    expect(report.results.filter((r) => r.status === 'changed').map((r) => [r.host, r.msg])).toEqual([
      [lab.nodes[1]!.name, 'old backups of the secret'],
      [lab.nodes[1]!.name, 'old backups of the secret'],
    ]);
    expect(sh(1, 'ls -A /var/backups/haforge/etc/hfsecret')).toBe('');
  });

  it('adopts a secret that exists only on a peer (a cluster built by hand)', async () => {
    sh(0, 'rm /etc/hfsecret/authkeys');
    sh(1, 'printf "auth 2\\n1 crc\\n2 md5 0123456789abcdef0123\\n" > /etc/hfsecret/authkeys; chmod 600 /etc/hfsecret/authkeys');
    // md5 is not what the inventory asks for (sha1): a new sha1 secret everywhere.
    const { report } = await run();
    expect(report.ok).toBe(true);
    const keys = [0, 1, 2].map(authkeys);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/1 sha1 [0-9a-f]{64}/);
    sh(1, 'printf "auth 2\\n2 sha1 a-secret-made-by-hand-long-enough\\n" > /etc/hfsecret/authkeys');
    sh(0, 'rm /etc/hfsecret/authkeys');
    sh(2, 'rm /etc/hfsecret/authkeys');
    await run();
    for (let i = 0; i < 3; i++) expect(authkeys(i)).toBe('auth 2\n2 sha1 a-secret-made-by-hand-long-enough\n');
  });

  it('keeps a secret inside a configuration file the same way: one secret, settings around it rendered, a changed setting keeps it', async () => {
    const EMBEDDED = path.join(path.dirname(PLAYBOOK), 'embedded.yaml');
    const apply = async (setting: string) => {
      const audit = path.join(dir, `audit-embedded-${Date.now()}.jsonl`);
      const report = await applyFile(inventory, { playbook: EMBEDDED, auditLog: audit, vars: { setting } });
      return { report, audit: readFileSync(audit, 'utf8') };
    };
    const conf = (i: number) => sh(i, 'cat /etc/hfsecret/peers.conf');
    const first = await apply('one');
    expect(first.report.ok).toBe(true);
    const secret = /shared-secret "([0-9a-f]{60})";/.exec(conf(0))![1]!;
    for (let i = 0; i < 3; i++) expect(conf(i)).toBe(`# cluster test, setting one\nnet {\n\tcram-hmac-alg sha256;\n\tshared-secret "${secret}";\n}\n`);
    for (let i = 0; i < 3; i++) expect(sh(i, 'stat -c %a /etc/hfsecret/peers.conf')).toBe('600\n');
    expect(JSON.stringify(first.report) + first.audit).not.toContain(secret);
    expect((await apply('one')).report.results.map((r) => r.status)).toEqual(Array(3).fill('ok'));
    // Another setting: the file is rewritten around the same secret; a node whose secret was lost gets the cluster's.
    sh(2, 'rm /etc/hfsecret/peers.conf');
    const second = await apply('two');
    const changed = 'replace: the settings around the secret changed (not shown: the file holds it)';
    expect(Object.fromEntries(second.report.results.map((r) => [r.host, r.msg]))).toEqual({
      [lab.nodes[0]!.name]: changed,
      [lab.nodes[1]!.name]: changed,
      [lab.nodes[2]!.name]: `create (the cluster's secret, as on ${lab.nodes[0]!.name})`,
    });
    for (let i = 0; i < 3; i++) expect(conf(i)).toContain(`setting two\n`);
    for (let i = 0; i < 3; i++) expect(conf(i)).toContain(`shared-secret "${secret}";`);
  });
});
