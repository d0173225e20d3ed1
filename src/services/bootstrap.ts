// Use case: bare machines to a working cluster. Preflight on every node
// first (nothing is touched when a check fails), then the bootstrap playbook
// (DRBD, the cluster manager, the monitor, the final check that the services
// answer on the VIP). Idempotent: a second bootstrap changes nothing. Both
// halves use one SSH connection per node and one audit log.
import type { RunReport } from '../engine/results.js';
import { loadInventory } from '../inventory/load.js';
import type { Stack } from '../inventory/model.js';
import { applyPlaybook, openAudit, type ApplyRequest } from './apply.js';
import { closeAll, connectNodes } from './connect.js';
import { preflight, type PreflightReport } from './preflight.js';

export interface BootstrapRequest extends Omit<ApplyRequest, 'playbook'> {
  stack?: Stack;
  /** Truly blank disks: no initial sync (new-current-uuid --clear-bitmap). */
  skipInitialSync?: boolean;
  /** Clock skew (s) above which preflight fails. */
  maxSkew?: number;
  /** Told as soon as preflight is done, before anything changes. */
  onPreflight?: (report: PreflightReport) => void;
}

export interface BootstrapReport {
  ok: boolean;
  stack?: Stack;
  preflight: PreflightReport;
  /** Absent when preflight failed: nothing was changed. */
  run?: RunReport;
  timings: { preflightMs: number; applyMs?: number; totalMs: number };
}

export const BOOTSTRAP_PLAYBOOK = 'bootstrap';

export async function bootstrap(req: BootstrapRequest): Promise<BootstrapReport> {
  const started = Date.now();
  const inventory = await loadInventory(req.inventoryFile, { stack: req.stack });
  const audit = openAudit(req.auditLog);
  const connections = await connectNodes(inventory.clusters.flatMap((c) => c.nodes), req);
  try {
    const checks = await preflight({
      inventoryFile: req.inventoryFile,
      stack: req.stack,
      maxSkew: req.maxSkew,
      // The playbook installs the packages: missing ones must not stop it.
      packagesInstalledLater: true,
      connections,
      auditLog: audit,
    });
    const preflightMs = Date.now() - started;
    req.onPreflight?.(checks);
    if (!checks.ok) return { ok: false, stack: req.stack, preflight: checks, timings: { preflightMs, totalMs: preflightMs } };

    const applyStarted = Date.now();
    const run = await applyPlaybook({
      ...req,
      playbook: BOOTSTRAP_PLAYBOOK,
      vars: { ...(req.skipInitialSync ? { initial_sync: 'skip' } : {}), ...req.vars },
      session: { connections, audit },
    });
    const applyMs = Date.now() - applyStarted;
    return { ok: run.ok, stack: req.stack, preflight: checks, run, timings: { preflightMs, applyMs, totalMs: Date.now() - started } };
  } finally {
    await closeAll(connections); // the playbook run closed them already unless preflight failed
  }
}
