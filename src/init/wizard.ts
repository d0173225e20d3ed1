// Use case: `haforge init`. Gathers the answers for a new inventory from
// flags and, where flags are missing and a person is there, from prompts;
// checks over SSH what it can as it goes (who answers at each address, the
// backing disk on every node); writes the commented inventory atomically,
// after loading it with the real loader.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, UserErrors } from '../errors.js';
import { nicFor } from '../facts/addresses.js';
import { describeSignatures, foreignSignatures, type BlockDeviceState } from '../facts/blockdev.js';
import {
  BMC_AGENT,
  checkFenceParams,
  checkFencing,
  FILESYSTEMS,
  fenceDevices,
  holdsSecret,
  isHostName,
  maskFenceParam,
  parseFenceAgent,
  parseFenceParam,
  parseNodeList,
  parseAddress,
  parseDevice,
  parseMount,
  parseName,
  parseNodeName,
  parseNic,
  parsePaths,
  parsePort,
  parseSshAddress,
  parseUnit,
  parseVip,
  validator,
  type FenceDeviceAnswer,
  type FenceParam,
  type FencingAnswer,
  type InitAnswers,
  type NodeAnswer,
  type NodeFlag,
  type ServiceAnswer,
  type SshDefaults,
  type VipAnswer,
} from './answers.js';
import { expandPath } from '../inventory/load.js';
import type { Stack } from '../inventory/model.js';
import { renderAndCheck } from './write.js';
import { PACKAGE_ROOT } from '../playbook/load.js';
import { didYouMean } from '../schema/suggest.js';
import { exists, writeFileAtomic } from '../util/fs.js';
import type { ConnectOptions } from '../engine/run-context.js';
import { sshProber, type HostInfo, type Prober, type ProbeTarget } from './probe.js';

/** The answers given as flags; anything missing is asked, defaulted, or an error. */
export interface InitGiven {
  cluster?: string;
  nodes: NodeFlag[];
  /** Node name (or its SSH host) -> replication address. */
  replication: Record<string, string>;
  ssh: SshDefaults;
  disk?: string;
  /** Node name -> its own backing disk. */
  nodeDisks: Record<string, string>;
  resource?: string;
  filesystem?: (typeof FILESYSTEMS)[number];
  mount?: string;
  vip?: { address: string; cidrNetmask: number };
  nic?: string;
  stack?: Stack;
  primary?: string;
  services: ServiceAnswer[];
  /** The fencing flags; none given: asked, or (without prompts) left undecided. */
  fencing?: FencingGiven;
}

/** --no-fencing, or --fence-agent with its --fence-param and --fence-targets. */
export interface FencingGiven {
  disabled?: boolean;
  agent?: string;
  params: FenceParam[];
  targets?: string[];
}

export interface InitRequest extends ConnectOptions {
  /** The inventory to write, as the user named it. */
  output: string;
  force?: boolean;
  /** Check the nodes over SSH (default true; --offline turns it off). */
  probe?: boolean;
  given: InitGiven;
}

/** What the wizard needs from a terminal; tests pass scripted answers. */
export interface Prompts {
  input(q: {
    message: string;
    default?: string;
    validate?: (text: string) => true | string;
    /** How the typed text is shown (a password's value as stars). */
    transformer?: (text: string, state: { isFinal: boolean }) => string;
  }): Promise<string>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
  select<T extends string>(q: { message: string; choices: { name: string; value: T }[]; default?: T }): Promise<T>;
}

export interface Note {
  level: 'ok' | 'info' | 'warn';
  text: string;
  hint?: string;
}

export interface InitIO {
  /** Undefined: never ask (--yes, --json, no terminal). */
  prompts?: Prompts;
  /** Called as the wizard learns something (a node answered, a disk is missing ...). */
  say(note: Note): void;
  /** The SSH checks; default: over ssh2 with the request's host key policy. */
  prober?: Prober;
}

export interface InitReport {
  file: string;
  /** The replaced file's copy, with --force. */
  backup?: string;
  cluster: string;
  stack: Stack;
  primary: string;
  nodes: { name: string; address: string; hostname?: string; reachable?: boolean }[];
  probed: boolean;
  notes: Note[];
  /** The loader's own warnings about the written inventory. */
  warnings: string[];
  /** The fencing decision; parameters by name only (their values may be secrets). */
  fencing: FencingReport;
  /** The file's mode: 0600 when it holds a secret (a fence password). */
  mode: '0644' | '0600';
}

