// Whether a service exists, runs, and starts at boot (systemd or SysV/LSB).
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';
import { sections } from './parse.js';

export interface ServiceState {
  init: 'systemd' | 'sysv';
  exists: boolean;
  active: boolean;
  enabled: boolean;
  /** systemd's is-enabled word (enabled, disabled, static, masked, ...) or rc links. */
  enabledState: string;
  /** systemd units that start it on demand (mariadb.socket): each one enabled or active starts it behind a cluster manager's back. */
  triggers: ServiceTrigger[];
}

export interface ServiceTrigger {
  unit: string;
  active: boolean;
  enabled: boolean;
}

const SCRIPT = `if [ -d /run/systemd/system ]; then
  echo '== init'; echo systemd
  # One systemctl for three answers: each call costs a process and a D-Bus round trip (a
  # tenth of a second or more on a slow node). UnitFileState is is-enabled's word; a unit
  # generated from a SysV script has none of its own, so there is-enabled asks the rc links.
  # TriggeredBy: the sockets, paths and timers that start it on demand (Debian's MariaDB has mariadb.socket).
  systemctl show -p LoadState -p ActiveState -p UnitFileState -p TriggeredBy "$n.service" 2>/dev/null | while IFS== read -r k v; do
    case $k in
      LoadState) echo '== load'; echo "$v" ;;
      ActiveState) echo '== active'; echo "$v" ;;
      UnitFileState) echo '== enabled'; case $v in '' | generated) systemctl is-enabled "$n.service" 2>/dev/null || true ;; *) echo "$v" ;; esac ;;
      TriggeredBy) echo '== triggers'; for t in $v; do echo "$t $(systemctl show -p ActiveState --value "$t") $(systemctl show -p UnitFileState --value "$t")"; done ;;
    esac
  done
else
  echo '== init'; echo sysv
  echo '== load'; if [ -x "/etc/init.d/$n" ]; then echo loaded; else echo not-found; fi
  echo '== active'; if [ -x "/etc/init.d/$n" ] && "/etc/init.d/$n" status >/dev/null 2>&1; then echo active; else echo inactive; fi
  echo '== enabled'; if ls /etc/rc[2345].d/S*"$n" >/dev/null 2>&1; then echo enabled; else echo disabled; fi
fi`;

export const serviceFact: Fact<ServiceState, string> = {
  id: 'service',
  command: (name) => ['sh', '-c', `n=${quoteWord(name)}\n${SCRIPT}`],
  parse(stdout) {
    const s = sections(stdout);
    const word = (k: string) => (s[k] ?? '').trim().split('\n')[0] ?? '';
    const enabledState = word('enabled') || 'unknown';
    return {
      init: word('init') === 'systemd' ? 'systemd' : 'sysv',
      exists: word('load') === 'loaded',
      active: word('active') === 'active',
      enabled: ['enabled', 'enabled-runtime', 'alias'].includes(enabledState),
      enabledState,
      triggers: (s.triggers ?? '')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((w) => w[0])
        .map(([unit, active, enabled]) => ({ unit: unit!, active: active === 'active', enabled: ['enabled', 'enabled-runtime'].includes(enabled ?? '') })),
    };
  },
};
