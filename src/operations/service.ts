// A service running or stopped, started at boot or not (systemd or SysV/LSB).
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop, type Step } from '../engine/plan.js';
import { serviceFact, type ServiceState } from '../facts/services.js';
import { unitName } from '../schema/values.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
}

function action(s: ServiceState, name: string, verb: string): Step {
  return s.init === 'systemd'
    ? { description: `systemctl ${verb} ${name}`, argv: ['systemctl', verb, `${name}.service`] }
    : { description: `/etc/init.d/${name} ${verb}`, argv: [`/etc/init.d/${name}`, verb] };
}

// SysV boot links: update-rc.d (Debian), chkconfig (RHEL/SUSE), else insserv.
const SYSV_ENABLE = `if command -v update-rc.d >/dev/null 2>&1; then update-rc.d "$1" defaults && update-rc.d "$1" enable
elif command -v chkconfig >/dev/null 2>&1; then chkconfig "$1" on
else insserv "$1"; fi`;
const SYSV_DISABLE = `if command -v update-rc.d >/dev/null 2>&1; then update-rc.d "$1" disable
elif command -v chkconfig >/dev/null 2>&1; then chkconfig "$1" off
else insserv -r "$1"; fi`;

function bootStep(s: ServiceState, name: string, enable: boolean): Step {
  const word = enable ? 'enable' : 'disable';
  if (s.init === 'systemd') return { description: `systemctl ${word} ${name}`, argv: ['systemctl', word, `${name}.service`] };
  return { description: `${word} ${name} at boot`, argv: ['sh', '-c', enable ? SYSV_ENABLE : SYSV_DISABLE, 'haforge-rc', name] };
}

export const serviceOperation: Operation<ServiceArgs> = {
  name: 'service',
  summary: 'A service started/stopped/restarted and enabled at boot or not.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { ...unitName, description: 'a unit or init script name without .service (letters, digits and : _ . @ -, not a path)' },
      state: {
        type: 'string',
        enum: ['started', 'stopped', 'restarted', 'reloaded'],
        description: 'restarted/reloaded always act (use them in handlers).',
      },
      enabled: { type: 'boolean', description: 'Start at boot. Services a cluster manager runs must be false; false also disables and stops the sockets (paths, timers) that would start it on demand.' },
    },
  },
  label: (a) => `service ${a.name}`,
  facts: (a) => [request(serviceFact, a.name)],
  plan(a, ctx) {
    const s = ctx.fact(request(serviceFact, a.name));
    if (!s.exists) {
      return fail(`service ${a.name} is not installed on ${ctx.node.name}`, 'install its package first (package operation)');
    }
    const steps: Step[] = [];
    const why: string[] = [];
    if (a.enabled !== undefined && a.enabled !== s.enabled && s.enabledState !== 'static') {
      steps.push(bootStep(s, a.name, a.enabled));
      why.push(a.enabled ? 'not enabled at boot' : 'enabled at boot');
    }
    // Off at boot includes on demand: a socket would start it on the first connection,
    // on a node where the cluster manager does not run it (and its data is not there).
    if (a.enabled === false) {
      for (const t of s.triggers.filter((x) => x.enabled || x.active)) {
        if (t.enabled) steps.push({ description: `systemctl disable ${t.unit} (starts ${a.name} on demand)`, argv: ['systemctl', 'disable', t.unit] });
        if (t.active) steps.push({ description: `systemctl stop ${t.unit}`, argv: ['systemctl', 'stop', t.unit] });
        why.push(`started on demand by ${t.unit}`);
      }
    }
    if (a.state === 'started' && !s.active) {
      steps.push(action(s, a.name, 'start'));
      why.push('stopped');
    } else if (a.state === 'stopped' && s.active) {
      steps.push(action(s, a.name, 'stop'));
      why.push('running');
    } else if (a.state === 'restarted' || a.state === 'reloaded') {
      steps.push(action(s, a.name, a.state === 'restarted' ? 'restart' : 'reload'));
      why.push(a.state);
    }
    return steps.length ? change(why.join(', '), steps) : noop(`${s.active ? 'running' : 'stopped'}, ${s.enabled ? 'enabled' : 'disabled'} at boot`);
  },
};
