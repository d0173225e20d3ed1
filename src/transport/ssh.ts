// The SSH transport on ssh2: one connection per host, opened in parallel,
// host keys checked against known_hosts, commands quoted by quoteArgv and
// run without a pty, at most a few channels at a time per connection.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { ConnectionError } from '../errors.js';
import { quoteArgv } from '../util/shell.js';
import { verifyHostKey, readKnownHosts } from './host-keys.js';
import { KeyLoader, type AskPassphrase } from './keys.js';
import { knownKeyTypes } from './known-hosts.js';
import { Semaphore, withRetry } from './limit.js';
import { resolveTarget, type Endpoint, type ResolvedTarget, type SshTarget } from './resolve.js';
import { loadSshConfig, type SshConfigBlock } from './ssh-config.js';
import type { Connection, ExecOptions, ExecResult } from './types.js';

const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

export type { SshTarget } from './resolve.js';
export type { AskPassphrase } from './keys.js';

export interface ConnectOptions {
  /** Record unknown host keys instead of refusing them (`--accept-new-host-keys`). */
  acceptNewHostKeys?: boolean;
  /** Record this one unknown host key (the one the user approved) and no other. */
  approvedHostKey?: Buffer;
  /** Asked once per encrypted key file; without it encrypted keys cannot be used. */
  askPassphrase?: AskPassphrase;
  /** TCP connect, and separately SSH handshake + auth, each get this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default ~/.ssh/config; `false` reads none. */
  sshConfigFile?: string | false;
  /** Channels open at once per connection (OpenSSH allows 10 sessions). Default 4. */
  maxChannels?: number;
  /** SSH keepalive interval. Default 15 s (3 unanswered = connection lost). */
  keepaliveIntervalMs?: number;
  /** ssh-agent socket. Default $SSH_AUTH_SOCK. */
  agentSocket?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// After a timeout's TERM, how long the command gets before KILL and giving up on it.
const KILL_GRACE_MS = 2_000;
const SUDO_NEEDS_PASSWORD = /sudo: (a password is required|a terminal is required|no tty present)/;

/** Connect to every target at once. One host's failure never stops the others. */
export async function connectAll(
  targets: readonly SshTarget[],
  opts: ConnectOptions = {},
): Promise<Map<string, SshConnection | ConnectionError>> {
  const results = new Map<string, SshConnection | ConnectionError>();
  let config: SshConfigBlock[];
  try {
    config = await readConfig(opts);
  } catch (err) {
    for (const t of targets) results.set(t.name, new ConnectionError(t.name, 'config', `cannot read ssh config: ${String(err)}`));
    return results;
  }
  const session = new ConnectSession(opts, config);
  const settled = await Promise.all(targets.map((t) => session.connect(t).catch((err: unknown) => asConnectionError(t.name, err))));
  targets.forEach((t, i) => results.set(t.name, settled[i]!));
  return results;
}

/** Connect to one target; throws ConnectionError. */
export async function connect(target: SshTarget, opts: ConnectOptions = {}): Promise<SshConnection> {
  const result = (await connectAll([target], opts)).get(target.name)!;
  if (result instanceof ConnectionError) throw result;
  return result;
}

async function readConfig(opts: ConnectOptions): Promise<SshConfigBlock[]> {
  if (opts.sshConfigFile === false) return [];
  return loadSshConfig(opts.sshConfigFile ?? path.join(os.homedir(), '.ssh', 'config'));
}

/** State shared by the connections of one connectAll: parsed keys and passphrases. */
class ConnectSession {
  private readonly keys: KeyLoader;
  private readonly timeoutMs: number;

