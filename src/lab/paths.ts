// Where the lab keeps things: a cache shared by all labs (images) and one
// state directory per lab. Both sit outside the repository.
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';

/** Root of the image cache: $HAFORGE_LAB_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/haforge/lab. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAFORGE_LAB_CACHE) return path.resolve(env.HAFORGE_LAB_CACHE);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'haforge', 'lab');
}

/** Root of all labs' state: $HAFORGE_LAB_STATE, else ${XDG_STATE_HOME:-~/.local/state}/haforge/lab. */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAFORGE_LAB_STATE) return path.resolve(env.HAFORGE_LAB_STATE);
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'haforge', 'lab');
}

const LAB_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** Lab names become directory names and QEMU process names: keep them tame. */
export function checkLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new UserError(`invalid lab name "${name}"`, {
      hint: 'use 1-31 characters: lowercase letters, digits and "-", starting with a letter or digit',
    });
  }
  return name;
}

/**
 * The lab an inventory belongs to: the one whose inventory file it is, else
 * the only lab there is. Undefined when that does not say.
 */
export function labOfInventory(inventoryFile: string, root: string = stateRoot()): string | undefined {
  const file = path.resolve(inventoryFile);
  if (path.dirname(path.dirname(file)) === root && path.basename(file) === 'inventory.yaml') return path.basename(path.dirname(file));
  const labs = listLabs(root);
  return labs.length === 1 ? labs[0] : undefined;
}

/** Names of the labs that have a state file. */
export function listLabs(root: string = stateRoot()): string[] {
  try {
    return readdirSync(root).filter((name) => LAB_NAME.test(name) && existsSync(path.join(root, name, 'state.json'))).sort();
  } catch {
    return [];
  }
}

/** Every file of one lab, by what it holds. */
export class LabPaths {
  readonly dir: string;

  constructor(readonly name: string, root: string = stateRoot()) {
    this.dir = path.join(root, checkLabName(name));
  }

  get stateFile(): string { return path.join(this.dir, 'state.json'); }
  get privateKey(): string { return path.join(this.dir, 'id_ed25519'); }
  get publicKey(): string { return `${this.privateKey}.pub`; }
  get knownHosts(): string { return path.join(this.dir, 'known_hosts'); }
  get inventory(): string { return path.join(this.dir, 'inventory.yaml'); }
  get lockFile(): string { return path.join(this.dir, 'lock'); }

  overlay(node: string): string { return path.join(this.dir, `${node}.qcow2`); }
  dataDisk(node: string): string { return path.join(this.dir, `${node}-data.raw`); }
  /** One disk all of the lab's VMs share, for SBD. */
  get sbdDisk(): string { return path.join(this.dir, 'sbd.raw'); }
  serialLog(node: string): string { return path.join(this.dir, `${node}.serial.log`); }
  qmpSocket(node: string): string { return path.join(this.dir, `${node}.qmp`); }
  pidFile(node: string): string { return path.join(this.dir, `${node}.pid`); }
}
