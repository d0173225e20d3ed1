// Use case: bare machines to a working cluster. Preflight on every node
// first (nothing is touched when a check fails), then the bootstrap playbook
// (DRBD, the cluster manager, the monitor, the final check that the services
// answer on the VIP). Idempotent: a second bootstrap changes nothing. Both
// halves use one run: one SSH connection per node, one lock, one audit log.
import { AuditLog } from '../engine/audit.js';
import type { RunReport } from '../engine/results.js';
import { withRun } from '../engine/run-context.js';
import type { Inventory } from '../inventory/model.js';
import { applyPlaybook, type ApplyRequest } from './apply.js';
import { preflight, type PreflightReport } from './preflight.js';

export interface BootstrapRequest extends Omit<ApplyRequest, 'playbook'> {
  /** Truly blank disks: no initial sync (new-current-uuid --clear-bitmap). */
  skipInitialSync?: boolean;
  /** Clock skew (s) above which preflight fails. */
  maxSkew?: number;
  /** Told as soon as preflight is done, before anything changes. */
  onPreflight?: (report: PreflightReport) => void;
}

export interface BootstrapReport {
  ok: boolean;
  stack?: string;
  preflight: PreflightReport;
  /** Absent when preflight failed: nothing was changed. */
  run?: RunReport;
  timings: { preflightMs: number; applyMs?: number; totalMs: number };
}

export const BOOTSTRAP_PLAYBOOK = 'bootstrap';

export async function bootstrap(inventory: Inventory, req: BootstrapRequest): Promise<BootstrapReport> {
  const started = Date.now();
  const stack = [...new Set(inventory.clusters.map((c) => c.stack))].join(', ');
  return withRun(inventory.clusters.flatMap((c) => c.nodes), { ...req, audit: AuditLog.open(req.auditLog) }, async (run) => {
    // The playbook installs the packages: missing ones must not stop it.
    const checks = await preflight(inventory, { maxSkew: req.maxSkew, packagesInstalledLater: true }, run);
    const preflightMs = Date.now() - started;
    req.onPreflight?.(checks);
    if (!checks.ok) return { ok: false, stack, preflight: checks, timings: { preflightMs, totalMs: preflightMs } };
    const applyStarted = Date.now();
    const report = await applyPlaybook(inventory, { ...req, playbook: BOOTSTRAP_PLAYBOOK, vars: { ...(req.skipInitialSync ? { initial_sync: 'skip' } : {}), ...req.vars } }, run);
    const applyMs = Date.now() - applyStarted;
    return { ok: report.ok, stack, preflight: checks, run: report, timings: { preflightMs, applyMs, totalMs: Date.now() - started } };
  });
}