export type FencingReport =
  | { state: 'undecided' }
  | { state: 'disabled' }
  | { state: 'devices'; devices: { name: string; agent: string; targets: string[]; params: string[] }[] };

export const SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schemas', 'inventory.schema.json');

/** Required answers missing from the flags, each named by its flag. */
export function missingFlags(given: InitGiven, probing: boolean): string[] {
  const missing: string[] = [];
  if (!given.cluster) missing.push('--cluster NAME');
  if (given.nodes.length < 2) missing.push(`--node [NAME=][USER@]HOST[:PORT] (at least two nodes; ${given.nodes.length} given)`);
  if (!probing) for (const n of given.nodes.filter((x) => !x.name)) missing.push(`--node NAME=${n.host} (without SSH checks a node's name cannot be read with uname -n)`);
  if (!given.disk) missing.push('--disk DEVICE');
  if (!given.mount) missing.push('--mount PATH');
  if (!given.vip) missing.push('--vip ADDRESS[/CIDR]');
  return missing;
}

export async function initInventory(req: InitRequest, io: InitIO): Promise<InitReport> {
  const probing = req.probe !== false;
  const missing = missingFlags(req.given, probing);
  // All required flags given: never ask, even on a terminal (scripts run in terminals too).
  const prompts = missing.length ? io.prompts : undefined;
  if (!prompts && missing.length) {
    throw new UserError(`missing ${missing.length === 1 ? 'a required flag' : 'required flags'}:\n  ${missing.join('\n  ')}`, {
      hint: 'give them as flags (haforge init --help), or run haforge init in a terminal without --yes/--json to be asked',
    });
  }
  if ((await exists(req.output)) && !req.force) throw existsError(req.output);
  const prober = probing ? (io.prober ?? sshProber({ acceptNewHostKeys: req.acceptNewHostKeys, interactive: req.interactive })) : undefined;
  const wizard = new Wizard(req, io, prompts, prober);
  try {
    return await wizard.run();
  } finally {
    await prober?.close();
  }
}

function existsError(file: string): UserError {
  return new UserError(`${file} exists: not overwriting it`, { hint: 'pass --force to replace it (the old file is kept as a .bak copy), or --output OTHER.yaml' });
}

interface NodeState {
  answer: NodeAnswer;
  target: ProbeTarget;
  info?: HostInfo;
}

class Wizard {
  private readonly notes: Note[] = [];
  private readonly nodes: NodeState[] = [];
  private readonly outDir: string;
  /** The fence agent offered: the last one answered. */
  private fenceAgent = 'fence_ipmilan';

  constructor(
    private readonly req: InitRequest,
    private readonly io: InitIO,
    private readonly prompts: Prompts | undefined,
    private readonly prober: Prober | undefined,
  ) {
    this.outDir = path.dirname(path.resolve(req.output));
  }

