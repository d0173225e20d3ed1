// One run of a playbook over the run's connections: gather, plan, lock when
// something changes, show, confirm, apply phase by phase (each task's steps
// through the executor), recap. One failed host is data, not an exception.
import { HaforgeError, RemoteCommandError, UserError } from '../errors.js';
import type { Inventory, NodeSpec, Vars } from '../inventory/model.js';
import type { Play, Playbook } from '../playbook/model.js';
import { systemFact, type SystemFacts } from '../facts/system.js';
import type { AuditedConnection } from './audit.js';
import { describeError } from './describe-error.js';
import { execute } from './execute.js';
import { request, type FactRequest } from './fact.js';
import { FactStore, gatherFacts } from './gather.js';
import { LockRefusedError, lockProbeFact, lockRefused, type LockProbe } from './lock.js';
import type { EarlierChange, Operation, PlanContext } from './operation.js';
import { refuse, type Step, type TaskPlan } from './plan.js';
import { preparePlaybook, TemplateFiles, type PreparedPlay, type PreparedTask } from './prepare.js';
import { quietReporter, type Reporter } from './reporter.js';
import { recap, type PlannedTask, type RunReport, type TaskResult } from './results.js';
import type { RunContext } from './run-context.js';
import { serviceTemplates, templateContext } from './template-context.js';

export interface PlaybookOptions {
  check?: boolean;
  /** Run destructive steps without asking. */
  yes?: boolean;
  /** Asked when destructive steps are planned and yes is not set; absent: refuse. */
  confirm?: (destructive: PlannedTask[]) => Promise<boolean>;
  vars?: Vars;
  limit?: string[];
  reporter?: Reporter;
  /** The registry the playbook's tasks name (default: the built-in operations). */
  operations?: ReadonlyMap<string, Operation>;
}

interface HostState {
  node: NodeSpec;
  conn?: AuditedConnection;
  facts: FactStore;
  system?: SystemFacts;
  error?: string;
}

const SYSTEM = request(systemFact, undefined);
const LOCK_PROBE = request(lockProbeFact, undefined);

const usable = (h: HostState) => !!h.conn && !h.error;

export function runPlaybook(inventory: Inventory, playbook: Playbook, run: RunContext, opts: PlaybookOptions = {}): Promise<RunReport> {
  return new PlaybookRun(inventory, playbook, run, opts).run();
}

class PlaybookRun {
  private readonly started = Date.now();
  private readonly reporter: Reporter;
  private readonly cliVars: Vars;
  private readonly plays: PreparedPlay[];
  private readonly templates: TemplateFiles;
  private readonly nodes: NodeSpec[];
  /**
   * Nodes of the run's clusters that run no task (outside --limit or the
   * plays' hosts): their lock is taken with the others' (one run per cluster)
   * and their facts answer the questions tasks ask of peers (a cluster secret
   * they already hold is copied, not replaced by a new one).
   */
  private readonly bystanders: NodeSpec[];
  private readonly hosts: Map<string, HostState>;
  /** Values made once per run and shared by every host's plan (a new secret). */
  private readonly shared = new Map<string, unknown>();
  private readonly results: TaskResult[] = [];
  private plan: PlannedTask[] = [];

  constructor(
    private readonly inventory: Inventory,
    playbook: Playbook,
    private readonly context: RunContext,
    private readonly opts: PlaybookOptions,
  ) {
    this.reporter = opts.reporter ?? quietReporter;
    this.cliVars = opts.vars ?? {};
    this.plays = preparePlaybook(inventory, playbook, this.cliVars, opts.limit, opts.operations);
    this.templates = new TemplateFiles(playbook.dir, playbook.templateDirs, serviceTemplates(inventory));
    this.nodes = [...new Set(this.plays.flatMap((p) => p.hosts))];
    const clusters = new Set(this.nodes.map((n) => n.cluster));
    this.bystanders = inventory.clusters.filter((c) => clusters.has(c.name)).flatMap((c) => c.nodes).filter((n) => !this.nodes.includes(n));
    this.hosts = new Map([...this.nodes, ...this.bystanders].map((n) => [n.name, { node: n, facts: new FactStore() }]));
  }

  async run(): Promise<RunReport> {
    const connections = await this.context.connections([...this.hosts.keys()]);
    for (const host of this.hosts.values()) {
      const c = connections.get(host.node.name)!;
      if (c instanceof Error) host.error = describeError(c);
      else host.conn = c;
    }
    // Outside check mode the batch also looks at the run lock: another run's lock refuses this one.
    await this.gatherAll(!this.opts.check);
    this.plan = this.planAll();
    if (!this.opts.check && this.changes()) await this.lockForChanges();
    this.reporter.planned(this.plan);

    if (this.opts.check || !this.changes()) {
      // Nothing to change (or check mode): the plan, made from facts read a moment ago, is the result.
      for (const item of this.plan) {
        const status = item.status === 'fail' ? 'failed' : item.uncertain ? 'skipped' : item.status === 'change' ? 'changed' : 'ok';
        this.addResult({ play: item.play, task: item.task, host: item.host, status, msg: item.reason, diff: item.diff, output: item.output, hint: item.hint, durationMs: 0 });
      }
    } else {
      await this.confirmDestructive();
      await this.applyPlays();
    }
    return this.report();
  }

