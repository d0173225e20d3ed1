// The SSH transport against real OpenSSH servers (test nodes in namespaces).
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { connect, connectAll, SshConnection, type ConnectOptions, type SshTarget } from '../../src/transport/ssh.js';
import {
  nodesUnavailableReason,
  startNodes,
  SUDO_PASSWORD_USER,
  SUDO_USER,
  warnNodesSkipped,
  type TestNode,
  type TestNodes,
} from '../support/nodes.js';

const skip = nodesUnavailableReason();
if (skip) warnNodesSkipped(skip);

// No agent and no ~/.ssh/config of the machine running the tests.
const BASE: ConnectOptions = { agentSocket: '', sshConfigFile: false, connectTimeoutMs: 5_000 };

function target(node: TestNode, extra: Partial<SshTarget> = {}): SshTarget {
  return {
    name: node.name,
    host: node.address,
    user: 'root',
    identityFile: node.identityFile,
    knownHostsFile: node.knownHostsFile,
    ...extra,
  };
}

async function connectionError(p: Promise<unknown>): Promise<ConnectionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectionError);
  return err as ConnectionError;
}

describe.skipIf(skip)('ssh transport on real nodes', () => {
  let set: TestNodes;
  let n1: TestNode, n2: TestNode, n3: TestNode;
  let tmp: string;

  beforeAll(async () => {
    set = await startNodes({ count: 3, prefix: 'hft' });
    [n1, n2, n3] = set.nodes as [TestNode, TestNode, TestNode];
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'haforge-transport-'));
  });

  afterAll(async () => {
    await set?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  describe('exec', () => {
    let conn: SshConnection;
    beforeAll(async () => {
      conn = await connect(target(n1), BASE);
    });
    afterAll(async () => {
      await conn?.close();
    });

    it('returns stdout, stderr and the exit code, and runs on the right node', async () => {
      const r = await conn.exec(['sh', '-c', 'uname -n; echo oops >&2; exit 3']);
      expect(r).toMatchObject({ stdout: `${n1.name}\n`, stderr: 'oops\n', exitCode: 3 });
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(conn.host).toBe(n1.name);
    });

    it('quotes arguments: no shell expansion of argv words', async () => {
      const weird = `it's $HOME; \`id\` "q" * \n end`;
      const r = await conn.exec(['printf', '%s', weird]);
      expect(r.stdout).toBe(weird);
    });

    it('feeds stdin and closes it', async () => {
      const r = await conn.exec(['sh', '-c', 'wc -c; cat'], { stdin: 'hello\n' });
      expect(r.stdout).toBe('6\n');
      const empty = await conn.exec(['cat']); // no stdin: EOF right away, no hang
      expect(empty).toMatchObject({ stdout: '', exitCode: 0 });
    });

    it('never loses an exit status, even when it arrives in the same read as the channel confirmation', async () => {
      // Regression: 68 of 200 such commands used to come back with exitCode null.
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => conn.exec(['sh', '-c', `exit ${i % 3}`])));
      expect(rs.map((r) => r.exitCode)).toEqual(Array.from({ length: 200 }, (_, i) => i % 3));
    });

    it('runs 20 commands at once on one connection (channel limit + retry)', async () => {
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => conn.exec(['sh', '-c', `sleep 0.05; echo ${i}`])));
      expect(rs.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    });

    it('retries channel opens the server refuses (more than its MaxSessions of 10)', async () => {
      const greedy = await connect(target(n1), { ...BASE, maxChannels: 16 });
      try {
        const rs = await Promise.all(Array.from({ length: 16 }, (_, i) => greedy.exec(['sh', '-c', `sleep 0.3; echo ${i}`])));
        expect(rs.map((r) => Number(r.stdout))).toEqual(Array.from({ length: 16 }, (_, i) => i));
      } finally {
        await greedy.close();
      }
    });

    it('signals a command that runs past its timeout', async () => {
      const r = await conn.exec(['sleep', '30'], { timeoutMs: 300 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBeNull();
      expect(r.durationMs).toBeLessThan(10_000);
      const after = await conn.exec(['sh', '-c', 'pgrep -x sleep || echo none']);
      expect(after.stdout.trim()).toBe('none');
    });

    it('gives each node its own files and hostname', async () => {
      await conn.exec(['sh', '-c', 'echo one > /root/only-on-1']);
      const other = await connect(target(n2), BASE);
      try {
        const r = await other.exec(['sh', '-c', 'uname -n; test -e /root/only-on-1 && echo leaked || echo private']);
        expect(r.stdout).toBe(`${n2.name}\nprivate\n`);
      } finally {
        await other.close();
      }
      await expect(fs.access('/root/only-on-1')).rejects.toThrow();
    });
  });

  it('turns Nagle off on the TCP socket', async () => {
    const spy = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      const conn = await connect(target(n1), BASE);
      await conn.close();
      expect(spy).toHaveBeenCalledWith(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('connects to 3 nodes in parallel', async () => {
    const conns = await connectAll(set.nodes.map((n) => target(n)), BASE);
    try {
      for (const n of set.nodes) {
        const c = conns.get(n.name);
        expect(c).toBeInstanceOf(SshConnection);
        expect((await (c as SshConnection).exec(['uname', '-n'])).stdout.trim()).toBe(n.name);
      }
    } finally {
      await Promise.all([...conns.values()].map((c) => (c instanceof SshConnection ? c.close() : undefined)));
    }
  });

  describe('host keys', () => {
    it('refuses an unknown host key and shows its fingerprint', async () => {
      const file = path.join(tmp, 'empty_known_hosts');
      await fs.writeFile(file, '');
      const err = await connectionError(connect(target(n1, { knownHostsFile: file }), BASE));
      expect(err.failure).toBe('host-key-unknown');
      expect(err.message).toContain(n1.hostKeyFingerprint);
      expect(err.hint).toMatch(/--accept-new-host-keys/);
      expect(err.hint).toMatch(/ssh-keyscan/);
    });

    it('records an unknown key with acceptNewHostKeys (new dir 0700, file 0600), then trusts it', async () => {
      const file = path.join(tmp, 'new-dir', 'known_hosts');
      const conn = await connect(target(n1, { knownHostsFile: file }), { ...BASE, acceptNewHostKeys: true });
      await conn.close();
      expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      const text = await fs.readFile(file, 'utf8');
      expect(text).toBe(`${n1.address} ${n1.hostPublicKey}\n`);
      // ssh-keygen agrees with what we wrote.
      expect(execFileSync('ssh-keygen', ['-F', n1.address, '-f', file], { encoding: 'utf8' })).toContain(n1.hostPublicKey);
      const again = await connect(target(n1, { knownHostsFile: file }), BASE);
      await again.close();
    });

    it('always refuses a changed key, naming both fingerprints and the line', async () => {
      const file = path.join(tmp, 'changed_known_hosts');
      // Line 2 claims node1's address has node2's key.
      await fs.writeFile(file, `# test\n${n1.address} ${n2.hostPublicKey}\n`);
      for (const acceptNewHostKeys of [false, true]) {
        const err = await connectionError(connect(target(n1, { knownHostsFile: file }), { ...BASE, acceptNewHostKeys }));
        expect(err.failure).toBe('host-key-changed');
        expect(err.message).toContain(n1.hostKeyFingerprint);
        expect(err.message).toContain(n2.hostKeyFingerprint);
        expect(err.message).toContain(`${file}:2`);
      }
    });

    it('accepts hashed known_hosts entries (ssh-keygen -H)', async () => {
      const file = await set.writeKnownHosts(path.join(tmp, 'hashed_known_hosts'), { hashed: true });
      const text = await fs.readFile(file, 'utf8');
      expect(text).not.toContain(n1.address);
      const conns = await connectAll(set.nodes.map((n) => target(n, { knownHostsFile: file })), BASE);
      for (const c of conns.values()) {
        expect(c).toBeInstanceOf(SshConnection);
        await (c as SshConnection).close();
      }
    });
  });

  describe('errors', () => {
    it('reports refused authentication with the user and what was tried', async () => {
      const key = path.join(tmp, 'stranger');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      const err = await connectionError(connect(target(n1, { identityFile: key }), BASE));
      expect(err.failure).toBe('auth');
      expect(err.message).toContain(`root@${n1.address}:22`);
      expect(err.message).toContain(`key ${key}`);
      expect(err.hint).toMatch(/authorized_keys/);
    });

    it('reports a node that is down while the others connect', async () => {
      await set.stopNode(n3);
      try {
        const conns = await connectAll(set.nodes.map((n) => target(n)), BASE);
        const down = conns.get(n3.name);
        expect(down).toBeInstanceOf(ConnectionError);
        expect((down as ConnectionError).failure).toBe('unreachable');
        expect((down as ConnectionError).message).toContain(`${n3.address}:22`);
        for (const n of [n1, n2]) {
          const c = conns.get(n.name);
          expect(c).toBeInstanceOf(SshConnection);
          await (c as SshConnection).close();
        }
      } finally {
        await set.startNode(n3);
      }
    });

    it('reports a connection lost in the middle of a command', async () => {
      const conn = await connect(target(n3), BASE);
      const running = conn.exec(['sleep', '30']).catch((e: unknown) => Promise.reject(e));
      running.catch(() => {}); // handled below; rejects while the node is being stopped
      await new Promise((r) => setTimeout(r, 200));
      await set.stopNode(n3);
      try {
        const err = await connectionError(running);
        expect(err.failure).toBe('lost');
        expect(err.message).toContain(n3.name);
        expect((await connectionError(conn.exec(['true']))).failure).toBe('lost');
      } finally {
        await conn.close();
        await set.startNode(n3);
      }
    });
  });

  describe('ProxyJump', () => {
    const clientAddress = async (conn: SshConnection) =>
      (await conn.exec(['sh', '-c', 'echo $SSH_CONNECTION'])).stdout.split(' ')[0];

    it('reaches node2 through node1 (user@host jump, the target key reused)', async () => {
      const conn = await connect(target(n2, { proxyJump: `root@${n1.address}:22` }), BASE);
      try {
        expect((await conn.exec(['uname', '-n'])).stdout.trim()).toBe(n2.name);
        expect(await clientAddress(conn)).toBe(n1.address); // node2 saw node1 as the client
      } finally {
        await conn.close();
      }
    });

    it('follows ProxyJump, HostName, User and IdentityFile from an ssh config file', async () => {
      const config = path.join(tmp, 'ssh_config');
      await fs.writeFile(
        config,
        [
          'Host hop',
          `  HostName ${n1.address}`,
          '  User root',
          `  IdentityFile ${n1.identityFile}`,
          'Host second',
          `  HostName ${n2.address}`,
          '  ProxyJump hop',
          'Host *',
          '  User nobody-by-default',
          '',
        ].join('\n'),
      );
      const conn = await connect(
        { name: n2.name, host: 'second', user: 'root', identityFile: n2.identityFile, knownHostsFile: n2.knownHostsFile },
        { ...BASE, sshConfigFile: config },
      );
      try {
        expect(await clientAddress(conn)).toBe(n1.address);
      } finally {
        await conn.close();
      }
    });

    it('checks the jump host key too', async () => {
      const file = path.join(tmp, 'only_n2_known_hosts');
      await set.writeKnownHosts(file, { nodes: [n2] });
      const err = await connectionError(connect(target(n2, { proxyJump: `root@${n1.address}`, knownHostsFile: file }), BASE));
      expect(err.failure).toBe('host-key-unknown');
      expect(err.message).toContain(`jump host ${n1.address}`);
      expect(err.message).toContain(n1.hostKeyFingerprint);
    });

    it('reports a target the jump host cannot reach', async () => {
      const err = await connectionError(
        connect({ ...target(n2), host: '10.231.255.254', proxyJump: `root@${n1.address}` }, { ...BASE, connectTimeoutMs: 3_000 }),
      );
      expect(err.failure).toBe('unreachable');
      expect(err.message).toContain('10.231.255.254:22');
    });
  });

  describe('keys', () => {
    let authorize: (pubFile: string) => Promise<void>;
    beforeAll(() => {
      authorize = async (pubFile) => {
        const pub = await fs.readFile(pubFile, 'utf8');
        for (const n of [n1, n2]) {
          const c = await connect(target(n), BASE);
          await c.exec(['sh', '-c', 'cat >> /root/.ssh/authorized_keys'], { stdin: pub });
          await c.close();
        }
      };
    });
    const keygen = (file: string, ...args: string[]) => execFileSync('ssh-keygen', ['-q', '-f', file, ...args]);

    it('asks once for the passphrase of an encrypted key used by several hosts', async () => {
      const key = path.join(tmp, 'encrypted');
      keygen(key, '-t', 'ed25519', '-N', 'correct horse');
      await authorize(`${key}.pub`);
      const asked: string[] = [];
      const conns = await connectAll([target(n1, { identityFile: key }), target(n2, { identityFile: key })], {
        ...BASE,
        askPassphrase: async (file) => {
          asked.push(file);
          return 'correct horse';
        },
      });
      expect(asked).toEqual([key]);
      for (const c of conns.values()) {
        expect(c).toBeInstanceOf(SshConnection);
        await (c as SshConnection).close();
      }
    });

    it('reports a wrong passphrase without printing it', async () => {
      const key = path.join(tmp, 'encrypted');
      const err = await connectionError(connect(target(n1, { identityFile: key }), { ...BASE, askPassphrase: async () => 'wrong guess' }));
      expect(err.failure).toBe('key-passphrase');
      expect(err.message).toContain(key);
      expect(`${err.message} ${err.hint}`).not.toContain('wrong guess');
      const noPrompt = await connectionError(connect(target(n1, { identityFile: key }), BASE));
      expect(noPrompt.failure).toBe('key-passphrase');
    });

    it('uses PEM keys and explains PKCS#8 keys', async () => {
      const pem = path.join(tmp, 'pem_rsa');
      keygen(pem, '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '');
      expect(await fs.readFile(pem, 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
      await authorize(`${pem}.pub`);
      const conn = await connect(target(n1, { identityFile: pem }), BASE);
      await conn.close();

      const pkcs8 = path.join(tmp, 'pkcs8');
      keygen(pkcs8, '-t', 'ecdsa', '-m', 'PKCS8', '-N', '');
      const err = await connectionError(connect(target(n1, { identityFile: pkcs8 }), BASE));
      expect(err.failure).toBe('config');
      expect(err.message).toMatch(/PKCS#8/);
      expect(err.hint).toContain(`ssh-keygen -p -m PEM -f ${pkcs8}`);
    });

    it('reports a missing identity file', async () => {
      const err = await connectionError(connect(target(n1, { identityFile: path.join(tmp, 'nope') }), BASE));
      expect(err.failure).toBe('config');
      expect(err.message).toContain('nope');
    });

    it('falls back to ~/.ssh/id_ed25519 when nothing is configured', async () => {
      const home = path.join(tmp, 'home');
      await fs.mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
      await fs.copyFile(n1.identityFile, path.join(home, '.ssh', 'id_ed25519'));
      const saved = process.env.HOME;
      process.env.HOME = home;
      try {
        const conn = await connect({ name: n1.name, host: n1.address, user: 'root', knownHostsFile: n1.knownHostsFile }, BASE);
        await conn.close();
      } finally {
        process.env.HOME = saved;
      }
    });

    it('authenticates with ssh-agent', async () => {
      const sock = path.join(tmp, 'agent.sock');
      const out = execFileSync('ssh-agent', ['-a', sock, '-s'], { encoding: 'utf8' });
      const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
      try {
        execFileSync('ssh-add', ['-q', n1.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        const saved = process.env.HOME;
        process.env.HOME = path.join(tmp, 'empty-home'); // no default keys: only the agent can help
        try {
          const conn = await connect({ name: n1.name, host: n1.address, user: 'root', knownHostsFile: n1.knownHostsFile }, { ...BASE, agentSocket: sock });
          await conn.close();
        } finally {
          process.env.HOME = saved;
        }
      } finally {
        if (pid) process.kill(pid);
      }
    });
  });

  describe('sudo', () => {
    it('runs commands as root through passwordless sudo', async () => {
      const conn = await connect(target(n1, { user: SUDO_USER, sudo: true }), BASE);
      try {
        expect((await conn.exec(['id', '-u'])).stdout.trim()).toBe('0');
        expect((await conn.exec(['id', '-un'], { sudo: false })).stdout.trim()).toBe(SUDO_USER);
      } finally {
        await conn.close();
      }
    });

    it('reports sudo that needs a password, at connect and at exec', async () => {
      const err = await connectionError(connect(target(n1, { user: SUDO_PASSWORD_USER, sudo: true }), BASE));
      expect(err.failure).toBe('sudo-password');
      expect(err.hint).toMatch(/NOPASSWD/);
      const conn = await connect(target(n1, { user: SUDO_PASSWORD_USER }), BASE);
      try {
        const e2 = await connectionError(conn.exec(['id'], { sudo: true }));
        expect(e2.failure).toBe('sudo-password');
      } finally {
        await conn.close();
      }
    });
  });
});
