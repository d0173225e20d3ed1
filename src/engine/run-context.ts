// What every use case that talks to nodes shares: which clusters it is
// about, one connection per node (dialled on first use, dialled again after
// a failure, never while the node is powered off on purpose), the run lock
// on the nodes, and the audit log every command goes to. Services open one
// RunContext and close it whatever happens.
import type { ClusterSpec, Inventory, NodeSpec } from '../inventory/model.js';
import { UserError } from '../errors.js';
import { didYouMean } from '../schema/suggest.js';
import type { ConnectOptions as TransportOptions } from '../transport/ssh.js';
import type { Connection } from '../transport/types.js';
import { AuditedConnection, AuditLog } from './audit.js';
import { RunLocks } from './lock.js';

/** Dials nodes: one entry per node, an Error for a node that cannot be used. */
export type Connector = (nodes: readonly NodeSpec[]) => Promise<Map<string, Connection | Error>>;

export interface ConnectOptions {
  acceptNewHostKeys?: boolean;
  /** Ask for key passphrases on the terminal (never in --json or CI). */
  interactive?: boolean;
  /** How nodes are reached (default: SSH). The tests' local nodes come in here. */
  connector?: Connector;
}

export interface RunOptions extends ConnectOptions {
  /** Where commands are recorded (default: memory only, for runs that only read). */
  audit?: AuditLog;
}

/** The SSH connector with a command's options: host key policy, passphrases asked on a terminal only. */
export function sshConnector(opts: ConnectOptions = {}): Connector {
  // ssh2 is loaded on the first dial: commands that never connect start faster.
  return async (nodes) =>
    (await import('../transport/ssh.js')).connectAll(
      nodes.map((n) => ({
        name: n.name,
        host: n.ssh.host,
        port: n.ssh.port,
        user: n.ssh.user,
        identityFile: n.ssh.identityFile,
        knownHostsFile: n.ssh.knownHostsFile,
        proxyJump: n.ssh.proxyJump,
        sudo: n.sudo,
      })),
      transportOptions(opts),
    );
}

export function transportOptions(opts: ConnectOptions): TransportOptions {
  return {
    acceptNewHostKeys: opts.acceptNewHostKeys,
    askPassphrase:
      opts.interactive && process.stdin.isTTY
        ? async (keyFile: string) => (await import('@inquirer/prompts')).password({ message: `Passphrase for ${keyFile}:` })
        : undefined,
  };
}

export class RunContext {
  readonly audit: AuditLog;
  readonly locks = new RunLocks();
  private readonly connector: Connector;
  private readonly nodes: Map<string, NodeSpec>;
  private readonly open = new Map<string, Connection>();
  /** Powered off by this run: not dialled until powered on again. */
  private readonly off = new Set<string>();

  constructor(nodes: readonly NodeSpec[], opts: RunOptions = {}) {
    this.nodes = new Map(nodes.map((n) => [n.name, n]));
    this.audit = opts.audit ?? new AuditLog();
    this.connector = opts.connector ?? sshConnector(opts);
  }

  get runId(): string {
    return this.locks.runId;
  }

  /** Connections to `names` (default: every node), dialling those not open; a node that cannot be used gets its Error. */
  async connections(names: readonly string[] = [...this.nodes.keys()]): Promise<Map<string, AuditedConnection | Error>> {
    const missing = names.filter((n) => !this.open.has(n) && !this.off.has(n)).map((n) => this.spec(n));
    const dialled = missing.length ? await this.connector(missing) : new Map<string, Connection | Error>();
    for (const [name, c] of dialled) if (!(c instanceof Error)) this.open.set(name, c);
    return new Map(
      names.map((name) => {
        if (this.off.has(name)) return [name, new Error(`${name} is powered off by this run`)];
        const c = this.open.get(name) ?? dialled.get(name) ?? new Error(`${name}: not connected`);
        return [name, c instanceof Error ? c : new AuditedConnection(c, this.audit)];
      }),
    );
  }

  async connection(name: string): Promise<AuditedConnection | Error> {
    return (await this.connections([name])).get(name)!;
  }

  /** Forgets a connection (a reading through it failed): the next use dials again. */
  async drop(name: string): Promise<void> {
    const c = this.open.get(name);
    this.open.delete(name);
    await c?.close().catch(() => undefined);
  }

