// What the commands that run a playbook (apply, bootstrap) share: their
// flags, the live view and the prompt for destructive steps, and the report.
import { Flags } from '@oclif/core';
import type { PlannedTask, RunReport } from '../engine/results.js';
import type { Reporter } from '../engine/reporter.js';
import { acceptNewFlag, jsonFlag } from './base-command.js';
import { formatPlan, formatRecap, formatResults } from './plan.js';

export const runFlags = {
  check: Flags.boolean({ char: 'C', description: 'Show what would change; change nothing.' }),
  diff: Flags.boolean({ char: 'D', description: 'Show unified diffs of file changes (secrets never).' }),
  yes: Flags.boolean({ char: 'y', description: 'Run destructive steps without asking.' }),
  json: jsonFlag,
  var: Flags.string({ char: 'e', multiple: true, description: 'Set a variable (highest precedence): key=value.' }),
  'accept-new-host-keys': acceptNewFlag,
  'audit-log': Flags.string({ description: 'Write the audit log (JSON lines) here instead of ~/.local/state/haforge/runs/.' }),
};

export interface RunView {
  reporter?: Reporter;
  confirm?: (destructive: PlannedTask[]) => Promise<boolean>;
}

/** The live view and the prompt, for a person only: listr2 and the prompts load only then (start-up time counts). */
export async function runView(human: boolean, diff: boolean | undefined, show: (text: string) => void): Promise<RunView> {
  if (!human) return {};
  const { listrReporter } = await import('./listr.js');
  return {
    reporter: listrReporter((plan) => show(formatPlan(plan, { diff: !!diff, showOutput: false }))),
    confirm: process.stdin.isTTY
      ? async (destructive) => (await import('@inquirer/prompts')).confirm({ message: `Run ${destructive.length} destructive step(s) listed above?`, default: false })
      : undefined,
  };
}

/** Results (after a real run) and the recap. */
export function showRun(report: RunReport, show: (text: string) => void): void {
  if (!report.check) show(formatResults(report.results, { diff: false }));
  show(formatRecap(report));
}
