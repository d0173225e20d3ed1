// Services and VIP of a cluster: defaults filled in and cross-checked
// against its DRBD resources.
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { DrbdSpec, ServiceFile, ServiceSpec, VipSpec } from './model.js';
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
  files?: RawServiceFile[];
}
interface RawServiceFile {
  path: string;
  content?: string;
  template?: string;
  mode?: string;
}
export interface RawVip {
  address: string;
  cidr_netmask?: number;
  nic?: string;
}

type At = (...path: (string | number)[]) => UserError['position'];

/** `baseDir`: the inventory's directory, where service file templates live. */
export function resolveServices(cluster: string, raw: Record<string, RawService> | undefined, drbd: DrbdSpec | undefined, errors: UserError[], at: At, baseDir: string): ServiceSpec[] {
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
    const files = (s.files ?? []).map((f, i) => resolveServiceFile(f, s.paths ?? [], mount, baseDir, (message, hint, ...key) => errors.push(new UserError(`service '${name}': ${message}`, { position: at('clusters', cluster, 'services', name, 'files', i, ...key), hint }))));
    return { name, unit, agent: parseServiceAgent(s.agent, unit), params: strings(s.params), meta: strings(s.meta), package: s.package, paths: s.paths ?? [], port: s.port, resource, files };
  });
}

const within = (child: string, parent: string) => child.startsWith(`${parent}/`);

/** One service file: content or a template confined to the inventory's directory, and the volume it lands on. */
function resolveServiceFile(f: RawServiceFile, paths: string[], mount: string | undefined, baseDir: string, error: (message: string, hint: string, ...key: string[]) => void): ServiceFile {
  if ((f.content === undefined) === (f.template === undefined)) error(`file ${f.path} needs exactly one of content and template`, 'content: the text as written; template: a Handlebars file next to the inventory');
  if (paths.includes(f.path)) error(`file ${f.path} is one of the service's relocated paths`, 'name a file inside it, e.g. a conf.d entry', 'path');
  const template = f.template === undefined ? undefined : serviceTemplate(f.template, baseDir, (message, hint) => error(message, hint, 'template'));
  const volume = paths.some((p) => within(f.path, p)) ? mount : undefined;
  return { path: f.path, content: f.content, template, mode: f.mode, volume };
}

// Templates are read on the workstation and pushed to the nodes: only a
// regular file inside the inventory's directory (symlinks resolved), so an
// inventory cannot send ~/.ssh/id_ed25519 to a node.
function serviceTemplate(name: string, baseDir: string, error: (message: string, hint: string) => void): string | undefined {
  const file = path.resolve(baseDir, name);
  let real: string;
  try {
    real = realpathSync(file);
    if (!statSync(real).isFile()) throw new Error('not a regular file');
  } catch {
    error(`template ${name} is not a file (looked for ${file})`, 'put the template next to the inventory, or give the path relative to it');
    return undefined;
  }
  const root = realpathSync(baseDir);
  if (!real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
    error(`template ${name} is ${real}, outside the inventory's directory ${root}`, 'templates are pushed to the nodes: keep them in the inventory\'s directory');
    return undefined;
  }
  return real;
}

/** The VIP with its defaults (checked against the nodes in checks.ts). */
export function resolveVip(raw: RawVip | undefined): VipSpec | undefined {
  return raw && { address: raw.address, cidrNetmask: raw.cidr_netmask ?? 24, nic: raw.nic };
}
