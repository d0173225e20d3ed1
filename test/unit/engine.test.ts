// The engine end to end on local nodes (src/transport/local.ts: real
// commands in a temporary root of their own, no SSH, no root rights): a
// playbook run through the apply service, the run context and the one
// executor; idempotence, check mode, the run lock and its generation, and
// the guard that reads the facts again and plans anew right before a
// destructive step.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/engine/audit.js';
import { execute } from '../../src/engine/execute.js';
import { request } from '../../src/engine/fact.js';
import { LOCK_DIR, LOCK_GENERATION, LockRefusedError } from '../../src/engine/lock.js';
import type { Operation } from '../../src/engine/operation.js';
import { change, fail, noop } from '../../src/engine/plan.js';
import { operations } from '../../src/operations/index.js';
import { formatPlan } from '../../src/ui/plan.js';
import { runPlaybook } from '../../src/engine/playbook-run.js';
import { quietReporter, type Reporter } from '../../src/engine/reporter.js';
import { RunContext, withRun, type Connector } from '../../src/engine/run-context.js';
import { pathFact } from '../../src/facts/files.js';
import { writeFileStep } from '../../src/operations/common.js';
import type { Playbook } from '../../src/playbook/model.js';
import { parsePlaybook } from '../../src/playbook/load.js';
import { applyPlaybook } from '../../src/services/apply.js';
import { unlockNodes } from '../../src/services/unlock.js';
import type { Connection } from '../../src/transport/types.js';
import { localCluster, type LocalTestCluster } from '../support/local-cluster.js';

const SITE = `
- name: layout
  hosts: all
  tasks:
    - directory: { path: /srv/app, mode: "0750" }
    - file: { path: /srv/app/node.conf, content: "node={{node.name}}\\nprimary={{primary.name}}\\n", mode: "0640" }
    - symlink: { path: /srv/app/current, target: /srv/app/node.conf }
    - name: initialise
      command: { cmd: "date > /srv/app/initialised", creates: /srv/app/initialised }
- name: primary only
  hosts: primary
  tasks:
    - file: { path: /srv/app/role, content: "primary\\n" }
`;

let c: LocalTestCluster;
beforeEach(() => {
  c = localCluster();
});
afterEach(() => c.remove());

const site = () => {
  const pb = parsePlaybook('/tmp/site.yaml', SITE);
  return { ...pb, dir: '/tmp' };
};
const run = async (opts: { check?: boolean; yes?: boolean; limit?: string[]; playbook?: Playbook; operations?: ReadonlyMap<string, Operation>; connector?: Connector } = {}) => {
  const audit = new AuditLog();
  const report = await withRun(c.inventory.clusters[0]!.nodes, { connector: opts.connector ?? c.nodes.connect, audit }, (ctx) =>
    runPlaybook(c.inventory, opts.playbook ?? site(), ctx, { check: opts.check, yes: opts.yes, limit: opts.limit, operations: opts.operations }),
  );
  return { report, kinds: audit.records.map((r) => `${r.host} ${r.kind}`) };
};
/** The local cluster's connector, with `hook` called before each command on `node` (to change the node behind the run's back). */
const before =
  (node: string, hook: (argv: readonly string[]) => void): Connector =>
  async (nodes) => {
    const conns = await c.nodes.connect(nodes);
    const conn = conns.get(node) as Connection;
    conns.set(node, { host: node, close: () => conn.close(), exec: async (argv, o) => (hook(argv), conn.exec(argv, o)) });
    return conns;
  };
const file = (node: string, p: string) => readFileSync(c.nodes.node(node).file(p), 'utf8');

