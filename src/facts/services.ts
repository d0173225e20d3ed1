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
  # One systemctl for two answers: each costs a D-Bus round trip.
  systemctl show -p LoadState -p ActiveState "$n.service" | while IFS== read -r k v; do
    case $k in LoadState) echo '== load'; echo "$v";; ActiveState) echo '== active'; echo "$v";; esac
  done
  echo '== enabled'; systemctl is-enabled "$n.service" 2>/dev/null || true
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
