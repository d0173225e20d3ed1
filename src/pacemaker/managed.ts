// Which parts of a live CIB configuration are haforge's. Pacemaker writes
// some values itself (dc-version, ...), admins flip some at run time
// (maintenance-mode, a resource's target-role) and other tools add
// constraints of their own (crm_resource --move, DRBD's fence-peer
// handler): haforge neither compares nor removes those.
import type { XmlElement } from '../util/xml.js';
import { PROPERTY_SET_ID } from './ids.js';

/** Cluster properties Pacemaker maintains, or admins switch at run time. */
export const RUNTIME_PROPERTIES: ReadonlySet<string> = new Set(['dc-version', 'cluster-infrastructure', 'cluster-name', 'have-watchdog', 'last-lrm-refresh', 'maintenance-mode', 'stop-all-resources']);

/** Meta attributes crm_resource sets to stop, start or unmanage a resource by hand. */
export const RUNTIME_META: ReadonlySet<string> = new Set(['target-role', 'is-managed']);

/** Constraints other tools own: crm_resource --move/--ban (cli-*) and DRBD's crm-fence-peer handler. */
export function isForeignConstraint(c: XmlElement): boolean {
  const id = c.attrs.id ?? '';
  return id.startsWith('cli-') || id.startsWith('drbd-fence-by-handler-');
}

/** The sections haforge writes, in the order it writes them. */
export const MANAGED_SECTIONS = ['crm_config', 'resources', 'constraints', 'rsc_defaults', 'op_defaults'] as const;

/** A cluster property haforge leaves alone, unless the inventory sets it. */
export function isRuntimeProperty(name: string, desiredNames: ReadonlySet<string>): boolean {
  return RUNTIME_PROPERTIES.has(name) && !desiredNames.has(name);
}

export function isOurPropertySet(set: XmlElement): boolean {
  return set.name === 'cluster_property_set' && set.attrs.id === PROPERTY_SET_ID;
}

/** Names of the nvpairs of haforge's property set in a configuration. */
export function propertyNames(configuration: XmlElement): Set<string> {
  const crm = configuration.children.find((c) => c.name === 'crm_config');
  const set = crm?.children.find(isOurPropertySet);
  return new Set(set?.children.map((p) => p.attrs.name ?? '') ?? []);
}

/** Every element of a tree, depth first. */
export function* walk(e: XmlElement): Generator<XmlElement> {
  yield e;
  for (const c of e.children) yield* walk(c);
}
