// Builds the lab image from Debian packages: debootstrap, then apt-get in the
// chroot, then our guest files, then a raw ext4 (mkfs.ext4 -d) turned into a
// qcow2. Everything happens in a temporary directory that is renamed into
// the cache only when complete, so an interrupted build leaves no half image.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { buildProgress } from './build-progress.js';
import { DRBD9_BUILD_DIR, type Drbd9Source } from './drbd9.js';
import { run, runOk } from './exec.js';
import { requirePrograms, requireRoot } from './preflight.js';
import type { Recipe } from './recipe.js';

export interface BuildOptions {
  recipe: Recipe;
  hash: string;
  /** The cache's images/ directory; the result lands in <imagesDir>/<hash>/. */
  imagesDir: string;
  mirror: string;
  report: (msg: string) => void;
  /** Where the DRBD 9 sources of recipe.drbd9 are. */
  drbd9Source?: Drbd9Source;
}

const BUILD_PREFIX = '.build-';

export async function buildImage(opts: BuildOptions): Promise<void> {
  requireRoot('building the lab image');
  const tools = requirePrograms(['debootstrap', 'mkfs.ext4', 'qemu-img', 'chroot', 'mount']);
  await fs.mkdir(opts.imagesDir, { recursive: true });
  await removeStaleBuilds(opts.imagesDir);

  const work = path.join(opts.imagesDir, `${BUILD_PREFIX}${opts.hash}-${process.pid}`);
  const rootfs = path.join(work, 'rootfs');
  const out = path.join(work, 'out');
  const log = path.join(work, 'build.log');
  await fs.mkdir(out, { recursive: true });
  // Ctrl-C mid-build: unmount and remove the work dir before exiting (a later build would too).
  const onSignal = (sig: NodeJS.Signals) => {
    void removeBuildDir(work).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  const step = (msg: string) => opts.report(`image: ${msg} (${Math.round((Date.now() - started) / 1000)} s)`);
  /** A long step with what its log says so far, every 10 s, so the build never sits silent. */
  const watched = async <T>(work: Promise<T>): Promise<T> => {
    const tick = setInterval(() => {
      void fs.readFile(log, 'utf8').then((text) => {
        const now = buildProgress(text);
        if (now) step(now);
      }, () => undefined);
    }, 10_000);
    try {
      return await work;
    } finally {
      clearInterval(tick);
    }
  };

  try {
    const { recipe } = opts;
    step(`debootstrap ${recipe.suite} (about 2-3 minutes, log: ${log})`);
    await watched(runOk(
      [tools.debootstrap, '--variant=minbase', `--arch=${recipe.arch}`, `--include=${recipe.basePackages.join(',')}`,
        recipe.suite, rootfs, opts.mirror],
      { logFile: log },
    ));

    step('installing the cluster packages in the chroot');
    await inChroot(rootfs, tools, async () => {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
      await watched(runOk([tools.chroot, rootfs, 'apt-get', 'install', '-y', '--no-install-recommends', ...recipe.extraPackages],
        { logFile: log, env }));
      step('writing guest files, configuring units, making a small initrd');
      await writeGuestFiles(rootfs, recipe);
      await configureUnits(rootfs, recipe, tools.chroot, log);
      await disableGenerators(rootfs, recipe);
      for (const { purpose, script } of recipe.scripts) {
        step(purpose);
        await runOk([tools.chroot, rootfs, '/bin/sh', '-c', script], { logFile: log, env });
      }
      if (recipe.drbd9) {
        const source = opts.drbd9Source;
        if (source?.digest !== recipe.drbd9.digest) throw new Error(`the recipe asks for DRBD 9 sources ${recipe.drbd9.digest}, the build was given ${source?.digest ?? 'none'}`);
        step(`building ${source.tag} for the image's kernel (the newest kernel, build tools, coccinelle's compat patches, the module: a few minutes)`);
        const into = path.join(rootfs, DRBD9_BUILD_DIR);
        await fs.mkdir(into, { recursive: true });
        for (const bundle of [source.drbdBundle, source.headersBundle]) await fs.copyFile(bundle, path.join(into, path.basename(bundle)));
        const security = process.env.HAFORGE_LAB_SECURITY_MIRROR || opts.mirror.replace(/\/debian\/?$/, '/debian-security');
        await watched(runOk([tools.chroot, rootfs, '/bin/sh', '-c', recipe.drbd9.script, 'haforge-drbd9', security, recipe.suite], { logFile: log, env }));
      }
      await runOk([tools.chroot, rootfs, 'update-initramfs', '-u', '-k', 'all'], { logFile: log, env });
      await runOk([tools.chroot, rootfs, 'apt-get', 'clean'], { logFile: log });
    });
    await copyKernel(rootfs, out);

    step('making the ext4 root filesystem');
    const raw = path.join(work, 'root.raw');
    await fs.writeFile(raw, '');
    await fs.truncate(raw, recipe.rootSizeMiB * 1024 * 1024);
    await runOk([tools['mkfs.ext4'], '-q', '-F', '-L', 'haforge-root', '-d', rootfs, raw], { logFile: log });
    await runOk([tools['qemu-img'], 'convert', '-O', 'qcow2', raw, path.join(out, 'base.qcow2')], { logFile: log });
    await fs.rm(raw);

    await writeFileAtomic(
      path.join(out, 'recipe.json'),
      JSON.stringify({ hash: opts.hash, builtAt: new Date().toISOString(), buildSeconds: Math.round((Date.now() - started) / 1000), recipe }, null, 2),
    );
    await fs.copyFile(log, path.join(out, 'build.log'));
    const final = path.join(opts.imagesDir, opts.hash);
    try {
      await fs.rename(out, final);
    } catch (err) {
      // Another build finished first: its image is as good as ours.
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    step('done');
  } catch (err) {
    await fs.copyFile(log, path.join(opts.imagesDir, 'last-failed-build.log')).catch(() => undefined);
    if (err instanceof UserError && !err.hint?.includes('last-failed-build.log')) {
      throw new UserError(`building the lab image failed: ${err.message}`, {
        hint: `the build log is in ${path.join(opts.imagesDir, 'last-failed-build.log')}`,
      });
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await removeBuildDir(work);
  }
}

/** Runs fn with /proc mounted in the chroot and daemons forbidden to start there. */
async function inChroot(rootfs: string, tools: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const policy = path.join(rootfs, 'usr/sbin/policy-rc.d');
  // Without this, package scripts would start corosync, lighttpd, ... on the build host.
  await fs.writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await runOk([tools.mount, '-t', 'proc', 'proc', path.join(rootfs, 'proc')]);
  try {
    await fn();
  } finally {
    await run(['umount', '-l', path.join(rootfs, 'proc')]);
    await fs.rm(policy, { force: true });
  }
}

async function configureUnits(rootfs: string, recipe: Recipe, chroot: string, log: string): Promise<void> {
  const present = async (unit: string) => {
    const name = unit.includes('.') ? unit : `${unit}.service`;
    for (const dir of ['lib/systemd/system', 'etc/systemd/system', 'usr/lib/systemd/system']) {
      if (await fs.stat(path.join(rootfs, dir, name)).then(() => true, () => false)) return true;
    }
    return fs.stat(path.join(rootfs, 'etc/init.d', unit)).then(() => true, () => false);
  };
  for (const unit of recipe.disabledUnits) {
    if (await present(unit)) await runOk([chroot, rootfs, 'systemctl', 'disable', unit], { logFile: log });
  }
  for (const unit of recipe.maskedUnits) {
    await runOk([chroot, rootfs, 'systemctl', 'mask', unit], { logFile: log });
  }
}

async function disableGenerators(rootfs: string, recipe: Recipe): Promise<void> {
  const dir = path.join(rootfs, 'etc/systemd/system-generators');
  await fs.mkdir(dir, { recursive: true });
  for (const name of recipe.disabledGenerators) {
    await fs.rm(path.join(dir, name), { force: true });
    await fs.symlink('/dev/null', path.join(dir, name));
  }
}

async function writeGuestFiles(rootfs: string, recipe: Recipe): Promise<void> {
  for (const f of recipe.files) {
    const target = path.join(rootfs, f.path);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, f.content);
    await fs.chmod(target, f.mode);
  }
  // The image must carry no host keys: every VM makes its own at first boot.
  for (const name of await fs.readdir(path.join(rootfs, 'etc/ssh'))) {
    if (name.startsWith('ssh_host_')) await fs.rm(path.join(rootfs, 'etc/ssh', name));
  }
  // Enabling = the symlink systemctl would make; done by hand because the unit file was just written.
  const wants = path.join(rootfs, 'etc/systemd/system/multi-user.target.wants');
  await fs.mkdir(wants, { recursive: true });
  for (const unit of recipe.enabledUnits) {
    await fs.rm(path.join(wants, unit), { force: true });
    await fs.symlink(`/etc/systemd/system/${unit}`, path.join(wants, unit));
  }
}

async function copyKernel(rootfs: string, out: string): Promise<void> {
  const boot = path.join(rootfs, 'boot');
  const names = (await fs.readdir(boot)).sort();
  const vmlinuz = names.filter((n) => n.startsWith('vmlinuz-')).pop();
  const initrd = names.filter((n) => n.startsWith('initrd.img-')).pop();
  if (!vmlinuz || !initrd) {
    throw new UserError(`the image has no kernel or initrd in /boot (found: ${names.join(', ') || 'nothing'})`);
  }
  await fs.copyFile(path.join(boot, vmlinuz), path.join(out, 'vmlinuz'));
  await fs.copyFile(path.join(boot, initrd), path.join(out, 'initrd.img'));
}

/** Build dirs of processes that are gone (interrupted builds). */
async function removeStaleBuilds(imagesDir: string): Promise<void> {
  for (const name of await fs.readdir(imagesDir)) {
    if (!name.startsWith(BUILD_PREFIX)) continue;
    const pid = Number(name.split('-').pop());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    await removeBuildDir(path.join(imagesDir, name));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * An interrupted debootstrap can leave /proc, /sys or a bind-mounted /dev
 * mounted inside the rootfs: unmount everything below the directory first,
 * and never let rm cross into another filesystem.
 */
async function removeBuildDir(dir: string): Promise<void> {
  const mounts = (await fs.readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run(['umount', '-l', m]);
  await run(['rm', '-rf', '--one-file-system', dir]);
}
