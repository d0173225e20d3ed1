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
}

const SCRIPT = `echo '== uname'; uname -n; uname -r; uname -m
echo '== id'; id -u
echo '== os'; cat /etc/os-release 2>/dev/null
echo '== pm'; for p in apt-get dnf yum zypper; do command -v $p >/dev/null 2>&1 && { echo $p; break; }; done
echo '== init'; if [ -d /run/systemd/system ]; then echo systemd; else echo sysv; fi
echo '== mem'; grep -m1 MemTotal /proc/meminfo
echo '== cpus'; grep -c ^processor /proc/cpuinfo`;

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
    };
  },
};
