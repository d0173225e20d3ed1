// Waiting with progress: a step whose argv is a read-only poll, repeated
// until its watch says done, fails, or runs out of time.
import { UserError } from '../errors.js';
import type { AuditedConnection } from './audit.js';
import type { Step } from './plan.js';

/** Polls a read-only command until the step's watch says done (or gives up). Also used by procedures that run outside a playbook. */
export async function waitFor(conn: AuditedConnection, host: string, step: Step, say: (line: string) => void): Promise<void> {
  const watch = step.watch!;
  const deadline = Date.now() + watch.timeoutMs;
  for (;;) {
    const r = await conn.exec('read', step.argv);
    const state = watch.check(r.stdout, r.exitCode ?? -1);
    if (state.progress) say(state.progress);
    if (state.done) return;
    if (state.error) throw new UserError(`${host}: ${step.description}: ${state.error}`, { hint: state.hint });
    if (Date.now() > deadline) {
      throw new UserError(`${host}: gave up after ${Math.round(watch.timeoutMs / 1000)} s: ${step.description}${state.progress ? ` (last: ${state.progress})` : ''}`, {
        hint: 'the wait is over, not the work: run again to keep waiting',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, watch.intervalMs));
  }
}
