// DRBD 9 for the lab. Debian's kernels carry DRBD 8.4 and Debian packages
// no DRBD 9 module (its drbd-utils speak 9), so a DRBD 9 lab image builds
// LINBIT's module at image-build time, in the image's chroot against the
// headers of the image's own (newest) kernel, and installs it under updates/, which
// modprobe prefers to the kernel's 8.4. The sources are two git bundles the
// user names (LINBIT's drbd at a release tag and the drbd-headers it uses);
// their digest is part of the image recipe, so other sources build another
// image and a cached one is never stale.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

export interface Drbd9Source {
  dir: string;
  /** drbd-<version>.bundle: LINBIT/drbd with the tag drbd-<version>. */
  drbdBundle: string;
  /** drbd-headers-<commit>.bundle: the drbd-headers commit that tag uses (its submodule). */
  headersBundle: string;
  /** The release tag to build, from the bundle's name: drbd-9.2.18. */
  tag: string;
  /** sha256 of both bundles. */
  digest: string;
}

/** What of the source goes into the image recipe (not its path: the same bundles elsewhere are the same image), and the build script: another script, another image. */
export interface Drbd9Recipe {
  tag: string;
  digest: string;
  script: string;
}

export function drbd9Recipe(source: Drbd9Source): Drbd9Recipe {
  return { tag: source.tag, digest: source.digest, script: drbd9BuildScript(source) };
}

const HOW_TO_MAKE = 'a directory with drbd-<version>.bundle and drbd-headers-<commit>.bundle: `git clone https://github.com/LINBIT/drbd`, then `git bundle create drbd-9.2.18.bundle drbd-9.2.18` in it, and the same for the drbd-headers commit its drbd/drbd-headers submodule names (`git bundle create drbd-headers-<commit>.bundle <branch at that commit>`)';

/** Reads a DRBD 9 source directory: the two bundles, the tag, their digest. */
export async function readDrbd9Source(dir: string): Promise<Drbd9Source> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`DRBD 9 sources: cannot read ${dir} (${err.code ?? err.message})`, { hint: `give --drbd-source ${HOW_TO_MAKE}` });
  });
  const drbd = names.filter((n) => /^drbd-9\.\d+\.\d+\.bundle$/.test(n));
  const headers = names.filter((n) => /^drbd-headers-[0-9a-f]{7,40}\.bundle$/.test(n));
  if (drbd.length !== 1 || headers.length !== 1) {
    throw new UserError(`DRBD 9 sources: ${dir} holds ${drbd.length} drbd-9.x.y.bundle and ${headers.length} drbd-headers-<commit>.bundle, not one of each`, { hint: `--drbd-source names ${HOW_TO_MAKE}` });
  }
  const hash = createHash('sha256');
  for (const name of [drbd[0]!, headers[0]!]) hash.update(name).update(await fs.readFile(path.join(dir, name)));
  return {
    dir,
    drbdBundle: path.join(dir, drbd[0]!),
    headersBundle: path.join(dir, headers[0]!),
    tag: drbd[0]!.replace(/\.bundle$/, ''),
    digest: hash.digest('hex').slice(0, 16),
  };
}

/** Where a build looks for the sources when none is named: $HAFORGE_DRBD9_SOURCE, else shared/vendor/drbd9 beside the checkout. */
export function defaultDrbd9SourceDir(packageRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.HAFORGE_DRBD9_SOURCE ? path.resolve(env.HAFORGE_DRBD9_SOURCE) : path.resolve(packageRoot, '..', 'shared', 'vendor', 'drbd9');
}

/** Where the bundles are copied inside the image's root while it is built (removed after). */
export const DRBD9_BUILD_DIR = '/usr/src/haforge-drbd9';

/** What the build installs in the chroot and removes again. */
const BUILD_PACKAGES = ['build-essential', 'coccinelle', 'linux-headers-amd64', 'git'];

/**
 * The shell script run in the image's chroot, with the suite's security
 * mirror and the suite as $1 and $2: the suite's newest kernel (from its
 * security updates: what an updated Debian runs; DRBD's compat rules follow
 * the kernel's features, and Debian's coccinelle 1.1.1 cannot parse the ones
 * the older 6.1.0-50 of bookworm's main suite needs), build deps, the module for that
 * kernel (coccinelle makes the compat patches a git checkout lacks; the
 * submodule must be registered: the Kbuild compares its files with git
 * ls-files), the three modules stripped into updates/drbd, depmod for that
 * kernel (not the build host's), the build deps and sources gone again.
 */
export function drbd9BuildScript(source: Pick<Drbd9Source, 'tag' | 'drbdBundle' | 'headersBundle'>): string {
  const drbd = path.basename(source.drbdBundle);
  const headers = path.basename(source.headersBundle);
  return `set -eu
export DEBIAN_FRONTEND=noninteractive
echo "deb $1 $2-security main" > /etc/apt/sources.list.d/$2-security.list
apt-get update -q
apt-get install -y -q --no-install-recommends linux-image-amd64 ${BUILD_PACKAGES.join(' ')}
kver=$(ls /lib/modules | sort -V | tail -n 1)
[ -d "/usr/src/linux-headers-$kver" ] || { echo "no headers for the image's kernel $kver" >&2; exit 1; }
cd ${DRBD9_BUILD_DIR}
git clone -q ${drbd} drbd
cd drbd
git -c advice.detachedHead=false checkout -q ${source.tag}
git config submodule.drbd/drbd-headers.url "${DRBD9_BUILD_DIR}/${headers}"
git -c protocol.file.allow=always submodule update --init -q
make -C drbd -j"$(nproc)" KDIR="/usr/src/linux-headers-$kver"
install -d "/lib/modules/$kver/updates/drbd"
for m in drbd drbd_transport_tcp handshake; do
  ko=$(find drbd -name "$m.ko" | sort | head -n 1)
  [ -n "$ko" ] || { echo "the build made no $m.ko" >&2; exit 1; }
  strip --strip-debug -o "/lib/modules/$kver/updates/drbd/$m.ko" "$ko"
done
depmod -a "$kver"
have=$(modinfo -k "$kver" -F version drbd)
[ "$have" = "${source.tag.replace(/^drbd-/, '')}" ] || { echo "modprobe would load DRBD $have, not the one built" >&2; exit 1; }
echo "DRBD $have installed for $kver"
cd /
rm -rf ${DRBD9_BUILD_DIR}
dpkg-query -W -f '\${Package}\\n' ${BUILD_PACKAGES.join(' ')} 'linux-headers-*' 'linux-kbuild-*' 2>/dev/null | xargs -r apt-get purge -y -q
apt-get autoremove --purge -y -q
`;
}