  async run(): Promise<InitReport> {
    const g = this.req.given;
    const cluster = g.cluster ?? (await this.ask('Cluster name', parseName));
    await this.collectNodes();
    const { disk, nodeDisks } = await this.collectDisk();
    const mount = g.mount ?? (await this.ask('Mount point of the replicated filesystem', parseMount, '/replicated'));
    const vip = await this.collectVip();
    const stack = g.stack ?? (this.prompts ? await this.prompts.select<Stack>({ message: 'Cluster stack', choices: STACK_CHOICES, default: 'pacemaker' }) : 'pacemaker');
    if (stack === 'heartbeat' && !vip.nic && this.prompts) {
      vip.nic = await this.ask('Interface for the VIP and the heartbeats (Heartbeat needs it)', parseNic);
    }
    const names = this.nodes.map((n) => n.answer.name);
    const primary =
      g.primary ??
      (this.prompts ? await this.prompts.select({ message: 'Primary node (DRBD primary first, preferred for the services)', choices: names.map((n) => ({ name: n, value: n })), default: names[0] }) : names[0]!);
    const services = g.services.length || !this.prompts ? g.services : await this.askServices(mount);
    const fencing = await this.collectFencing(stack);

    const answers: InitAnswers = {
      cluster,
      nodes: this.nodes.map((n) => ({ ...n.answer, disk: nodeDisks[n.answer.name] })),
      ssh: this.sshDefaultsForFile(),
      stack,
      primary,
      resource: g.resource ?? 'r0',
      disk,
      filesystem: g.filesystem ?? 'ext4',
      mount,
      vip,
      services,
      fencing,
    };
    // Every answer checked, then the text loaded by the real loader: what is written loads.
    const { text, inventory } = renderAndCheck(answers, { file: this.req.output, schemaRef: this.schemaRef(), path: this.req.output });
    if (this.prompts && !(await this.prompts.confirm({ message: `Write ${this.req.output}?`, default: true }))) {
      throw new UserError('nothing written', { hint: 'run haforge init again; flags skip the questions you already answered' });
    }
    const mode = holdsSecret(answers) ? 0o600 : 0o644;
    const backup = await this.write(text, mode);
    return {
      file: this.req.output,
      backup,
      cluster,
      stack,
      primary,
      nodes: this.nodes.map((n) => ({ name: n.answer.name, address: n.answer.host, hostname: n.info?.hostname, reachable: this.prober ? !!n.info : undefined })),
      probed: !!this.prober,
      notes: this.notes,
      warnings: inventory.warnings,
      fencing: fencingReport(fencing),
      mode: mode === 0o600 ? '0600' : '0644',
    };
  }

  // ---- nodes -----------------------------------------------------------------

  private async collectNodes(): Promise<void> {
    const given = this.req.given.nodes;
    // Every given node at once: the SSH checks of a large cluster overlap.
    if (this.prober) for (const n of given) void this.prober.host(this.target(n));
    for (const n of given) await this.settleNode(n, false);
    while (this.prompts && given.length < 2 && (this.nodes.length < 2 || (await this.prompts.confirm({ message: 'Add another node?', default: false })))) {
      const taken = this.nodes.map((x) => x.answer.host);
      const address = await this.ask(`SSH address of node ${this.nodes.length + 1} ([user@]host[:port])`, (text) => {
        const a = parseSshAddress(text);
        if (taken.includes(a.host)) throw new UserError(`${a.host} is already a node`);
        return a;
      });
      await this.settleNode(address, true);
    }
    const names = this.nodes.map((n) => n.answer.name);
    const known = new Set([...names, ...this.nodes.map((n) => n.answer.host)]);
    for (const [key, address] of Object.entries(this.req.given.replication)) {
      if (!known.has(key)) throw new UserError(`--replication ${key}=${address} names no node${didYouMean(key, names)}`, { hint: `nodes: ${names.join(', ')}` });
    }
    const primary = this.req.given.primary;
    if (primary && !names.includes(primary)) throw new UserError(`--primary ${primary} is not one of the nodes${didYouMean(primary, names)}`, { hint: `nodes: ${names.join(', ')}` });
  }

  private target(n: { host: string; user?: string; port?: number }): ProbeTarget {
    const ssh = this.req.given.ssh;
    const user = n.user ?? ssh.user;
    return {
      host: n.host,
      user,
      port: n.port ?? ssh.port,
      identityFile: ssh.identityFile ? expandPath(ssh.identityFile, process.cwd()) : undefined,
      knownHostsFile: expandPath(ssh.knownHosts ?? '~/.ssh/known_hosts', process.cwd()),
      sudo: user !== undefined && user !== 'root',
    };
  }