describe('a playbook on local nodes', () => {
  it('changes what differs; a second run changes nothing, takes no lock and writes nothing', async () => {
    const first = await run();
    expect(first.report.ok).toBe(true);
    expect(first.report.results.filter((r) => r.status === 'changed').map((r) => `${r.host} ${r.task}`).sort()).toEqual([
      'alice directory /srv/app',
      'alice file /srv/app/node.conf',
      'alice file /srv/app/role',
      'alice initialise',
      'alice symlink /srv/app/current -> /srv/app/node.conf',
      'bob directory /srv/app',
      'bob file /srv/app/node.conf',
      'bob initialise',
      'bob symlink /srv/app/current -> /srv/app/node.conf',
    ]);
    expect(file('bob', '/srv/app/node.conf')).toBe('node=bob\nprimary=alice\n');
    expect(statSync(c.nodes.node('bob').file('/srv/app/node.conf')).mode & 0o777).toBe(0o640);
    expect(existsSync(c.nodes.node('bob').file('/srv/app/role'))).toBe(false);
    // The lock was taken once per node, after the facts, and released at the end.
    expect(first.kinds.filter((k) => k.endsWith('lock')).sort()).toEqual(['alice lock', 'alice lock', 'bob lock', 'bob lock']);
    expect(existsSync(c.nodes.node('alice').file(LOCK_DIR))).toBe(false);

    const second = await run();
    expect(second.report.results.every((r) => r.status === 'ok')).toBe(true);
    expect(second.kinds.sort()).toEqual(['alice fact', 'bob fact']);
  });

  it('check mode shows the changes and runs nothing but the fact batch', async () => {
    const check = await run({ check: true });
    expect(check.report.results.filter((r) => r.status === 'changed')).toHaveLength(9);
    expect(check.kinds.sort()).toEqual(['alice fact', 'bob fact']);
    expect(existsSync(c.nodes.node('alice').file('/srv/app'))).toBe(false);
  });

  it('a node locked by another run refuses the whole run: nothing changes, the other lock stays', async () => {
    const held = c.nodes.node('bob').file(LOCK_DIR);
    mkdirSync(held, { recursive: true });
    writeFileSync(`${held}/owner`, 'someone@elsewhere pid 1 run cafe since then\n');
    await expect(run()).rejects.toThrow(LockRefusedError);
    await expect(run()).rejects.toThrow(/bob is locked by another haforge run \(someone@elsewhere pid 1 run cafe since then\)/);
    expect(readFileSync(`${held}/owner`, 'utf8')).toMatch(/someone@elsewhere/);
    expect(existsSync(c.nodes.node('alice').file('/srv/app'))).toBe(false);
    expect(existsSync(c.nodes.node('alice').file(LOCK_DIR))).toBe(false);
  });

  it('under --limit the lock still covers the whole cluster: a run on alice is refused while bob is locked', async () => {
    const held = c.nodes.node('bob').file(LOCK_DIR);
    mkdirSync(held, { recursive: true });
    writeFileSync(`${held}/owner`, 'someone@elsewhere pid 1 run cafe since then\n');
    await expect(run({ limit: ['alice'] })).rejects.toThrow(/bob is locked by another haforge run/);
    expect(existsSync(c.nodes.node('alice').file('/srv/app'))).toBe(false);
    rmSync(held, { recursive: true });
    const r = await run({ limit: ['alice'] });
    expect(Object.keys(r.report.hosts)).toEqual(['alice']);
    expect(r.kinds.filter((k) => k.startsWith('bob')).sort()).toEqual(['bob fact', 'bob lock', 'bob lock']);
    expect(existsSync(c.nodes.node('bob').file('/srv/app'))).toBe(false);
  });

  it('under --limit a cluster secret held outside the limit is copied, never replaced; unread, no new one is made', async () => {
    const book = (): Playbook => ({ ...parsePlaybook('/tmp/secret.yaml', '- hosts: all\n  tasks:\n    - secret_file: { path: /etc/corosync/authkey, kind: corosync-authkey }\n'), dir: '/tmp' });
    const bobs = Buffer.alloc(256, 7);
    mkdirSync(c.nodes.node('bob').file('/etc/corosync'), { recursive: true });
    writeFileSync(c.nodes.node('bob').file('/etc/corosync/authkey'), bobs, { mode: 0o400 });
    const r = await run({ playbook: book(), limit: ['alice'], yes: true });
    expect(r.report.ok).toBe(true);
    expect(readFileSync(c.nodes.node('alice').file('/etc/corosync/authkey')).equals(bobs)).toBe(true);
    // bob unreachable and alice without a secret: refused, and the run says bob was not locked.
    rmSync(c.nodes.node('alice').file('/etc/corosync/authkey'));
    const noBob: Connector = async (nodes) => {
      const conns = await c.nodes.connect(nodes.filter((n) => n.name !== 'bob'));
      if (nodes.some((n) => n.name === 'bob')) conns.set('bob', new Error('connect ECONNREFUSED'));
      return conns;
    };
    const refused = await run({ playbook: book(), limit: ['alice'], yes: true, connector: noBob });
    expect(refused.report.results[0]).toMatchObject({ status: 'failed', msg: expect.stringMatching(/bob could not be read: a new one could split the cluster/) });
    expect(existsSync(c.nodes.node('alice').file('/etc/corosync/authkey'))).toBe(false);
    expect(refused.report.warnings).toEqual([expect.stringMatching(/^bob runs no task here but belongs to cluster .* could not be reached .*not locked against another run/)]);
  });

  it('a node locked by another run refuses even a run that would change nothing (its facts may be half-way)', async () => {
    expect((await run()).report.ok).toBe(true);
    const held = c.nodes.node('alice').file(LOCK_DIR);
    mkdirSync(held, { recursive: true });
    writeFileSync(`${held}/owner`, 'someone@elsewhere pid 1 run cafe since then\n');
    await expect(run()).rejects.toThrow(/alice is locked by another haforge run/);
    // --check only reads: it is not refused.
    expect((await run({ check: true })).report.ok).toBe(true);
  });

  it('another run that came and went between the facts and the lock: the facts are read again under the lock', async () => {
    // The first lock taken on bob finds a generation the facts did not see, as if a run had come and gone.
    let forged = false;
    const connector = before('bob', (argv) => {
      if (!forged && argv.includes(LOCK_DIR) && argv.some((a) => a.includes('mkdir -m 0700'))) {
        forged = true;
        writeFileSync(c.nodes.node('bob').file(LOCK_GENERATION), 'another-run\n');
      }
    });
    const r = await run({ connector });
    expect(forged).toBe(true);
    expect(r.kinds.filter((k) => k.startsWith('bob')).slice(0, 3)).toEqual(['bob fact', 'bob lock', 'bob fact']);
    expect(r.report.ok).toBe(true);
  });
});

