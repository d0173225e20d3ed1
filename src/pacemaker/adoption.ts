// Taking over a cluster haforge did not build (pcs, crmsh, by hand). The
// inventory's resources are matched with the live ones that run the same
// things (agent and what it runs: a DRBD resource, an address, a mount, a
// unit, a VM), and the generated configuration takes the live ids instead of
// haforge's own: Pacemaker then sees the same resources, with at most new
// settings, not new ones, so nothing stops or moves. Each adopted resource
// carries ADOPTED_META from then on, and later runs find it by that mark
// (managed.ts). Where the live shape differs (no group, members in another
// order, another agent), taking the resources over would restart them: the
// run refuses and says why. Pure, no I/O.
import { el, type XmlElement } from '../util/xml.js';
import { nvpairId } from './ids.js';
import { ADOPTED_META, adoptedAs, agentOf, isForeign, RESOURCE_ELEMENTS, resourcesOf, runs, walk } from './managed.js';

export interface Adoption {
  /** haforge's id -> the live resource's id, for every resource taken over (marked before or now). */
  ids: Map<string, string>;
  /** What this run takes over, as "live id as haforge id" (empty when all were marked before). */
  adopted: string[];
}

export type AdoptionResult = Adoption | { refusal: string };

const isPromotable = (e: XmlElement) =>
  e.name === 'master' || e.children.some((m) => m.name === 'meta_attributes' && m.children.some((p) => p.attrs.name === 'promotable' && p.attrs.value === 'true'));
const members = (e: XmlElement) => e.children.filter((c) => RESOURCE_ELEMENTS.has(c.name));
const primitivesOf = (e: XmlElement) => [...walk(e)].filter((c) => c.name === 'primitive');
const describe = (p: XmlElement) => `${p.attrs.id} (${agentOf(p)})`;

/** Two primitives are the same resource when they use the same agent and run the same thing (or neither says what it runs). */
function samePrimitive(ours: XmlElement, theirs: XmlElement): boolean {
  if (agentOf(ours) !== agentOf(theirs)) return false;
  const [a, b] = [runs(ours), runs(theirs)];
  return (a.length === 0 && b.length === 0) || a.some((r) => b.includes(r));
}

/** The id pairs that make `ours` the live `theirs` without restarting anything, or why they cannot. */
function pairUp(ours: XmlElement, theirs: XmlElement): [string, string][] | string {
  const id = (e: XmlElement) => e.attrs.id ?? '';
  if (ours.name === 'primitive') {
    if (theirs.name !== 'primitive') return `${id(theirs)} is a ${theirs.name}, where the inventory's ${id(ours)} is a resource of its own`;
    return samePrimitive(ours, theirs) ? [[id(ours), id(theirs)]] : `${describe(theirs)} is another agent than the inventory's ${describe(ours)}`;
  }
  if (ours.name === 'clone') {
    if (!(theirs.name === 'clone' || theirs.name === 'master') || isPromotable(theirs) !== isPromotable(ours)) {
      return `${id(theirs)} is not a ${isPromotable(ours) ? 'promotable ' : ''}clone, as the inventory's ${id(ours)} is`;
    }
    const [mine, live] = [members(ours)[0], members(theirs)[0]];
    if (!mine || !live) return `${id(theirs)} clones nothing`;
    const inner = pairUp(mine, live);
    return typeof inner === 'string' ? inner : [[id(ours), id(theirs)], ...inner];
  }
  // A group: the live members must be the inventory's first ones, in its order
  // (a group starts its members in order); the inventory's further ones are added after them.
  if (theirs.name !== 'group') return `${id(theirs)} is not a group, as the inventory's ${id(ours)} is`;
  const [mine, live] = [members(ours), members(theirs)];
  if (live.length > mine.length) return `group ${id(theirs)} has ${live.length} members, the inventory's ${id(ours)} ${mine.length}`;
  const pairs: [string, string][] = [[id(ours), id(theirs)]];
  for (const [i, m] of live.entries()) {
    const inner = pairUp(mine[i]!, m);
    if (typeof inner === 'string') return `member ${i + 1} of group ${id(theirs)} is ${describe(m)}, where the inventory's ${id(ours)} has ${describe(mine[i]!)}`;
    pairs.push(...inner);
  }
  return pairs;
}

/**
 * Which live resources the inventory's are: those marked before, and foreign
 * ones that run what the inventory's would (each inventory resource onto one
 * live resource of the same shape).
 */
