// Loads and checks an inventory file: schema first, then cross-references
// (groups name real nodes, primary is a member, node names are unique).
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError, UserErrors } from '../errors.js';
import { parseAndValidate, readYamlFile } from '../schema/load.js';
import { didYouMean } from '../schema/suggest.js';
import { inventorySchema } from './schema.js';
import { resolveDrbd, type RawDrbd } from '../drbd/resources.js';
import { resolveServices, resolveVip, type RawService, type RawVip } from './services.js';
import { checkAddresses, checkPaths, checkServiceFiles, checkStackLimits, checkQuiescentPaths } from './checks.js';
import { checkUdpPorts, resolveCorosync, resolveFencing, resolveHeartbeat, resolvePacemaker, type RawCorosync, type RawFencing, type RawHeartbeat, type RawPacemaker } from './stack.js';
import { RESERVED_VARS, type ClusterSpec, type Inventory, type NodeSpec, type Stack, type Vars } from './model.js';

interface RawSsh {
  host?: string;
  user?: string;
  port?: number;
  identity_file?: string;
  known_hosts?: string;
  proxy_jump?: string;
}
interface RawNode {
  address: string;
  replication_address?: string;
  ring1_address?: string;
  ssh?: RawSsh;
  sudo?: boolean;
  disks?: Record<string, string>;
  vars?: Vars;
}
interface RawCluster {
  stack?: Stack;
  primary?: string;
  vars?: Vars;
  groups?: Record<string, { nodes: string[]; vars?: Vars }>;
  nodes: Record<string, RawNode>;
  drbd?: RawDrbd;
  services?: Record<string, RawService>;
  vip?: RawVip;
  ping_nodes?: string[];
  drill?: { quiescent?: string[] };
  heartbeat?: RawHeartbeat;
  corosync?: RawCorosync;
  pacemaker?: RawPacemaker;
  fencing?: RawFencing;
}
interface RawInventory {
  version: 1;
  defaults?: { ssh?: RawSsh; sudo?: boolean; vars?: Vars };
  clusters: Record<string, RawCluster>;
}

export async function loadInventory(file: string): Promise<Inventory> {
  return parseInventory(file, await readYamlFile(file, 'inventory'));
}

