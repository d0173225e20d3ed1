// Services and VIP of a cluster: defaults filled in and cross-checked
// against its DRBD resources.
import { UserError } from '../errors.js';
import type { DrbdSpec, ServiceSpec, VipSpec } from './model.js';
import { didYouMean } from '../schema/suggest.js';
import { parseServiceAgent } from './stack.js';

export interface RawService {
  unit?: string;
  package?: string;
  paths?: string[];
  port?: number;
  resource?: string;
  agent?: string;
  params?: Record<string, string | number | boolean>;
  meta?: Record<string, string | number | boolean>;
}
export interface RawVip {
  address: string;
  cidr_netmask?: number;
  nic?: string;
}

type At = (...path: (string | number)[]) => UserError['position'];

export function resolveServices(cluster: string, raw: Record<string, RawService> | undefined, drbd: DrbdSpec | undefined, errors: UserError[], at: At): ServiceSpec[] {
  return Object.entries(raw ?? {}).map(([name, s]) => {
    const resources = drbd?.resources.map((r) => r.name) ?? [];
    const resource = s.resource ?? resources[0];
    if (s.paths?.length && !drbd) {
      errors.push(new UserError(`service '${name}' has paths to relocate but the cluster has no drbd: section`, { position: at('clusters', cluster, 'services', name, 'paths') }));
    } else if (s.resource && !resources.includes(s.resource)) {
      errors.push(new UserError(`service '${name}' names unknown resource '${s.resource}'${didYouMean(s.resource, resources)}`, { position: at('clusters', cluster, 'services', name, 'resource') }));
    } else if (s.paths?.length && resource && !drbd!.resources.find((r) => r.name === resource)!.mount) {
      errors.push(new UserError(`service '${name}' keeps its data on resource '${resource}', which has no mount point`, { position: at('clusters', cluster, 'drbd', 'resources', resource), hint: 'add mount: /some/path to the resource' }));
    }
    const mount = drbd?.resources.find((r) => r.name === resource)?.mount?.replace(/\/$/, '');
    (s.paths ?? []).forEach((p, i) => {
      // Relocation moves a path onto the volume: one already there would be moved onto itself.
      if (mount && (p === mount || p.startsWith(`${mount}/`))) {
        errors.push(new UserError(`service '${name}': ${p} is already on the replicated volume (${mount})`, { position: at('clusters', cluster, 'services', name, 'paths', i), hint: 'list the paths where the service keeps them now; haforge moves them onto the volume' }));
      }
    });
    const unit = s.unit ?? name;
    const strings = (o: Record<string, string | number | boolean> | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, String(v)]));
    return { name, unit, agent: parseServiceAgent(s.agent, unit), params: strings(s.params), meta: strings(s.meta), package: s.package, paths: s.paths ?? [], port: s.port, resource };
  });
}

/** The VIP with its defaults (checked against the nodes in checks.ts). */
export function resolveVip(raw: RawVip | undefined): VipSpec | undefined {
  return raw && { address: raw.address, cidrNetmask: raw.cidr_netmask ?? 24, nic: raw.nic };
}
