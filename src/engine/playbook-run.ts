// One run of a playbook: connect, lock, gather, plan, show, confirm, apply
// phase by phase, recap. One failed host is data, not an exception.
import { randomBytes } from 'node:crypto';
import { HaforgeError, RemoteCommandError, UserError } from '../errors.js';
import type { Inventory, NodeSpec, Vars } from '../inventory/model.js';
import type { Play, Playbook } from '../playbook/model.js';
import { systemFact, type SystemFacts } from '../facts/system.js';
import type { Connection } from '../transport/types.js';
import { AuditedConnection, AuditLog } from './audit.js';
import { templateContext } from './template-context.js';
import { describeError } from './describe-error.js';
import { request } from './fact.js';
import { FactStore, gatherFacts } from './gather.js';
import { LockRefusedError, lockProbeFact, lockRefused, RunLocks } from './lock.js';
import type { PlanContext } from './operation.js';
import { preparePlaybook, TemplateFiles, type PreparedPlay, type PreparedTask } from './prepare.js';
import { quietReporter, type Reporter } from './reporter.js';
import { recap, type PlannedTask, type RunReport, type TaskResult } from './results.js';
import type { TaskPlan } from './plan.js';
import { waitFor } from './wait.js';

export type Connector = (nodes: NodeSpec[]) => Promise<Map<string, Connection | Error>>;

export interface RunOptions {
  connect: Connector;
  check?: boolean;
  /** Run destructive steps without asking. */
  yes?: boolean;
  /** Asked when destructive steps are planned and yes is not set; absent: refuse. */
  confirm?: (destructive: PlannedTask[]) => Promise<boolean>;
  vars?: Vars;
  limit?: string[];
  reporter?: Reporter;
  audit?: AuditLog;
}

interface HostState {
  node: NodeSpec;
  conn?: AuditedConnection;
  facts: FactStore;
  system?: SystemFacts;
  error?: string;
}

const SYSTEM = request(systemFact, undefined);