export function parseInventory(file: string, text: string): Inventory {
  const { value: raw, positions } = parseAndValidate<RawInventory>(file, text, inventorySchema);
  const errors: UserError[] = [];
  const warnings: string[] = [];
  const at = (...p: (string | number)[]) => positions.of(p);
  const baseDir = path.dirname(path.resolve(file));

  const checkVars = (vars: Vars | undefined, where: (string | number)[]) => {
    for (const key of Object.keys(vars ?? {})) {
      if ((RESERVED_VARS as readonly string[]).includes(key)) {
        errors.push(
          new UserError(`variable '${key}' is reserved`, {
            position: at(...where, key),
            hint: `rename it; templates see ${RESERVED_VARS.join(', ')} as built-in names`,
          }),
        );
      }
    }
  };
  checkVars(raw.defaults?.vars, ['defaults', 'vars']);

  const clusters: ClusterSpec[] = [];
  const seenNodes = new Map<string, string>();
  const clusterEntries = Object.entries(raw.clusters ?? {});
  if (clusterEntries.length === 0) {
    errors.push(new UserError('the inventory defines no cluster', { position: at('clusters'), hint: 'see inventory.example.yaml' }));
  }

  for (const [clusterName, rc] of clusterEntries) {
    const nodeNames = Object.keys(rc.nodes ?? {});
    if (nodeNames.length === 0) {
      errors.push(new UserError(`cluster '${clusterName}' has no nodes`, { position: at('clusters', clusterName, 'nodes') }));
      continue;
    }
    checkVars(rc.vars, ['clusters', clusterName, 'vars']);

    const groups: Record<string, string[]> = {};
    for (const [groupName, g] of Object.entries(rc.groups ?? {})) {
      checkVars(g.vars, ['clusters', clusterName, 'groups', groupName, 'vars']);
      if (nodeNames.includes(groupName)) {
        errors.push(
          new UserError(`group '${groupName}' has the name of a node`, {
            position: at('clusters', clusterName, 'groups', groupName),
            hint: 'host selectors would be ambiguous: rename the group',
          }),
        );
      }
      g.nodes.forEach((member, i) => {
        if (!nodeNames.includes(member)) {
          errors.push(
            new UserError(`group '${groupName}' names unknown node '${member}'${didYouMean(member, nodeNames)}`, {
              position: at('clusters', clusterName, 'groups', groupName, 'nodes', i),
              hint: `nodes of cluster '${clusterName}': ${nodeNames.join(', ')}`,
            }),
          );
        }
      });
      groups[groupName] = g.nodes;
    }

    const primary = rc.primary ?? nodeNames[0]!;
    if (!nodeNames.includes(primary)) {
      errors.push(
        new UserError(`primary '${primary}' is not a node of cluster '${clusterName}'${didYouMean(primary, nodeNames)}`, {
          position: at('clusters', clusterName, 'primary'),
          hint: `choose one of ${nodeNames.join(', ')}`,
        }),
      );
    }

    const clusterVars: Vars = { ...raw.defaults?.vars, ...rc.vars };
    const nodeDisks = Object.fromEntries(Object.entries(rc.nodes).map(([n, rn]) => [n, rn.disks]));
    const drbd = rc.drbd ? resolveDrbd(clusterName, rc.drbd, nodeDisks, errors, warnings, at) : undefined;
    if (!rc.drbd) {
      for (const [n, rn] of Object.entries(rc.nodes)) {
        if (rn.disks) errors.push(new UserError(`node '${n}' has disks: but the cluster has no drbd: section`, { position: at('clusters', clusterName, 'nodes', n, 'disks') }));
      }
    }
    const nodes: NodeSpec[] = [];
    for (const [nodeName, rn] of Object.entries(rc.nodes)) {
      const previous = seenNodes.get(nodeName);
      if (previous) {
        errors.push(
          new UserError(`node '${nodeName}' is already defined in cluster '${previous}'`, {
            position: at('clusters', clusterName, 'nodes', nodeName),
            hint: 'node names are host names and must be unique in an inventory',
          }),
        );
      }
      seenNodes.set(nodeName, clusterName);
      checkVars(rn.vars, ['clusters', clusterName, 'nodes', nodeName, 'vars']);
      const memberOf = Object.entries(groups)
        .filter(([, members]) => members.includes(nodeName))
        .map(([g]) => g);
      const groupVars = Object.assign({}, ...memberOf.map((g) => rc.groups?.[g]?.vars ?? {})) as Vars;
      const ssh = { ...raw.defaults?.ssh, ...rn.ssh };
      nodes.push({
        name: nodeName,
        cluster: clusterName,
        address: rn.address,
        replicationAddress: rn.replication_address,
        ring1Address: rn.ring1_address,
        ssh: {
          host: ssh.host ?? rn.address,
          user: ssh.user,
          port: ssh.port,
          identityFile: ssh.identity_file ? expandPath(ssh.identity_file, baseDir) : undefined,
          knownHostsFile: expandPath(ssh.known_hosts ?? '~/.ssh/known_hosts', baseDir),
          proxyJump: ssh.proxy_jump,
        },
        sudo: rn.sudo ?? raw.defaults?.sudo ?? false,
        groups: memberOf,
        vars: { ...clusterVars, ...groupVars, ...rn.vars },
        disks: drbd?.disks[nodeName] ?? {},
      });
    }
    const stack = rc.stack ?? 'pacemaker';
    const vip = resolveVip(rc.vip);
    const ring1Count = Object.values(rc.nodes).filter((n) => n.ring1_address).length;
    const services = resolveServices(clusterName, rc.services, drbd?.spec, errors, at, baseDir);
    checkPaths(clusterName, drbd?.spec, services, errors, at);
    checkServiceFiles(clusterName, services, errors, at);
    checkAddresses(clusterName, nodes, vip, drbd?.spec, errors, warnings, at);
    checkStackLimits(clusterName, stack, nodes.length, services, errors, at);
    checkQuiescentPaths(clusterName, drbd?.spec, services, rc.drill?.quiescent ?? [], errors, at);
    clusters.push({
      name: clusterName,
      stack,
      primary,
      nodes,
      groups,
      vars: clusterVars,
      drbd: drbd?.spec,
      services,
      vip,
      pingNodes: rc.ping_nodes ?? [],
      drill: { quiescent: rc.drill?.quiescent ?? [] },
      // Only the chosen stack's settings are checked: the other one's may be incomplete.
      heartbeat: stack === 'heartbeat' ? resolveHeartbeat(clusterName, rc.heartbeat, errors, warnings, at) : undefined,
      corosync: stack === 'pacemaker' ? resolveCorosync(clusterName, rc.corosync, ring1Count, nodeNames.length, errors, at) : undefined,
      pacemaker: stack === 'pacemaker' ? resolvePacemaker(rc.pacemaker) : undefined,
      fencing: resolveFencing(clusterName, stack, rc.fencing, nodeNames, errors, at),
    });
  }
  checkUdpPorts(clusters, errors, at);

  if (errors.length > 0) throw new UserErrors(errors);
  return { file, clusters, warnings };
}

/** ~ is the user's home; a relative path is relative to the inventory file. */
export function expandPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}

export function allNodes(inventory: Inventory): NodeSpec[] {
  return inventory.clusters.flatMap((c) => c.nodes);
}

export function findNode(inventory: Inventory, name: string): NodeSpec {
  const node = allNodes(inventory).find((n) => n.name === name);
  if (!node) {
    const names = allNodes(inventory).map((n) => n.name);
    throw new UserError(`no node '${name}' in ${inventory.file}${didYouMean(name, names)}`, {
      hint: `nodes: ${names.join(', ')}`,
    });
  }
  return node;
}
