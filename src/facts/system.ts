// Who the host is: name, OS, kernel, package manager, init system.
import type { Fact } from '../engine/fact.js';
import { parseKeyValues, sections } from './parse.js';

export type PackageManager = 'apt' | 'dnf' | 'yum' | 'zypper' | 'unknown';
export type InitSystem = 'systemd' | 'sysv';

export interface SystemFacts {
  hostname: string;
  os: { id: string; versionId: string; prettyName: string; like: string[] };
  kernel: string;
  arch: string;
  uid: number;
  packageManager: PackageManager;
  init: InitSystem;
  memTotalKiB?: number;
  cpus?: number;
  drbd: DrbdVersions;
}

export interface DrbdVersions {
  /** Version of the module on disk (modinfo), e.g. "8.4.11". */
  module?: string;
  /** Version of the loaded module (/proc/drbd). */
  loaded?: string;
  /** drbd-utils (drbdadm) version, e.g. "9.22.0". */
  utils?: string;
  /** What configuration syntax to write: from the loaded module, else the one on disk. */
  family?: '8.3' | '8.4' | '9';
}

const SCRIPT = `echo '== uname'; uname -n; uname -r; uname -m
echo '== id'; id -u
echo '== os'; cat /etc/os-release 2>/dev/null
echo '== pm'; for p in apt-get dnf yum zypper; do command -v $p >/dev/null 2>&1 && { echo $p; break; }; done
echo '== init'; if [ -d /run/systemd/system ]; then echo systemd; else echo sysv; fi
echo '== mem'; grep -m1 MemTotal /proc/meminfo
echo '== cpus'; grep -c ^processor /proc/cpuinfo
echo '== drbdmod'; modinfo -F version drbd 2>/dev/null
echo '== drbdproc'; head -n 1 /proc/drbd 2>/dev/null
echo '== drbdadm'; drbdadm --version 2>/dev/null | grep -E '^DRBDADM_VERSION='`;

export const systemFact: Fact<SystemFacts> = {
  id: 'system',
  command: () => ['sh', '-c', SCRIPT],
  parse(stdout) {
    const s = sections(stdout);
    const [hostname = '', kernel = '', arch = ''] = (s.uname ?? '').trim().split('\n');
    const os = parseKeyValues(s.os ?? '');
    const pm = (s.pm ?? '').trim();
    const mem = /MemTotal:\s+(\d+)/.exec(s.mem ?? '');
    return {
      hostname: hostname.trim(),
      kernel: kernel.trim(),
      arch: arch.trim(),
      uid: Number((s.id ?? '').trim() || NaN),
      os: {
        id: os.ID ?? 'unknown',
        versionId: os.VERSION_ID ?? '',
        prettyName: os.PRETTY_NAME ?? '',
        like: (os.ID_LIKE ?? '').split(/\s+/).filter(Boolean),
      },
      packageManager: pm === 'apt-get' ? 'apt' : pm === 'dnf' || pm === 'yum' || pm === 'zypper' ? pm : 'unknown',
      init: (s.init ?? '').trim() === 'systemd' ? 'systemd' : 'sysv',
      memTotalKiB: mem ? Number(mem[1]) : undefined,
      cpus: Number((s.cpus ?? '').trim()) || undefined,
      drbd: parseDrbdVersions(s.drbdmod ?? '', s.drbdproc ?? '', s.drbdadm ?? ''),
    };
  },
};

export function parseDrbdVersions(modinfo: string, procHead: string, drbdadm: string): DrbdVersions {
  const module = modinfo.trim().split('\n')[0] || undefined;
  const loaded = /version:\s*(\d+\.\d+\.\d+)/.exec(procHead)?.[1];
  const utils = /DRBDADM_VERSION=(\S+)/.exec(drbdadm)?.[1];
  const kernel = loaded ?? module;
  const family = kernel?.startsWith('8.3') ? '8.3' : kernel?.startsWith('8.4') ? '8.4' : kernel?.startsWith('9') ? '9' : undefined;
  return { module, loaded, utils, family };
}