// ---------------------------------------------------------------- the guard before a destructive step

/** A destructive operation for the engine's guard: "replace" a file unless a keep marker exists. */
const destroyOp: Operation<{ path: string }> = {
  name: 'destroy_unless_kept',
  summary: 'test operation',
  idempotent: true,
  predictable: true,
  schema: { type: 'object' },
  label: (a) => `destroy ${a.path}`,
  facts: (a) => [request(pathFact, { path: `${a.path}.keep` })],
  plan(a, ctx) {
    if (ctx.fact(request(pathFact, { path: `${a.path}.keep` })).type !== 'absent') return noop('kept');
    return change('not kept', [{ description: `destroy ${a.path}`, argv: ['sh', '-c', 'echo destroyed > "$1"', 'x', a.path], destructive: true }]);
  },
};
const OPS = new Map([[destroyOp.name, destroyOp as Operation]]);
const destroyBook = (): Playbook => ({
  file: '/tmp/destroy.yaml',
  dir: '/tmp',
  plays: [{ name: 'destroy', hosts: ['alice'], vars: {}, when: [], anyErrorsFatal: false, position: { file: 'x', line: 1, column: 1 }, handlers: [], tasks: [{ op: 'destroy_unless_kept', label: 'destroy', args: { path: '/srv/data' }, notify: [], position: { file: 'x', line: 1, column: 1 } }] }],
});