  constructor(
    private readonly opts: ConnectOptions,
    private readonly config: SshConfigBlock[],
  ) {
    this.keys = new KeyLoader(opts.askPassphrase);
    this.timeoutMs = opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async connect(target: SshTarget): Promise<SshConnection> {
    let resolved: ResolvedTarget;
    try {
      resolved = resolveTarget(target, this.config);
    } catch (err) {
      throw new ConnectionError(target.name, 'config', `${target.name}: ${(err as Error).message}`);
    }
    const hops: Client[] = [];
    try {
      let sock: Duplex | undefined;
      for (const jump of resolved.jumps) {
        const client = await this.openHop(jump, sock, target.name);
        client.on('error', () => {}); // a dropped jump shows up as the target connection closing
        hops.push(client);
        const next = resolved.jumps[hops.length] ?? resolved;
        sock = await forward(client, next, target.name, jump);
      }
      const client = await this.openHop(resolved, sock, target.name);
      const conn = new SshConnection(client, resolved, hops, this.opts.maxChannels ?? 4);
      if (resolved.sudo && resolved.user !== 'root') await conn.checkSudo();
      return conn;
    } catch (err) {
      for (const hop of hops) hop.end();
      throw err;
    }
  }

  /** Dial (or use the forwarded stream), verify the host key, authenticate. */
  private async openHop(ep: Endpoint, via: Duplex | undefined, name: string): Promise<Client> {
    const keys = await this.loadKeys(ep, name);
    const known = await readKnownHosts(ep.knownHostsFile);
    const sock = via ?? (await dial(ep, name, this.timeoutMs));
    const agent = this.opts.agentSocket ?? process.env.SSH_AUTH_SOCK;
    const where = hostPort(ep);

    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyError: ConnectionError | undefined;
      const tried: string[] = [];
      const methods: { label: string; auth: AgentAuthMethod | PublicKeyAuthMethod }[] = keys.map((k) => ({
        label: `key ${k.file}`,
        auth: { type: 'publickey', username: ep.user, key: k.key },
      }));
      // A key the user named goes first: an agent full of keys could use up
      // the server's MaxAuthTries before it is offered.
      if (agent) {
        const viaAgent = { label: 'ssh-agent', auth: { type: 'agent' as const, username: ep.user, agent } };
        if (ep.explicitIdentity) methods.push(viaAgent);
        else methods.unshift(viaAgent);
      }

      const fail = (err: ConnectionError) => {
        client.removeAllListeners();
        client.on('error', () => {}); // late socket errors after we gave up
        client.end();
        sock.destroy();
        reject(err);
      };
      const onReady = () => {
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        resolve(client);
      };
      const onError = (err: Error & { level?: string }) => {
        if (hostKeyError) return fail(hostKeyError);
        if (err.level === 'client-authentication') {
          return fail(
            new ConnectionError(
              name,
              'auth',
              `${labelOf(ep, name)}: ${ep.user}@${where} refused authentication; tried ${tried.length ? tried.join(', ') : 'nothing (no ssh-agent, no key file found)'}`,
              `Check that the public key is in ~${ep.user}/.ssh/authorized_keys on the host, and the user and identityFile ` +
                'in the inventory (or User/IdentityFile in ~/.ssh/config), or load the key into ssh-agent.',
            ),
          );
        }
        if (err.level === 'client-timeout') {
          return fail(unreachable(name, ep, `no SSH handshake within ${this.timeoutMs} ms`));
        }
        fail(unreachable(name, ep, `SSH handshake failed: ${err.message}`));
      };
      const onClose = () => fail(hostKeyError ?? unreachable(name, ep, 'connection closed during SSH handshake'));
      client.once('ready', onReady);
      client.on('error', onError);
      client.once('close', onClose);

      const config: ConnectConfig = {
        sock,
        username: ep.user,
        readyTimeout: this.timeoutMs,
        keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          verifyHostKey({
            name: labelOf(ep, name),
            host: ep.host,
            port: ep.port,
            key,
            knownHostsFile: ep.knownHostsFile,
            acceptNew: this.opts.acceptNewHostKeys ?? false,
            approvedKey: this.opts.approvedHostKey,
          }).then(
            (err) => {
              if (err) hostKeyError = new ConnectionError(name, err.failure, err.message, err.hint, err.offeredHostKey);
              verify(!err);
            },
            (err: unknown) => {
              hostKeyError = new ConnectionError(name, 'config', `cannot check host key of ${where}: ${String(err)}`);
              verify(false);
            },
          );
        },
        authHandler: (methodsLeft, _partial, next) => {
          for (;;) {
            const m = methods.shift();
            if (!m) return next(false as unknown as AuthenticationType);
            if (methodsLeft && !methodsLeft.includes('publickey')) continue;
            tried.push(m.label);
            return next(m.auth);
          }
        },
      };
      const preferred = hostKeyAlgorithms(knownKeyTypes(known, ep.host, ep.port));
      if (preferred) config.algorithms = { serverHostKey: preferred as never };
      client.connect(config);
    });
  }

  private async loadKeys(ep: Endpoint, name: string): Promise<{ file: string; key: ParsedKey }[]> {
    const out: { file: string; key: ParsedKey }[] = [];
    for (const file of ep.identityFiles) {
      const key = await this.keys.load({ name, file, explicit: ep.explicitIdentity });
      if (key instanceof ConnectionError) throw key;
      if (key) out.push({ file, key });
    }
    return out;
  }
}

// Host key algorithms with the ones already known for the host first, as
// OpenSSH does, so a host known by its ed25519 key is not asked for RSA.
const ALL_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function hostKeyAlgorithms(knownTypes: string[]): string[] | undefined {
  if (knownTypes.length === 0) return undefined;
  const first = ALL_HOST_KEY_ALGOS.filter((a) => knownTypes.includes(a.startsWith('rsa-sha2') ? 'ssh-rsa' : a));
  return [...first, ...ALL_HOST_KEY_ALGOS.filter((a) => !first.includes(a))];
}