  /** A step powered a node off (its connection is gone) or on (dial it anew). */
  async powered(name: string, state: 'off' | 'on'): Promise<void> {
    await this.drop(name);
    if (state === 'off') this.off.add(name);
    else this.off.delete(name);
  }

  /** Takes the run lock on every reachable node of `names` (default: all); one refusal stops the run. */
  async lock(names?: readonly string[]): Promise<void> {
    const conns = await this.connections(names);
    const unreachable = [...conns.values()].find((c): c is Error => c instanceof Error);
    if (unreachable) throw unreachable;
    await this.locks.take(conns.values());
  }

  /** Releases this run's locks (through fresh connections where a node was powered off and on) and closes everything. */
  async close(): Promise<void> {
    if (this.locks.hosts.length) {
      const conns = await this.connections(this.locks.hosts.filter((n) => this.nodes.has(n))).catch(() => new Map<string, AuditedConnection | Error>());
      await this.locks.release(conns.values());
    }
    await Promise.allSettled([...this.open.keys()].map((n) => this.drop(n)));
  }

  private spec(name: string): NodeSpec {
    const node = this.nodes.get(name);
    if (!node) throw new UserError(`no node '${name}' in this run`, { hint: `nodes: ${[...this.nodes.keys()].join(', ')}` });
    return node;
  }
}

/** Opens a run context on `nodes`, takes the lock when asked, and closes it whatever `work` does. */
export async function withRun<T>(nodes: readonly NodeSpec[], opts: RunOptions & { lock?: boolean }, work: (run: RunContext) => Promise<T>): Promise<T> {
  const run = new RunContext(nodes, opts);
  try {
    if (opts.lock) await run.lock();
    return await work(run);
  } finally {
    await run.close();
  }
}

export interface ClusterWish {
  /** --cluster */
  cluster?: string;
  /** Only clusters with this node. */
  node?: string;
  /** Only clusters with this DRBD resource. */
  resource?: string;
  /** Only clusters with DRBD resources. */
  drbd?: boolean;
}

/** The clusters a command is about: all, or those --cluster, the node or the resource name, each refusal with the names there are. */
export function pickClusters(inventory: Inventory, want: ClusterWish = {}): ClusterSpec[] {
  const allNames = inventory.clusters.map((c) => c.name);
  let clusters = want.drbd ? inventory.clusters.filter((c) => (c.drbd?.resources.length ?? 0) > 0) : inventory.clusters;
  if (want.cluster !== undefined) {
    clusters = clusters.filter((c) => c.name === want.cluster);
    if (!clusters.length) throw new UserError(`no cluster '${want.cluster}'${want.drbd ? ' with DRBD resources' : ''} in ${inventory.file}${didYouMean(want.cluster, allNames)}`, { hint: `clusters: ${allNames.join(', ')}` });
  }
  if (want.node !== undefined) {
    const names = clusters.flatMap((c) => c.nodes.map((n) => n.name));
    clusters = clusters.filter((c) => c.nodes.some((n) => n.name === want.node));
    if (!clusters.length) throw new UserError(`no node '${want.node}' in ${inventory.file}${didYouMean(want.node, names)}`, { hint: `nodes: ${names.join(', ')}` });
  }
  if (want.resource !== undefined) {
    const names = clusters.flatMap((c) => c.drbd?.resources.map((r) => r.name) ?? []);
    clusters = clusters.filter((c) => c.drbd?.resources.some((r) => r.name === want.resource));
    if (!clusters.length) throw new UserError(`no DRBD resource '${want.resource}' in ${inventory.file}${didYouMean(want.resource, names)}`, { hint: `resources: ${names.join(', ')}` });
  }
  if (want.drbd && !clusters.length) throw new UserError(`${inventory.file} describes no DRBD resources`, { hint: 'this command works on the clusters whose inventory has a drbd: section' });
  return clusters;
}

/** The one cluster a command is about: --cluster, else the only one. */
export function pickCluster(inventory: Inventory, name?: string): ClusterSpec {
  if (name === undefined && inventory.clusters.length !== 1) {
    const names = inventory.clusters.map((c) => c.name);
    throw new UserError(`${inventory.file} has ${names.length} clusters: say which`, { hint: `--cluster ${names[0]} (clusters: ${names.join(', ')})` });
  }
  return pickClusters(inventory, { cluster: name })[0]!;
}
