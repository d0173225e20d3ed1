// Waits on a DRBD resource's state, polled with the status fact's own
// command: the initial sync and a resync after a split-brain repair.
import { request } from '../engine/fact.js';
import type { Step, WatchState } from '../engine/plan.js';
import { describeSync, deviceState, drbdStatusFact, type DrbdDeviceState } from './status.js';

const STATUS = request(drbdStatusFact, undefined);

/** A wait that reads the status fact once a second and judges one minor's state (undefined: not up). */
export function drbdWait(description: string, minor: number, timeoutSeconds: number, judge: (dev: DrbdDeviceState | undefined) => WatchState): Step {
  return {
    description,
    argv: STATUS.fact.command(undefined),
    watch: { intervalMs: 1000, timeoutMs: timeoutSeconds * 1000, check: (stdout, exitCode) => judge(deviceState(STATUS.fact.parse(stdout, exitCode), minor)) },
  };
}

/** Poll until the peer's disk is UpToDate, reporting progress. */
export function waitForSync(a: { resource: string; minor: number; timeout?: number }): Step {
  return drbdWait(`wait for ${a.resource} to be UpToDate on both sides`, a.minor, a.timeout ?? 3600, syncJudge(a));
}

/** A sync's progress, done at UpToDate on both sides (also the split-brain repair's resync wait). */
export function syncJudge(a: { resource: string }): (dev: DrbdDeviceState | undefined) => WatchState {
  return (dev) => {
    if (!dev) return { done: false, error: `${a.resource} went down while syncing` };
    if (dev.disk === 'UpToDate' && dev.peerDisk === 'UpToDate') return { done: true, progress: `${a.resource} UpToDate/UpToDate` };
    if (dev.connection !== 'Connected') return { done: false, progress: `${a.resource}: ${dev.connection}, waiting for the peer` };
    return { done: false, progress: dev.sync ? describeSync(a.resource, dev.sync) : `${a.resource}: ${dev.replication ?? dev.connection} ${dev.disk}/${dev.peerDisk}` };
  };
}