export async function runPlaybook(inventory: Inventory, playbook: Playbook, opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const runId = randomBytes(4).toString('hex');
  const audit = opts.audit ?? new AuditLog();
  const reporter = opts.reporter ?? quietReporter;
  const cliVars = opts.vars ?? {};
  const plays = preparePlaybook(inventory, playbook, cliVars, opts.limit);
  const templates = new TemplateFiles(playbook.dir);

  const nodes = [...new Set(plays.flatMap((p) => p.hosts))];
  const hosts = new Map<string, HostState>(nodes.map((n) => [n.name, { node: n, facts: new FactStore() }]));
  const results: TaskResult[] = [];
  const addResult = (r: TaskResult) => {
    results.push(r);
    reporter.result(r);
  };

  const shared = new Map<string, unknown>();
  const planner = (host: HostState, t: PreparedTask, play: Play) => planTask(inventory, host, t, play, cliVars, templates, { hosts, shared });
  const plan: PlannedTask[] = [];

  const connections = await opts.connect(nodes);
  for (const host of hosts.values()) {
    const c = connections.get(host.node.name);
    if (c instanceof Error || !c) host.error = describeError(c ?? new Error('not connected'));
    else host.conn = new AuditedConnection(c, audit);
  }

  // Everything the run needs to know, one command per host. Outside check
  // mode it also looks at the run lock: another run's lock refuses this one.
  const probe = opts.check ? undefined : request(lockProbeFact, undefined);
  const gatherAll = async (withProbe: boolean) => {
    const refusals: UserError[] = [];
    await Promise.all(
      [...hosts.values()].filter(usable).map(async (host) => {
        try {
          host.facts = new FactStore();
          // Not the handlers' facts: a handler runs only after a change, which makes
          // anything read now stale, so it reads its facts then (applyPlay).
          const requests = [...(withProbe && probe ? [probe] : []), SYSTEM, ...plays.flatMap((p) => (p.tasks.get(host.node.name) ?? []).filter((t) => !t.handler).flatMap((t) => t.facts))];
          await gatherFacts(host.conn!, requests, host.facts);
          host.system = host.facts.get(SYSTEM);
          const heldBy = withProbe && probe ? host.facts.get(probe).heldBy : undefined;
          if (heldBy) refusals.push(lockRefused(host.node.name, heldBy));
        } catch (err) {
          host.error = describeError(err);
        }
      }),
    );
    // A second run is refused, not interleaved.
    if (refusals.length) throw refusals[0];
  };
  const planAll = () => {
    const items: PlannedTask[] = [];
    for (const p of plays) {
      for (const node of p.hosts) {
        const host = hosts.get(node.name)!;
        if (!usable(host)) continue;
        for (const t of p.tasks.get(node.name)!.filter((t) => !t.handler)) {
          const item = toPlanned(p, node.name, t, safePlan(() => planner(host, t, p.play)));
          // After a planned change the facts no longer tell what this task will meet.
          const earlierChange = items.some((x) => x.host === node.name && x.status === 'change');
          if (item.status === 'fail' && earlierChange && !item.certain) Object.assign(item, { status: 'change', uncertain: true, reason: `depends on earlier changes (now: ${item.reason})`, hint: undefined });
          items.push(item);
        }
      }
    }
    return items;
  };
  const locks = new RunLocks(runId);

  try {
    await gatherAll(true);
    plan.push(...planAll());
    if (probe && plan.some((item) => item.status !== 'ok')) {
      // Something to change: now the lock. If another run took it since the
      // facts were read, they may be stale: read them again, under the lock.
      const seen = new Map([...hosts.values()].filter(usable).map((h) => [h.node.name, h.facts.get(probe).generation]));
      const taken = await locks.takeEach([...hosts.values()].filter(usable).map((h) => h.conn!));
      const refused = [...taken.values()].find((o) => o instanceof LockRefusedError);
      if (refused) throw refused;
      // A node that fails now (its connection dropped) is that node's failure, as in the batch.
      for (const [name, o] of taken) if (o instanceof Error) hosts.get(name)!.error = describeError(o);
      if ([...taken].some(([name, o]) => typeof o === 'string' && o !== seen.get(name))) {
        await gatherAll(false);
        shared.clear();
        plan.splice(0, plan.length, ...planAll());
      }
    }
    reporter.planned(plan);

    // Nothing to change: the plan, made from facts read a moment ago, is the result.
    const nothingToDo = !plan.some((item) => item.status !== 'ok');
    if (opts.check || nothingToDo) {
      for (const item of plan) {
        const status = item.status === 'fail' ? 'failed' : item.uncertain ? 'skipped' : item.status === 'change' ? 'changed' : 'ok';
        addResult({ play: item.play, task: item.task, host: item.host, status, msg: item.reason, diff: item.diff, output: item.output, hint: item.hint, durationMs: 0 });
      }
    } else {
      await confirmDestructive(plan, opts);
      let stopped: string | undefined;
      for (const p of plays) {
        const skipAll = (nodes: NodeSpec[], msg: string) => {
          for (const n of nodes) for (const t of p.tasks.get(n.name)!.filter((x) => !x.handler)) addResult({ play: p.play.name, task: t.title, host: n.name, status: 'skipped', msg, durationMs: 0 });
        };
        if (stopped) {
          skipAll(p.hosts, stopped);
          continue;
        }
        const ready = p.hosts.filter((n) => usable(hosts.get(n.name)!));
        skipAll(p.hosts.filter((n) => !ready.includes(n)), 'host failed earlier');
        await reporter.phase(p.play.name, ready.map((n) => n.name), (name, say) => applyPlay(p, hosts.get(name)!, say));
        const failedHere = ready.filter((n) => !usable(hosts.get(n.name)!)).map((n) => n.name);
        if (p.play.anyErrorsFatal && failedHere.length) stopped = `run stopped: ${failedHere.join(', ')} failed in '${p.play.name}' (any_errors_fatal)`;
      }
    }
  } finally {
    await locks.release([...hosts.values()].flatMap((h) => (h.conn ? [h.conn] : [])));
    await Promise.allSettled([...hosts.values()].map((h) => h.conn?.connection.close()));
  }

  const hostErrors = new Map([...hosts.values()].filter((h) => h.error).map((h) => [h.node.name, h.error!]));
  const hostRecap = recap(nodes.map((n) => n.name), results, hostErrors);
  return {
    runId,
    check: !!opts.check,
    auditLog: audit.file,
    plan,
    results,
    hosts: hostRecap,
    ok: Object.values(hostRecap).every((h) => h.failed === 0 && !h.error),
    durationMs: Date.now() - started,
  };

  async function applyPlay(p: PreparedPlay, host: HostState, say: (line: string) => void): Promise<void> {
    const all = p.tasks.get(host.node.name)!;
    const notified = new Set<string>();
    const runOne = async (t: PreparedTask, index: number): Promise<boolean> => {
      say(t.title);
      const t0 = Date.now();
      const result = (status: TaskResult['status'], msg: string, extra: Partial<TaskResult> = {}) =>
        addResult({ play: p.play.name, task: t.title, host: host.node.name, status, msg, durationMs: Date.now() - t0, handler: t.handler || undefined, ...extra });
      try {
        if (t.facts.some((f) => host.facts.isStale(f.key))) {
          // Facts predate an earlier change: re-read what the rest of the play needs, in one command.
          const stale = all.slice(index).flatMap((x) => x.facts).filter((f) => host.facts.isStale(f.key));
          await gatherFacts(host.conn!, stale, host.facts);
        }
        let taskPlan = planner(host, t, p.play);
        if (taskPlan.failure) {
          result('failed', taskPlan.failure.message, { hint: taskPlan.failure.hint });
          return false;
        }
        if (taskPlan.steps.length === 0) {
          result('ok', taskPlan.reason, { output: taskPlan.output });
          return true;
        }
        for (let s = 0; s < taskPlan.steps.length; s++) {
          let step = taskPlan.steps[s]!;
          if (step.destructive) {
            // Guard: read the facts again right now and re-plan; run only if the step still stands.
            await gatherFacts(host.conn!, t.facts, host.facts);
            taskPlan = planner(host, t, p.play);
            const again = taskPlan.steps.find((x) => x.description === step.description && x.argv.join('\0') === step.argv.join('\0'));
            if (!again) {
              result('failed', `state changed before "${step.description}": not run`, { hint: 'run again to re-plan against the current state' });
              return false;
            }
            step = again;
          }
          say(`${t.title}: ${step.description}`);
          if (step.watch) {
            await waitFor(host.conn!, host.node.name, step, (line) => say(`${t.title}: ${line}`));
            // The host moved on by itself while we waited: what was read before is old.
            host.facts.generation++;
            continue;
          }
          const r = await host.conn!.exec('change', step.argv, { stdin: step.stdin, destructive: step.destructive });
          host.facts.generation++;
          if (r.exitCode !== 0) throw new RemoteCommandError(host.node.name, step.argv, r.exitCode, r.stderr, undefined, r.signal);
        }
        if (taskPlan.steps.every((x) => x.watch)) {
          result('ok', taskPlan.reason);
          return true;
        }
        result('changed', taskPlan.reason, { diff: taskPlan.diff });
        t.task.notify.forEach((n) => notified.add(n));
        return true;
      } catch (err) {
        result('failed', describeError(err), { hint: err instanceof HaforgeError ? err.hint : undefined });
        return false;
      }
    };

    let healthy = true;
    for (let i = 0; i < all.length && healthy; i++) {
      if (!all[i]!.handler) healthy = await runOne(all[i]!, i);
    }
    // Handlers: once per host, in the order they are defined, after the tasks.
    for (let i = 0; i < all.length && healthy; i++) {
      const h = all[i]!;
      if (h.handler && notified.has(h.task.name!)) healthy = await runOne(h, i);
    }
    if (!healthy) host.error ??= `failed in play '${p.play.name}'`;
  }
}

