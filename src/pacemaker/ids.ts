// The ids haforge gives the CIB objects it generates. They are stable (a
// function of inventory names only), so a re-run finds its own objects and
// `status`, switchover and the DRBD fence handlers can name them.

/** XML ids may not contain spaces or most punctuation; inventory names rarely do, but be safe. */
const safe = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_');

export const GROUP_ID = 'g_services';
export const VIP_ID = 'p_vip';
export const PING_ID = 'p_ping';
export const PING_CLONE_ID = 'cl_ping';
/** The node attribute ocf:pacemaker:ping maintains (its default `name`). */
export const PING_ATTRIBUTE = 'pingd';
export const PROPERTY_SET_ID = 'cib-bootstrap-options';
export const RSC_DEFAULTS_ID = 'rsc-options';
export const OP_DEFAULTS_ID = 'op-options';

export const drbdPrimitiveId = (resource: string) => `p_drbd_${safe(resource)}`;
export const drbdCloneId = (resource: string) => `ms_drbd_${safe(resource)}`;
export const filesystemId = (resource: string) => `p_fs_${safe(resource)}`;
export const serviceId = (service: string) => `p_svc_${safe(service)}`;
export const stonithId = (device: string) => `st_${safe(device)}`;
/** The fence resource of SBD (fence_sbd on the shared disks). */
export const SBD_STONITH_ID = 'st_sbd';

/** An nvpair's id inside a set: "<set>-<name>", as pcs and crmsh write them. */
export const nvpairId = (setId: string, name: string) => `${setId}-${safe(name)}`;

/** "10s", "2min", "500ms", "30" (seconds) -> milliseconds. */
export function durationMs(duration: string): number {
  const m = /^(\d+)\s*(ms|s|sec|m|min|h|hr)?$/.exec(duration.trim());
  if (!m) throw new Error(`not a duration: ${duration}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' || unit === 'sec' ? 1000 : unit === 'm' || unit === 'min' ? 60_000 : 3_600_000;
  return n * factor;
}

/** Milliseconds back to the shortest exact Pacemaker duration: 11000 -> "11s". */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
