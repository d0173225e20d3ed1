// DRBD versions: the kernel module (on disk and loaded), drbd-utils, the
// family that decides configuration and command syntax, and which utils
// drive which module. One parser for every fact that reads them.
import type { Fact } from '../engine/fact.js';
import { sections } from '../facts/parse.js';

/** The three generations whose syntax haforge writes. */
export type DrbdFamily = '8.3' | '8.4' | '9';

export interface DrbdVersions {
  /** Version of the module on disk (modinfo), e.g. "8.4.11". */
  module?: string;
  /** Version of the loaded module (/proc/drbd). */
  loaded?: string;
  /** drbd-utils (drbdadm) version, e.g. "9.22.0". */
  utils?: string;
  /** The kernel module version drbdadm itself sees (DRBD_KERNEL_VERSION[_CODE]); only when loaded. */
  utilsSeesKernel?: string;
  /** What configuration and command syntax to use: from the loaded module, else the one on disk. */
  family?: DrbdFamily;
}

/** "8.4.11" -> "8.4", "9.2.4" -> "9", "9.22.0" (utils) -> "9", "8.3.9" -> "8.3". */
export function drbdFamily(version: string | undefined): DrbdFamily | '8.0-8.2' | undefined {
  if (!version) return undefined;
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major >= 9) return '9';
  if (major === 8 && minor === 4) return '8.4';
  if (major === 8 && minor === 3) return '8.3';
  if (major === 8) return '8.0-8.2';
  return undefined;
}

/** 0x08040b -> "8.4.11"; 0 (no module loaded) -> undefined. */
export function versionFromCode(code: string): string | undefined {
  const n = Number.parseInt(code, 16);
  if (!Number.isFinite(n) || n === 0) return undefined;
  return `${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

/** modinfo's version line, /proc/drbd's first line and `drbdadm --version` (any of them may be empty). */
export function parseDrbdVersions(modinfo: string, procHead: string, drbdadm: string): DrbdVersions {
  const module = /^\s*(\d+\.\d+\.\d+\S*)/.exec(modinfo)?.[1];
  const loaded = /version:\s*(\d+\.\d+\.\d+\S*)/.exec(procHead)?.[1];
  const utils = /^\s*DRBDADM_VERSION=(\S+)/m.exec(drbdadm)?.[1];
  const kernelText = /^\s*DRBD_KERNEL_VERSION=(\S+)/m.exec(drbdadm)?.[1];
  const kernelCode = /^\s*DRBD_KERNEL_VERSION_CODE=(0x[0-9a-fA-F]+)/m.exec(drbdadm)?.[1];
  const utilsSeesKernel = kernelText ?? (kernelCode ? versionFromCode(kernelCode) : undefined);
  const family = drbdFamily(loaded ?? module);
  return { module, loaded, utils, utilsSeesKernel, family: family === '8.0-8.2' ? undefined : family };
}

const SBIN = 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"';

/** Every version at once (preflight): modinfo even while a module is loaded, to see an upgrade waiting for a reload. */
export const drbdVersionsFact: Fact<DrbdVersions> = {
  id: 'drbd-versions',
  command: () => ['sh', '-c', `${SBIN}\necho '== modinfo'; modinfo -F version drbd 2>/dev/null\necho '== proc'; head -n 1 /proc/drbd 2>/dev/null\necho '== drbdadm'; drbdadm --version 2>/dev/null\ntrue`],
  parse(stdout) {
    const s = sections(stdout);
    return parseDrbdVersions(s.modinfo ?? '', s.proc ?? '', s.drbdadm ?? '');
  },
};

export interface Compatibility {
  ok: boolean;
  why: string;
}

/**
 * Which drbd-utils drive which kernel module: an 8.3 module needs 8.3 utils;
 * an 8.4 module works with 8.4 utils or 9.x utils (which carry drbdadm-84);
 * a 9 module needs 9.x utils.
 */
export function drbdCompatible(kernel: string, utils: string): Compatibility {
  const k = drbdFamily(kernel);
  const u = drbdFamily(utils);
  if (!k || !u || k === '8.0-8.2' || u === '8.0-8.2') return { ok: false, why: `haforge supports DRBD 8.3, 8.4 and 9 (module ${kernel}, utils ${utils})` };
  if (k === '8.3') return u === '8.3' ? { ok: true, why: '8.3 module with 8.3 utils' } : { ok: false, why: `an 8.3 module needs 8.3 utils, not ${utils}` };
  if (k === '8.4') return u === '8.4' || u === '9' ? { ok: true, why: `8.4 module with ${u === '9' ? '9.x utils (drbdadm-84)' : '8.4 utils'}` } : { ok: false, why: `an 8.4 module needs 8.4 or 9.x utils, not ${utils}` };
  return u === '9' ? { ok: true, why: '9 module with 9.x utils' } : { ok: false, why: `a DRBD 9 module needs 9.x utils, not ${utils}` };
}
