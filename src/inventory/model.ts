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
  /** Address on a second cluster network (Corosync link 1, a second Heartbeat path). */
  ring1Address?: string;
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

export interface ServiceAgent {
  class: 'systemd' | 'lsb' | 'ocf';
  /** ocf only: heartbeat, linbit, ... */
  provider?: string;
  /** The unit, init script or OCF agent name. */
  type: string;
}

export interface ServiceSpec {
  name: string;
  unit: string;
  /** How the cluster manager starts, stops and monitors it. */
  agent: ServiceAgent;
  /** OCF agent parameters. */
  params: Record<string, string>;
  /** Pacemaker meta attributes of its resource (allow-migrate, resource-stickiness, ...). */
  meta: Record<string, string>;
  package?: string;
  paths: string[];
  port?: number;
  /** DRBD resource whose filesystem holds the paths. */
  resource?: string;
  /** Configuration files haforge writes for it (bind-address, a module enabled, ...). */
  files: ServiceFile[];
}

export interface ServiceFile {
  path: string;
  /** Exactly one of content and template. */
  content?: string;
  /** A template file next to the inventory, as an absolute path (rendered like a playbook's, with the node's facts). */
  template?: string;
  mode?: string;
  /** The mount point the path lies on through a relocated path: written only where it is mounted. */
  volume?: string;
}

export interface VipSpec {
  address: string;
  cidrNetmask: number;
  nic?: string;
}

export interface HeartbeatSpec {
  keepalive: number;
  warntime: number;
  deadtime: number;
  initdead: number;
  autoFailback: boolean;
  udpport: number;
  comm: 'ucast' | 'bcast' | 'mcast';
  /** Absent: the interface that carries the node's replication address (from facts). */
  interface?: string;
  mcastGroup: string;
  serial?: string;
  logfacility: string;
  auth: 'sha1' | 'md5';
}

export interface CorosyncSpec {
  /** ms */
  token: number;
  /** ms */
  consensus: number;
  cryptoCipher: string;
  cryptoHash: string;
  /** Link 1 on every node's ring1Address. */
  secondLink: boolean;
}

export interface PacemakerSpec {
  resourceStickiness: number;
  migrationThreshold: number;
  failureTimeout: string;
  monitorInterval: string;
  noQuorumPolicy: string;
  properties: Record<string, string>;
}

export interface FenceDevice {
  name: string;
  agent: string;
  targets: string[];
  /** Values of parameters matching SECRET_NAME (util/secrets.ts) are secrets. */
  params: Record<string, string>;
}

/** SBD: fencing through a shared disk and a watchdog on every node. */
export interface SbdSpec {
  /** The shared disks (one to three), the same disks on every node. */
  devices: string[];
  /** Each node's watchdog device. */
  watchdog: string;
  /** Seconds a node's watchdog waits for sbd before it resets the node. */
  watchdogTimeout: number;
  /** Seconds after a poison pill is written until its target counts as fenced. */
  msgwait: number;
}

export interface FencingSpec {
  enabled: boolean;
  devices: FenceDevice[];
  sbd?: SbdSpec;
}

export interface DrillSpec {
  /** Paths on the replicated volume nothing writes to: the drill checksums them before and after the failure. */
  quiescent: string[];
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
  /** Hosts whose reachability decides where services may run (Heartbeat ping, Pacemaker ping resource). */
  pingNodes: string[];
  drill: DrillSpec;
  heartbeat?: HeartbeatSpec;
  corosync?: CorosyncSpec;
  pacemaker?: PacemakerSpec;
  /** Absent: the inventory says nothing, and the cluster manager is not configured. */
  fencing?: FencingSpec;
}

export interface Inventory {
  file: string;
  clusters: ClusterSpec[];
  /** Valid but risky choices (e.g. automatic split-brain policies), said on every validate/preflight. */
  warnings: string[];
}

/** Names templates see beside user variables; a variable may not take them. */
export const RESERVED_VARS = ['node', 'cluster', 'nodes', 'facts', 'primary', 'peers', 'item'] as const;
