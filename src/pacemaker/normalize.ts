// The canonical text of what haforge manages in a CIB configuration: the
// managed sections only, Pacemaker's and admins' runtime values left out,
// attributes and (unordered) children sorted. Two configurations are equal
// for haforge exactly when their canonical texts are; the same text makes a
// readable diff.
import { el, serializeXml, type XmlElement } from '../util/xml.js';
import { isForeign, isOurPropertySet, isRuntimeProperty, isRuntimeSet, MANAGED_SECTIONS, RUNTIME_META } from './managed.js';

/** Children whose order means something: a group's members start in order, and so do a resource set's. */
const ORDERED = new Set(['group', 'resource_set']);

function canonical(e: XmlElement): XmlElement {
  const attrs = Object.fromEntries(Object.entries(e.attrs).sort(([a], [b]) => a.localeCompare(b)));
  const children = e.children.map(canonical);
  if (!ORDERED.has(e.name)) children.sort((a, b) => key(a).localeCompare(key(b)));
  return { name: e.name, attrs, children, text: e.text };
}

// Sorting by the serialized child makes the order independent of where Pacemaker put things.
const key = (e: XmlElement) => serializeXml(e);

/** Drops target-role/is-managed from every meta set, sets that end up empty (crm_resource leaves them behind), and utilization sets. */
function withoutRuntimeMeta(e: XmlElement): XmlElement {
  const children = e.children
    .filter((c) => !isRuntimeSet(c))
    .map((c) => (c.name === 'meta_attributes' ? { ...c, children: c.children.filter((p) => !RUNTIME_META.has(p.attrs.name ?? '')) } : withoutRuntimeMeta(c)))
    .filter((c) => !(c.name === 'meta_attributes' && c.children.length === 0));
  return { ...e, children };
}

function managedSection(name: (typeof MANAGED_SECTIONS)[number], section: XmlElement | undefined, desiredProperties: ReadonlySet<string>, adopting: ReadonlySet<string>): XmlElement {
  const foreign = (c: XmlElement) => isForeign(c) && !adopting.has(c.attrs.id ?? '');
  const s = section ?? el(name);
  switch (name) {
    case 'crm_config':
      return {
        ...s,
        children: s.children.filter(isOurPropertySet).map((set) => ({ ...set, children: set.children.filter((p) => !isRuntimeProperty(p.attrs.name ?? '', desiredProperties)) })),
      };
    case 'resources':
      return withoutRuntimeMeta({ ...s, children: s.children.filter((c) => !foreign(c)) });
    default:
      return { ...s, children: s.children.filter((c) => !foreign(c)) };
  }
}

/**
 * What haforge manages in a <configuration> (or a whole <cib>), as canonical
 * XML text. desiredProperties: the cluster properties the inventory sets
 * (a runtime property the inventory sets is compared like any other).
 * adopting: ids of resources of others that a run takes over (adoption.ts),
 * shown as they are before it.
 */
export function managedText(configuration: XmlElement, desiredProperties: ReadonlySet<string>, adopting: ReadonlySet<string> = new Set()): string {
  const config = configuration.name === 'cib' ? configuration.children.find((c) => c.name === 'configuration') ?? el('configuration') : configuration;
  const sections = MANAGED_SECTIONS.map((name) => managedSection(name, config.children.find((c) => c.name === name), desiredProperties, adopting));
  return sections.map((s) => serializeXml(canonical(s))).join('');
}
