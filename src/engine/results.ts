// What a run planned and what it did, as data (rendered by ui/, or --json).

export type ResultStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface PlannedTask {
  play: string;
  task: string;
  host: string;
  /** ok: nothing to do; change: steps to run; wait: only waiting to do; fail: the operation refuses. */
  status: 'ok' | 'change' | 'wait' | 'fail';
  reason: string;
  steps: string[];
  destructive: boolean;
  diff?: string;
  output?: string;
  hint?: string;
  /** Check mode cannot predict it: an earlier change decides. */
  uncertain?: boolean;
  /** What the task will do once earlier changes are made, predicted from what these say (facts read now, changes planned before). */
  predicted?: string[];
  /** A failure no earlier change can mend (bad template, bad input). */
  certain?: boolean;
}

export interface TaskResult {
  play: string;
  task: string;
  host: string;
  status: ResultStatus;
  msg: string;
  diff?: string;
  output?: string;
  hint?: string;
  durationMs: number;
  handler?: boolean;
}

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  /** Set when the host could not be reached or used at all. */
  error?: string;
}

export interface RunReport {
  runId: string;
  check: boolean;
  auditLog?: string;
  plan: PlannedTask[];
  results: TaskResult[];
  hosts: Record<string, HostRecap>;
  /** What the run could not do beyond its hosts' tasks (a node of the cluster outside --limit not reached). */
  warnings: string[];
  /** True when no host failed. */
  ok: boolean;
  durationMs: number;
}

export function recap(hosts: string[], results: TaskResult[], hostErrors: Map<string, string>): Record<string, HostRecap> {
  const out: Record<string, HostRecap> = {};
  for (const host of hosts) {
    const mine = results.filter((r) => r.host === host);
    const count = (s: ResultStatus) => mine.filter((r) => r.status === s).length;
    out[host] = { ok: count('ok'), changed: count('changed'), failed: count('failed'), skipped: count('skipped'), error: hostErrors.get(host) };
  }
  return out;
}