describe('the fact re-read before a destructive step', () => {
  it('runs the step when the facts read right before still call for it', async () => {
    const r = await run({ playbook: destroyBook(), operations: OPS, yes: true });
    expect(r.report.results[0]).toMatchObject({ status: 'changed' });
    expect(file('alice', '/srv/data')).toBe('destroyed\n');
    // facts, lock, the re-read right before the step, the step, release
    expect(r.kinds.filter((k) => k.startsWith('alice'))).toEqual(['alice fact', 'alice lock', 'alice fact', 'alice change', 'alice lock']);
    // bob runs no task but is in the cluster: its lock is probed, taken and released with alice's.
    expect(r.kinds.filter((k) => k.startsWith('bob'))).toEqual(['bob fact', 'bob lock', 'bob lock']);
  });

  it('does not run it when the state changed after the plan was made', async () => {
    // The keep marker appears after the facts were read (when the lock is taken), before the step.
    const connector = before('alice', (argv) => {
      if (argv.includes(LOCK_DIR)) writeFileSync(c.nodes.node('alice').file('/srv/data.keep'), '');
    });
    const r = await run({ playbook: destroyBook(), operations: OPS, yes: true, connector });
    expect(r.report.results[0]).toMatchObject({ status: 'failed', msg: expect.stringMatching(/"destroy \/srv\/data" not run: the facts read just now no longer call for it/), hint: 'run again to re-plan against the current state' });
    expect(existsSync(c.nodes.node('alice').file('/srv/data'))).toBe(false);
    expect(r.kinds).not.toContain('alice change');
  });

  it('refuses to run without --yes or a confirmation', async () => {
    await expect(run({ playbook: destroyBook(), operations: OPS })).rejects.toThrow(/destructive step\(s\) and they were not confirmed/);
    expect(existsSync(c.nodes.node('alice').file('/srv/data'))).toBe(false);
  });
});

// ---------------------------------------------------------------- check mode's predictions

/** Needs /srv/ready to run: refuses without it; predicts its change when a task before it in the run writes the file. */
const readyOp: Operation<{ predictable: boolean }> = {
  name: 'after_ready',
  summary: 'test operation',
  idempotent: true,
  predictable: true,
  schema: { type: 'object' },
  label: () => 'after ready',
  facts: () => [request(pathFact, { path: '/srv/ready' })],
  plan(_a, ctx) {
    if (ctx.fact(request(pathFact, { path: '/srv/ready' })).type === 'absent') return fail('/srv/ready is missing');
    return change('ready', [{ description: 'record', argv: ['sh', '-c', 'echo ran > /srv/ran'] }]);
  },
  predict(a, ctx) {
    const written = ctx.earlier.find((e) => e.host === ctx.node.name && e.op === 'file' && (e.args as { path: string }).path === '/srv/ready');
    if (!a.predictable || !written) return undefined;
    return change('ready once written', [{ description: 'record', argv: ['sh', '-c', 'echo ran > /srv/ran'] }], { predicted: ['/srv/ready written earlier in this run'] });
  },
};
const readyBook = (opts: { write: boolean; predictable: boolean }): Playbook => {
  const at = { file: 'x', line: 1, column: 1 };
  const task = (op: string, label: string, args: Record<string, unknown>) => ({ op, label, args, notify: [], position: at });
  const tasks = [task('file', `file ${opts.write ? '/srv/ready' : '/srv/other'}`, { path: opts.write ? '/srv/ready' : '/srv/other', content: 'yes\n' }), task('after_ready', 'after ready', { predictable: opts.predictable })];
  return { file: '/tmp/ready.yaml', dir: '/tmp', plays: [{ name: 'ready', hosts: ['alice'], vars: {}, when: [], anyErrorsFatal: false, position: at, handlers: [], tasks }] };
};
const READY_OPS = new Map<string, Operation>([...operations, [readyOp.name, readyOp as Operation]]);

