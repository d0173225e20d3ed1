// The test nodes themselves: isolation, addresses, restart, cleanup.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAll, SshConnection, type SshTarget } from '../../src/transport/ssh.js';
import {
  fingerprintOf,
  nodesUnavailableReason,
  startNodes,
  warnNodesSkipped,
  type TestNode,
  type TestNodes,
} from '../support/nodes.js';

const skip = nodesUnavailableReason();
if (skip) warnNodesSkipped(skip);

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const target = (n: TestNode): SshTarget => ({
  name: n.name,
  host: n.address,
  user: n.user,
  identityFile: n.identityFile,
  knownHostsFile: n.knownHostsFile,
});

describe.skipIf(skip)('test nodes', () => {
  let set: TestNodes;
  let conns: SshConnection[];
  const sh = (i: number, script: string) => conns[i]!.exec(['sh', '-c', script]);

  beforeAll(async () => {
    // A "crashed" earlier run: started and never stopped.
    await startNodes({ count: 1, prefix: 'hfn' });
    set = await startNodes({ count: 2, prefix: 'hfn' });
    const map = await connectAll(set.nodes.map(target), { agentSocket: '', sshConfigFile: false });
    conns = set.nodes.map((n) => map.get(n.name) as SshConnection);
  });

  afterAll(async () => {
    await Promise.all((conns ?? []).map((c) => c?.close()));
    await set?.stop();
  });

  it('starts over the leftovers of a run with the same prefix', () => {
    expect(conns.every((c) => c instanceof SshConnection)).toBe(true);
    expect(ip('netns', 'list').match(/^hfn\d+/gm)?.sort()).toEqual(['hfn1', 'hfn2']);
  });

  it('gives every node its own hostname, address and host key', async () => {
    for (const [i, n] of set.nodes.entries()) {
      expect((await sh(i, 'uname -n; hostname -I')).stdout).toBe(`${n.name}\n${n.address} \n`);
      expect(fingerprintOf(readFileSync(`${n.upperDir}/etc/ssh/ssh_host_ed25519_key.pub`, 'utf8'))).toBe(n.hostKeyFingerprint);
    }
    expect(new Set(set.nodes.map((n) => n.hostKeyFingerprint)).size).toBe(2);
  });

  it('keeps files private to each node, the host included', async () => {
    await sh(0, 'echo mine > /etc/hf-private; echo t > /tmp/t; echo r > /run/r');
    expect((await sh(1, 'cat /etc/hf-private /tmp/t /run/r 2>&1; true')).stdout).toMatch(/No such file/);
    expect(existsSync('/etc/hf-private')).toBe(false);
    expect(readFileSync(`${set.nodes[0]!.upperDir}/etc/hf-private`, 'utf8')).toBe('mine\n');
  });

  it('runs each node in its own PID namespace with sshd as init', async () => {
    expect((await sh(0, 'cat /proc/1/comm')).stdout.trim()).toBe('sshd');
  });

  it('lets nodes reach each other by name', async () => {
    const other = set.nodes[1]!;
    const r = await conns[0]!.exec(['bash', '-c', `getent hosts ${other.name}; exec 3<>/dev/tcp/${other.name}/22 && head -c 4 <&3`], {
      timeoutMs: 5_000,
    });
    expect(r.stdout.replace(/[ \t]+/g, ' ')).toBe(`${other.address} ${other.name}\nSSH-`);
  });

  it('keeps a stopped node files when it starts again', async () => {
    const n = set.nodes[0]!;
    await conns[0]!.close();
    await set.stopNode(n);
    await set.startNode(n);
    const map = await connectAll([target(n)], { agentSocket: '', sshConfigFile: false });
    conns[0] = map.get(n.name) as SshConnection;
    expect((await sh(0, 'cat /etc/hf-private; ls /tmp')).stdout).toBe('mine\n');
  });

  it('stop() removes namespaces, veths, mounts and files', async () => {
    const extra = await startNodes({ count: 1, prefix: 'hfz' });
    const state = extra.stateDir;
    await extra.stop();
    expect(ip('netns', 'list')).not.toMatch(/^hfz\d/m);
    expect(ip('-o', 'link', 'show')).not.toMatch(/hfz1h/);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(state);
    expect(existsSync(state)).toBe(false);
  });
});
