// A block device: does it exist, how big is it, and what signatures
// (filesystem, partition table, DRBD metadata, RAID, LVM) does it carry.
// Destructive steps (create-md, mkfs, partitioning) are guarded by this.
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';
import { sections } from './parse.js';

export interface Signature {
  /** ext4, xfs, dos, gpt, drbd, LVM2_member, linux_raid_member, swap, ... */
  type: string;
  offset: string;
  uuid?: string;
  label?: string;
}

export type BlockDeviceState =
  | { exists: false }
  | {
      exists: true;
      sizeBytes: number;
      signatures: Signature[];
      /** The device could not be read (e.g. a DRBD device in Secondary): signatures unknown. */
      unreadable?: string;
      mountpoint?: string;
      /** Partitions and holders (name, type) below it. */
      children: { name: string; type: string; sizeBytes: number }[];
    };

const SCRIPT = `if [ -b "$d" ]; then
  echo '== size'; blockdev --getsize64 "$d" 2>&1
  echo '== signatures'; wipefs --no-act --json "$d" 2>&1
  echo '== lsblk'; lsblk --json --bytes -o NAME,PATH,SIZE,TYPE,FSTYPE,MOUNTPOINT "$d" 2>&1
else echo '== missing'; fi`;

export const blockDeviceFact: Fact<BlockDeviceState, string> = {
  id: 'blockdev',
  command: (device) => ['sh', '-c', `d=${quoteWord(device)}\n${SCRIPT}`],
  parse: parseBlockDevice,
};

/**
 * What a filesystem task needs to know of a device, read as cheaply as it can
 * be: a device the kernel has mounted carries that filesystem, and a read-only
 * one (a DRBD Secondary) cannot be formatted; only otherwise are blockdev,
 * wipefs and lsblk run (three processes: a quarter of a second on an emulated node).
 */
export type DeviceFilesystem = { mountedAs: string } | { readOnly: true } | { probed: BlockDeviceState };

const FILESYSTEM_SCRIPT = `while read -r dev mnt fs rest; do if [ "$dev" = "$d" ]; then echo '== mounted'; echo "$fs"; exit 0; fi; done < /proc/self/mounts
ro=; read -r ro 2>/dev/null < "/sys/class/block/\${d##*/}/ro"; if [ "$ro" = 1 ]; then echo '== readonly'; exit 0; fi
${SCRIPT}`;

export const deviceFilesystemFact: Fact<DeviceFilesystem, string> = {
  id: 'device-filesystem',
  command: (device) => ['sh', '-c', `d=${quoteWord(device)}\n${FILESYSTEM_SCRIPT}`],
  parse(stdout) {
    const s = sections(stdout);
    if ('mounted' in s) return { mountedAs: (s.mounted ?? '').trim() };
    if ('readonly' in s) return { readOnly: true };
    return { probed: parseBlockDevice(stdout) };
  },
};

interface LsblkNode {
  name: string;
  size: number | string;
  type: string;
  mountpoint?: string | null;
  children?: LsblkNode[];
}

export function parseBlockDevice(stdout: string): BlockDeviceState {
  const s = sections(stdout);
  if ('missing' in s || !('size' in s)) return { exists: false };
  const sizeBytes = Number((s.size ?? '').trim());
  let signatures: Signature[] = [];
  let unreadable: string | undefined;
  try {
    const parsed = JSON.parse(s.signatures ?? '') as { signatures?: { type: string; offset: string; uuid?: string | null; label?: string | null }[] };
    signatures = (parsed.signatures ?? []).map((x) => ({ type: x.type, offset: x.offset, uuid: x.uuid ?? undefined, label: x.label ?? undefined }));
  } catch {
    unreadable = (s.signatures ?? '').trim() || 'wipefs printed nothing';
  }
  let mountpoint: string | undefined;
  let children: { name: string; type: string; sizeBytes: number }[] = [];
  try {
    const tree = JSON.parse(s.lsblk ?? '') as { blockdevices: LsblkNode[] };
    const top = tree.blockdevices[0];
    mountpoint = top?.mountpoint ?? undefined;
    children = (top?.children ?? []).map((c) => ({ name: c.name, type: c.type, sizeBytes: Number(c.size) }));
  } catch {
    // lsblk is optional detail; signatures are what guard destructive steps
  }
  return { exists: true, sizeBytes, signatures, unreadable, mountpoint, children };
}

/** Signatures that mean "this device holds something" (anything but DRBD's own metadata). */
export function foreignSignatures(state: BlockDeviceState): Signature[] {
  return state.exists ? state.signatures.filter((sig) => sig.type !== 'drbd') : [];
}

export function describeSignatures(sigs: Signature[]): string {
  return sigs.map((sig) => `${sig.type}${sig.uuid ? ` (UUID ${sig.uuid})` : ''}${sig.label ? ` label ${sig.label}` : ''}`).join(', ');
}

/** Whether the first `bytes` of a device read as zeros (a blank disk, for --skip-initial-sync). */
export const zeroHeadFact: Fact<{ zero: boolean; readable: boolean }, { device: string; bytes: number }> = {
  id: 'zero-head',
  command: ({ device, bytes }) => ['sh', '-c', `cmp -s -n ${Math.floor(bytes)} ${quoteWord(device)} /dev/zero; echo $?`],
  parse: (stdout) => {
    const code = stdout.trim();
    return { zero: code === '0', readable: code === '0' || code === '1' };
  },
};