describe('check mode predicts what a task will do once earlier changes are made', () => {
  it('shows the predicted change with what it rests on, and the real run plans the task anew on fresh facts', async () => {
    const check = await run({ playbook: readyBook({ write: true, predictable: true }), operations: READY_OPS, check: true });
    expect(check.report.plan.find((p) => p.task === 'after ready')).toMatchObject({ status: 'change', predicted: ['/srv/ready written earlier in this run'], steps: ['record'] });
    expect(check.report.plan.find((p) => p.task === 'after ready')!.uncertain).toBeUndefined();
    // As the plan prints it: the word, the steps, what it rests on.
    expect(formatPlan(check.report.plan, { diff: false, showOutput: false }).replace(/\u001b\[\d+m/g, '').split('\n').slice(-4)).toEqual([
      '  alice  predict after ready (ready once written)',
      '      - record',
      '      rests on: /srv/ready written earlier in this run',
      'plan: 2 to change, 0 refused, 0 ok (tasks × hosts)',
    ]);
    const real = await run({ playbook: readyBook({ write: true, predictable: true }), operations: READY_OPS });
    expect(real.report.results.map((r) => `${r.task} ${r.status} ${r.msg}`)).toEqual(['file /srv/ready changed create', 'after ready changed ready']);
    expect(file('alice', '/srv/ran')).toBe('ran\n');
  });

  it('says "depends on earlier changes" where the operation cannot predict, or the change a prediction rests on is not planned', async () => {
    const maybe = await run({ playbook: readyBook({ write: true, predictable: false }), operations: READY_OPS, check: true });
    expect(maybe.report.plan.find((p) => p.task === 'after ready')).toMatchObject({ status: 'change', uncertain: true, reason: 'depends on earlier changes (now: /srv/ready is missing)' });
    // An earlier change that is not what the prediction rests on: no prediction.
    const other = await run({ playbook: readyBook({ write: false, predictable: true }), operations: READY_OPS, check: true });
    expect(other.report.plan.find((p) => p.task === 'after ready')).toMatchObject({ status: 'change', uncertain: true });
    expect(other.report.plan.find((p) => p.task === 'after ready')!.predicted).toBeUndefined();
  });
});

// ---------------------------------------------------------------- the executor on a local node

describe('the executor', () => {
  const env = async () => {
    const ctx = new RunContext(c.inventory.clusters[0]!.nodes, { connector: c.nodes.connect });
    return { ctx, env: { connection: (n: string) => ctx.connection(n), reread: async () => 'fresh' } };
  };

  it('refuses a destructive step that has no guard: nothing destroys on facts read earlier', async () => {
    const { ctx, env: e } = await env();
    const done = await execute([{ node: 'alice', description: 'wipe', argv: ['sh', '-c', 'echo wiped > /srv/wiped'], destructive: true }], e);
    await ctx.close();
    expect(done.failure?.message).toMatch(/destructive step "wipe" has no guard/);
    expect(existsSync(c.nodes.node('alice').file('/srv/wiped'))).toBe(false);
  });

  it('after a failure only the undo steps of a phase that began run; accepted exit codes pass with their meaning; kept output', async () => {
    const { ctx, env: e } = await env();
    const done = await execute(
      [
        { node: 'alice', phase: 'prepare', description: 'mark', argv: ['sh', '-c', 'echo 1 > /srv/marked; echo out'], keepOutput: true },
        { node: 'alice', phase: 'prepare', description: 'already so', argv: ['sh', '-c', 'exit 10'], accept: [{ code: 10, meaning: 'already so' }] },
        { node: 'bob', phase: 'act', description: 'fails', argv: ['sh', '-c', 'echo boom >&2; exit 3'] },
        { node: 'bob', phase: 'act', description: 'never', argv: ['touch', '/srv/never'] },
        { node: 'alice', phase: 'prepare', description: 'unmark', argv: ['rm', '/srv/marked'], undoes: 'prepare' },
        { node: 'alice', phase: 'other', description: 'not begun', argv: ['touch', '/srv/other'], undoes: 'other' },
      ],
      e,
    );
    await ctx.close();
    expect(done.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'failed', 'skipped', 'ok', 'skipped']);
    expect(done.outcomes[0]!.stdout).toBe('out\n');
    expect(done.outcomes[1]!.note).toBe('exit 10: already so');
    expect(done.failure?.message).toBe("bob: sh -c 'echo boom >&2; exit 3' exited 3: boom");
    expect(existsSync(c.nodes.node('alice').file('/srv/marked'))).toBe(false);
    expect(existsSync(c.nodes.node('bob').file('/srv/never'))).toBe(false);
  });

  it('a guard judges what the run reads right before the step', async () => {
    const { ctx } = await env();
    let state = 'ok';
    const done = await execute(
      [
        { node: 'alice', description: 'first', argv: ['true'], guard: (s: string) => (s === 'ok' ? undefined : `state ${s}`) },
        { node: 'alice', description: 'second', argv: ['touch', '/srv/second'], guard: (s: string) => (s === 'ok' ? undefined : `state ${s}`) },
      ],
      { connection: (n) => ctx.connection(n), reread: async () => ((state = state === 'ok' ? 'moved' : state), state === 'moved' ? 'moved' : 'ok') },
    );
    await ctx.close();
    expect(done.outcomes.map((o) => o.status)).toEqual(['failed', 'skipped']);
    expect(done.failure?.message).toBe('"first" not run: state moved');
  });
});

