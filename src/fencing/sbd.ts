// SBD (STONITH Block Device): a node is fenced by writing a poison pill
// into its slot on a small shared disk; its sbd daemon reads the slot every
// second and resets the node, and a watchdog resets it anyway when sbd
// itself stops. This module holds SBD's arithmetic, its configuration file
// and what its header on the disk says.
//
// The timeouts depend on each other:
//   watchdog_timeout  W   a node whose sbd stops is reset after W s
//   msgwait           M   >= 2 W: after M s a poison pill counts as delivered
//                         (the target read it, or its watchdog fired)
//   priority-fencing-delay  in a two-node race the node running the services
//                         fences at once, the other waits M: the pill reaches
//                         it (within a second) long before
//   stonith-timeout       Pacemaker's limit for one fencing, the delay included
//                         (seen in the lab: with M + 20% alone, a delayed fencing
//                         timed out, was retried, and timed out again): the
//                         delay, M + 20% (at least M + 5 s), and 5 s for the agent
// A hung node is taken over after corosync's token and consensus (it is
// declared lost), the priority delay when it held the services, M, and the
// services' own start.
import type { Fact } from '../engine/fact.js';
import { sections } from '../facts/parse.js';
import type { CorosyncSpec, SbdSpec } from '../inventory/model.js';
import { quoteWord } from '../util/shell.js';

export interface SbdTimeouts {
  watchdog: number;
  msgwait: number;
  /** Pacemaker's stonith-timeout, s. */
  stonithTimeout: number;
  /** Pacemaker's priority-fencing-delay, s. */
  priorityFencingDelay: number;
  /** From a node hanging to its fencing counting as done, at most, s (before the services start on the survivor). */
  hangToFenced: number;
}

export function sbdTimeouts(sbd: SbdSpec, corosync?: Pick<CorosyncSpec, 'token' | 'consensus'>): SbdTimeouts {
  const priorityFencingDelay = sbd.msgwait;
  const stonithTimeout = priorityFencingDelay + Math.max(Math.ceil(sbd.msgwait * 1.2), sbd.msgwait + 5) + 5;
  const lost = ((corosync?.token ?? 3000) + (corosync?.consensus ?? 3600)) / 1000;
  return { watchdog: sbd.watchdogTimeout, msgwait: sbd.msgwait, stonithTimeout, priorityFencingDelay, hangToFenced: Math.ceil(lost + priorityFencingDelay + sbd.msgwait) };
}

/** /etc/default/sbd: the devices, the watchdog, and sbd watching Pacemaker's health too. */
export function sbdDefaults(sbd: SbdSpec): string {
  return [
    '# Managed by haforge: SBD fencing. Edit the inventory (fencing.sbd) and run haforge again.',
    `SBD_DEVICE="${sbd.devices.join(';')}"`,
    'SBD_PACEMAKER=yes',
    'SBD_STARTMODE=always',
    // A node reset by a poison pill boots again quickly under a hypervisor: it waits
    // msgwait before joining, so its fencer has counted it fenced by then.
    'SBD_DELAY_START=yes',
    `SBD_WATCHDOG_DEV=${sbd.watchdog}`,
    `SBD_WATCHDOG_TIMEOUT=${sbd.watchdogTimeout}`,
    'SBD_TIMEOUT_ACTION=flush,reboot',
    'SBD_MOVE_TO_ROOT_CGROUP=auto',
    'SBD_SYNC_RESOURCE_STARTUP=yes',
    'SBD_OPTS=',
    '',
  ].join('\n');
}

/** Writes the header: the slots and the two timeouts (they take precedence over the configuration file). */
export function sbdCreateArgv(device: string, watchdogTimeout: number, msgwait: number): string[] {
  return ['sbd', '-d', device, '-1', String(watchdogTimeout), '-4', String(msgwait), 'create'];
}

/** A line of `sbd -d DEV list`: "1\tnode2\treset\tnode1" (slot, node, message, sender). */
export interface SbdSlot {
  node: string;
  message: string;
  from?: string;
}

export function parseSbdList(text: string): SbdSlot[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length >= 3 && /^\d+$/.test(w[0]!))
    .map(([, node, message, from]) => ({ node: node!, message: message!, ...(from ? { from } : {}) }));
}

export interface SbdHeader {
  /** A valid SBD header was found. */
  present: boolean;
  uuid?: string;
  watchdog?: number;
  msgwait?: number;
  /** Nodes that have a slot, with the message waiting in it (clear, reset, off, ...). */
  slots: SbdSlot[];
  /** Why the header could not be read, when the device could not be opened at all. */
  error?: string;
}

/** `sbd dump` and `sbd list` of one device. */
export const sbdHeaderFact: Fact<SbdHeader, string> = {
  id: 'sbd-header',
  command: (device) => ['sh', '-c', `d=${quoteWord(device)}\nPATH="$PATH:/usr/sbin:/sbin"\necho '== dump'; sbd -d "$d" dump 2>&1; echo "rc=$?"\necho '== list'; sbd -d "$d" list 2>/dev/null; true`],
  parse: parseSbdHeader,
};

export function parseSbdHeader(stdout: string): SbdHeader {
  const s = sections(stdout);
  const dump = s.dump ?? '';
  const field = (name: string) => new RegExp(`^${name.replace(/[()]/g, '\\$&')}\\s*:\\s*(\\S+)`, 'm').exec(dump)?.[1];
  const present = /Header version\s*:/.test(dump);
  const slots = parseSbdList(s.list ?? '');
  const number = (v?: string) => (v === undefined ? undefined : Number(v));
  if (!present) {
    const said = dump.replace(/^rc=\d+$/m, '').trim();
    // A disk without a header says "NOT dumped"; one that cannot be opened says "unreadable" first.
    return { present: false, slots: [], ...(/unreadable|No such file|cannot open|Permission denied/i.test(said) ? { error: said.split('\n')[0]! } : {}) };
  }
  return { present, uuid: field('UUID'), watchdog: number(field('Timeout (watchdog)')), msgwait: number(field('Timeout (msgwait)')), slots };
}