/** Open the TCP connection; Nagle off, or every round trip waits ~40 ms for a delayed ACK. */
function dial(ep: Endpoint, name: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: ep.host, port: ep.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(name, ep, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(name, ep, SOCKET_ERRORS[err.code ?? ''] ?? err.message));
    });
  });
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is sshd running and listening on that port?)',
  EHOSTUNREACH: 'no route to host (is it up?)',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'unknown host name',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
};

/** A channel on `client` to the next hop's host:port, to run SSH over. */
function forward(client: Client, next: Endpoint, name: string, jump: Endpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, stream) => {
      const why = err?.message.replace(/^\(SSH\) Channel open failure: /, '');
      if (err) reject(unreachable(name, next, `${jump.label} (${hostPort(jump)}) could not connect to it: ${why}`));
      else resolve(stream);
    });
  });
}

function unreachable(name: string, ep: Endpoint, why: string): ConnectionError {
  return new ConnectionError(
    name,
    'unreachable',
    `cannot reach ${labelOf(ep, name)} at ${hostPort(ep)}: ${why}`,
    'Check that the host is up and that its address and port (inventory, or HostName/Port in ~/.ssh/config) are right.',
  );
}

function labelOf(ep: Endpoint, name: string): string {
  return ep.label === name ? name : `${ep.label} (for ${name})`;
}

function hostPort(ep: { host: string; port: number }): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

function asConnectionError(name: string, err: unknown): ConnectionError {
  if (err instanceof ConnectionError) return err;
  return new ConnectionError(name, 'unreachable', `cannot connect to ${name}: ${err instanceof Error ? err.message : String(err)}`);
}

/** One authenticated SSH connection to one host. */
interface ExitStatus {
  got: boolean;
  code: number | null;
  signal?: string;
}

interface OpenChannel {
  channel: ClientChannel;
  exit: ExitStatus;
}

export class SshConnection implements Connection {
  readonly host: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly sudo: boolean;
  private readonly channels: Semaphore;
  private lost?: ConnectionError;
  private closing = false;
  private clientClosed = false;
  // Rejecters of commands in flight, called when the connection drops.
  private readonly inFlight = new Set<(err: ConnectionError) => void>();

  constructor(
    private readonly client: Client,
    target: ResolvedTarget,
    private readonly jumps: Client[],
    maxChannels: number,
  ) {
    this.host = target.label;
    this.address = target.host;
    this.port = target.port;
    this.user = target.user;
    this.sudo = target.sudo;
    this.channels = new Semaphore(maxChannels);
    const onDown = (why: string) => {
      if (this.closing || this.lost) return;
      this.lost = new ConnectionError(
        this.host,
        'lost',
        `lost the connection to ${this.host} (${hostPort({ host: this.address, port: this.port })}): ${why}`,
        'Check that the host is still up; run again once it is.',
      );
      for (const reject of this.inFlight) reject(this.lost);
      this.inFlight.clear();
    };
    client.on('error', (err: Error) => onDown(err.message));
    client.on('end', () => onDown('closed by the remote side'));
    client.on('close', () => {
      this.clientClosed = true;
      onDown('connection closed');
    });
  }

  get isOpen(): boolean {
    return !this.lost && !this.closing;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const useSudo = (opts.sudo ?? this.sudo) && this.user !== 'root';
    const timed = opts.timeoutMs === undefined ? argv : withRemoteTimeout(argv, opts.timeoutMs);
    const command = quoteArgv(useSudo ? ['sudo', '-n', '--', ...timed] : timed);
    const release = await this.channels.acquire();
    let result: ExecResult;
    try {
      const started = performance.now();
      const opened = await withRetry(() => this.openChannel(command), isChannelOpenRefused, { attempts: 8, baseMs: 5 }).catch(
        (err: unknown) => {
          if (err instanceof ConnectionError) throw err;
          throw new ConnectionError(
            this.host,
            'lost',
            `${this.host} refused to open a session channel 8 times: ${(err as Error).message}`,
            'The server limits sessions per connection (OpenSSH MaxSessions); check its sshd_config.',
          );
        },
      );
      result = await this.collect(opened, opts, started);
    } finally {
      release();
    }
    if (useSudo && result.exitCode === 1 && SUDO_NEEDS_PASSWORD.test(result.stderr)) throw this.sudoError();
    return result;
  }

  /** Fail early (at connect) when sudo would need a password. */
  async checkSudo(): Promise<void> {
    try {
      await this.exec(['true'], { sudo: true, timeoutMs: 10_000 });
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.clientClosed) return this.endJumps();
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.client.end();
    await closed;
    this.endJumps();
  }