describe('the apply service on local nodes', () => {
  it('loads the playbook, runs it over a run of its own with an audit file, and leaves no lock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-apply-'));
    try {
      writeFileSync(path.join(dir, 'site.yaml'), SITE);
      const report = await applyPlaybook(c.inventory, { playbook: path.join(dir, 'site.yaml'), connector: c.nodes.connect, auditLog: path.join(dir, 'audit.jsonl') });
      expect(report.ok).toBe(true);
      expect(report.auditLog).toBe(path.join(dir, 'audit.jsonl'));
      const records = readFileSync(report.auditLog!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
      expect(records.filter((r) => r.kind === 'change').length).toBeGreaterThan(0);
      expect(statSync(report.auditLog!).mode & 0o777).toBe(0o600);
      for (const n of ['alice', 'bob']) expect(existsSync(c.nodes.node(n).file(LOCK_DIR))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('haforge unlock', () => {
  const lockWith = (node: string, owner: string) => {
    mkdirSync(c.nodes.node(node).file(LOCK_DIR), { recursive: true });
    writeFileSync(path.join(c.nodes.node(node).file(LOCK_DIR), 'owner'), `${owner}\n`);
  };
  const here = os.hostname();

  it('removes a lock whose run has ended, keeps one whose run may still be going, --force removes it anyway', async () => {
    // A run of this machine that is gone (no such pid), one that still runs (this test's own process), one of another workstation.
    lockWith('alice', `root@${here} pid 2147483646 run dead1 since 2026-12-06T00:00:00.000Z`);
    lockWith('bob', `root@${here} pid ${process.pid} run live1 since 2026-12-06T00:00:00.000Z`);
    const first = await unlockNodes(c.inventory, { connector: c.nodes.connect });
    expect(first.map((r) => [r.node, r.kept ?? (r.heldBy ? 'removed' : 'none')])).toEqual([
      ['alice', 'removed'],
      ['bob', `process ${process.pid} that took it still runs on this machine`],
    ]);
    expect(existsSync(c.nodes.node('bob').file(LOCK_DIR))).toBe(true);
    lockWith('alice', 'admin@other-workstation pid 4242 run far1 since 2026-12-06T00:00:00.000Z');
    const second = await unlockNodes(c.inventory, { connector: c.nodes.connect });
    expect(second.find((r) => r.node === 'alice')!.kept).toBe('it was taken on other-workstation: whether that run still goes cannot be seen from here');
    const forced = await unlockNodes(c.inventory, { connector: c.nodes.connect, force: true });
    expect(forced.map((r) => [r.node, r.kept, !!r.heldBy])).toEqual([
      ['alice', undefined, true],
      ['bob', undefined, true],
    ]);
    for (const n of ['alice', 'bob']) expect(existsSync(c.nodes.node(n).file(LOCK_DIR))).toBe(false);
  });
});

describe('the live view', () => {
  it('shows only the plays with something to do: not another stack\'s, not one whose every task is left out', async () => {
    const phases: string[] = [];
    const reporter: Reporter = { ...quietReporter, async phase(name, hosts, work) {
      phases.push(`${name}: ${hosts.join(' ')}`);
      await quietReporter.phase(name, hosts, work);
    } };
    const book = (): Playbook => ({
      ...parsePlaybook(
        '/tmp/view.yaml',
        `- name: heartbeat only\n  hosts: all\n  when: "{{eq cluster.stack 'heartbeat'}}"\n  tasks:\n    - file: { path: /srv/hb, content: "" }\n- name: every task left out\n  hosts: all\n  tasks:\n    - file: { path: /srv/never, content: "" }\n      when: "{{#if cluster.drbd}}yes{{/if}}"\n- name: real work\n  hosts: all\n  tasks:\n    - file: { path: /srv/real, content: "x" }\n`,
      ),
      dir: '/tmp',
    });
    const audit = new AuditLog();
    const report = await withRun(c.inventory.clusters[0]!.nodes, { connector: c.nodes.connect, audit }, (ctx) => runPlaybook(c.inventory, book(), ctx, { yes: true, reporter }));
    expect(report.ok).toBe(true);
    expect(phases).toEqual(['real work: alice bob']);
  });
});

describe('the atomic write', () => {
  it('a new secret content is never readable by more than root: an old 0644 file is replaced without its mode ever reaching the new content', async () => {
    const alice = c.nodes.node('alice');
    mkdirSync(alice.file('/etc/hf'), { recursive: true });
    writeFileSync(alice.file('/etc/hf/key'), 'old public\n', { mode: 0o644 });
    // chmod as the write script calls it, logging the temporary file's mode after each call.
    mkdirSync(alice.file('/usr/local/sbin'), { recursive: true });
    writeFileSync(alice.file('/usr/local/sbin/chmod'), '#!/bin/sh\n/bin/chmod "$@"; s=$?; for a; do f=$a; done; echo "$* -> $(stat -c %a "$f")" >> /tmp/chmod.log; exit $s\n', { mode: 0o755 });
    const conn = (await c.nodes.connect(c.inventory.clusters[0]!.nodes)).get('alice') as Connection;
    const step = writeFileStep({ path: '/etc/hf/key', content: 'new secret\n', mode: '0600', backup: false, description: 'write' });
    const result = await conn.exec(step.argv, { stdin: step.stdin });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(alice.file('/etc/hf/key'), 'utf8')).toBe('new secret\n');
    expect((statSync(alice.file('/etc/hf/key')).mode & 0o777).toString(8)).toBe('600');
    const log = readFileSync(alice.file('/tmp/chmod.log'), 'utf8').trim().split('\n');
    expect(log).toEqual([expect.stringMatching(/^0600 \/etc\/hf\/\.haforge\.\w+ -> 600$/)]);
    await conn.close();
  });

  it("a secret's failed validation does not pass on its output, which may quote the secret; the old file stays", async () => {
    const alice = c.nodes.node('alice');
    mkdirSync(alice.file('/etc/hf'), { recursive: true });
    writeFileSync(alice.file('/etc/hf/peers.conf'), 'old\n', { mode: 0o600 });
    const conn = (await c.nodes.connect(c.inventory.clusters[0]!.nodes)).get('alice') as Connection;
    const write = (secret: boolean) => writeFileStep({ path: '/etc/hf/peers.conf', content: 'shared-secret "s3cr3t-in-the-file";\n', mode: '0600', backup: false, validate: 'cat %s; false', secret, description: 'write' });
    const quiet = await conn.exec(write(true).argv, { stdin: write(true).stdin });
    expect(quiet.exitCode).toBe(3);
    expect(quiet.stderr).toMatch(/validation of the new \/etc\/hf\/peers\.conf failed \(cat "\$1"; false\):\n\(its output is not shown/);
    expect(quiet.stdout + quiet.stderr).not.toContain('s3cr3t');
    // Not a secret: the output explains the failure.
    const plain = await conn.exec(write(false).argv, { stdin: write(false).stdin });
    expect(plain.stderr).toContain('s3cr3t-in-the-file');
    expect(readFileSync(alice.file('/etc/hf/peers.conf'), 'utf8')).toBe('old\n');
    await conn.close();
  });
});
