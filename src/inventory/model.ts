// The inventory as the rest of haforge sees it: resolved, typed, merged.

export type Stack = 'heartbeat' | 'pacemaker';
export type Vars = Record<string, unknown>;

export interface SshSettings {
  /** Where to connect (ssh.host, else the node's address). */
  host: string;
  user?: string;
  port?: number;
  identityFile?: string;
  knownHostsFile: string;
  proxyJump?: string;
}

export interface NodeSpec {
  name: string;
  cluster: string;
  address: string;
  replicationAddress?: string;
  ssh: SshSettings;
  sudo: boolean;
  /** Groups the node is a member of, in inventory order. */
  groups: string[];
  /** Variables merged by precedence (defaults < cluster < groups < node). */
  vars: Vars;
}

export interface ClusterSpec {
  name: string;
  stack: Stack;
  primary: string;
  nodes: NodeSpec[];
  groups: Record<string, string[]>;
  vars: Vars;
}

export interface Inventory {
  file: string;
  clusters: ClusterSpec[];
}

/** Names templates see beside user variables; a variable may not take them. */
export const RESERVED_VARS = ['node', 'cluster', 'nodes', 'facts', 'primary', 'peers'] as const;
