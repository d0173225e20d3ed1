// Fence devices of the inventory as Heartbeat v1 `stonith_host` lines.
// Heartbeat v1 drives cluster-glue STONITH plugins, not the fence_* agents
// the inventory names (those are Pacemaker's), so each supported agent is
// mapped to the plugin that does the same job; anything else is refused
// rather than written as a line that fails the day it is needed.
import { UserError } from '../errors.js';
import { CONFIG_FORMATS } from '../render/formats.js';
import type { FenceDevice } from '../inventory/model.js';

interface PluginMapping {
  plugin: string;
  /** The plugin's parameters in its getconfignames order (R1 lines are positional). */
  build(device: FenceDevice, target: string): string[];
}

const TRUE = /^(1|true|yes|on)$/i;

/** fence_ipmilan -> external/ipmi: hostname ipaddr userid passwd interface. */
const ipmi: PluginMapping = {
  plugin: 'external/ipmi',
  build(d, target) {
    const known = new Set(['ip', 'ipaddr', 'username', 'login', 'password', 'passwd', 'lanplus']);
    const unknown = Object.keys(d.params).filter((k) => !known.has(k));
    if (unknown.length) {
      throw new UserError(`fence device '${d.name}': fence_ipmilan parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ha${unknown.length > 1 ? 've' : 's'} no equivalent in Heartbeat's external/ipmi plugin`, {
        hint: 'with stack: heartbeat a fence_ipmilan device takes ip, username, password and lanplus only; use stack: pacemaker for the full fence agent',
      });
    }
    const param = (...names: string[]) => {
      const value = names.map((n) => d.params[n]).find((v) => v !== undefined && v !== '');
      if (value === undefined) throw new UserError(`fence device '${d.name}' has no ${names[0]} parameter`, { hint: `add params: { ${names[0]}: ... } to the device` });
      return value;
    };
    return [target, param('ip', 'ipaddr'), param('username', 'login'), param('password', 'passwd'), TRUE.test(d.params.lanplus ?? '') ? 'lanplus' : 'lan'];
  },
};

const MAPPINGS: Record<string, PluginMapping> = { fence_ipmilan: ipmi };

/** Agents a Heartbeat cluster can use, for messages and preflight. */
export const HEARTBEAT_FENCE_AGENTS = Object.keys(MAPPINGS);

/** The ha.cf line for a device: `stonith_host * PLUGIN PARAMS...` (any node may use it). */
export function stonithHostLine(device: FenceDevice): string {
  const mapping = MAPPINGS[device.agent];
  if (!mapping) {
    throw new UserError(`fence device '${device.name}': Heartbeat v1 cannot drive ${device.agent}`, {
      hint: `with stack: heartbeat the supported fence agents are ${HEARTBEAT_FENCE_AGENTS.join(', ')} (mapped to cluster-glue STONITH plugins); use stack: pacemaker for other agents`,
    });
  }
  // One BMC powers one machine: the plugin's hostname is that machine.
  if (device.targets.length !== 1) {
    throw new UserError(`fence device '${device.name}' (${device.agent}) targets ${device.targets.length} nodes: an IPMI controller powers exactly one machine`, {
      hint: 'define one device per node, each with targets: [that node]',
    });
  }
  const words = mapping.build(device, device.targets[0]!);
  // ha.cf is split on blanks and # starts a comment: such a value cannot be written (nor shown: it may be the password).
  const bad = words.find((w) => w === '' || CONFIG_FORMATS['ha.cf'].forbidden.test(w));
  if (bad !== undefined) {
    throw new UserError(`fence device '${device.name}': a parameter is empty or holds a blank, a control character or '#', which ha.cf cannot hold`, { hint: 'choose a value (e.g. the BMC password) without blanks or #' });
  }
  return ['stonith_host', '*', mapping.plugin, ...words].join(' ');
}
