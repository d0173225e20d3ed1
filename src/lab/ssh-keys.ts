// The lab's SSH trust: one client keypair per lab (root logs in with it), and
// a known_hosts file filled with the host keys each VM printed on its serial
// console at first boot. Nothing connects with host key checking off.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { runOk } from './exec.js';
import { HOSTKEY_MARKER } from './guest-files.js';
import type { LabPaths } from './paths.js';

export interface HostKey {
  type: string;
  key: string;
}

/** ed25519 in OpenSSH format (ssh2 cannot read PKCS#8), written atomically, private half 0600. */
export async function ensureKeypair(paths: LabPaths, sshKeygen = 'ssh-keygen'): Promise<void> {
  if (await fs.stat(paths.privateKey).then(() => true, () => false)) return;
  const tmp = path.join(paths.dir, `.keygen-${process.pid}`);
  await fs.rm(tmp, { force: true });
  await fs.rm(`${tmp}.pub`, { force: true });
  await runOk([sshKeygen, '-q', '-t', 'ed25519', '-N', '', '-C', `haforge-lab-${paths.name}`, '-f', tmp]);
  await fs.chmod(tmp, 0o600);
  await fs.rename(`${tmp}.pub`, paths.publicKey);
  await fs.rename(tmp, paths.privateKey);
}

/** The base64 part of the lab's public key: short enough for the kernel command line. */
export async function publicKeyBlob(paths: LabPaths): Promise<string> {
  const [type, blob] = (await fs.readFile(paths.publicKey, 'utf8')).trim().split(/\s+/);
  if (type !== 'ssh-ed25519' || !blob) throw new Error(`unexpected public key in ${paths.publicKey}`);
  return blob;
}

const MARKER_LINE = new RegExp(`${HOSTKEY_MARKER} (ssh-[a-z0-9-]+|ecdsa-[a-z0-9-]+) ([A-Za-z0-9+/=]+)`, 'g');

/** Host keys a VM printed during its latest boot (the serial log is truncated at every start). */
export function parseHostKeys(serialLog: string): HostKey[] {
  const byType = new Map<string, string>();
  for (const m of serialLog.matchAll(MARKER_LINE)) byType.set(m[1], m[2]);
  return [...byType].map(([type, key]) => ({ type, key }));
}

export function knownHostsLine(port: number, k: HostKey): string {
  return `[127.0.0.1]:${port} ${k.type} ${k.key}`;
}

export async function readKnownHosts(paths: LabPaths): Promise<string[]> {
  try {
    return (await fs.readFile(paths.knownHosts, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

// Nodes boot in parallel: their read-modify-write of known_hosts must take turns.
let knownHostsQueue: Promise<unknown> = Promise.resolve();

/** Replaces the lines for one port with the given keys. */
export function recordHostKeys(paths: LabPaths, port: number, keys: HostKey[]): Promise<void> {
  const next = knownHostsQueue.then(() => replaceHostKeys(paths, port, keys));
  knownHostsQueue = next.catch(() => undefined);
  return next;
}

async function replaceHostKeys(paths: LabPaths, port: number, keys: HostKey[]): Promise<void> {
  const prefix = `[127.0.0.1]:${port} `;
  const kept = (await readKnownHosts(paths)).filter((l) => !l.startsWith(prefix));
  const lines = [...kept, ...keys.map((k) => knownHostsLine(port, k))];
  await writeFileAtomic(paths.knownHosts, `${lines.join('\n')}\n`, 0o644);
}

/** The recorded keys for a port (empty if none yet). */
export async function recordedHostKeys(paths: LabPaths, port: number): Promise<HostKey[]> {
  const prefix = `[127.0.0.1]:${port} `;
  return (await readKnownHosts(paths))
    .filter((l) => l.startsWith(prefix))
    .map((l) => {
      const [, type, key] = l.split(' ');
      return { type, key };
    });
}

/**
 * ssh options every lab connection uses: the lab's key only, the lab's
 * known_hosts only, strict checking, and no user config that could change that.
 */
export function sshOptions(paths: LabPaths, port: number): string[] {
  return [
    '-F', 'none',
    '-i', paths.privateKey,
    '-p', String(port),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${paths.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
  ];
}
