// The configuration haforge pushes with `cibadmin --replace --scope
// configuration`: the generated one, plus everything of the live one that is
// not haforge's (see managed.ts), so a replace never drops a node's
// attributes, a ban, DRBD's fence constraint, a resource an admin stopped,
// or a resource, constraint or default an admin added by hand.
import { el, type XmlElement } from '../util/xml.js';
import { isForeign, isOurPropertySet, isRuntimeProperty, isRuntimeSet, MANAGED_SECTIONS, propertyNames, RESOURCE_ELEMENTS, RUNTIME_META, SHARED_SECTIONS, walk } from './managed.js';

const section = (config: XmlElement | undefined, name: string) => config?.children.find((c) => c.name === name);

function mergeCrmConfig(desired: XmlElement, live: XmlElement | undefined, desiredProperties: ReadonlySet<string>): XmlElement {
  const liveSets = live?.children ?? [];
  const runtime = liveSets.filter(isOurPropertySet).flatMap((s) => s.children.filter((p) => isRuntimeProperty(p.attrs.name ?? '', desiredProperties)));
  const ours = desired.children.map((set) => (isOurPropertySet(set) ? { ...set, children: [...set.children, ...runtime] } : set));
  // Property sets haforge did not write (another id) stay as they are.
  return { ...desired, children: [...ours, ...liveSets.filter((s) => !isOurPropertySet(s))] };
}

/** target-role / is-managed and the utilization set of live resources, carried to the resource of the same id. */
function mergeResources(desired: XmlElement, live: XmlElement | undefined): XmlElement {
  const merged = structuredClone(desired);
  const byId = new Map([...walk(merged)].filter((e) => RESOURCE_ELEMENTS.has(e.name)).map((e) => [e.attrs.id, e]));
  for (const liveResource of live ? walk(live) : []) {
    const target = RESOURCE_ELEMENTS.has(liveResource.name) ? byId.get(liveResource.attrs.id) : undefined;
    if (!target) continue;
    target.children.push(...liveResource.children.filter(isRuntimeSet));
    const runtime = liveResource.children.filter((c) => c.name === 'meta_attributes').flatMap((m) => m.children.filter((p) => RUNTIME_META.has(p.attrs.name ?? '')));
    if (runtime.length === 0) continue;
    let meta = target.children.find((c) => c.name === 'meta_attributes');
    if (!meta) {
      meta = el('meta_attributes', { id: `${target.attrs.id}-meta_attributes` });
      // Pacemaker's schema wants meta_attributes before a clone's or group's members.
      target.children.unshift(meta);
    }
    meta.children.push(...runtime);
  }
  return merged;
}

export function mergeConfiguration(desired: XmlElement, liveConfiguration: XmlElement | undefined): XmlElement {
  const desiredProperties = propertyNames(desired);
  const managed = new Set<string>(MANAGED_SECTIONS);
  const children = MANAGED_SECTIONS.map((name) => {
    const mine = section(desired, name) ?? el(name);
    const theirs = section(liveConfiguration, name);
    if (name === 'crm_config') return mergeCrmConfig(mine, theirs, desiredProperties);
    const merged = name === 'resources' ? mergeResources(mine, theirs) : mine;
    // What others made in the shared sections stays, after haforge's own (but not what a run takes over: same id).
    const taken = new Set(mine.children.map((c) => c.attrs.id));
    const kept = theirs?.children.filter((c) => isForeign(c) && !taken.has(c.attrs.id)) ?? [];
    return SHARED_SECTIONS.has(name) ? { ...merged, children: [...merged.children, ...kept] } : merged;
  });
  // nodes, fencing-topology, acls, tags, alerts: Pacemaker's or the admin's.
  const others = liveConfiguration?.children.filter((c) => !managed.has(c.name)) ?? [];
  if (!others.some((c) => c.name === 'nodes')) others.unshift(el('nodes'));
  return el('configuration', {}, [children[0], others.find((c) => c.name === 'nodes'), ...children.slice(1), ...others.filter((c) => c.name !== 'nodes')]);
}

/**
 * A whole CIB for crm_verify: the live <cib> attributes (its schema version),
 * the merged configuration, and a status in which every node is an online
 * member and nothing has run yet: crm_verify then judges the configuration
 * alone, not the failures of the moment (and with fencing on, a node of
 * unknown state would be scheduled for fencing).
 */
export function cibForVerify(liveCib: XmlElement | undefined, configuration: XmlElement): XmlElement {
  const attrs = liveCib?.attrs ?? { 'validate-with': 'pacemaker-3.9', epoch: '1', num_updates: '0', admin_epoch: '0' };
  const nodes = configuration.children.find((c) => c.name === 'nodes')?.children.filter((n) => n.name === 'node') ?? [];
  const healthy = nodes.map((n) => el('node_state', { id: n.attrs.id, uname: n.attrs.uname, in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' }));
  return { name: 'cib', attrs, children: [configuration, el('status', {}, healthy)], text: '' };
}