  private changes(): boolean {
    return this.plan.some((item) => item.status !== 'ok');
  }

  private addResult(r: TaskResult): void {
    this.results.push(r);
    this.reporter.result(r);
  }

  // ---------------------------------------------------------------- facts and plan

  /** What one host's batch asks: its tasks' facts and what peers' tasks need from it (not the handlers': they read theirs when they run). */
  private requestsFor(host: HostState): FactRequest[] {
    const own = this.plays.flatMap((p) => (p.tasks.get(host.node.name) ?? []).filter((t) => !t.handler).flatMap((t) => t.facts));
    const forPeers = this.plays.flatMap((p) =>
      p.hosts
        .filter((n) => n !== host.node && n.cluster === host.node.cluster)
        .flatMap((n) => (p.tasks.get(n.name) ?? []).filter((t) => !t.handler).flatMap((t) => t.peerFacts(host.node))),
    );
    return [SYSTEM, ...own, ...forPeers];
  }

  /** Everything the run needs to know, one command per host. */
  private async gatherAll(probeLock: boolean): Promise<void> {
    const refusals: UserError[] = [];
    await Promise.all(
      [...this.hosts.values()].filter(usable).map(async (host) => {
        try {
          host.facts = new FactStore();
          await gatherFacts(host.conn!, [...(probeLock ? [LOCK_PROBE] : []), ...this.requestsFor(host)], host.facts);
          host.system = host.facts.get(SYSTEM);
          const heldBy = probeLock ? host.facts.get(LOCK_PROBE).heldBy : undefined;
          if (heldBy) refusals.push(lockRefused(host.node.name, heldBy));
        } catch (err) {
          host.error = describeError(err);
        }
      }),
    );
    // A second run is refused, not interleaved.
    if (refusals.length) throw refusals[0];
  }

  private planAll(): PlannedTask[] {
    const items: PlannedTask[] = [];
    const earlier: EarlierChange[] = [];
    for (const p of this.plays) {
      for (const node of p.hosts) {
        const host = this.hosts.get(node.name)!;
        if (!usable(host)) continue;
        for (const t of p.tasks.get(node.name)!.filter((t) => !t.handler)) {
          let plan = safePlan(() => this.planTask(host, t, p.play));
          // After a planned change the facts no longer tell what this task will meet (a refusal, or
          // nothing to do, may be so only until then): predicted where the operation can tell, else "maybe".
          const earlierChange = items.some((x) => x.host === node.name && x.status === 'change');
          const undecided = plan.refusal ? !plan.refusal.certain : plan.steps.length === 0;
          if (earlierChange && undecided && t.op.predict) {
            const predicted = safePlan(() => t.op.predict!(t.args, { ...this.contextFor(host, t, p.play), earlier }) ?? plan);
            if (predicted.predicted && !predicted.refusal) plan = predicted;
          }
          const item = toPlanned(p, node.name, t, plan);
          if (item.status === 'fail' && earlierChange && !item.certain) Object.assign(item, { status: 'change', uncertain: true, reason: `depends on earlier changes (now: ${item.reason})`, hint: undefined });
          if (item.status === 'change' && !item.uncertain) earlier.push({ host: node.name, op: t.op.name, args: t.args, plan });
          items.push(item);
        }
      }
    }
    return items;
  }

  /**
   * Something to change: now the lock, on every node of the run. If another
   * run took it since the facts were read (the generation file says so), the
   * facts may be stale: read them again, under the lock, and plan anew.
   */
  private async lockForChanges(): Promise<void> {
    const ready = [...this.hosts.values()].filter(usable);
    const seen = new Map(ready.map((h) => [h.node.name, h.facts.get<LockProbe>(LOCK_PROBE).generation]));
    const taken = await this.context.locks.takeEach(ready.map((h) => h.conn!));
    const refused = [...taken.values()].find((o) => o instanceof LockRefusedError);
    if (refused) throw refused;
    // A node that fails now (its connection dropped) is that node's failure, as in the batch.
    for (const [name, o] of taken) if (o instanceof Error) this.hosts.get(name)!.error = describeError(o);
    if ([...taken].some(([name, o]) => typeof o === 'string' && o !== seen.get(name))) {
      await this.gatherAll(false);
      this.shared.clear();
      this.plan = this.planAll();
    }
  }

