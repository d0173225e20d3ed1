// Use case: run a playbook against an inventory.
import { AuditLog } from '../engine/audit.js';
import type { Reporter } from '../engine/reporter.js';
import type { PlannedTask, RunReport } from '../engine/results.js';
import { runPlaybook } from '../engine/playbook-run.js';
import { loadInventory } from '../inventory/load.js';
import type { Stack, Vars } from '../inventory/model.js';
import { loadPlaybook } from '../playbook/load.js';
import type { Connection } from '../transport/types.js';
import { connectNodes } from './connect.js';

/** Connections already open and the audit log they record to (bootstrap's, shared with its preflight). */
export interface OpenSession {
  connections: Map<string, Connection | Error>;
  audit: AuditLog;
}

export interface ApplyRequest {
  inventoryFile: string;
  /** Run for this cluster manager whatever the inventory says. */
  stack?: Stack;
  playbook: string;
  check?: boolean;
  yes?: boolean;
  vars?: Vars;
  limit?: string[];
  acceptNewHostKeys?: boolean;
  interactive?: boolean;
  auditLog?: string;
  reporter?: Reporter;
  confirm?: (destructive: PlannedTask[]) => Promise<boolean>;
  /** Use these instead of dialling the nodes; the run closes them when it ends. */
  session?: OpenSession;
}

export async function applyPlaybook(req: ApplyRequest): Promise<RunReport> {
  const [inventory, playbook] = await Promise.all([loadInventory(req.inventoryFile, { stack: req.stack }), loadPlaybook(req.playbook)]);
  return runPlaybook(inventory, playbook, {
    connect: async (nodes) => req.session?.connections ?? connectNodes(nodes, { acceptNewHostKeys: req.acceptNewHostKeys, interactive: req.interactive }),
    check: req.check,
    yes: req.yes,
    confirm: req.confirm,
    vars: req.vars,
    limit: req.limit,
    reporter: req.reporter,
    audit: req.session?.audit ?? openAudit(req.auditLog),
  });
}

/** The audit log at `file`, or a new one in the default directory. */
export function openAudit(file?: string): AuditLog {
  return file ? new AuditLog(file) : AuditLog.forNewRun();
}

/** --var key=value pairs; values parse as YAML scalars would (numbers, booleans). */
export function parseVarFlags(pairs: readonly string[] = []): Vars {
  const vars: Vars = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--var expects key=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    vars[pair.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return vars;
}
