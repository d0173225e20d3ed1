// Who the host is: name, OS, kernel, package manager, init system.
import { parseCorosyncConf, type LiveCorosyncConf } from '../pacemaker/corosync-conf.js';
import type { Fact } from '../engine/fact.js';
import { parseAddresses, type InterfaceAddress } from './addresses.js';
import { parseKeyValues, sections } from './parse.js';
import { parseDrbdVersions, type DrbdVersions } from '../drbd/versions.js';

export type { DrbdVersions };

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
  /** IPv4 addresses by interface: templates name the interface that carries an address. */
  addresses: InterfaceAddress[];
  /** What corosync.conf.hbs keeps from the corosync.conf found here. */
  corosync: LiveCorosyncConf;
}

// Every process costs (tens of ms on an emulated node): shell builtins where
// they do (uid, memory and CPUs from /proc and /sys), modinfo only when no
// module is loaded.
const SCRIPT = `echo '== uname'; uname -n -r -m
echo '== id'; while read -r k r e x; do case $k in Uid:) echo "$e"; break ;; esac; done < /proc/self/status
echo '== os'; while IFS= read -r l; do echo "$l"; done < /etc/os-release 2>/dev/null
echo '== pm'; for p in apt-get dnf yum zypper; do command -v $p >/dev/null 2>&1 && { echo $p; break; }; done
echo '== init'; if [ -d /run/systemd/system ]; then echo systemd; else echo sysv; fi
while read -r l; do case $l in MemTotal:*) echo '== mem'; echo "$l"; break ;; esac; done < /proc/meminfo
echo '== cpus'; n=0; if read -r c < /sys/devices/system/cpu/online; then IFS=,; for r in $c; do n=$((n + \${r#*-} - \${r%-*} + 1)); done; unset IFS; fi; echo "$n"
echo '== drbdproc'; if [ -r /proc/drbd ]; then read -r l < /proc/drbd; echo "$l"; else echo '== drbdmod'; modinfo -F version drbd 2>/dev/null; fi
echo '== drbdadm'; drbdadm --version 2>/dev/null | while read -r l; do case $l in DRBDADM_VERSION=*) echo "$l";; esac; done
echo '== addr'; ip -o -4 addr show 2>/dev/null
echo '== corosync'; [ -r /etc/corosync/corosync.conf ] && while IFS= read -r l; do echo "$l"; done < /etc/corosync/corosync.conf`;

export const systemFact: Fact<SystemFacts> = {
  id: 'system',
  command: () => ['sh', '-c', SCRIPT],
  parse(stdout) {
    const s = sections(stdout);
    const [hostname = '', kernel = '', arch = ''] = (s.uname ?? '').trim().split(/\s+/);
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
      addresses: parseAddresses(s.addr ?? ''),
      corosync: parseCorosyncConf(s.corosync ?? ''),
    };
  },
};
