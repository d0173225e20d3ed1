// Use case: `haforge init`. Gathers the answers for a new inventory from
// flags and, where flags are missing and a person is there, from prompts;
// checks over SSH what it can as it goes (who answers at each address, the
// backing disk on every node); writes the commented inventory atomically,
// after loading it with the real loader.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import { nicFor } from '../facts/addresses.js';
import { describeSignatures, foreignSignatures, type BlockDeviceState } from '../facts/blockdev.js';
import {
  FILESYSTEMS,
  isName,
  parseAddress,
  parseDevice,
  parseMount,
  parseName,
  parseNic,
  parsePaths,
  parsePort,
  parseSshAddress,
  parseUnit,
  parseVip,
  validator,
  type InitAnswers,
  type NodeAnswer,
  type NodeFlag,
  type ServiceAnswer,
  type SshDefaults,
  type VipAnswer,
} from '../inventory/answers.js';
import { expandPath } from '../inventory/load.js';
import type { Stack } from '../inventory/model.js';
import { renderAndCheck } from '../inventory/write.js';
import { PACKAGE_ROOT } from '../playbook/load.js';
import { didYouMean } from '../schema/suggest.js';
import { exists, writeFileAtomic } from '../util/fs.js';
import type { ConnectOptions } from './connect.js';
import { sshProber, type HostInfo, type Prober, type ProbeTarget } from './init-probe.js';

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
  input(q: { message: string; default?: string; validate?: (text: string) => true | string }): Promise<string>;
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
}

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
    };
    // Every answer checked, then the text loaded by the real loader: what is written loads.
    const { text, inventory } = renderAndCheck(answers, { file: this.req.output, schemaRef: this.schemaRef(), path: this.req.output });
    if (this.prompts && !(await this.prompts.confirm({ message: `Write ${this.req.output}?`, default: true }))) {
      throw new UserError('nothing written', { hint: 'run haforge init again; flags skip the questions you already answered' });
    }
    const backup = await this.write(text);
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
    const usable = info && isName(info.hostname) ? info.hostname : undefined;
    if (info && !usable) this.say('warn', `${n.host}: uname -n is '${info.hostname}', which cannot be a node name`, 'node names are letters, digits and dashes: set a short host name on the machine (hostnamectl set-hostname)');
    const taken = this.nodes.map((x) => x.answer.name);
    const uniqueName = (text: string) => {
      const name = parseName(text, 'node name');
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
    if (!r.ok && r.error.failure === 'host-key-unknown' && this.prompts) {
      this.say('warn', r.error.message);
      if (await this.prompts.confirm({ message: `Trust this host key and record it in ${target.knownHostsFile}?`, default: false })) {
        r = await this.prober.host(target, { acceptNewHostKey: true });
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

  private async write(text: string): Promise<string | undefined> {
    let backup: string | undefined;
    if (await exists(this.req.output)) {
      if (!this.req.force) throw existsError(this.req.output);
      backup = `${this.req.output}.${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}.bak`;
      await copyFile(this.req.output, backup);
    }
    await writeFileAtomic(this.req.output, text, 0o644);
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
  private askOptional<T>(message: string, parse: (text: string) => T, def?: string): Promise<T | undefined> {
    return this.input(message, parse, def, true);
  }

  private async input<T>(message: string, parse: (text: string) => T, def: string | undefined, optional: boolean): Promise<T | undefined> {
    if (!this.prompts) throw new UserError(`no answer for: ${message}`, { hint: 'give it as a flag (see haforge init --help)' });
    const check = validator(parse);
    const text = await this.prompts.input({ message, default: def, validate: (t) => (optional && !t.trim() ? true : check(t)) });
    return optional && !text.trim() ? undefined : parse(text);
  }
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
