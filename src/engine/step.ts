// Steps: what an operation wants done, as data. Nothing here runs.

export interface Step {
  /** One line for people: "write /etc/ha.d/ha.cf". */
  description: string;
  argv: string[];
  /** Content sent on stdin (file bodies); never logged. */
  stdin?: string | Buffer;
  /** Guarded: facts are re-read just before and the step is re-planned. */
  destructive?: boolean;
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
  failure?: { message: string; hint?: string };
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
