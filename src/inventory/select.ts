// Host selectors of a play: all, primary, secondaries, a node, a group or a
// cluster name. Selectors are resolved per cluster and united.
import { UserError, type SourcePosition } from '../errors.js';
import { didYouMean } from '../schema/suggest.js';
import type { Inventory, NodeSpec } from './model.js';

export function selectHosts(inventory: Inventory, selectors: readonly string[], position?: SourcePosition): NodeSpec[] {
  const chosen = new Set<NodeSpec>();
  for (const selector of selectors) {
    let matched = false;
    for (const cluster of inventory.clusters) {
      const pick = (nodes: NodeSpec[]) => {
        nodes.forEach((n) => chosen.add(n));
        matched = true;
      };
      if (selector === 'all' || selector === cluster.name) pick(cluster.nodes);
      else if (selector === 'primary') pick(cluster.nodes.filter((n) => n.name === cluster.primary));
      else if (selector === 'secondaries') pick(cluster.nodes.filter((n) => n.name !== cluster.primary));
      else if (cluster.groups[selector]) pick(cluster.nodes.filter((n) => cluster.groups[selector]!.includes(n.name)));
      else {
        const node = cluster.nodes.find((n) => n.name === selector);
        if (node) pick([node]);
      }
    }
    if (!matched) {
      const names = ['all', 'primary', 'secondaries', ...inventory.clusters.flatMap((c) => [c.name, ...Object.keys(c.groups), ...c.nodes.map((n) => n.name)])];
      throw new UserError(`host selector '${selector}' matches nothing in ${inventory.file}${didYouMean(selector, names)}`, {
        position,
        hint: 'use all, primary, secondaries, or a node, group or cluster name from the inventory',
      });
    }
  }
  // Keep inventory order, whatever the selector order.
  return inventory.clusters.flatMap((c) => c.nodes).filter((n) => chosen.has(n));
}

/** Restricts to --limit names (nodes, groups or clusters). */
export function limitHosts(inventory: Inventory, hosts: NodeSpec[], limit: readonly string[] | undefined): NodeSpec[] {
  if (!limit?.length) return hosts;
  const allowed = new Set(selectHosts(inventory, limit));
  return hosts.filter((h) => allowed.has(h));
}
