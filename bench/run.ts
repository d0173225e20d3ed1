// `npm run bench`: haforge against Ansible, the same work on 2 and 20 nodes.
//
// Work per node (bench/playbook.yaml, bench/ansible/site.yml): 3 directories,
// 5 templated files, 2 symlinks, 2 read-only commands. For each node count,
// each tool gets its own fresh node set (real sshd in namespaces,
// test/support/nodes.ts), does a first run, then REPEATS no-change re-runs
// (the median counts), alternating with the other tool's re-runs so that load
// from anything else on the machine hits both alike.
// haforge runs through the real CLI (`node bin/run.js apply`): start-up is
// part of what users feel. Ansible runs with pipelining, ControlPersist and
// host key checking against the nodes' known_hosts (bench/ansible/ansible.cfg).
// A third peer, where Debian's ansible-mitogen is installed: the same Ansible
// with Mitogen's strategy (mitogen_linear), on a node set of its own.
//
// Checks that make the comparison meaningful: every first run changes
// everything and fails nothing, every re-run reports 0 changed (haforge: the
// --json report and no `change` command in the audit log; Ansible: the
// recap), and every side leaves byte-identical files, modes and links.
//
// Options (env): BENCH_SIZES=2,20  BENCH_REPEATS=3  BENCH_NO_DOC=1 (do not
// rewrite docs/bench.md)  BENCH_HAFORGE=/other/checkout (measure another
// built haforge, e.g. a branch; the default is this checkout).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { writeTestInventory } from '../test/support/inventory.js';
import { nodesUnavailableReason, startNodes, type TestNode, type TestNodes } from '../test/support/nodes.js';
import { measureConnect, type ConnectTiming } from './connect.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const PLAYBOOK = path.join(BENCH, 'playbook.yaml');
/** The haforge to measure: this checkout, or another built one (BENCH_HAFORGE=/path, e.g. a branch's worktree). */
const HAFORGE = path.resolve(process.env.BENCH_HAFORGE || ROOT);
const HAFORGE_BIN = path.join(HAFORGE, 'bin/run.js');
const ANSIBLE_DIR = path.join(BENCH, 'ansible');
/** Node name prefixes (startNodes): one node set per tool. */
const PREFIX_HAFORGE = 'hbh';
const PREFIX_ANSIBLE = 'hba';
const PREFIX_MITOGEN = 'hbm';
/** Mitogen's strategy for Ansible (Debian's ansible-mitogen puts it among Ansible's own plugins). */
const MITOGEN_STRATEGY = 'mitogen_linear';
const CLUSTER = 'bench';
const APP_PORT = 8080;
const BASE = '/srv/hfbench';
/** Per node: 3 directories + 5 files + 2 symlinks change on a first run; the 2 read-only commands never do. */
const TASKS = 12;
const CHANGING_TASKS = 10;
const RUN_TIMEOUT_MS = 300_000;

const SIZES = (process.env.BENCH_SIZES ?? '2,20').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TARGETS: Record<number, number> = { 2: 25, 20: 50 };
/** Answers a user waits for at the prompt: `--help` and `inventory validate`, each under this. */
const QUICK_ANSWER_MS = 150;

interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
  code: number | null;
  startedAt: number;
}

interface HaforgeRun extends Timed {
  changed: number;
  failed: number;
  audit: AuditRecord[];
}

interface AuditRecord {
  time: string;
  host: string;
  kind: string;
  argv: string[];
  exitCode: number | null;
  durationMs: number;
}

interface SideResult {
  first: number;
  reruns: number[];
  median: number;
}

interface SizeResult {
  n: number;
  haforge: SideResult;
  ansible: SideResult;
  /** Ansible with Mitogen: its result, or why there is none. */
  mitogen: SideResult | { error: string };
  /** haforge re-run breakdown (median run). */
  profile: Profile;
  connect: ConnectTiming;
  nodeStartMs: number[];
}

interface Profile {
  toFirstCommandMs: number;
  remoteSpanMs: number;
  tailMs: number;
  commandsPerHost: number;
  factCmdMsMedian: number;
}

class BenchError extends Error {}

