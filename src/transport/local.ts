// A node on this machine, without SSH and without root rights: every
// command runs in its own user, mount and UTS namespace (unshare) where the
// writable top-level directories are overlays on the node's temporary root,
// and /run and /tmp are the node's own (empty at first, as after a boot).
// What a command writes lands under the root; the machine's files stay as
// they were; `uname -n` answers the node's name.
// Several nodes side by side make a cluster for the engine's and services'
// tests (test/unit). Tools a node has no real counterpart for here (a
// cluster manager, DRBD) can be put in its /usr/local/sbin, which comes
// first in PATH.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { NodeSpec } from '../inventory/model.js';
import type { Connection, ExecOptions, ExecResult } from './types.js';

/** Directories a command may write to, each an overlay on the machine's own. */
const OVERLAID = ['etc', 'var', 'srv', 'opt', 'root', 'home', 'usr/local'];
/** The node's own, nothing of the machine's (an overlay could not take /run's mounts, such as /run/netns, anyway). */
const OWN = ['run', 'tmp'];

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// $1 root, $2 node name, then the command. /tmp is bound last: the root lives under it.
const ENTER = `set -e
r=$1; name=$2; shift 2
for d in ${OVERLAID.join(' ')}; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$r/upper/$d,workdir=$r/work/$d" "/$d"
done
for d in ${OWN.join(' ')}; do mount --bind "$r/$d" "/$d"; done
hostname "$name"
cd /
set +e
exec "$@"`;

export class LocalNode implements Connection {
  private closed = false;

  private constructor(
    readonly host: string,
    /** The node's temporary root; its files are under upper/ (upper/etc/motd is the node's /etc/motd). */
    readonly root: string,
  ) {}

  /** A new node with an empty root of its own under `parent`. */
  static create(host: string, parent = os.tmpdir()): LocalNode {
    const root = mkdtempSync(path.join(parent, `haforge-local-${host}-`));
    for (const d of OVERLAID) {
      mkdirSync(path.join(root, 'upper', d), { recursive: true });
      mkdirSync(path.join(root, 'work', d), { recursive: true });
    }
    for (const d of OWN) mkdirSync(path.join(root, d), { mode: 0o1777 });
    return new LocalNode(host, root);
  }

  /** Where the node's `absolute` path lives on this machine (for a test to look at, or to put a file there). */
  file(absolute: string): string {
    const within = (d: string) => absolute === `/${d}` || absolute.startsWith(`/${d}/`);
    if (OWN.some(within)) return path.join(this.root, absolute);
    if (!OVERLAID.some(within)) throw new Error(`${absolute} is not writable on a local node (writable: ${[...OVERLAID, ...OWN].map((d) => `/${d}`).join(', ')})`);
    return path.join(this.root, 'upper', absolute);
  }

  /** Puts an executable on the node's PATH ahead of the machine's: a stand-in for a tool that cannot run here. */
  addTool(name: string, script: string): void {
    const file = this.file(`/usr/local/sbin/${name}`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, script, { mode: 0o755 });
  }

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new Error(`${this.host}: connection closed`));
    const started = performance.now();
    const child = spawn('unshare', ['--user', '--map-root-user', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', ENTER, 'haforge-local', this.root, this.host, ...argv], {
      env: { PATH, HOME: '/root', LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (opts.stdoutTo) child.stdout.pipe(opts.stdoutTo, { end: false });
    else child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined); // a command that does not read its stdin
    child.stdin.end(opts.stdin ?? '');
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutMs);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          exitCode: signal ? null : code,
          ...(signal ? { signal } : {}),
          ...(timedOut ? { timedOut: true } : {}),
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        });
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Another connection to the same node (a closed one stays closed, as over SSH). */
  reconnect(): LocalNode {
    return new LocalNode(this.host, this.root);
  }

  /** Removes the node's root. */
  remove(): void {
    this.closed = true;
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Local nodes for an inventory's nodes, by name: a connector for the run context. */
export class LocalCluster {
  readonly nodes = new Map<string, LocalNode>();
  /** Nodes that refuse connections, as a powered-off machine would. */
  readonly down = new Set<string>();

  node(name: string): LocalNode {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = LocalNode.create(name)));
    return n;
  }

  /** Connects like the SSH connector: one entry per node, an Error for a node that is down. */
  connect = async (nodes: readonly Pick<NodeSpec, 'name'>[]): Promise<Map<string, Connection | Error>> =>
    new Map(nodes.map((n) => [n.name, this.down.has(n.name) ? new Error(`${n.name}: connection refused (down)`) : this.node(n.name).reconnect()]));

  remove(): void {
    for (const n of this.nodes.values()) n.remove();
    this.nodes.clear();
  }
}