function usable(h: HostState): boolean {
  return !!h.conn && !h.error;
}

/** What a host's plan may see beyond its own facts. */
interface RunView {
  hosts: ReadonlyMap<string, HostState>;
  shared: Map<string, unknown>;
}

function planTask(inventory: Inventory, host: HostState, t: PreparedTask, play: Play, cliVars: Vars, templates: TemplateFiles, run: RunView): TaskPlan {
  const cluster = inventory.clusters.find((c) => c.name === host.node.cluster)!;
  const ctx: PlanContext = {
    node: host.node,
    cluster,
    system: host.system!,
    vars: host.node.vars,
    fact: (req) => host.facts.get(req),
    peerFacts: (req) =>
      cluster.nodes
        .map((n) => run.hosts.get(n.name))
        .filter((h): h is HostState => !!h && h !== host && usable(h) && h.facts.has(req.key))
        .map((h) => ({ node: h.node.name, value: h.facts.get(req) })),
    shared: <T>(key: string, make: () => T): T => {
      if (!run.shared.has(key)) run.shared.set(key, make());
      return run.shared.get(key) as T;
    },
    renderTemplate: (name) => {
      const context = templateContext(inventory, host.node, play.vars, cliVars, host.system);
      return templates.render(name, t.item === undefined ? context : { ...context, item: t.item }, play.dir);
    },
  };
  return t.op.plan(t.args, ctx);
}

function safePlan(planFn: () => TaskPlan): TaskPlan {
  try {
    return planFn();
  } catch (err) {
    // A template or input error is certain, whatever earlier changes do.
    if (err instanceof UserError) return { steps: [], reason: err.message, failure: { message: err.message, hint: err.hint, certain: true } };
    throw err;
  }
}

function toPlanned(p: PreparedPlay, host: string, t: PreparedTask, plan: TaskPlan): PlannedTask {
  return {
    play: p.play.name,
    task: t.title,
    host,
    status: plan.failure ? 'fail' : plan.steps.length === 0 ? 'ok' : plan.steps.every((s) => s.watch) ? 'wait' : 'change',
    reason: plan.reason,
    steps: plan.steps.map((s) => s.description),
    destructive: plan.steps.some((s) => s.destructive),
    diff: plan.diff,
    output: plan.output,
    hint: plan.failure?.hint,
    certain: plan.failure?.certain,
  };
}

async function confirmDestructive(plan: PlannedTask[], opts: RunOptions): Promise<void> {
  const destructive = plan.filter((p) => p.destructive);
  if (destructive.length === 0 || opts.yes) return;
  if (opts.confirm && (await opts.confirm(destructive))) return;
  throw new UserError(`the plan has ${destructive.length} destructive step(s) and they were not confirmed`, {
    hint: 'review them with --check --diff, then run again with --yes',
  });
}
