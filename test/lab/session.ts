// One lab for one test file: booted in a private state root, with the
// commands every lab test needs (lab subcommands, strict ssh, apply with
// an audit log). lab.test.ts builds its own: booting is what it tests.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { LabStatus } from '../../src/services/lab.js';
import { builtCliMissing, runCli, strictSsh, type Ran } from './cli.js';

export interface Applied {
  ran: Ran;
  report: any;
  audit: any[];
}

export interface LabSession {
  stateRoot: string;
  env: NodeJS.ProcessEnv;
  status: LabStatus;
  lab(cmd: string, ...args: string[]): Promise<Ran>;
  /** Runs a command on a node (killed after `timeoutMs`, default 60 s); whatever it printed until then is in the result. */
  sshRaw(node: string, command: string, timeoutMs?: number): Promise<Ran>;
  /** Runs a command on a node; throws unless it exits 0. */
  ssh(node: string, command: string): Promise<string>;
  apply(inventory: string, playbook: string, ...args: string[]): Promise<Applied>;
  /** `haforge bootstrap --yes --json` with an audit log. */
  bootstrap(inventory: string, ...args: string[]): Promise<Applied>;
  /** The lab's own inventory with keys of its cluster replaced, written as `file` in the state root; returns the path. */
  inventory(file: string, cluster: Record<string, unknown>): Promise<string>;
  /** The lab's own inventory as `edit` changes it, written as `file` in the state root; returns the path. */
  inventoryWith(file: string, edit: (inventory: any) => void): Promise<string>;
  /** lab down and the state root removed. */
  close(): Promise<void>;
}

/** Boots `name` (2 VMs, or `nodes`; host names qualified with `domain` if given) under a fresh state root in the temp dir (a short path: unix sockets must stay under 108 bytes). */
export async function openLab(name: string, prefix: string, opts: { nodes?: number; domain?: string } = {}): Promise<LabSession> {
  const missing = builtCliMissing();
  if (missing) throw new Error(missing);
  const stateRoot = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const env = { ...process.env, HAFORGE_LAB_STATE: stateRoot };
  const lab = (cmd: string, ...args: string[]) => runCli(['lab', cmd, '--name', name, ...args], env);
  const up = await lab('up', ...(opts.nodes ? ['--nodes', String(opts.nodes)] : []), ...(opts.domain ? ['--domain', opts.domain] : []));
  if (up.code !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
  const status = JSON.parse((await lab('status', '--json')).stdout) as LabStatus;
  const sshRaw = (node: string, command: string, timeoutMs?: number) => {
    const n = status.nodes.find((x) => x.name === node)!;
    return strictSsh({ port: n.sshPort, identityFile: path.join(status.stateDir, 'id_ed25519'), knownHosts: path.join(status.stateDir, 'known_hosts') }, command, timeoutMs);
  };
  /** A changing command with --yes --json and an audit log: its report and every command it ran. */
  const audited = async (args: string[]): Promise<Applied> => {
    const auditFile = path.join(stateRoot, `audit-${Date.now()}.jsonl`);
    const ran = await runCli([...args, '--yes', '--json', '--audit-log', auditFile], env, 20 * 60_000);
    const audit = (await fs.readFile(auditFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    try {
      return { ran, report: JSON.parse(ran.stdout), audit };
    } catch {
      throw new Error(`${args[0]} ${args[3] ?? ''} printed no JSON (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    }
  };
  const inventoryWith = async (file: string, edit: (inventory: any) => void) => {
    const inv = parse(await fs.readFile(status.inventory, 'utf8'));
    edit(inv);
    const out = path.join(stateRoot, file);
    await fs.writeFile(out, stringify(inv));
    return out;
  };
  return {
    stateRoot,
    env,
    status,
    lab,
    sshRaw,
    async ssh(node, command) {
      const r = await sshRaw(node, command);
      if (r.code !== 0) throw new Error(`${node}: ${command} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    apply: (inventory, playbook, ...args) => audited(['apply', '-i', inventory, playbook, ...args]),
    bootstrap: (inventory, ...args) => audited(['bootstrap', '-i', inventory, ...args]),
    inventory: (file, cluster) => inventoryWith(file, (inv) => Object.assign(inv.clusters.lab, cluster)),
    inventoryWith,
    async close() {
      // To look at a failure on the live VMs: HAFORGE_LAB_KEEP=1 leaves the lab running (lab down --name NAME ends it).
      if (process.env.HAFORGE_LAB_KEEP) return console.info(`lab ${name} kept: HAFORGE_LAB_STATE=${stateRoot}`);
      await lab('down');
      await fs.rm(stateRoot, { recursive: true, force: true });
    },
  };
}
