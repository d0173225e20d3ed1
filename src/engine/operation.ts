// The Operation contract (DESIGN.md): declares the facts it needs and turns
// facts + arguments into a TaskPlan. It never runs anything itself.
import type { ClusterSpec, NodeSpec, Vars } from '../inventory/model.js';
import type { SystemFacts } from '../facts/system.js';
import type { Schema } from '../schema/types.js';
import type { FactRequest } from './fact.js';
import type { TaskPlan } from './plan.js';

export interface PlanContext {
  node: NodeSpec;
  /** The node's cluster, settings resolved. */
  cluster: ClusterSpec;
  system: SystemFacts;
  /** The gathered value of a requested fact. */
  fact<T>(request: FactRequest<T>): T;
  /** Reads a template file (playbook dir first, then haforge's templates/) and renders it with facts, plus `extra` names. */
  renderTemplate(name: string, extra?: Record<string, unknown>): string;
  vars: Vars;
  /**
   * The same fact as read on the node's peers that run this task too, in
   * inventory order: for operations that keep one value across the cluster.
   */
  peerFacts<T>(request: FactRequest<T> | ((peer: NodeSpec) => FactRequest<T>)): { node: string; value: T }[];
  /** A value made once per run and shared by every host's plan (e.g. a new secret). */
  shared<T>(key: string, make: () => T): T;
}

/** A change planned earlier in the same run, on any host: what a prediction may rest on. */
export interface EarlierChange {
  host: string;
  /** The operation's name. */
  op: string;
  args: unknown;
  plan: TaskPlan;
}

export interface PredictContext extends PlanContext {
  /** The changes planned before this task in the run, in plan order. */
  earlier: readonly EarlierChange[];
}

/** The changes planned earlier in the run by operation `op` whose arguments include `args`, on `host` (default: any). */
export function plannedBefore(ctx: PredictContext, op: string, args: Record<string, unknown>, host?: string): EarlierChange[] {
  return ctx.earlier.filter((e) => e.op === op && (host === undefined || e.host === host) && Object.entries(args).every(([k, v]) => (e.args as Record<string, unknown>)[k] === v));
}

export interface Operation<A = any> {
  name: string;
  summary: string;
  /** JSON Schema of the task arguments (also published in playbook.schema.json). */
  schema: Schema;
  /** Running it twice changes nothing the second time. */
  idempotent: boolean;
  /** Check mode can tell whether it would change (false: it says "may change"). */
  predictable: boolean;
  /** A short label for the plan: "file /etc/motd". */
  label(args: A): string;
  /** Facts the plan needs; gathered in the host's one batched command. */
  facts(args: A): FactRequest[];
  /** Facts the plan needs from each other node of the cluster in the run (`ctx.peerFacts`); read in that node's batch, and again before a destructive step. */
  peerFacts?(args: A, peer: NodeSpec): FactRequest[];
  plan(args: A, ctx: PlanContext): TaskPlan;
  /**
   * Check mode, where `plan` refuses or finds nothing to do only because
   * earlier changes of the run are not made yet (a resource file not written,
   * DRBD not up, the volume not mounted here): what the task will do once they
   * are, as a plan whose `predicted` says what it rests on; undefined when
   * that cannot be told. Never run: the task is planned anew on fresh facts
   * when its turn comes.
   */
  predict?(args: A, ctx: PredictContext): TaskPlan | undefined;
}