// ---- helpers -----------------------------------------------------------------

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function timedRun(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, startedAt });
    });
  });
}

function sshOn(lab: TestNodes, node: TestNode, command: string): string {
  return execFileSync(
    'ssh',
    ['-i', lab.identityFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', `root@${node.address}`, command],
    { encoding: 'utf8' },
  );
}

/**
 * What the work left on the nodes: types, modes, link targets, file contents.
 * Must be equal on both sides. The two sides get fresh node sets, which may
 * have other names and subnets: names are written NODE<n>, addresses ADDR.<host part>.
 */
function signature(lab: TestNodes): string {
  const script = `cd ${BASE} && stat -c '%n %F %a' . conf data conf/* current motd && readlink current motd && for f in conf/*; do echo "-- $f"; cat "$f"; done`;
  const net = lab.nodes[0]!.address.split('.').slice(0, 3).join('.') + '.';
  const prefix = lab.nodes[0]!.name.replace(/\d+$/, '');
  return lab.nodes
    .map((n) => `## ${n.name}\n${sshOn(lab, n, script)}`)
    .join('')
    .split(net)
    .join('ADDR.')
    .replace(new RegExp(`\\b${prefix}(\\d+)\\b`, 'g'), 'NODE$1');
}

async function startSet(n: number, prefix: string): Promise<{ lab: TestNodes; startMs: number }> {
  const t0 = performance.now();
  const lab = await startNodes({ count: n, prefix });
  return { lab, startMs: performance.now() - t0 };
}

// ---- haforge -------------------------------------------------------------------

async function haforgeRun(inventory: string, dir: string, label: string): Promise<HaforgeRun> {
  const auditFile = path.join(dir, `audit-${label}.jsonl`);
  const r = await timedRun(process.execPath, [HAFORGE_BIN, 'apply', '-i', inventory, PLAYBOOK, '--json', '--audit-log', auditFile]);
  // Exit 2 is a report with failures: read it for the details.
  if (r.code !== 0 && r.code !== 2) throw new BenchError(`haforge ${label} exited ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
  let report: { ok: boolean; hosts: Record<string, { changed: number; failed: number; error?: string }>; results: { host: string; task: string; status: string; msg: string }[] };
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new BenchError(`haforge ${label}: --json output is not JSON:\n${r.stdout.slice(0, 2000)}`);
  }
  if (!report.ok) {
    const failed = report.results.filter((x) => x.status === 'failed');
    const lines = failed.slice(0, 8).map((x) => `  ${x.host}: ${x.task}: ${x.msg}`);
    const hostErrors = Object.entries(report.hosts).filter(([, h]) => h.error && !h.error.startsWith('failed in play')).slice(0, 4);
    const lostExit = failed.some((x) => / exited null$/.test(x.msg))
      ? '\n  (exit status null without a signal: the transport lost the exit status. ssh2 emits a channel\'s "exit" while parsing the ' +
        'packets that also confirm the exec; src/transport/ssh.ts attaches its "exit" listener only after an await, so when ' +
        'CHANNEL_SUCCESS, exit-status and CHANNEL_CLOSE arrive in one read (likely with many nodes on a busy machine) the status is ' +
        'missed. Fix: take it from the "close" event\'s (code, signal) arguments, or attach the listener inside the exec callback.)'
      : '';
    throw new BenchError(
      `haforge ${label}: ${failed.length} task(s) failed on ${Object.values(report.hosts).filter((h) => h.failed || h.error).length} host(s)\n${lines.join('\n')}${lostExit}\n` +
        hostErrors.map(([h, x]) => `  ${h}: ${x.error}`).join('\n'),
    );
  }
  const hosts = Object.values(report.hosts);
  const audit = existsSync(auditFile)
    ? readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord)
    : [];
  return { ...r, changed: hosts.reduce((s, h) => s + h.changed, 0), failed: hosts.reduce((s, h) => s + h.failed + (h.error ? 1 : 0), 0), audit };
}

function profileOf(run: HaforgeRun, n: number): Profile {
  const starts = run.audit.map((a) => Date.parse(a.time));
  const ends = run.audit.map((a) => Date.parse(a.time) + a.durationMs);
  const first = Math.min(...starts) - run.startedAt;
  const last = Math.max(...ends) - run.startedAt;
  return {
    toFirstCommandMs: first,
    remoteSpanMs: last - first,
    tailMs: run.ms - last,
    commandsPerHost: run.audit.length / n,
    factCmdMsMedian: median(run.audit.filter((a) => a.kind === 'fact').map((a) => a.durationMs)),
  };
}

/** haforge on its own fresh node set. */
class HaforgeSide {
  readonly reruns: HaforgeRun[] = [];
  first?: HaforgeRun;
  private readonly inventory: string;

  constructor(
    readonly lab: TestNodes,
    private readonly dir: string,
  ) {
    this.inventory = writeTestInventory(dir, lab.nodes, { cluster: CLUSTER });
  }

  get n(): number {
    return this.lab.nodes.length;
  }

  async runFirst(): Promise<void> {
    const first = await haforgeRun(this.inventory, this.dir, 'first');
    if (first.changed !== CHANGING_TASKS * this.n || first.failed !== 0) {
      throw new BenchError(`haforge first run on ${this.n} nodes: expected ${CHANGING_TASKS * this.n} changed and 0 failed, got ${first.changed} changed, ${first.failed} failed`);
    }
    log(`haforge, ${this.n} nodes: first run ${sec(first.ms)} (${first.changed} changed)`);
    this.first = first;
  }

  async rerun(): Promise<void> {
    const i = this.reruns.length + 1;
    const r = await haforgeRun(this.inventory, this.dir, `rerun${i}`);
    const changes = r.audit.filter((a) => a.kind === 'change');
    if (r.changed !== 0 || changes.length) {
      throw new BenchError(`haforge re-run ${i} on ${this.n} nodes is not a no-change run: ${r.changed} changed, ${changes.length} change commands in the audit log`);
    }
    log(`haforge, ${this.n} nodes: re-run ${i}: ${sec(r.ms)} (0 changed, ${r.audit.length} remote commands)`);
    this.reruns.push(r);
  }

  result(): { side: SideResult; profile: Profile } {
    const times = this.reruns.map((r) => r.ms);
    const mid = [...this.reruns].sort((a, b) => a.ms - b.ms)[(this.reruns.length - 1) >> 1]!;
    return { side: { first: this.first!.ms, reruns: times, median: median(times) }, profile: profileOf(mid, this.n) };
  }
}

// ---- Ansible -------------------------------------------------------------------

interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

function parseRecap(stdout: string): Map<string, Recap> {
  const recap = new Map<string, Recap>();
  const at = stdout.lastIndexOf('PLAY RECAP');
  for (const m of stdout.slice(at).matchAll(/^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap.set(m[1]!, { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) });
  }
  return recap;
}

function writeAnsibleInventory(dir: string, lab: TestNodes): string {
  const file = path.join(dir, 'hosts.yml');
  const doc = {
    all: {
      children: {
        bench: {
          hosts: Object.fromEntries(lab.nodes.map((n) => [n.name, { ansible_host: n.address }])),
          vars: {
            ansible_user: 'root',
            ansible_ssh_private_key_file: lab.identityFile,
            ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHostsFile}`,
            cluster_name: CLUSTER,
            app_port: APP_PORT,
            primary_name: lab.nodes[0]!.name,
          },
        },
      },
    },
  };
  writeFileSync(file, stringify(doc));
  return file;
}

