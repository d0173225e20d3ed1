// Steps: what an operation wants done, as data. Nothing here runs.

export interface Step {
  /** One line for people: "write /etc/ha.d/ha.cf". */
  description: string;
  argv: string[];
  /** Content sent on stdin (file bodies); never logged. */
  stdin?: string | Buffer;
  /** Guarded: facts are re-read just before and the step is re-planned. */
  destructive?: boolean;
  /** Not a change but a wait: argv is a read-only poll, repeated until done. */
  watch?: Watch;
}

export interface WatchState {
  done: boolean;
  /** One line for the progress display: "r0 45.2% 3.1 MiB/s ETA 0:40". */
  progress?: string;
  /** Stop waiting: the thing waited for cannot happen. */
  error?: string;
  /** How to fix what the error says. */
  hint?: string;
}

export interface Watch {
  intervalMs: number;
  timeoutMs: number;
  check(stdout: string, exitCode: number): WatchState;
}

/** What an operation decided for one host. */
export interface TaskPlan {
  /** Steps to run; empty means the host is already as desired. */
  steps: Step[];
  /** Why nothing is to be done, or what will change. */
  reason: string;
  /** Unified diff of the change (never for secrets). */
  diff?: string;
  /** Output captured at fact time (read-only commands). */
  output?: string;
  /** Planned, but the outcome depends on earlier changes (check mode). */
  uncertain?: boolean;
  /** The host is in a state the operation refuses to touch: the task fails. */
  failure?: { message: string; hint?: string; certain?: boolean };
}

export function noop(reason: string, extra: Partial<TaskPlan> = {}): TaskPlan {
  return { steps: [], reason, ...extra };
}

export function change(reason: string, steps: Step[], extra: Partial<TaskPlan> = {}): TaskPlan {
  return { steps, reason, ...extra };
}

export function fail(message: string, hint?: string): TaskPlan {
  return { steps: [], reason: message, failure: { message, hint } };
}
