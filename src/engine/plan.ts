// Plans: what an operation or a procedure wants done, as data. Nothing here
// runs; engine/execute.ts runs every plan, a playbook task's and a
// procedure's (switchover, drill, split-brain repair) alike.

export interface WatchState {
  done: boolean;
  /** One line for the progress display: "r0 45.2% 3.1 MiB/s ETA 0:40". */
  progress?: string;
  /** Stop waiting: the thing waited for cannot happen. */
  error?: string;
  /** How to fix what the error says. */
  hint?: string;
}

/**
 * A wait: the step's argv (a read-only command on its node; none for a wait
 * that only reads again) is run and judged until it says done, fails, or
 * runs out of time. `fresh` is what the run read again after the command,
 * when the watch asks for it (a procedure's status reading).
 */
export interface Watch<R = unknown> {
  intervalMs: number;
  timeoutMs: number;
  /** Read again (the executor's `reread`) after each command, and judge both. */
  reread?: boolean;
  check(stdout: string, exitCode: number, fresh?: R): WatchState;
  /** What to do when it gave up (default: run again to keep waiting). */
  timeoutHint?: string;
}

/** An exit code besides 0 that means "already so". */
export interface AcceptedExit {
  code: number;
  meaning: string;
}

export interface Step<R = unknown> {
  /** One line for people: "write /etc/ha.d/ha.cf". */
  description: string;
  /** The node it runs on; a playbook task's steps run on the task's host. */
  node?: string;
  /** The remote command; empty for a wait that only reads again, or a local step. */
  argv: string[];
  /** Content sent on stdin (file bodies); never logged. */
  stdin?: string | Buffer;
  /** Only reads: audited as a read, never counted as a change. */
  readonly?: boolean;
  /** Needs --yes; never runs without a guard, checked on facts read right before. */
  destructive?: boolean;
  /** Right before the step, on what the run read again: why it must not run now, or undefined. */
  guard?: (fresh: R) => string | Refusal | undefined;
  accept?: AcceptedExit[];
  /** stdout kept on the step's outcome (small outputs the procedure reads back). */
  keepOutput?: boolean;
  /** stdout streamed into a new 0600 file on this workstation, then checked; a bad file fails the step. */
  toFile?: { file: string; check(file: string): Promise<string[]>; hint?: string };
  /** Runs on this workstation instead of on a node (a power switch, the lab's VM). */
  local?: () => Promise<void>;
  /** After the step the node is off (no dialling it) or on again (dial it anew). */
  power?: 'off' | 'on';
  watch?: Watch<R>;
  /** The part of a procedure it belongs to (rescue, discard, ...): timed, and what undo steps refer to. */
  phase?: string;
  /** Undoes a temporary change of this phase: runs even after a failure, if that phase had started. */
  undoes?: string;
}

/** Why a plan cannot go ahead from this state: a value, never a throw. */
export interface Refusal {
  message: string;
  hint?: string;
  /** No earlier change can mend it (a bad template, bad input). */
  certain?: boolean;
}

/** What an operation decided for one host, or a procedure for a cluster. */
export interface Plan<R = unknown> {
  /** Why nothing is to be done, or what will change. */
  reason: string;
  /** Steps to run; empty means already as desired. */
  steps: Step<R>[];
  /** Unified diff of the change (never for secrets). */
  diff?: string;
  /** Output captured at fact time (read-only commands). */
  output?: string;
  /** Planned, but the outcome depends on earlier changes (check mode). */
  uncertain?: boolean;
  /** A prediction (Operation.predict): the facts read now and the earlier changes it rests on. */
  predicted?: string[];
  /** The state is one the plan refuses to touch. */
  refusal?: Refusal;
  /**
   * What a running daemon reads stays the same (only a file's mode, owner or
   * old backups change): the task's handlers are not notified, so fixing a
   * key's mode never restarts a cluster stack.
   */
  contentUnchanged?: boolean;
}

/** An operation's plan for one host. */
export type TaskPlan = Plan;

export function noop<R = unknown>(reason: string, extra: Partial<Plan<R>> = {}): Plan<R> {
  return { steps: [], reason, ...extra };
}

export function change<R = unknown>(reason: string, steps: Step<R>[], extra: Partial<Plan<R>> = {}): Plan<R> {
  return { steps, reason, ...extra };
}

export function fail<R = unknown>(message: string, hint?: string): Plan<R> {
  return { steps: [], reason: message, refusal: { message, hint } };
}

/** A plan that refuses; `certain`: whatever earlier changes do. */
export function refuse<R = unknown>(refusal: Refusal): Plan<R> {
  return { steps: [], reason: refusal.message, refusal };
}
