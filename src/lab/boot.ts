// Waiting for a VM to become usable: its host key on the serial console,
// then a real SSH login with strict host key checking. A guest that never
// gets there (a hung kernel under KVM, a broken image) ends in a clear error.
import { promises as fs } from 'node:fs';
import { UserError } from '../errors.js';
import { run } from './exec.js';
import type { LabPaths } from './paths.js';
import { runningPid } from './qemu.js';
import { parseHostKeys, recordHostKeys, recordedHostKeys, sshOptions, type HostKey } from './ssh-keys.js';
import type { Accel, NodeState } from './state.js';

export interface BootWait {
  paths: LabPaths;
  node: NodeState;
  accel: Accel;
  timeoutMs: number;
  ssh: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** QEMU's process ended before the guest accepted SSH. */
export class StoppedWhileBootingError extends UserError {}

export async function serialTail(paths: LabPaths, node: string, lines = 12): Promise<string> {
  const text = await fs.readFile(paths.serialLog(node), 'utf8').catch(() => '');
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (clean.length === 0) return '(nothing: the guest never wrote to its console)';
  return clean.slice(-lines).join('\n    ');
}

function sameKeys(a: HostKey[], b: HostKey[]): boolean {
  const norm = (ks: HostKey[]) => ks.map((k) => `${k.type} ${k.key}`).sort().join('\n');
  return norm(a) === norm(b);
}

/** Resolves when `ssh root@node true` succeeds; records the host key on first boot, checks it on later boots. */
export async function waitForSsh(w: BootWait): Promise<void> {
  const { paths, node } = w;
  const deadline = Date.now() + w.timeoutMs;
  let keysChecked = false;
  while (Date.now() < deadline) {
    if ((await runningPid(paths, node.name)) === undefined) {
      throw new StoppedWhileBootingError(`${node.name} stopped while booting; last lines of its console:\n    ${await serialTail(paths, node.name)}`, {
        hint: `the full console log is ${paths.serialLog(node.name)}`,
      });
    }
    if (!keysChecked) {
      const seen = parseHostKeys(await fs.readFile(paths.serialLog(node.name), 'utf8').catch(() => ''));
      if (seen.length > 0) {
        const recorded = await recordedHostKeys(paths, node.sshPort);
        if (recorded.length === 0) await recordHostKeys(paths, node.sshPort, seen);
        else if (!sameKeys(recorded, seen)) {
          throw new UserError(`${node.name} presents a different SSH host key than the one recorded at its first boot`, {
            hint: `its disk was replaced or tampered with; \`haforge lab down --name ${paths.name}\` and \`lab up\` start afresh`,
          });
        }
        keysChecked = true;
      }
    }
    if (keysChecked) {
      const r = await run([w.ssh, ...sshOptions(paths, node.sshPort), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', 'root@127.0.0.1', 'true'], {
        timeoutMs: 15_000,
      });
      if (r.exitCode === 0) return;
    }
    await sleep(1000);
  }
  const hint =
    w.accel === 'kvm'
      ? 'KVM hangs stock kernels on some machines (e.g. a PVM-only /dev/kvm); try `--accel tcg`'
      : `raise --boot-timeout if the machine is busy; the full console log is ${paths.serialLog(node.name)}`;
  throw new UserError(
    `${node.name} did not become reachable over SSH within ${Math.round(w.timeoutMs / 1000)} s; last lines of its console:\n    ${await serialTail(paths, node.name)}`,
    { hint },
  );
}
