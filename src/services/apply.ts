// Use case: run a playbook against an inventory.
import { AuditLog } from '../engine/audit.js';
import type { Reporter } from '../engine/reporter.js';
import type { PlannedTask, RunReport } from '../engine/results.js';
import { runPlaybook } from '../engine/playbook-run.js';
import { withRun, type ConnectOptions, type RunContext } from '../engine/run-context.js';
import { UserError } from '../errors.js';
import type { Inventory, Vars } from '../inventory/model.js';
import { loadPlaybook } from '../playbook/load.js';

export interface ApplyRequest extends ConnectOptions {
  playbook: string;
  check?: boolean;
  yes?: boolean;
  vars?: Vars;
  limit?: string[];
  /** Directories template: may read beyond the playbook's own and haforge's templates. */
  templateDirs?: string[];
  auditLog?: string;
  reporter?: Reporter;
  confirm?: (destructive: PlannedTask[]) => Promise<boolean>;
}

/** Runs the playbook over `run`'s connections (bootstrap's, shared with its preflight), else over a run of its own. */
export async function applyPlaybook(inventory: Inventory, req: ApplyRequest, run?: RunContext): Promise<RunReport> {
  const playbook = await loadPlaybook(req.playbook, { templateDirs: req.templateDirs });
  const opts = { check: req.check, yes: req.yes, confirm: req.confirm, vars: req.vars, limit: req.limit, reporter: req.reporter };
  if (run) return runPlaybook(inventory, playbook, run, opts);
  const nodes = inventory.clusters.flatMap((c) => c.nodes);
  return withRun(nodes, { ...req, audit: AuditLog.open(req.auditLog) }, (own) => runPlaybook(inventory, playbook, own, opts));
}

/** --var key=value pairs; values parse as YAML scalars would (numbers, booleans). */
export function parseVarFlags(pairs: readonly string[] = []): Vars {
  const vars: Vars = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UserError(`--var expects key=value, got '${pair}'`, { hint: 'e.g. --var initial_sync=skip' });
    const raw = pair.slice(eq + 1);
    vars[pair.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return vars;
}
