// What the machine must have before the lab can do anything: clear messages
// up front instead of a failure halfway through a 3-minute build.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

/** Debian package that provides each program the lab runs (for hints and docs/lab.md). */
export const PROGRAM_PACKAGES: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  debootstrap: 'debootstrap',
  'mkfs.ext4': 'e2fsprogs',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  chroot: 'coreutils',
  mount: 'mount',
};

export function findProgram(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  // sbin is often missing from a non-login PATH, and that is where mkfs and debootstrap live.
  const dirs = [...envPath.split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Absolute paths of the programs, or one UserError naming every missing one and its package. */
export function requirePrograms(names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const p = findProgram(name);
    if (p) found[name] = p;
    else missing.push(name);
  }
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => PROGRAM_PACKAGES[m] ?? m))];
    throw new UserError(`the lab needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed`, {
      hint: `on Debian/Ubuntu: apt-get install ${pkgs.join(' ')}`,
    });
  }
  return found;
}

export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UserError(`${what} needs root (debootstrap, chroot and mount do)`, {
      hint: 'run it once as root, e.g. `sudo haforge lab up`; a cached image then boots without root',
    });
  }
}
