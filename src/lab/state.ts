// state.json: what `lab up` decided (ports, networks, nodes) so later
// commands (status, kill, start, cut, down) act on the same lab.
import { promises as fs } from 'node:fs';
import { BugError, UserError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { LinkId, McastEndpoint } from './network.js';
import type { LabPaths } from './paths.js';

export type Accel = 'tcg' | 'kvm';
export type StackName = 'heartbeat' | 'pacemaker';

export interface NodeState {
  name: string;
  index: number;
  sshPort: number;
  addresses: Record<LinkId, string>;
  /** Private links currently cut by `lab cut` (re-applied when the node is started again). */
  cut: LinkId[];
}

export interface LabState {
  version: 1;
  name: string;
  createdAt: string;
  imageHash: string;
  kernel: string;
  initrd: string;
  base: string;
  accel: Accel;
  memoryMiB: number;
  /** Virtual CPUs per VM; state files written before it existed mean 1. */
  cpus?: number;
  diskSizeMiB: number;
  stack: StackName;
  /** Every VM has the shared SBD disk and a watchdog; state files written before it existed have neither. */
  sbd?: boolean;
  mcast: Record<LinkId, McastEndpoint>;
  /** DNS domain of the VMs' host names (node1.<domain>); none: the host names are the short names. */
  domain?: string;
  /** The DRBD the VMs' kernel loads: LINBIT's 9.x built into the image (its tag), or none: the kernel's own 8.4. */
  drbd9?: string;
  nodes: NodeState[];
}

/** A VM's host name (`uname -n`), which is its name in the lab's inventory: node1, or node1.<domain>. */
export function hostName(state: LabState, node: NodeState): string {
  return state.domain ? `${node.name}.${state.domain}` : node.name;
}

export async function readState(paths: LabPaths): Promise<LabState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(paths.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const state = JSON.parse(text) as LabState;
    if (state.version !== 1) throw new Error(`unknown version ${String(state.version)}`);
    return state;
  } catch (err) {
    throw new UserError(`the lab state file ${paths.stateFile} is damaged: ${(err as Error).message}`, {
      hint: `remove the lab with \`haforge lab down --name ${paths.name}\``,
    });
  }
}

export async function requireState(paths: LabPaths): Promise<LabState> {
  const state = await readState(paths);
  if (!state) {
    throw new UserError(`there is no lab named "${paths.name}"`, { hint: `start one with \`haforge lab up --name ${paths.name}\`` });
  }
  return state;
}

export async function writeState(paths: LabPaths, state: LabState): Promise<void> {
  await writeFileAtomic(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** A node by its lab name (node1) or its host name (the inventory's name for it). */
export function findNode(state: LabState, name: string): NodeState {
  const node = state.nodes.find((n) => n.name === name || hostName(state, n) === name);
  if (!node) {
    throw new UserError(`lab "${state.name}" has no node "${name}"`, { hint: `its nodes are ${state.nodes.map((n) => n.name).join(', ')}` });
  }
  return node;
}

export function nodeIndex(state: LabState, name: string): number {
  const i = state.nodes.findIndex((n) => n.name === name);
  if (i < 0) throw new BugError(`node ${name} vanished from the state`);
  return i;
}
