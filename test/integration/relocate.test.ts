// Service relocation on real sshd nodes. The "replicated volume" here is a
// tmpfs mounted on the active node only: relocation needs a mounted volume,
// not DRBD itself (the lab tests run it on real DRBD).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyRequest } from '../../src/services/apply.js';
import { applyFile } from '../support/apply.js';
import { nodesUnavailableReason, startNodes, type TestNodes } from '../support/nodes.js';

const skip = nodesUnavailableReason();
const INIT = readFileSync(path.join(__dirname, '../fixtures/playbooks/ops/hfdemo.init'), 'utf8');

describe.skipIf(!!skip)('relocate services onto the replicated volume', () => {
  let lab: TestNodes;
  let dir: string;
  let inventory: string;
  const sh = (i: number, cmd: string, input?: string) =>
    execFileSync('ssh', ['-i', lab.identityFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${lab.nodes[i]!.address}`, cmd], { encoding: 'utf8', input });
  const relocate = (vars: Record<string, unknown> = {}) => applyFile(inventory, { playbook: 'relocate', vars, auditLog: path.join(dir, 'audit.jsonl') });

  beforeAll(async () => {
    lab = await startNodes({ count: 2, prefix: 'hfr' });
    dir = mkdtempSync(path.join(tmpdir(), 'hf-reloc-'));
    inventory = path.join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      stringify({
        version: 1,
        defaults: { ssh: { user: 'root', identity_file: lab.identityFile, known_hosts: lab.knownHostsFile } },
        clusters: {
          t: {
            primary: lab.nodes[0]!.name,
            nodes: Object.fromEntries(lab.nodes.map((n) => [n.name, { address: n.address }])),
            drbd: { resources: { r0: { disk: '/dev/vdb', mount: '/replicated' } } },
            // /srv/hfmail is a symlink the system made, like Debian's /var/spool/mail -> ../mail.
            services: { demo: { unit: 'hfdemo', paths: ['/srv/hfdata', '/etc/hfdemo.conf', '/srv/hfmail'] } },
          },
        },
      }),
    );
    for (const i of [0, 1]) {
      sh(i, `mkdir -p /replicated /srv/hfdata && echo "data of ${lab.nodes[i]!.name}" > /srv/hfdata/file && echo conf-${i} > /etc/hfdemo.conf`);
      // Links inside the directory, like Debian's /etc/mail/aliases -> ../aliases: one leaving it, one within it, one absolute.
      sh(i, 'echo aliases > /srv/hfaliases && ln -s ../hfaliases /srv/hfdata/aliases && ln -s file /srv/hfdata/same && ln -s /srv/hfaliases /srv/hfdata/abs');
      sh(i, `mkdir -p /srv/hfspool/mail && echo "mail of ${lab.nodes[i]!.name}" > /srv/hfspool/mail/root && ln -s hfspool/mail /srv/hfmail`);
      sh(i, 'cat > /etc/init.d/hfdemo && chmod 755 /etc/init.d/hfdemo && update-rc.d hfdemo defaults >/dev/null && /etc/init.d/hfdemo start', INIT);
    }
    // Only the first node has the volume mounted: it is the active one.
    sh(0, 'mount -t tmpfs -o size=16m tmpfs /replicated');
  });
  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('moves the data on the active node, sets the standby copy aside, links both, disables start at boot', async () => {
    const report = await relocate();
    expect(report.ok, JSON.stringify(report.results.filter((r) => r.status === 'failed'))).toBe(true);
    expect(sh(0, 'readlink /srv/hfdata; cat /replicated/srv/hfdata/file; cat /replicated/etc/hfdemo.conf')).toBe(`/replicated/srv/hfdata\ndata of ${lab.nodes[0]!.name}\nconf-0\n`);
    expect(sh(1, 'readlink /srv/hfdata; cat /srv/hfdata.haforge-local/file')).toBe(`/replicated/srv/hfdata\ndata of ${lab.nodes[1]!.name}\n`);
    // The link that left the directory would dangle on the volume: it now says what it meant; the others are as they were.
    expect(sh(0, 'cd /srv/hfdata && readlink aliases same abs && cat aliases same')).toBe(`/srv/hfaliases\nfile\n/srv/hfaliases\naliases\ndata of ${lab.nodes[0]!.name}\n`);
    // A link the system made stays; its target moves (active node) or is set aside (standby).
    expect(sh(0, 'readlink /srv/hfmail /srv/hfspool/mail; cat /srv/hfmail/root')).toBe(`hfspool/mail\n/replicated/srv/hfspool/mail\nmail of ${lab.nodes[0]!.name}\n`);
    expect(sh(1, 'readlink /srv/hfmail /srv/hfspool/mail; cat /srv/hfspool/mail.haforge-local/root')).toBe(`hfspool/mail\n/replicated/srv/hfspool/mail\nmail of ${lab.nodes[1]!.name}\n`);
    // The service was stopped for the move on the active node, and is off at boot everywhere.
    expect(() => sh(0, '/etc/init.d/hfdemo status')).toThrow();
    for (const i of [0, 1]) expect(sh(i, 'ls /etc/rc2.d')).toMatch(/K\d\dhfdemo/);
  });

  it('a second run changes nothing', async () => {
    const report = await relocate();
    expect(report.results.filter((r) => r.status !== 'ok')).toEqual([]);
  });

  it('refuses when the data exists both on the node and on the volume', async () => {
    sh(0, 'rm /etc/hfdemo.conf && echo local > /etc/hfdemo.conf');
    const report = await relocate();
    const failed = report.results.find((r) => r.status === 'failed')!;
    expect(failed.msg).toMatch(/\/etc\/hfdemo.conf exists both on .* and on the volume/);
    expect(sh(0, 'cat /etc/hfdemo.conf /replicated/etc/hfdemo.conf')).toBe('local\nconf-0\n');
    sh(0, 'rm /etc/hfdemo.conf && ln -s /replicated/etc/hfdemo.conf /etc/hfdemo.conf');
  });

  it('undo puts everything back', async () => {
    sh(0, 'echo "written after the move" >> /replicated/srv/hfdata/file');
    const report = await relocate({ undo: true });
    expect(report.ok).toBe(true);
    expect(sh(0, 'test ! -L /srv/hfdata && cat /srv/hfdata/file; test ! -e /replicated/srv/hfdata && echo off-volume')).toBe(`data of ${lab.nodes[0]!.name}\nwritten after the move\noff-volume\n`);
    expect(sh(1, 'test ! -L /srv/hfdata && cat /srv/hfdata/file; test ! -e /srv/hfdata.haforge-local && echo aside-gone')).toBe(`data of ${lab.nodes[1]!.name}\naside-gone\n`);
    for (const i of [0, 1]) expect(sh(i, 'readlink /srv/hfmail; test ! -L /srv/hfspool/mail && cat /srv/hfmail/root')).toBe(`hfspool/mail\nmail of ${lab.nodes[i]!.name}\n`);
    for (const i of [0, 1]) expect(sh(i, 'ls /etc/rc2.d')).toMatch(/S\d\dhfdemo/);
    const again = await relocate({ undo: true });
    expect(again.results.filter((r) => r.status !== 'ok')).toEqual([]);
    // and it can be relocated again
    expect((await relocate()).ok).toBe(true);
    expect(sh(0, 'readlink /srv/hfdata')).toBe('/replicated/srv/hfdata\n');
  });
});