async function ansibleRun(side: AnsibleSide, label: string): Promise<Timed & { recap: Map<string, Recap> }> {
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: side.controlDir,
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_NOCOLOR: '1',
    ...(side.strategy ? { ANSIBLE_STRATEGY: side.strategy } : {}),
  };
  const r = await timedRun('ansible-playbook', ['-i', side.inventory, path.join(ANSIBLE_DIR, 'site.yml')], env, ANSIBLE_DIR);
  const recap = parseRecap(r.stdout);
  const bad = [...recap].filter(([, x]) => x.failed || x.unreachable);
  if (r.code !== 0 || recap.size !== side.n || bad.length) {
    throw new BenchError(`${side.name} ${label} on ${side.n} nodes failed (exit ${r.code}, ${recap.size} hosts in recap)\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
  }
  return { ...r, recap };
}

/** Why Ansible with Mitogen cannot be measured here, or undefined when it can. */
function mitogenMissing(): string | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import ansible_mitogen, ansible.plugins.strategy.mitogen_linear'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `ansible-mitogen is not installed (apt-get install ansible-mitogen): ${(r.stderr || '').trim().split('\n').pop()}`;
}

function closeControlMasters(controlDir: string): void {
  if (!existsSync(controlDir)) return;
  for (const sock of readdirSync(controlDir)) {
    try {
      execFileSync('ssh', ['-o', `ControlPath=${path.join(controlDir, sock)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

/** Ansible (with a strategy of its own, e.g. Mitogen's) on its own fresh node set. */
class AnsibleSide {
  readonly reruns: number[] = [];
  first?: number;
  readonly controlDir: string;
  readonly inventory: string;

  constructor(
    readonly lab: TestNodes,
    dir: string,
    readonly name = 'Ansible',
    readonly strategy?: string,
  ) {
    this.controlDir = path.join(dir, 'cp');
    mkdirSync(this.controlDir, { mode: 0o700 });
    this.inventory = writeAnsibleInventory(dir, lab);
  }

  get n(): number {
    return this.lab.nodes.length;
  }

  async runFirst(): Promise<void> {
    const first = await ansibleRun(this, 'first run');
    const changed = [...first.recap.values()].reduce((s, x) => s + x.changed, 0);
    if (changed !== CHANGING_TASKS * this.n) throw new BenchError(`${this.name} first run on ${this.n} nodes: expected ${CHANGING_TASKS * this.n} changed, got ${changed}\n${first.stdout.slice(-3000)}`);
    log(`${this.name}, ${this.n} nodes: first run ${sec(first.ms)} (${changed} changed)`);
    this.first = first.ms;
  }

  async rerun(): Promise<void> {
    const i = this.reruns.length + 1;
    const r = await ansibleRun(this, `re-run ${i}`);
    const changed = [...r.recap.values()].reduce((s, x) => s + x.changed, 0);
    const ok = [...r.recap.values()].every((x) => x.ok === TASKS);
    if (changed !== 0 || !ok) throw new BenchError(`${this.name} re-run ${i} on ${this.n} nodes: changed=${changed} (expected 0), ok=${TASKS} on every host: ${ok}\n${r.stdout.slice(-3000)}`);
    log(`${this.name}, ${this.n} nodes: re-run ${i}: ${sec(r.ms)} (changed=0)`);
    this.reruns.push(r.ms);
  }

  result(): SideResult {
    return { first: this.first!, reruns: this.reruns, median: median(this.reruns) };
  }
}

/** The same results on both node sets, or an error showing the first differences. */
function checkSameResults(n: number, h: TestNodes, other: AnsibleSide): void {
  const hs = signature(h);
  const as = signature(other.lab);
  if (hs === as) return;
  const file = path.join(os.tmpdir(), `hfbench-signatures-${n}-${other.lab.nodes[0]!.name}.txt`);
  writeFileSync(file, `### haforge\n${hs}\n### ${other.name}\n${as}`);
  const hl = hs.split('\n');
  const al = as.split('\n');
  const diffs = hl.flatMap((l, i) => (l === al[i] ? [] : [`  haforge: ${l}\n  ${other.name}: ${al[i] ?? '(nothing)'}`])).slice(0, 10);
  throw new BenchError(`on ${n} nodes haforge and ${other.name} left different results (all in ${file}), the comparison would be meaningless:\n${diffs.join('\n')}`);
}

/**
 * One node count: each tool gets its own fresh node set (started side by
 * side), does its first run, then the no-change re-runs alternate between
 * the tools, so that load from anything else on the machine hits all alike.
 * Ansible with Mitogen is measured where it is installed; when it fails, the
 * others' figures stand and the report says why it has none.
 */
async function benchSize(n: number): Promise<SizeResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hfbench-'));
  const sets: TestNodes[] = [];
  const ansibles: AnsibleSide[] = [];
  try {
    const h = await startSet(n, PREFIX_HAFORGE);
    sets.push(h.lab);
    const a = await startSet(n, PREFIX_ANSIBLE);
    sets.push(a.lab);
    let mitogenError = mitogenMissing();
    const m = mitogenError ? undefined : await startSet(n, PREFIX_MITOGEN);
    if (m) sets.push(m.lab);
    log(`${n} nodes: node sets up in ${[h, a, m].filter((x) => x).map((x) => sec(x!.startMs)).join(', ')}`);
    for (const d of ['h', 'a', 'm']) mkdirSync(path.join(dir, d));
    const haforge = new HaforgeSide(h.lab, path.join(dir, 'h'));
    const ansible = new AnsibleSide(a.lab, path.join(dir, 'a'));
    ansibles.push(ansible);
    let mitogen = m && new AnsibleSide(m.lab, path.join(dir, 'm'), 'Ansible + Mitogen', MITOGEN_STRATEGY);
    if (mitogen) ansibles.push(mitogen);
    const tryMitogen = async (what: () => Promise<void>) => {
      try {
        if (mitogen) await what();
      } catch (err) {
        if (!(err instanceof BenchError)) throw err;
        mitogenError = err.message;
        log(`${n} nodes: Ansible + Mitogen left out: ${err.message.split('\n')[0]}`);
        mitogen = undefined;
      }
    };

    await haforge.runFirst();
    await ansible.runFirst();
    await tryMitogen(() => mitogen!.runFirst());
    for (let i = 0; i < REPEATS; i++) {
      await haforge.rerun();
      await ansible.rerun();
      await tryMitogen(() => mitogen!.rerun());
    }

    checkSameResults(n, h.lab, ansible);
    await tryMitogen(async () => checkSameResults(n, h.lab, mitogen!));
    log(`${n} nodes: ${mitogen ? 'all three' : 'both'} left identical files, modes and links`);

    const connect = await measureConnect(h.lab.nodes);
    log(`${n} nodes: ssh2 connect+auth, all ${n} at once: ${sec(connect.parallelTotalMs)} (per host median ${connect.parallelPerHostMedianMs.toFixed(0)} ms); one host alone: median ${connect.singleMedianMs.toFixed(0)} ms`);
    const hr = haforge.result();
    return {
      n,
      haforge: hr.side,
      ansible: ansible.result(),
      mitogen: mitogen ? mitogen.result() : { error: mitogenError ?? 'not run' },
      profile: hr.profile,
      connect,
      nodeStartMs: [h.startMs, a.startMs, ...(m ? [m.startMs] : [])],
    };
  } finally {
    for (const x of ansibles) closeControlMasters(x.controlDir);
    for (const lab of sets) await lab.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report --------------------------------------------------------------------

function versions(): Record<string, string> {
  const first = (cmd: string, args: string[]) => {
    try {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]!.trim() || 'unknown';
    } catch {
      return 'unknown';
    }
  };
  const pkg = JSON.parse(readFileSync(path.join(HAFORGE, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HAFORGE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: HAFORGE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) commit += ' + uncommitted changes in src/';
  } catch {
    /* not a checkout */
  }
  let binding = 'pure JavaScript (no sshcrypto.node)';
  if (existsSync(path.join(ROOT, 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node'))) binding = 'native sshcrypto.node present';
  return {
    haforge: `${pkg.version} (git ${commit})${HAFORGE === ROOT ? '' : ` from ${HAFORGE}`}`,
    node: process.version,
    ssh2: `${pkg.dependencies.ssh2} (${binding})`,
    '@oclif/core': pkg.dependencies['@oclif/core']!,
    ansible: first('ansible-playbook', ['--version']).replace(/^ansible-playbook /, ''),
    mitogen: first('dpkg-query', ['-W', '-f', '${Version}', 'ansible-mitogen']),
    'python (Ansible and the nodes)': first('/usr/bin/python3', ['--version']),
    openssh: first('ssh', ['-V']),
  };
}

function machine(): Record<string, string> {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown'}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    os: (() => {
      try {
        return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
      } catch {
        return 'unknown';
      }
    })(),
    'load average at start': os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

interface Table {
  rows: string[][];
  targets: { n: number; ratio: number; want: number; pass: boolean }[];
}

interface SizeError {
  n: number;
  message: string;
}

function table(results: SizeResult[], errors: SizeError[]): Table {
  const rows: string[][] = [['scenario', 'haforge', 'Ansible', 'Ansible + Mitogen', 'ratio (Ansible/haforge)', 'ratio (Mitogen/haforge)', 'target']];
  const targets: Table['targets'] = [];
  const mitogen = (r: SizeResult, pick: (x: SideResult) => number, base: number): [string, string] =>
    'error' in r.mitogen ? ['not measured', ''] : [sec(pick(r.mitogen)), `${(pick(r.mitogen) / base).toFixed(1)}×`];
  for (const r of results) {
    const [mFirst, mFirstRatio] = mitogen(r, (x) => x.first, r.haforge.first);
    rows.push([`${r.n} nodes, first run`, sec(r.haforge.first), sec(r.ansible.first), mFirst, `${(r.ansible.first / r.haforge.first).toFixed(1)}×`, mFirstRatio, '']);
    const ratio = r.ansible.median / r.haforge.median;
    const want = TARGETS[r.n];
    let target = '';
    if (want) {
      const pass = ratio >= want;
      targets.push({ n: r.n, ratio, want, pass });
      target = `≥ ${want}×: ${pass ? 'PASS' : 'FAIL'}`;
    }
    const [mMedian, mRatio] = mitogen(r, (x) => x.median, r.haforge.median);
    rows.push([`${r.n} nodes, no-change re-run (median of ${r.haforge.reruns.length})`, sec(r.haforge.median), sec(r.ansible.median), mMedian, `${ratio.toFixed(1)}×`, mRatio, target]);
  }
  for (const e of errors) rows.push([`${e.n} nodes`, 'ERROR', 'ERROR', 'ERROR', '', '', TARGETS[e.n] ? `≥ ${TARGETS[e.n]}×: not measured` : '']);
  const [header, ...body] = rows;
  body.sort((a, b) => parseInt(a[0]!, 10) - parseInt(b[0]!, 10)); // stable: first run before re-run
  return { rows: [header!, ...body], targets };
}

function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function mdTable(rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(rows[0]!), `|${rows[0]!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

const quick = (ms: number) => `${ms.toFixed(0)} ms ${ms < QUICK_ANSWER_MS ? 'PASS' : 'FAIL'}`;

function details(results: SizeResult[], startup: Startup): string[] {
  const out: string[] = [];
  out.push(`Node + oclif start-up (\`node bin/run.js --version\`, median of 3, measured first): ${startup.versionMs.toFixed(0)} ms; ` +
    `importing the apply command's modules (dist/commands/apply.js) on top: ${startup.importApplyMs.toFixed(0)} ms.`);
  out.push(`Quick answers (median of 3, target < ${QUICK_ANSWER_MS} ms): \`haforge --help\` ${quick(startup.helpMs)}; \`haforge inventory validate\` (inventory.example.yaml) ${quick(startup.validateMs)}.`);
  for (const r of results) {
    const p = r.profile;
    out.push(
      `${r.n} nodes, haforge re-run (median run): ${p.toFirstCommandMs.toFixed(0)} ms from spawn to the first remote command ` +
        `(start-up, loading, connecting), ${p.remoteSpanMs.toFixed(0)} ms of remote commands (${p.commandsPerHost} per host; ` +
        `fact command median ${p.factCmdMsMedian.toFixed(0)} ms), ${p.tailMs.toFixed(0)} ms after the last one (closing, report, exit).`,
    );
    out.push(
      `${r.n} nodes, ssh2 connect + host key check + auth: one host alone median ${r.connect.singleMedianMs.toFixed(0)} ms; ` +
        `all ${r.n} at once ${r.connect.parallelTotalMs.toFixed(0)} ms in total (per host median ${r.connect.parallelPerHostMedianMs.toFixed(0)} ms, max ${r.connect.parallelPerHostMaxMs.toFixed(0)} ms).`,
    );
    out.push(`${r.n} nodes, test node start-up (startNodes): ${r.nodeStartMs.map((x) => `${x.toFixed(0)} ms`).join(', ')}.`);
    out.push(
      `${r.n} nodes, every re-run: haforge ${r.haforge.reruns.map((x) => sec(x)).join(', ')}; Ansible ${r.ansible.reruns.map((x) => sec(x)).join(', ')}` +
        `${'error' in r.mitogen ? '' : `; Ansible + Mitogen ${r.mitogen.reruns.map((x) => sec(x)).join(', ')}`}.`,
    );
    if ('error' in r.mitogen) out.push(`${r.n} nodes, Ansible + Mitogen not measured: ${r.mitogen.error.split('\n').slice(0, 3).join(' ')}`);
  }
  return out;
}

function busyNote(mach: Record<string, string>): string {
  const loads = [mach['load average at start'], mach['load average at end']].map((x) => Number(x?.split(' ')[0] ?? 0));
  if (Math.max(...loads) < 1) return '';
  return `\nThe machine was busy with other work while this ran (1-minute load average ${loads[0]!.toFixed(1)} at the start, ` +
    `${loads[1]!.toFixed(1)} at the end, on ${os.cpus().length} cores): the figures are noisier than on an idle machine; ` +
    'the alternating re-runs spread the noise over the tools alike.\n';
}

function writeDoc(file: string, t: Table, results: SizeResult[], errors: SizeError[], ver: Record<string, string>, mach: Record<string, string>, startup: Startup, totalMs: number): void {
  const kv = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `- ${k}: ${v}`).join('\n');
  const doc = `# Benchmark: haforge against Ansible (and Ansible with Mitogen)

Generated by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; the whole run took ${sec(totalMs)}.
Do not edit by hand: run the benchmark again.

## What is measured

The same work on every node, by both tools: 3 directories, 5 files from
templates, 2 symlinks, 2 read-only commands (\`bench/playbook.yaml\` with
\`bench/templates/\`, and \`bench/ansible/site.yml\` with
\`bench/ansible/templates/\`), on 2 and on 20 nodes. The nodes are real
OpenSSH servers, each in its own network, mount, UTS and PID namespace
(test/support/nodes.ts), on this machine: the nodes share its ${os.cpus().length} cores
with the tools. Each tool gets its own fresh node set and does a first run;
then each does ${REPEATS} no-change re-runs, alternating with the other tool's, and
the table shows the median re-run. Times are wall-clock, from starting the
process to its exit:

- haforge through its real CLI: \`node bin/run.js apply -i INV bench/playbook.yaml --json --audit-log F\`
  (Node and oclif start-up included).
- Ansible: \`ansible-playbook\` with bench/ansible/ansible.cfg: pipelining on,
  ControlPersist on (the re-runs reuse the master connections of the first
  run), host key checking on against the nodes' known_hosts, forks = 20,
  no fact gathering (the templates need none), interpreter set (no discovery).
- Ansible + Mitogen: the same, with Debian's ansible-mitogen and
  \`ANSIBLE_STRATEGY=${MITOGEN_STRATEGY}\` (Mitogen keeps one Python
  interpreter per node for the whole run instead of one per task), on a
  node set of its own. The targets are against plain Ansible.

Checked on every run, or the benchmark fails: every first run changes all
${CHANGING_TASKS} tasks per node and fails none; every haforge re-run reports 0
changed in \`--json\` and has no \`change\` command in its audit log; every
Ansible re-run reports changed=0 and ok=${TASKS} per host; every tool leaves
identical file contents, modes and link targets on the nodes (a Mitogen
failure leaves only Mitogen's column empty, with the reason below).

## Results

${mdTable(t.rows)}
${busyNote(mach)}
Targets (no-change re-run): ${[
    ...t.targets.map((x) => `${x.n} nodes ≥ ${x.want}×: ${x.ratio.toFixed(1)}× ${x.pass ? 'PASS' : 'FAIL'}`),
    ...errors.filter((e) => TARGETS[e.n]).map((e) => `${e.n} nodes ≥ ${TARGETS[e.n]}×: not measured (error)`),
  ].join('; ')}.
${errors.length ? `\n## Errors\n\n${errors.map((e) => `${e.n} nodes:\n\n\`\`\`\n${e.message}\n\`\`\``).join('\n\n')}\n` : ''}
## Where haforge's time goes

${details(results, startup).map((l) => `- ${l}`).join('\n')}

## Machine

${kv(mach)}

## Versions

${kv(ver)}
`;
  writeFileSync(file, doc);
}

interface Startup {
  versionMs: number;
  importApplyMs: number;
  helpMs: number;
  validateMs: number;
}

async function measureStartup(): Promise<Startup> {
  const version: number[] = [];
  const imp: number[] = [];
  const help: number[] = [];
  const validate: number[] = [];
  const importScript = `import(${JSON.stringify(path.join(HAFORGE, 'dist/commands/apply.js'))})`;
  for (let i = 0; i < 3; i++) {
    version.push((await timedRun(process.execPath, [HAFORGE_BIN, '--version'])).ms);
    const bare = (await timedRun(process.execPath, ['-e', '0'])).ms;
    imp.push((await timedRun(process.execPath, ['--input-type=module', '-e', importScript])).ms - bare);
    help.push((await timedRun(process.execPath, [HAFORGE_BIN, '--help'])).ms);
    validate.push((await timedRun(process.execPath, [HAFORGE_BIN, 'inventory', 'validate', '-i', path.join(HAFORGE, 'inventory.example.yaml')])).ms);
  }
  return { versionMs: median(version), importApplyMs: median(imp), helpMs: median(help), validateMs: median(validate) };
}

// ---- main ------------------------------------------------------------------------

async function main(): Promise<number> {
  const t0 = performance.now();
  const why = nodesUnavailableReason();
  if (why) throw new BenchError(`cannot run the benchmark: ${why}`);
  for (const [tool, args] of [['ansible-playbook', ['--version']], [process.execPath, [HAFORGE_BIN, '--version']]] as const) {
    const r = await timedRun(tool, [...args]).catch((e: Error) => ({ code: -1, stderr: e.message }) as Timed);
    if (r.code !== 0) throw new BenchError(`${tool} ${args.join(' ')} does not run (is dist/ built? is ansible-core installed?): ${r.stderr}`);
  }
  if (!existsSync(path.join(HAFORGE, 'dist/commands/apply.js'))) throw new BenchError('dist/ is not built: run `npm run bench` (it builds first)');

  const mach = machine();
  const ver = versions();
  log(`sizes ${SIZES.join(', ')}; ${REPEATS} re-runs each; load average ${mach['load average at start']}`);
  const startup = await measureStartup();
  log(`node bin/run.js --version: ${startup.versionMs.toFixed(0)} ms`);

  // A size that fails (a tool errs, or a correctness check) is reported and the others still run.
  const results: SizeResult[] = [];
  const errors: SizeError[] = [];
  for (const n of SIZES) {
    try {
      results.push(await benchSize(n));
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      errors.push({ n, message: err.message });
      log(`${n} nodes: ERROR: ${err.message}`);
    }
  }

  mach['load average at end'] = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const t = table(results, errors);
  const total = performance.now() - t0;
  process.stdout.write(`\n${textTable(t.rows)}\n\n`);
  for (const x of t.targets) process.stdout.write(`target: no-change re-run on ${x.n} nodes ≥ ${x.want}× faster than Ansible: ${x.ratio.toFixed(1)}×  ${x.pass ? 'PASS' : 'FAIL'}\n`);
  for (const e of errors) process.stdout.write(`target on ${e.n} nodes: not measured: ERROR (below)\n`);
  process.stdout.write(`\n${details(results, startup).join('\n')}\n\nwhole benchmark: ${sec(total)}\n`);
  if (!process.env.BENCH_NO_DOC) {
    const doc = path.join(ROOT, 'docs/bench.md');
    mkdirSync(path.dirname(doc), { recursive: true });
    writeDoc(doc, t, results, errors, ver, mach, startup, total);
    process.stdout.write(`results written to ${path.relative(ROOT, doc)}\n`);
  }
  for (const e of errors) process.stderr.write(`\nbenchmark ERROR on ${e.n} nodes: ${e.message}\n`);
  return errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbenchmark ERROR: ${err instanceof BenchError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
