// The image recipe: everything that decides what the lab image contains.
// Its hash names the cache directory, so changing anything here (a package,
// a guest file, a step) builds a new image and never reuses a stale one.
import { createHash } from 'node:crypto';
import type { Drbd9Recipe } from './drbd9.js';
import { GUEST_FILES, GUEST_SCRIPTS, type GuestFile, type GuestScript } from './guest-files.js';

export interface Recipe {
  /** Bump when the build steps change in a way the data below does not show. */
  version: number;
  suite: string;
  arch: string;
  /** Installed by debootstrap itself: enough to boot and log in. */
  basePackages: string[];
  /** Installed afterwards with apt-get in the chroot (apt resolves alternatives better than debootstrap). */
  extraPackages: string[];
  /** Installed but not enabled: haforge configures and starts them. */
  disabledUnits: string[];
  /** Timers and services that only cost boot time in a throw-away VM. */
  maskedUnits: string[];
  enabledUnits: string[];
  /**
   * systemd generators switched off (a /dev/null link in /etc/systemd/system-generators).
   * Every `systemctl daemon-reload` runs them all, and Pacemaker reloads on each
   * start and stop of a systemd resource: under TCG that reload took 5.3 s, 3.6 s without these.
   */
  disabledGenerators: string[];
  files: readonly GuestFile[];
  /** Run in the chroot after the packages and files, in order. */
  scripts: readonly GuestScript[];
  /** Size of the root filesystem (sparse; the qcow2 only stores what is used). */
  rootSizeMiB: number;
  /** A DRBD 9 image: LINBIT's module built from these sources for the image's kernel (drbd9.ts); none: the kernel's DRBD 8.4. */
  drbd9?: Drbd9Recipe;
}

export const RECIPE: Recipe = {
  version: 4,
  suite: 'bookworm',
  arch: 'amd64',
  basePackages: [
    'linux-image-amd64', 'initramfs-tools', 'systemd', 'systemd-sysv', 'udev', 'dbus', 'kmod',
    'openssh-server', 'iproute2', 'iputils-ping', 'procps', 'less',
  ],
  extraPackages: [
    'drbd-utils', 'corosync', 'pacemaker', 'pacemaker-cli-utils', 'resource-agents',
    'heartbeat', 'mon', 'chrony', 'lighttpd', 'net-tools', 'curl', 'psmisc', 'rsync',
    // sfdisk, for resources that ask haforge to partition a whole disk
    'fdisk',
    // /etc/protocols and /etc/services: mon dies without them (minbase leaves them out)
    'netbase',
    // SBD fencing: the daemon, and fence_sbd for Pacemaker
    'sbd', 'fence-agents',
    // runbook 000's database (the web server runs its application)
    'mariadb-server',
    // runbook 004's mail server; its init script rebuilds sendmail.cf with make,
    // and delivers through sensible-mda to procmail
    'sendmail', 'sensible-mda', 'procmail', 'make',
    // runbook 002's virtual machine: libvirt and QEMU (software emulation inside the VM)
    'libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'qemu-system-x86',
    // a cluster built the ClusterLabs way, with pcs, for haforge to take over (its CLI works without pcsd)
    'pcs',
  ],
  // logd: cluster-glue's log daemon (Heartbeat's use_logd); enabled by its package, costs boot time.
  disabledUnits: ['corosync', 'pacemaker', 'heartbeat', 'logd', 'mon', 'drbd', 'lighttpd', 'sbd', 'mariadb', 'sendmail',
    // libvirt: haforge starts it where a cluster runs virtual machines (VirtualDomain)
    'libvirtd', 'libvirtd.socket', 'libvirtd-ro.socket', 'libvirtd-admin.socket', 'virtlogd', 'virtlogd.socket', 'virtlockd', 'virtlockd.socket', 'libvirt-guests',
    // pcs's daemons: only its CLI is used, on one node at a time
    'pcsd', 'pcsd-ruby'],
  maskedUnits: [
    'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service',
    'fstrim.timer', 'systemd-timesyncd.service',
  ],
  enabledUnits: ['haforge-lab-init.service'],
  // The VMs have no encrypted, verity or integrity disks, no GPT auto-mounts,
  // no hibernation, no rc.local and no getty (the serial console is a log).
  disabledGenerators: [
    'systemd-cryptsetup-generator', 'systemd-debug-generator', 'systemd-getty-generator',
    'systemd-gpt-auto-generator', 'systemd-hibernate-resume-generator', 'systemd-integritysetup-generator',
    'systemd-rc-local-generator', 'systemd-run-generator', 'systemd-system-update-generator',
    'systemd-veritysetup-generator',
  ],
  files: GUEST_FILES,
  scripts: GUEST_SCRIPTS,
  rootSizeMiB: 3072,
};

/** The recipe of a DRBD 9 image: the default one, and the DRBD 9 sources it builds. */
export function drbd9RecipeOf(drbd9: Drbd9Recipe, base: Recipe = RECIPE): Recipe {
  return { ...base, drbd9 };
}

/** Short, stable hash of a recipe: the name of its cache directory. */
export function recipeHash(recipe: Recipe = RECIPE): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16);
}