  private async settleNode(n: NodeFlag, askName: boolean): Promise<void> {
    const g = this.req.given;
    const target = this.target(n);
    const info = await this.probeHost(target);
    const usable = info && isHostName(info.hostname) ? info.hostname : undefined;
    if (info && !usable) this.say('warn', `${n.host}: uname -n is '${info.hostname}', which cannot be a node name`, 'node names are letters, digits and dashes: set a short host name on the machine (hostnamectl set-hostname)');
    const taken = this.nodes.map((x) => x.answer.name);
    const uniqueName = (text: string) => {
      const name = parseNodeName(text);
      if (taken.includes(name)) throw new UserError(`'${name}' is already a node`);
      return name;
    };
    // A --node without NAME= takes uname -n; a typed address gets it as the default.
    let name = n.name ?? (askName ? undefined : usable);
    if (!name && this.prompts) name = await this.ask(`Name of ${n.host} (as \`uname -n\` prints it)`, uniqueName, usable);
    if (!name) {
      throw new UserError(`--node ${n.host} has no name and it could not be read with uname -n`, { hint: `write --node NAME=${n.host}` });
    }
    if (info && info.hostname !== name) {
      this.say('warn', `${n.host} says \`uname -n\` = ${info.hostname}, not ${name}`, `a node's name must equal its uname -n (the cluster managers go by it): name it ${info.hostname}, or set the host name on the machine`);
    }
    const twin = this.nodes.find((x) => x.info && info && x.info.hostname === info.hostname);
    if (twin) this.say('warn', `${twin.answer.host} and ${n.host} are the same machine (both are ${info!.hostname})`, 'each node must be its own machine');

    let replication: string | undefined = g.replication[name] ?? g.replication[n.host];
    if (replication === undefined && this.prompts) {
      const addrs = info?.addresses.filter((a) => a.nic !== 'lo').map((a) => `${a.address} (${a.nic})`);
      this.say('info', `the replication address carries DRBD and cluster traffic${addrs?.length ? `; ${name} has ${addrs.join(', ')}` : ''}`);
      replication = await this.askOptional(`Replication address of ${name} (empty: ${n.host})`, (t) => parseAddress(t, 'replication address'));
    }
    if (replication && info && /^\d+(\.\d+){3}$/.test(replication) && !info.addresses.some((a) => a.address === replication)) {
      const own = info.addresses.filter((a) => a.nic !== 'lo').map((a) => a.address);
      this.say('warn', `${replication} is not an address of ${name} (it has ${own.join(', ') || 'none'})`, 'DRBD binds to the replication address: it must be configured on the node');
    }
    const answer: NodeAnswer = { name, host: n.host, user: n.user, port: n.port, replicationAddress: replication || undefined };
    if (info && info.uid !== 0 && !target.sudo) {
      answer.sudo = true;
      this.say('info', `${name}: the login is not root (uid ${info.uid}): commands will run through sudo -n (sudo: true)`);
    }
    this.nodes.push({ answer, target: { ...target, sudo: target.sudo || !!answer.sudo }, info });
  }

  private async probeHost(target: ProbeTarget): Promise<HostInfo | undefined> {
    if (!this.prober) return undefined;
    let r = await this.prober.host(target);
    if (!r.ok && r.error.failure === 'host-key-unknown' && r.error.offeredHostKey && this.prompts) {
      this.say('warn', r.error.message);
      if (await this.prompts.confirm({ message: `Trust this host key and record it in ${target.knownHostsFile}?`, default: false })) {
        // Exactly the key just shown: a second connection offering another one is refused.
        r = await this.prober.host(target, { approvedHostKey: r.error.offeredHostKey });
      }
    }
    if (!r.ok) {
      this.say('warn', `${target.host}: not checked over SSH: ${r.error.message}`, r.error.hint);
      return undefined;
    }
    const i = r.value;
    this.say('ok', `${target.host}: uname -n ${i.hostname}, ${i.os || 'unknown OS'}, kernel ${i.kernel}`);
    return i;
  }

  // ---- disk ------------------------------------------------------------------

  private async collectDisk(): Promise<{ disk: string; nodeDisks: Record<string, string> }> {
    const g = this.req.given;
    const names = this.nodes.map((n) => n.answer.name);
    for (const node of Object.keys(g.nodeDisks)) {
      if (!names.includes(node)) throw new UserError(`--disk ${node}=${g.nodeDisks[node]} names no node`, { hint: `nodes: ${names.join(', ')}` });
    }
    for (;;) {
      const disk = g.disk ?? (await this.ask('Backing disk for DRBD, the same device on every node (e.g. /dev/sdb)', parseDevice));
      const ok = await this.checkDisks(disk, g.nodeDisks);
      if (ok || g.disk || !this.prompts || (await this.prompts.confirm({ message: `Use ${disk} anyway?`, default: false }))) return { disk, nodeDisks: g.nodeDisks };
    }
  }