export function planAdoption(desired: XmlElement, liveConfiguration: XmlElement | undefined): AdoptionResult {
  const live = resourcesOf(liveConfiguration);
  const ids = new Map<string, string>();
  for (const e of live.flatMap((t) => [...walk(t)])) {
    const ours = RESOURCE_ELEMENTS.has(e.name) ? adoptedAs(e) : undefined;
    if (ours) ids.set(ours, e.attrs.id ?? '');
  }
  const adopted: string[] = [];
  const foreign = live.filter(isForeign);
  for (const top of resourcesOf(desired)) {
    if (ids.has(top.attrs.id ?? '')) continue;
    // Whatever the agent: two resources that run one address or mount would fight over it.
    const mine = new Set(primitivesOf(top).flatMap(runs));
    const holders = foreign.filter((t) => primitivesOf(t).some((p) => runs(p).some((r) => mine.has(r))));
    if (holders.length === 0) continue;
    if (holders.length > 1) {
      return { refusal: `the inventory's ${top.attrs.id} runs what ${holders.map((h) => h.attrs.id).join(', ')} run, which are not one ${top.name}: taking them over would restart them` };
    }
    const pairs = pairUp(top, holders[0]!);
    if (typeof pairs === 'string') return { refusal: `${pairs}: taking them over as they are would restart them` };
    for (const [ours, theirs] of pairs) {
      ids.set(ours, theirs);
      adopted.push(ours === theirs ? ours : `${theirs} as ${ours}`);
    }
  }
  return { ids, adopted };
}

/** Prefixes of nested ids follow their resource: "p_vip-instance_attributes-ip" -> "ClusterIP-instance_attributes-ip". */
function renameResource(e: XmlElement, from: string, to: string, ids: ReadonlyMap<string, string>): XmlElement {
  const id = e.attrs.id ?? '';
  if (RESOURCE_ELEMENTS.has(e.name) && id !== from) return adopt(e, ids);
  const renamed = id === from ? to : id.startsWith(`${from}-`) ? `${to}${id.slice(from.length)}` : id;
  return { ...e, attrs: { ...e.attrs, ...(id ? { id: renamed } : {}) }, children: e.children.map((c) => renameResource(c, from, to, ids)) };
}

/** A resource under its live id, marked as haforge's; its members likewise. */
function adopt(e: XmlElement, ids: ReadonlyMap<string, string>): XmlElement {
  const from = e.attrs.id ?? '';
  const to = ids.get(from);
  if (!to) return { ...e, children: e.children.map((c) => (RESOURCE_ELEMENTS.has(c.name) ? adopt(c, ids) : c)) };
  const renamed = renameResource(e, from, to, ids);
  const mark = el('nvpair', { id: nvpairId(`${to}-meta_attributes`, ADOPTED_META), name: ADOPTED_META, value: from });
  const meta = renamed.children.find((c) => c.name === 'meta_attributes');
  if (meta) return { ...renamed, children: renamed.children.map((c) => (c === meta ? { ...c, children: [...c.children, mark] } : c)) };
  const set = el('meta_attributes', { id: `${to}-meta_attributes` }, [mark]);
  // Pacemaker's schema: a primitive's meta after its parameters, a clone's or group's before its members.
  const at = e.name === 'primitive' ? renamed.children.filter((c) => c.name === 'instance_attributes').length : 0;
  return { ...renamed, children: [...renamed.children.slice(0, at), set, ...renamed.children.slice(at)] };
}

const REFERENCES = ['rsc', 'with-rsc', 'first', 'then'];

function renameReferences(e: XmlElement, ids: ReadonlyMap<string, string>): XmlElement {
  const attrs = { ...e.attrs };
  for (const a of REFERENCES) if (attrs[a] && ids.has(attrs[a])) attrs[a] = ids.get(attrs[a])!;
  if (e.name === 'resource_ref' && attrs.id && ids.has(attrs.id)) attrs.id = ids.get(attrs.id)!;
  return { ...e, attrs, children: e.children.map((c) => renameReferences(c, ids)) };
}

/** The generated configuration with adopted resources under their live ids (constraints keep haforge's ids and point at them). */
export function withAdoptedIds(desired: XmlElement, ids: ReadonlyMap<string, string>): XmlElement {
  if (ids.size === 0) return desired;
  return {
    ...desired,
    children: desired.children.map((s) => {
      if (s.name === 'resources') return { ...s, children: s.children.map((r) => adopt(r, ids)) };
      if (s.name === 'constraints') return renameReferences(s, ids);
      return s;
    }),
  };
}