  private endJumps(): void {
    for (const jump of [...this.jumps].reverse()) jump.end();
  }

  private sudoError(): ConnectionError {
    return new ConnectionError(
      this.host,
      'sudo-password',
      `sudo on ${this.host} asks ${this.user} for a password; haforge runs sudo non-interactively (sudo -n)`,
      `Give ${this.user} passwordless sudo on ${this.host}, e.g. a line \`${this.user} ALL=(ALL) NOPASSWD: ALL\` in /etc/sudoers.d/haforge (edit with visudo), or connect as root.`,
    );
  }

  private openChannel(command: string): Promise<OpenChannel> {
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(this.lost);
      if (this.closing) return reject(new ConnectionError(this.host, 'lost', `connection to ${this.host} is closed`));
      // No pty: commands see no terminal, and stdout and stderr stay apart.
      this.client.exec(command, (err, channel) => {
        if (err) return reject(this.lost ?? err);
        // ssh2 emits 'exit' synchronously while it parses a packet: when the
        // confirmation, exit-status and close arrive in one read, a listener
        // added after an await misses it. Catch it here, in the callback.
        const exit: ExitStatus = { got: false, code: null };
        channel.on('exit', (code: number | null, sig?: string) => {
          Object.assign(exit, { got: true, code: typeof code === 'number' ? code : null, signal: sig });
        });
        resolve({ channel, exit });
      });
    });
  }

  private collect({ channel, exit }: OpenChannel, opts: ExecOptions, started: number): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = () => {
        timers.forEach(clearTimeout);
        this.inFlight.delete(onLost);
      };
      const onLost = (err: ConnectionError) => {
        finish();
        reject(err);
      };
      this.inFlight.add(onLost);
      const sink = opts.stdoutTo;
      channel.on('data', (d: Buffer) => {
        if (!sink) return void stdout.push(d);
        // Backpressure: a slow sink (a file) pauses the channel, not the memory.
        if (!sink.write(d)) {
          channel.pause();
          sink.once('drain', () => channel.resume());
        }
      });
      channel.stderr.on('data', (d: Buffer) => stderr.push(d));
      const settle = () => {
        finish();
        const { got: gotExit, code: exitCode } = exit;
        let signal = exit.signal;
        if (!gotExit && this.lost) return reject(this.lost);
        // `timeout` exits 124 after TERM and 137 after KILL: report the signal.
        const killed = timedOut && (!gotExit || exitCode === 124 || exitCode === 137);
        if (killed) signal = signal ?? (exitCode === 137 ? 'SIGKILL' : 'SIGTERM');
        resolve({
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          exitCode: killed ? null : exitCode,
          ...(signal ? { signal } : {}),
          ...(timedOut ? { timedOut: true } : {}),
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        });
      };
      channel.on('close', settle);
      if (opts.timeoutMs !== undefined) {
        timers.push(
          setTimeout(() => {
            timedOut = true;
            // The remote `timeout` does the killing; an SSH signal request
            // helps where sshd honours it (not for root logins: OpenSSH needs
            // privilege separation for it).
            sendSignal(channel, 'TERM');
            timers.push(
              setTimeout(() => {
                // Backstop: stop waiting for a command that would not die.
                channel.removeListener('close', settle);
                channel.close();
                settle();
              }, KILL_GRACE_MS + 3_000),
            );
          }, opts.timeoutMs),
        );
      }
      if (opts.stdin !== undefined) channel.end(opts.stdin);
      else channel.end(); // EOF: a command reading stdin must not wait forever
    });
  }
}

/** Let the remote side enforce the timeout too: it kills the whole process group. */
function withRemoteTimeout(argv: readonly string[], timeoutMs: number): string[] {
  const secs = (n: number) => String(Math.max(n, 1) / 1000);
  return ['timeout', `--kill-after=${secs(KILL_GRACE_MS)}`, secs(timeoutMs), ...argv];
}

function isChannelOpenRefused(err: unknown): boolean {
  return err instanceof Error && !(err instanceof ConnectionError) && /Channel open failure/i.test(err.message);
}

// ssh2's channel.signal() sends nothing once our side of the channel is
// ended (and we always end it: stdin EOF). The signal request is still valid
// in SSH while the channel is open, so send it through the protocol directly.
function sendSignal(channel: ClientChannel, name: 'TERM' | 'KILL'): void {
  const ch = channel as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, sig: string): void } };
  };
  const state = ch.outgoing?.state;
  if ((state !== 'open' && state !== 'eof') || !ch._client?._protocol) return;
  try {
    ch._client._protocol.signal(ch.outgoing!.id, name);
  } catch {
    /* connection already gone: collect() reports that */
  }
}
