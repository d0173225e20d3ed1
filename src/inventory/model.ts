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
  /** DRBD resource name -> this node's backing device (after partitioning, if asked). */
  disks: Record<string, string>;
}

export interface DrbdResourceSpec {
  name: string;
  minor: number;
  /** /dev/drbd<minor> */
  device: string;
  port: number;
  /** The whole disk per node, when `partition` asks haforge to partition it. */
  wholeDisks?: Record<string, string>;
  filesystem: 'ext4' | 'xfs';
  mount?: string;
  mountOptions: string;
  reuse: boolean;
}

export type AfterSplitBrain = { pri0: string; pri1: string; pri2: string };

export interface DrbdSpec {
  resources: DrbdResourceSpec[];
  protocol: 'A' | 'B' | 'C';
  resyncRate: string;
  cPlanAhead?: number;
  onIoError: string;
  afterSb: AfterSplitBrain;
}

export interface ServiceSpec {
  name: string;
  unit: string;
  package?: string;
  paths: string[];
  port?: number;
  /** DRBD resource whose filesystem holds the paths. */
  resource?: string;
}

export interface VipSpec {
  address: string;
  cidrNetmask: number;
  nic?: string;
}

export interface ClusterSpec {
  name: string;
  stack: Stack;
  primary: string;
  nodes: NodeSpec[];
  groups: Record<string, string[]>;
  vars: Vars;
  drbd?: DrbdSpec;
  services: ServiceSpec[];
  vip?: VipSpec;
}

export interface Inventory {
  file: string;
  clusters: ClusterSpec[];
  /** Valid but risky choices (e.g. automatic split-brain policies), said on every validate/preflight. */
  warnings: string[];
}

/** Names templates see beside user variables; a variable may not take them. */
export const RESERVED_VARS = ['node', 'cluster', 'nodes', 'facts', 'primary', 'peers', 'item'] as const;
