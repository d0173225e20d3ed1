// Where and how to connect to a target: inventory values win over
// ~/.ssh/config, which wins over defaults.
import os from 'node:os';
import path from 'node:path';
import { expandPath, lookupHost, parseProxyJump, type JumpHop, type SshConfigBlock } from './ssh-config.js';

/** One host as the inventory describes it. */
export interface SshTarget {
  /** The node's name (its `uname -n`); used in every message. */
  name: string;
  /** Address or ssh config alias. */
  host: string;
  port?: number;
  user?: string;
  identityFile?: string;
  /** Default: UserKnownHostsFile from ssh config, then ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Run commands through `sudo -n` (when the user is not root). */
  sudo?: boolean;
  /** `[user@]host[:port]`, comma separated hops, or `none`. */
  proxyJump?: string;
}

/** A fully resolved hop: what to dial and how to log in. */
export interface Endpoint {
  /** For messages: the node name, or the jump host as written. */
  label: string;
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** Whether identityFiles were named by the user (then problems are errors). */
  explicitIdentity: boolean;
  knownHostsFile: string;
}

export interface ResolvedTarget extends Endpoint {
  sudo: boolean;
  /** Jump hosts in order (first is dialled directly). */
  jumps: Endpoint[];
}

export interface LocalEnv {
  home: string;
  localUser: string;
}

export function localEnv(): LocalEnv {
  return { home: os.homedir(), localUser: os.userInfo().username };
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export function resolveTarget(target: SshTarget, config: SshConfigBlock[], env: LocalEnv = localEnv()): ResolvedTarget {
  const main = resolveEndpoint(
    { label: target.name, host: target.host, port: target.port, user: target.user, identityFile: target.identityFile },
    config,
    env,
    target.knownHostsFile,
  );
  const jumpSpec = target.proxyJump ?? lookupHost(config, target.host).proxyJump;
  const hops: JumpHop[] = jumpSpec ? parseProxyJump(jumpSpec) : [];
  const jumps = hops.map((hop) => {
    // A jump host is looked up in ssh config too; its key is checked in the
    // target's known_hosts. Without a key of its own it uses the target's.
    const jump = resolveEndpoint({ label: `jump host ${hop.host}`, ...hop }, config, env, main.knownHostsFile);
    return jump.explicitIdentity || !main.explicitIdentity
      ? jump
      : { ...jump, identityFiles: [...main.identityFiles, ...jump.identityFiles], explicitIdentity: false };
  });
  return { ...main, sudo: target.sudo ?? false, jumps };
}

function resolveEndpoint(
  given: { label: string; host: string; port?: number; user?: string; identityFile?: string },
  config: SshConfigBlock[],
  env: LocalEnv,
  knownHostsFile: string | undefined,
): Endpoint {
  const c = lookupHost(config, given.host);
  const port = given.port ?? c.port ?? 22;
  const user = given.user ?? c.user ?? env.localUser;
  const tokens = { host: given.host, alias: given.host, user, port, localUser: env.localUser, home: env.home };
  const host = c.hostName ? expandPath(c.hostName, tokens) : given.host;
  const t = { ...tokens, host };
  let identityFiles: string[];
  let explicitIdentity = true;
  if (given.identityFile) identityFiles = [expandPath(given.identityFile, t)];
  else if (c.identityFiles.length > 0) identityFiles = c.identityFiles.map((f) => expandPath(f, t));
  else {
    identityFiles = DEFAULT_IDENTITIES.map((f) => path.join(env.home, '.ssh', f));
    explicitIdentity = false;
  }
  const known =
    knownHostsFile ??
    (c.userKnownHostsFiles[0] ? expandPath(c.userKnownHostsFiles[0], t) : path.join(env.home, '.ssh', 'known_hosts'));
  return { label: given.label, host, port, user, identityFiles, explicitIdentity, knownHostsFile: known };
}
