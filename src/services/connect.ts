// Connections for inventory nodes, over the ssh2 transport.
import type { NodeSpec } from '../inventory/model.js';
import { connectAll, type ConnectOptions as TransportOptions } from '../transport/ssh.js';
import type { Connection } from '../transport/types.js';

export interface ConnectOptions {
  acceptNewHostKeys?: boolean;
  /** Ask for key passphrases on the terminal (never in --json or CI). */
  interactive?: boolean;
}

export async function connectNodes(nodes: NodeSpec[], opts: ConnectOptions = {}): Promise<Map<string, Connection | Error>> {
  return connectAll(
    nodes.map((n) => ({
      name: n.name,
      host: n.ssh.host,
      port: n.ssh.port,
      user: n.ssh.user,
      identityFile: n.ssh.identityFile,
      knownHostsFile: n.ssh.knownHostsFile,
      proxyJump: n.ssh.proxyJump,
      sudo: n.sudo,
    })),
    transportOptions(opts),
  );
}

/** The transport's options for a command's: host key policy, and passphrases asked on a terminal only. */
export function transportOptions(opts: ConnectOptions): TransportOptions {
  return {
    acceptNewHostKeys: opts.acceptNewHostKeys,
    askPassphrase:
      opts.interactive && process.stdin.isTTY
        ? async (keyFile: string) => (await import('@inquirer/prompts')).password({ message: `Passphrase for ${keyFile}:` })
        : undefined,
  };
}

/** Closes every open connection of a connectNodes result; closing twice is harmless. */
export async function closeAll(connections: Map<string, Connection | Error>): Promise<void> {
  await Promise.all([...connections.values()].map((c) => (c instanceof Error ? undefined : c.close().catch(() => undefined))));
}