  private planTask(host: HostState, t: PreparedTask, play: Play): TaskPlan {
    return t.op.plan(t.args, this.contextFor(host, t, play));
  }

  private contextFor(host: HostState, t: PreparedTask, play: Play): PlanContext {
    const cluster = this.inventory.clusters.find((c) => c.name === host.node.cluster)!;
    return {
      node: host.node,
      cluster,
      system: host.system!,
      vars: host.node.vars,
      fact: (req) => host.facts.get(req),
      peerFacts: <T>(req: FactRequest<T> | ((peer: NodeSpec) => FactRequest<T>)) =>
        cluster.nodes
          .map((n) => this.hosts.get(n.name))
          .filter((h): h is HostState => !!h && h !== host && usable(h))
          .map((h) => ({ h, r: typeof req === 'function' ? req(h.node) : req }))
          .filter(({ h, r }) => h.facts.has(r.key))
          .map(({ h, r }) => ({ node: h.node.name, value: h.facts.get(r) })),
      shared: <T>(key: string, make: () => T): T => {
        if (!this.shared.has(key)) this.shared.set(key, make());
        return this.shared.get(key) as T;
      },
      renderTemplate: (name, extra = {}) => {
        const context = templateContext(this.inventory, host.node, play.vars, this.cliVars, host.system);
        return this.templates.render(name, { ...context, ...(t.item === undefined ? {} : { item: t.item }), ...extra }, play.dir);
      },
    };
  }

  private async confirmDestructive(): Promise<void> {
    const destructive = this.plan.filter((p) => p.destructive);
    if (destructive.length === 0 || this.opts.yes) return;
    if (this.opts.confirm && (await this.opts.confirm(destructive))) return;
    throw new UserError(`the plan has ${destructive.length} destructive step(s) and they were not confirmed`, {
      hint: 'review them with --check --diff, then run again with --yes',
    });
  }

  // ---------------------------------------------------------------- apply

  private async applyPlays(): Promise<void> {
    let stopped: string | undefined;
    for (const p of this.plays) {
      const skipAll = (nodes: NodeSpec[], msg: string) => {
        for (const n of nodes) for (const t of p.tasks.get(n.name)!.filter((x) => !x.handler)) this.addResult({ play: p.play.name, task: t.title, host: n.name, status: 'skipped', msg, durationMs: 0 });
      };
      if (stopped) {
        skipAll(p.hosts, stopped);
        continue;
      }
      const ready = p.hosts.filter((n) => usable(this.hosts.get(n.name)!));
      skipAll(p.hosts.filter((n) => !ready.includes(n)), 'host failed earlier');
      // A play with nothing to do here (another stack's, or every task left out by its when) is not shown.
      if (!ready.some((n) => p.tasks.get(n.name)!.length)) continue;
      await this.reporter.phase(p.play.name, ready.map((n) => n.name), (name, say) => this.applyPlay(p, this.hosts.get(name)!, say));
      const failedHere = ready.filter((n) => !usable(this.hosts.get(n.name)!)).map((n) => n.name);
      if (p.play.anyErrorsFatal && failedHere.length) stopped = `run stopped: ${failedHere.join(', ')} failed in '${p.play.name}' (any_errors_fatal)`;
    }
  }

  /** One play on one host: its tasks in order, then the handlers that were notified, once each. */
  private async applyPlay(p: PreparedPlay, host: HostState, say: (line: string) => void): Promise<void> {
    const all = p.tasks.get(host.node.name)!;
    const notified = new Set<string>();
    let healthy = true;
    for (let i = 0; i < all.length && healthy; i++) {
      if (!all[i]!.handler) healthy = await this.runTask(p, host, all, i, notified, say);
    }
    for (let i = 0; i < all.length && healthy; i++) {
      const h = all[i]!;
      if (h.handler && notified.has(h.task.name!)) healthy = await this.runTask(p, host, all, i, notified, say);
    }
    if (!healthy) host.error ??= `failed in play '${p.play.name}'`;
  }