  /** Reports the disk on every reachable node; false when something is wrong with it. */
  private async checkDisks(disk: string, nodeDisks: Record<string, string>): Promise<boolean> {
    const reachable = this.nodes.filter((n) => n.info);
    if (!this.prober || reachable.length === 0) return true;
    const results = await Promise.all(
      reachable.map(async (n) => {
        const device = nodeDisks[n.answer.name] ?? disk;
        return { node: n.answer.name, device, r: await this.prober!.disk(n.target, device) };
      }),
    );
    let ok = true;
    const sizes: { node: string; bytes: number }[] = [];
    for (const { node, device, r } of results) {
      if (!r.ok) {
        ok = false;
        this.say('warn', `${node}: cannot check ${device}: ${r.error.message}`, r.error.hint);
        continue;
      }
      if (!r.value.exists) {
        ok = false;
        this.say('warn', `${node}: ${device} does not exist`, `check the device name with lsblk on ${node}; a node with another name for it: --disk ${node}=/dev/...`);
        continue;
      }
      sizes.push({ node, bytes: r.value.sizeBytes });
      const problem = diskProblem(r.value);
      if (problem) {
        ok = false;
        this.say('warn', `${node}: ${device}, ${size(r.value.sizeBytes)}, ${problem.text}`, problem.hint);
      } else this.say('ok', `${node}: ${device}, ${size(r.value.sizeBytes)}, ${r.value.signatures.some((s) => s.type === 'drbd') ? 'DRBD metadata (from an earlier setup?)' : 'blank'}`);
    }
    const distinct = new Set(sizes.map((s) => s.bytes));
    if (distinct.size > 1) {
      ok = false;
      this.say('warn', `the disks differ in size: ${sizes.map((s) => `${s.node} ${size(s.bytes)}`).join(', ')}`, 'DRBD uses the smallest; the rest of the larger disks is wasted. Use disks (or partitions) of equal size');
    }
    return ok;
  }

  // ---- VIP and services -------------------------------------------------------

  private async collectVip(): Promise<VipAnswer> {
    const g = this.req.given;
    const vip = g.vip ?? (await this.ask('Virtual IP clients use, with its netmask (e.g. 192.0.2.50/24)', parseVip));
    const probed = this.nodes.filter((n) => n.info);
    const guesses = new Set(probed.map((n) => nicFor(vip.address, n.info!.addresses)));
    const guess = guesses.size === 1 ? [...guesses][0] : undefined;
    for (const n of probed) {
      if (!nicFor(vip.address, n.info!.addresses)) this.say('warn', `${n.answer.name} has no address in ${vip.address}/${vip.cidrNetmask}'s network`, 'the VIP goes on an interface in its own subnet: check the address, or give --vip-nic');
      if (n.info!.addresses.some((a) => a.address === vip.address)) this.say('warn', `${vip.address} is already configured on ${n.answer.name}`, 'the VIP must be an unused address');
    }
    let nic = g.nic;
    if (!nic && this.prompts) nic = await this.askOptional('Interface for the VIP (empty: the one routing to it)', parseNic, guess);
    else if (!nic && guess) {
      nic = guess;
      this.say('info', `VIP interface: ${guess} (the nodes' interface in that network; --vip-nic to choose another)`);
    }
    if (nic) {
      for (const n of probed) {
        if (!n.info!.addresses.some((a) => a.nic === nic)) this.say('warn', `${n.answer.name} has no interface ${nic} with an IPv4 address`, `its interfaces: ${[...new Set(n.info!.addresses.map((a) => a.nic))].join(', ')}`);
      }
    }
    return { ...vip, nic };
  }

  private async askServices(mount: string): Promise<ServiceAnswer[]> {
    const p = this.prompts!;
    const services: ServiceAnswer[] = [];
    this.say('info', `services made highly available: their data moves onto ${mount}, the cluster manager starts them on the active node`);
    while (
      await p.confirm({
        message: services.length ? 'Add another service?' : 'Add a service to make highly available?',
        default: services.length === 0,
      })
    ) {
      const taken = services.map((s) => s.name);
      const name = await this.ask('Service name (e.g. web)', (t) => {
        const n = parseName(t, 'service name');
        if (taken.includes(n)) throw new UserError(`service '${n}' is already there`);
        return n;
      });
      const unit = await this.ask(`systemd unit or init script of ${name}`, parseUnit, name);
      const paths = await this.askOptional(`Paths of ${name} to move onto ${mount} (data, config; empty: none)`, parsePaths);
      const port = await this.askOptional(`TCP port of ${name} for the monitor (empty: none)`, (t) => parsePort(t));
      services.push({ name, unit: unit === name ? undefined : unit, paths: paths ?? [], port });
    }
    return services;
  }

