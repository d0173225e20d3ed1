// drbdadm's syntax per DRBD family, for the commands whose options moved
// between versions: drbdadm 8.3 passes drbdsetup options only after `--`,
// and DRBD 9 names volumes. Every place that runs one of these builds its
// argv here.
import type { DrbdFamily } from './versions.js';

/** The first promotion with the initial sync from this node: its data overwrites the peer's. */
export function forcePrimaryArgv(family: DrbdFamily | undefined, resource: string): string[] {
  return family === '8.3' ? ['drbdadm', '--', '--overwrite-data-of-peer', 'primary', resource] : ['drbdadm', 'primary', '--force', resource];
}

/** Declares both (blank) disks in sync without copying: a new current UUID with a cleared bitmap. */
export function clearBitmapArgv(family: DrbdFamily | undefined, resource: string): string[] {
  return family === '8.3' || family === '8.4' ? ['drbdadm', '--', '--clear-bitmap', 'new-current-uuid', resource] : ['drbdadm', 'new-current-uuid', '--clear-bitmap', `${resource}/0`];
}

/** The split-brain victim reconnects, discarding what it wrote while apart. */
export function discardConnectArgv(family: DrbdFamily | undefined, resource: string): string[] {
  return family === '8.3' ? ['drbdadm', '--', '--discard-my-data', 'connect', resource] : ['drbdadm', 'connect', '--discard-my-data', resource];
}
