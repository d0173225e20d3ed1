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
}

const SCRIPT = `if [ -d /run/systemd/system ]; then
  echo '== init'; echo systemd
  # One systemctl for three answers: each call costs a process and a D-Bus round trip (a
  # tenth of a second or more on a slow node). UnitFileState is is-enabled's word; a unit
  # generated from a SysV script has none of its own, so there is-enabled asks the rc links.
  systemctl show -p LoadState -p ActiveState -p UnitFileState "$n.service" 2>/dev/null | while IFS== read -r k v; do
    case $k in
      LoadState) echo '== load'; echo "$v" ;;
      ActiveState) echo '== active'; echo "$v" ;;
      UnitFileState) echo '== enabled'; case $v in '' | generated) systemctl is-enabled "$n.service" 2>/dev/null || true ;; *) echo "$v" ;; esac ;;
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
    };
  },
};