  // ---- fencing -------------------------------------------------------------------

  /** Fencing from the flags, else asked (until it is a valid answer), else undecided. */
  private async collectFencing(stack: Stack): Promise<FencingAnswer | undefined> {
    const f = this.req.given.fencing;
    const names = this.nodes.map((n) => n.answer.name);
    if (f && (f.disabled || f.agent || f.params.length || f.targets)) {
      const fencing = fencingFromFlags(f, names);
      // Heartbeat refuses such a device outright (checkFencing): no warning on top.
      if (fencing.enabled && stack !== 'heartbeat') this.warnSharedControllers(fencing.devices);
      return fencing;
    }
    if (!this.prompts) return undefined;
    this.say('info', 'fencing (STONITH) powers off a node that stops answering before its services start on another: a node that only looks dead could otherwise go on writing (split brain)');
    for (;;) {
      const fencing = await this.askFencing(stack, names);
      const errors = checkFencing({ fencing, nodes: this.nodes.map((n) => n.answer), stack });
      if (!errors.length) {
        if (fencing.enabled) this.warnSharedControllers(fencing.devices);
        if (holdsSecret({ fencing })) this.say('info', `the fence password goes into ${this.req.output} only, written with mode 0600; it is never shown`);
        return fencing;
      }
      for (const e of errors) this.say('warn', e.message, e.hint);
      this.say('info', 'fencing again, from the start');
    }
  }

  private async askFencing(stack: Stack, names: string[]): Promise<FencingAnswer> {
    const p = this.prompts!;
    const how = await p.select<'device' | 'none'>({ message: 'Fencing (STONITH)', choices: FENCING_CHOICES, default: 'device' });
    if (how === 'none') return { enabled: false };
    const heartbeat = stack === 'heartbeat';
    const devices: FenceDeviceAnswer[] = [];
    for (;;) {
      const uncovered = names.filter((n) => !devices.some((d) => d.targets.includes(n)));
      const agent = await this.ask(
        heartbeat ? 'Fence agent (Heartbeat drives fence_ipmilan)' : 'Fence agent (from fence-agents: fence_ipmilan, fence_idrac, fence_virsh, fence_vmware_rest, ...)',
        (t) => {
          const a = parseFenceAgent(t);
          if (heartbeat && a !== 'fence_ipmilan') throw new UserError(`Heartbeat cannot drive ${a}`, { hint: 'with the heartbeat stack the agent is fence_ipmilan; choose the pacemaker stack for other agents' });
          return a;
        },
        this.fenceAgent,
      );
      this.fenceAgent = agent; // the default of the next device, or of the next try
      let perNode = true;
      if (heartbeat) this.say('info', 'Heartbeat drives one IPMI controller per node: one fence device per node');
      else {
        const layout = await p.select<'each' | 'one'>({ message: `What does one ${agent} device power off?`, choices: LAYOUT_CHOICES, default: BMC_AGENT.test(agent) ? 'each' : 'one' });
        perNode = layout === 'each';
      }
      const targets = await this.ask(
        perNode ? `Nodes that each have such a device (comma-separated)` : `Nodes this device powers off (comma-separated)`,
        (t) => {
          const list = parseNodeList(t);
          const unknown = list.find((n) => !names.includes(n));
          if (unknown) throw new UserError(`'${unknown}' is not a node${didYouMean(unknown, names)}`, { hint: `nodes: ${names.join(', ')}` });
          return list;
        },
        (uncovered.length ? uncovered : names).join(','),
      );
      const ipmi = BMC_AGENT.test(agent);
      const params = await this.askFenceParams(
        perNode ? `Parameter every node's ${agent} device shares` : `Parameter of the ${agent} device`,
        perNode ? (ipmi ? 'username=admin, password=..., lanplus=1' : 'username=admin, password=...') : 'ip=192.0.2.200, username=admin, password=...',
      );
      if (perNode) {
        for (const node of targets) params.push(...(await this.askFenceParams(`Parameter of ${node}'s own device`, ipmi ? `ip=ADDRESS of ${node}'s controller` : 'ip=ADDRESS', node)));
      }
      devices.push(...fenceDevices(agent, params, targets, perNode, devices.map((d) => d.name)));
      const left = names.filter((n) => !devices.some((d) => d.targets.includes(n)));
      if (!left.length || !(await p.confirm({ message: `No device powers off ${left.join(', ')} yet. Add another fence device?`, default: true }))) {
        return { enabled: true, devices };
      }
    }
  }

