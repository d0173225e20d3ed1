// Which parts of a live CIB configuration are haforge's. Pacemaker writes
// some values itself (dc-version, ...), admins flip some at run time
// (maintenance-mode, a resource's target-role), other tools add constraints
// of their own (crm_resource --move, DRBD's fence-peer handler), and admins
// add resources, constraints and defaults by hand (pcs, crmsh): haforge
// neither compares nor removes those. What is haforge's is told by its id:
// haforge gives every object an id of its own scheme (ids.ts), and a
// resource it adopted (adoption.ts) keeps its id and carries ADOPTED_META.
import type { XmlElement } from '../util/xml.js';
import { OP_DEFAULTS_ID, PROPERTY_SET_ID, RSC_DEFAULTS_ID } from './ids.js';

/** Cluster properties Pacemaker maintains, or admins switch at run time. */
export const RUNTIME_PROPERTIES: ReadonlySet<string> = new Set(['dc-version', 'cluster-infrastructure', 'cluster-name', 'have-watchdog', 'last-lrm-refresh', 'maintenance-mode', 'stop-all-resources']);

/** Meta attributes crm_resource sets to stop, start or unmanage a resource by hand. */
export const RUNTIME_META: ReadonlySet<string> = new Set(['target-role', 'is-managed']);

/**
 * A resource's utilization set: agents write it at start (VirtualDomain its
 * VM's CPUs and memory, crm_resource --utilization); haforge never does.
 */
export const isRuntimeSet = (e: XmlElement) => e.name === 'utilization';

/** Top-level resources haforge makes: the group, the VIP, ping, DRBD clones, filesystems, services, fence devices. */
const OUR_RESOURCE = /^(g_services|p_vip|cl_ping|ms_drbd_.+|p_fs_.+|p_svc_.+|st_.+)$/;
/** Constraints haforge makes (constraints.ts). */
const OUR_CONSTRAINT = /^(col_g_services_with_ms_drbd_.+|ord_ms_drbd_.+_before_g_services|loc_g_services_(prefers_.+|on_connected_node)|loc_st_.+_avoids_.+)$/;

/** The meta attribute that marks a resource haforge adopted: its value is the id haforge would have given it. */
export const ADOPTED_META = 'haforge-id';

/** The haforge id an adopted resource carries (its own meta attributes only: a group's are inherited by its members). */
export function adoptedAs(e: XmlElement): string | undefined {
  const pair = e.children.filter((c) => c.name === 'meta_attributes').flatMap((m) => m.children).find((p) => p.attrs.name === ADOPTED_META);
  return pair?.attrs.value;
}

/** A top-level resource, constraint or defaults set of someone else: kept as it is, never compared. */
export function isForeign(e: XmlElement): boolean {
  const id = e.attrs.id ?? '';
  if (RESOURCE_ELEMENTS.has(e.name)) return !OUR_RESOURCE.test(id) && adoptedAs(e) === undefined;
  if (e.name.startsWith('rsc_')) return !OUR_CONSTRAINT.test(id);
  if (e.name === 'meta_attributes') return id !== RSC_DEFAULTS_ID && id !== OP_DEFAULTS_ID;
  return false;
}

export const RESOURCE_ELEMENTS: ReadonlySet<string> = new Set(['primitive', 'group', 'clone', 'master', 'bundle']);

/** The sections in which foreign objects (by id) are kept and left out of comparisons. */
export const SHARED_SECTIONS: ReadonlySet<string> = new Set(['resources', 'constraints', 'rsc_defaults', 'op_defaults']);

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

export const resourcesOf = (configuration: XmlElement | undefined) => configuration?.children.find((c) => c.name === 'resources')?.children ?? [];
export const instanceParams = (p: XmlElement): Record<string, string> => Object.fromEntries((p.children.find((c) => c.name === 'instance_attributes')?.children ?? []).map((n) => [n.attrs.name ?? '', n.attrs.value ?? '']));

/** What a primitive runs, as far as two resources must never both run it: a DRBD resource, an address, a mount, a unit, a VM. */
export function runs(p: XmlElement): string[] {
  const v = instanceParams(p);
  const type = p.attrs.type ?? '';
  if (type === 'drbd') return [`DRBD resource ${v.drbd_resource}`];
  if (type === 'IPaddr2' || type === 'IPaddr') return [`address ${v.ip}`];
  if (type === 'Filesystem') return [`mount ${v.directory}`, `device ${v.device}`];
  if (p.attrs.class === 'systemd' || p.attrs.class === 'lsb' || p.attrs.class === 'service') return [`unit ${type}`];
  if (type === 'VirtualDomain') return [`VM ${v.config}`];
  return [];
}

/** haforge's resources in the live configuration that the inventory no longer has (a service taken out, a renamed one): a replace removes them. */
export function removedResources(desired: XmlElement, liveConfiguration: XmlElement | undefined): string[] {
  const ids = (tops: XmlElement[]) => tops.flatMap((t) => [...walk(t)]).filter((e) => RESOURCE_ELEMENTS.has(e.name)).map((e) => e.attrs.id ?? '');
  const wanted = new Set(ids(resourcesOf(desired)));
  return ids(resourcesOf(liveConfiguration).filter((t) => !isForeign(t))).filter((id) => !wanted.has(id));
}

/** "ocf:heartbeat:IPaddr2", "systemd:lighttpd". */
export const agentOf = (p: XmlElement) => [p.attrs.class, p.attrs.provider, p.attrs.type].filter(Boolean).join(':');

/**
 * Resources of the live configuration that the new one keeps (same id) with
 * another agent or other parameters: Pacemaker restarts them where they run
 * (or reloads them, where the agent can take those parameters so). Each as
 * "its id (what changes)"; parameter values are not shown (they may be secrets).
 */
export function restartedResources(desired: XmlElement, liveConfiguration: XmlElement | undefined): string[] {
  const primitives = (c: XmlElement | undefined) => new Map(resourcesOf(c).flatMap((t) => [...walk(t)]).filter((e) => e.name === 'primitive').map((p) => [p.attrs.id ?? '', p]));
  const live = primitives(liveConfiguration);
  return [...primitives(desired)].flatMap(([id, p]) => {
    const before = live.get(id);
    if (!before) return [];
    if (agentOf(before) !== agentOf(p)) return [`${id} (agent ${agentOf(before)} -> ${agentOf(p)})`];
    const [a, b] = [instanceParams(before), instanceParams(p)];
    const changed = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
    return changed.length ? [`${id} (parameters ${changed.join(', ')})`] : [];
  });
}
