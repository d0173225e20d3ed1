// Waits on a DRBD resource's state, polled with the status fact's own
// command: the initial sync and a resync after a split-brain repair.
import { request } from '../engine/fact.js';
import type { Step } from '../engine/plan.js';
import { describeSync, deviceState, drbdStatusFact } from './status.js';

const STATUS = request(drbdStatusFact, undefined);

/** Poll until the peer's disk is UpToDate, reporting progress (also the split-brain repair's resync wait). */
export function waitForSync(a: { resource: string; minor: number; timeout?: number }): Step {
  return {
    description: `wait for ${a.resource} to be UpToDate on both sides`,
    argv: STATUS.fact.command(undefined),
    watch: {
      intervalMs: 1000,
      timeoutMs: (a.timeout ?? 3600) * 1000,
      check(stdout, exitCode) {
        const dev = deviceState(STATUS.fact.parse(stdout, exitCode), a.minor);
        if (!dev) return { done: false, error: `${a.resource} went down while syncing` };
        if (dev.disk === 'UpToDate' && dev.peerDisk === 'UpToDate') return { done: true, progress: `${a.resource} UpToDate/UpToDate` };
        if (dev.connection !== 'Connected') return { done: false, progress: `${a.resource}: ${dev.connection}, waiting for the peer` };
        return { done: false, progress: dev.sync ? describeSync(a.resource, dev.sync) : `${a.resource}: ${dev.replication ?? dev.connection} ${dev.disk}/${dev.peerDisk}` };
      },
    },
  };
}