  /** NAME=VALUE answers until an empty one; a password is shown as stars while it is typed. */
  private async askFenceParams(label: string, example: string, node?: string): Promise<FenceParam[]> {
    const params: FenceParam[] = [];
    for (;;) {
      const param = await this.askOptional(
        `${label}, as NAME=VALUE (e.g. ${example}; empty: done)`,
        (t) => {
          const p = parseFenceParam(t);
          if (p.node) throw new UserError(`no NODE: here`, { hint: node ? `this is ${node}'s own device: write ${p.name}=VALUE` : "a node's own values are asked next" });
          if (params.some((x) => x.name === p.name)) throw new UserError(`'${p.name}' is already given`);
          return { ...p, node };
        },
        undefined,
        (text) => maskFenceParam(text),
      );
      if (!param) return params;
      params.push(param);
    }
  }

  /** A management controller (IPMI, iLO, iDRAC) powers one machine: one device for several nodes is a mistake. */
  private warnSharedControllers(devices: FenceDeviceAnswer[]): void {
    for (const d of devices.filter((x) => BMC_AGENT.test(x.agent) && x.targets.length > 1)) {
      this.say(
        'warn',
        `fence device '${d.name}': ${d.agent} drives one machine's management controller, but it is to power off ${d.targets.join(', ')}`,
        `give each node its own controller's address, which makes one device per node: ${d.targets.map((t) => `--fence-param ${t}:ip=ADDRESS`).join(' ')}`,
      );
    }
  }

  // ---- output ----------------------------------------------------------------

  /** SSH defaults as the file should say them: relative paths relative to the file, not to the shell. */
  private sshDefaultsForFile(): SshDefaults {
    const s = this.req.given.ssh;
    const rel = (p: string | undefined) => (p === undefined || p.startsWith('~') || path.isAbsolute(p) ? p : path.relative(this.outDir, path.resolve(p)));
    return { user: s.user, port: s.port, identityFile: rel(s.identityFile), knownHosts: rel(s.knownHosts) };
  }

  /** Relative inside haforge's own tree (like inventory.example.yaml); elsewhere a file URL survives moving the inventory. */
  private schemaRef(): string {
    const rel = path.relative(this.outDir, SCHEMA_FILE);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return pathToFileURL(SCHEMA_FILE).href;
    return `./${rel}`;
  }

  private async write(text: string, mode: number): Promise<string | undefined> {
    let backup: string | undefined;
    if (await exists(this.req.output)) {
      if (!this.req.force) throw existsError(this.req.output);
      backup = `${this.req.output}.${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}.bak`;
      await copyFile(this.req.output, backup);
    }
    await writeFileAtomic(this.req.output, text, mode);
    return backup;
  }

  // ---- helpers ---------------------------------------------------------------

  private say(level: Note['level'], text: string, hint?: string): void {
    const note = { level, text, hint };
    this.notes.push(note);
    this.io.say(note);
  }

  /** Asks until parse accepts the answer. */
  private async ask<T>(message: string, parse: (text: string) => T, def?: string): Promise<T> {
    return (await this.input(message, parse, def, false))!;
  }

  /** Asks; an empty answer is undefined. */
  private askOptional<T>(message: string, parse: (text: string) => T, def?: string, transformer?: (text: string) => string): Promise<T | undefined> {
    return this.input(message, parse, def, true, transformer);
  }