  /** Plans one task on facts that are current and runs its steps; false when it failed. */
  private async runTask(p: PreparedPlay, host: HostState, all: PreparedTask[], index: number, notified: Set<string>, say: (line: string) => void): Promise<boolean> {
    const t = all[index]!;
    say(t.title);
    const t0 = Date.now();
    const result = (status: TaskResult['status'], msg: string, extra: Partial<TaskResult> = {}) =>
      this.addResult({ play: p.play.name, task: t.title, host: host.node.name, status, msg, durationMs: Date.now() - t0, handler: t.handler || undefined, ...extra });
    try {
      if (t.facts.some((f) => host.facts.isStale(f.key))) {
        // Facts predate an earlier change: re-read what the rest of the play needs, in one command.
        const stale = all.slice(index).flatMap((x) => x.facts).filter((f) => host.facts.isStale(f.key));
        await gatherFacts(host.conn!, stale, host.facts);
      }
      const taskPlan = this.planTask(host, t, p.play);
      if (taskPlan.refusal) {
        result('failed', taskPlan.refusal.message, { hint: taskPlan.refusal.hint });
        return false;
      }
      if (taskPlan.steps.length === 0) {
        result('ok', taskPlan.reason, { output: taskPlan.output });
        return true;
      }
      const done = await execute(taskPlan.steps.map(guardDestructive), {
        defaultNode: host.node.name,
        connection: async () => host.conn!,
        // Right before a destructive step: the task's facts (and its peers' facts) read again and the task planned anew.
        reread: async () => {
          await Promise.all([gatherFacts(host.conn!, t.facts, host.facts), ...this.peerRereads(host, t)]);
          return this.planTask(host, t, p.play);
        },
        progress: (line) => say(`${t.title}: ${line.replace(`${host.node.name}: `, '')}`),
      });
      // The host changed (or moved on by itself while a step waited): what was read before is old.
      if (done.outcomes.some((o) => o.status !== 'skipped')) host.facts.generation++;
      if (done.failure) {
        const err = done.failure.error;
        result('failed', err instanceof RemoteCommandError ? describeError(err) : done.failure.message, { hint: done.failure.hint });
        return false;
      }
      if (taskPlan.steps.every((x) => x.watch)) {
        result('ok', taskPlan.reason);
        return true;
      }
      result('changed', taskPlan.reason, { diff: taskPlan.diff });
      if (!taskPlan.contentUnchanged) t.task.notify.forEach((n) => notified.add(n));
      return true;
    } catch (err) {
      result('failed', describeError(err), { hint: err instanceof HaforgeError ? err.hint : undefined });
      return false;
    }
  }

  /** The facts a task needs from its peers, read again on each of them. */
  private peerRereads(host: HostState, t: PreparedTask): Promise<unknown>[] {
    return this.inventory.clusters
      .find((c) => c.name === host.node.cluster)!
      .nodes.map((n) => this.hosts.get(n.name))
      .filter((h): h is HostState => !!h && h !== host && usable(h))
      .map((peer) => gatherFacts(peer.conn!, t.peerFacts(peer.node), peer.facts));
  }

  private report(): RunReport {
    const hostErrors = new Map([...this.hosts.values()].filter((h) => h.error).map((h) => [h.node.name, h.error!]));
    const hostRecap = recap(this.nodes.map((n) => n.name), this.results, hostErrors);
    const warnings = this.bystanders
      .filter((n) => hostErrors.has(n.name))
      .map((n) => `${n.name} runs no task here but belongs to cluster ${n.cluster}, and could not be reached (${hostErrors.get(n.name)}): it is not locked against another run, and what it holds (a cluster secret) was not compared`);
    return {
      runId: this.context.runId,
      check: !!this.opts.check,
      auditLog: this.context.audit.file,
      plan: this.plan,
      results: this.results,
      hosts: hostRecap,
      warnings,
      ok: Object.values(hostRecap).every((h) => h.failed === 0 && !h.error),
      durationMs: Date.now() - this.started,
    };
  }
}

function safePlan(planFn: () => TaskPlan): TaskPlan {
  try {
    return planFn();
  } catch (err) {
    // A template or input error is certain, whatever earlier changes do.
    if (err instanceof UserError) return refuse({ message: err.message, hint: err.hint, certain: true });
    throw err;
  }
}

/** A destructive step runs only if the task, planned anew on facts read right before, still has it. */
export function guardDestructive(step: Step): Step {
  if (!step.destructive) return step;
  const same = (x: Step) => x.description === step.description && x.argv.join('\0') === step.argv.join('\0');
  return {
    ...step,
    guard: (fresh) => ((fresh as TaskPlan).steps.some(same) ? undefined : { message: 'the facts read just now no longer call for it (the state changed)', hint: 'run again to re-plan against the current state' }),
  };
}

function toPlanned(p: PreparedPlay, host: string, t: PreparedTask, plan: TaskPlan): PlannedTask {
  return {
    play: p.play.name,
    task: t.title,
    host,
    status: plan.refusal ? 'fail' : plan.steps.length === 0 ? 'ok' : plan.steps.every((s) => s.watch) ? 'wait' : 'change',
    reason: plan.reason,
    steps: plan.steps.map((s) => s.description),
    destructive: plan.steps.some((s) => s.destructive),
    diff: plan.diff,
    output: plan.output,
    hint: plan.refusal?.hint,
    certain: plan.refusal?.certain,
    predicted: plan.predicted,
  };
}
