// Helpers for the lab tests: run the built CLI, run ssh the way the tests
// must (strict host key checking against the lab's known_hosts), and decide
// whether this machine can run VMs at all.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProgram } from '../../src/lab/preflight.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'bin', 'run.js');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<Ran> {
  return runProgram(process.execPath, [CLI, ...args], env, timeoutMs);
}

export function runProgram(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 255) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface SshTarget {
  port: number;
  identityFile: string;
  knownHosts: string;
}

/** Exactly how the issue says nodes must be reached: no host key checking shortcuts. */
export function strictSsh(t: SshTarget, command: string, timeoutMs = 60_000): Promise<Ran> {
  return runProgram(
    'ssh',
    [
      '-F', 'none', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10',
      '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${t.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-i', t.identityFile, '-o', 'IdentitiesOnly=yes', '-p', String(t.port), 'root@127.0.0.1', command,
    ],
    process.env,
    timeoutMs,
  );
}

/** Why the lab tests cannot run here, or undefined when they can. */
export function labUnavailableReason(): string | undefined {
  if (process.env.HAFORGE_SKIP_LAB) return 'HAFORGE_SKIP_LAB is set';
  if (process.platform !== 'linux') return `the lab needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (building the lab image needs debootstrap, chroot and mount)';
  const missing = ['qemu-system-x86_64', 'qemu-img', 'debootstrap', 'mkfs.ext4', 'ssh', 'ssh-keygen'].filter((p) => !findProgram(p));
  if (missing.length > 0) return `missing programs: ${missing.join(', ')} (apt-get install qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client)`;
  return undefined;
}

export function warnLabSkipped(reason: string): void {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! LAB TESTS SKIPPED: ${reason}\n!! Real-VM checks (kernel DRBD, private networks, faults) did NOT run.\n${bar}\n`);
}

export function builtCliMissing(): string | undefined {
  return existsSync(path.join(REPO, 'dist', 'commands', 'lab', 'up.js')) ? undefined : 'dist/ is not built: run `npm run build` (npm test does it)';
}

/** `ssh(node, command)` on a lab's node with strict host key checking; a non-zero exit throws with the node, command and stderr. */
export function labShell(status: { nodes: { name: string; sshPort: number }[]; stateDir: string }): (node: string, command: string) => Promise<string> {
  return async (node, command) => {
    const n = status.nodes.find((x) => x.name === node);
    if (!n) throw new Error(`no node ${node} in the lab`);
    const r = await strictSsh({ port: n.sshPort, identityFile: path.join(status.stateDir, 'id_ed25519'), knownHosts: path.join(status.stateDir, 'known_hosts') }, command);
    if (r.code !== 0) throw new Error(`${node}: ${command} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
}

/** A haforge command with --json: its exit code and parsed output (an error naming the command when it printed no JSON). */
export async function runCliJson(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<{ ran: Ran; json: any }> {
  const ran = await runCli([...args, '--json'], env, timeoutMs);
  try {
    return { ran, json: JSON.parse(ran.stdout) };
  } catch {
    throw new Error(`haforge ${args.join(' ')} printed no JSON (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
  }
}