  private async input<T>(message: string, parse: (text: string) => T, def: string | undefined, optional: boolean, transformer?: (text: string) => string): Promise<T | undefined> {
    if (!this.prompts) throw new UserError(`no answer for: ${message}`, { hint: 'give it as a flag (see haforge init --help)' });
    const check = validator(parse);
    const text = await this.prompts.input({ message, default: def, validate: (t) => (optional && !t.trim() ? true : check(t)), ...(transformer ? { transformer } : {}) });
    return optional && !text.trim() ? undefined : parse(text);
  }
}

const FENCING_CHOICES: { name: string; value: 'device' | 'none' }[] = [
  { name: 'configure a fence device now    (a BMC: IPMI, iLO, iDRAC; a hypervisor; a power switch)', value: 'device' },
  { name: 'run without fencing on purpose  (split brain stays possible; preflight and status warn about it)', value: 'none' },
];

const LAYOUT_CHOICES: { name: string; value: 'each' | 'one' }[] = [
  { name: 'one node: each node has its own   (a management controller: IPMI, iLO, iDRAC)', value: 'each' },
  { name: 'several nodes: one device for all (a hypervisor, a power switch)', value: 'one' },
];

/** The flags' fencing: --no-fencing, or one agent's devices (one per node when a parameter names a node). */
export function fencingFromFlags(f: FencingGiven, names: string[]): FencingAnswer {
  const fenceFlags = [f.agent && '--fence-agent', f.params.length && '--fence-param', f.targets && '--fence-targets'].filter(Boolean).join(', ');
  if (f.disabled) {
    if (fenceFlags) throw new UserError(`--no-fencing contradicts ${fenceFlags}`, { hint: 'either fence devices (--fence-agent ...), or --no-fencing to run without fencing on purpose' });
    return { enabled: false };
  }
  if (!f.agent) throw new UserError(`${fenceFlags} need${fenceFlags.includes(',') ? '' : 's'} --fence-agent`, { hint: 'e.g. --fence-agent fence_ipmilan (or --no-fencing to run without fencing on purpose)' });
  for (const n of [...(f.targets ?? []), ...f.params.flatMap((p) => (p.node ? [p.node] : []))]) {
    if (!names.includes(n)) throw new UserError(`'${n}' (in --fence-targets or --fence-param) is not a node${didYouMean(n, names)}`, { hint: `nodes: ${names.join(', ')}` });
  }
  const targets = f.targets ?? names;
  const errors = checkFenceParams(f.params, targets);
  if (errors.length) throw errors.length === 1 ? errors[0]! : new UserErrors(errors);
  return { enabled: true, devices: fenceDevices(f.agent, f.params, targets, f.params.some((p) => p.node)) };
}

function fencingReport(f: FencingAnswer | undefined): FencingReport {
  if (!f) return { state: 'undecided' };
  if (!f.enabled) return { state: 'disabled' };
  return { state: 'devices', devices: f.devices.map((d) => ({ name: d.name, agent: d.agent, targets: d.targets, params: Object.keys(d.params) })) };
}

const STACK_CHOICES: { name: string; value: Stack }[] = [
  { name: 'pacemaker  (Corosync + Pacemaker: current, resource-level monitoring)', value: 'pacemaker' },
  { name: 'heartbeat  (Heartbeat v1 haresources: simple, for older systems)', value: 'heartbeat' },
];

function diskProblem(s: BlockDeviceState): { text: string; hint: string } | undefined {
  if (!s.exists) return undefined;
  if (s.mountpoint) return { text: `mounted on ${s.mountpoint}`, hint: 'a DRBD backing disk must not be mounted: pick another disk, or unmount it (and remove it from /etc/fstab)' };
  if (s.unreadable) return { text: `signatures unreadable (${s.unreadable})`, hint: 'haforge reads the disk before it touches it; check that the login can read it (root or sudo)' };
  const foreign = foreignSignatures(s);
  if (foreign.length) return { text: `holds ${describeSignatures(foreign)}`, hint: 'haforge builds DRBD only on blank disks: wipe it if the data is disposable (wipefs -a), or set reuse: true on the resource to keep it' };
  const parts = s.children.filter((c) => c.type === 'part');
  if (parts.length) return { text: `has partitions (${parts.map((c) => c.name).join(', ')})`, hint: 'give the partition to use (e.g. /dev/sdb1), or wipe the disk if its data is disposable' };
  return undefined;
}

function size(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
