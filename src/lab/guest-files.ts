// Files baked into the lab image. They make one image serve every VM of every
// lab: a VM's identity (addresses, authorized key, /etc/hosts) comes from its
// kernel command line, read at boot by haforge-lab-init.

/** Printed on the serial console before each host public key; the lab reads host keys from there. */
export const HOSTKEY_MARKER = 'HAFORGE-HOSTKEY';

const INIT_SCRIPT = `#!/bin/sh
# haforge lab: give this VM its identity from the kernel command line.
#   haforge.net=eth1=10.99.0.11/24,eth2=10.98.0.11/24   private addresses
#   haforge.hosts=node1=10.99.0.11,node2=10.99.0.12      /etc/hosts (first boot; host names, qualified or not)
#   haforge.sshkey=AAAAC3...                             root's ed25519 key (first boot)
set -eu

CMDLINE=$(cat /proc/cmdline)
param() {
  for w in $CMDLINE; do
    case "$w" in "$1="*) echo "\${w#*=}"; return 0 ;; esac
  done
  return 1
}

# NICs appear asynchronously (udev); wait up to 30 s for one.
wait_nic() {
  i=0
  while [ ! -e "/sys/class/net/$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

ip link set lo up

# eth0: QEMU user networking (slirp); fixed addresses, no DHCP wait.
wait_nic eth0
ip link set eth0 up
ip addr replace 10.0.2.15/24 dev eth0
ip route replace default via 10.0.2.2
echo 'nameserver 10.0.2.3' > /etc/resolv.conf

for spec in $(param haforge.net | tr ',' ' '); do
  nic=\${spec%%=*}
  wait_nic "$nic"
  ip link set "$nic" up
  # brd +: the broadcast address, as ifupdown and networkd set it (Heartbeat's bcast sends there)
  ip addr replace "\${spec#*=}" brd + dev "$nic"
done

# Written once: later haforge runs may manage these files themselves.
if [ ! -e /var/lib/haforge-lab/initialized ]; then
  {
    echo '127.0.0.1 localhost'
    echo '::1 localhost ip6-localhost ip6-loopback'
    # a qualified name gets its short name as an alias, as a site's /etc/hosts has it
    for pair in $(param haforge.hosts | tr ',' ' '); do
      name=\${pair%%=*}
      case "$name" in *.*) echo "\${pair#*=} $name \${name%%.*}" ;; *) echo "\${pair#*=} $name" ;; esac
    done
    for pair in $(param haforge.hosts1 | tr ',' ' ' || true); do name=\${pair%%=*}; echo "\${pair#*=} \${name%%.*}-ring1"; done
  } > /etc/hosts
  install -d -m 0700 /root/.ssh
  echo "ssh-ed25519 $(param haforge.sshkey) haforge-lab" > /root/.ssh/authorized_keys
  chmod 0600 /root/.ssh/authorized_keys
  mkdir -p /var/lib/haforge-lab
  touch /var/lib/haforge-lab/initialized
fi

# Per-VM host key, made on first boot (the image has none). ed25519 only:
# an RSA key costs seconds of emulated CPU and nothing here needs it.
[ -s /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
for k in /etc/ssh/ssh_host_*_key.pub; do
  echo "${HOSTKEY_MARKER} $(cut -d' ' -f1,2 "$k")" > /dev/ttyS0
done
`;

const INIT_UNIT = `[Unit]
Description=haforge lab: addresses, hosts, SSH keys from the kernel command line
Before=ssh.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/haforge-lab-init

[Install]
WantedBy=multi-user.target
`;

const SSHD_CONFIG = `# haforge lab: key-only root login, one host key made at first boot.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
`;

export interface GuestFile {
  path: string;
  mode: number;
  content: string;
}

export const GUEST_FILES: readonly GuestFile[] = [
  { path: '/usr/local/sbin/haforge-lab-init', mode: 0o755, content: INIT_SCRIPT },
  { path: '/etc/systemd/system/haforge-lab-init.service', mode: 0o644, content: INIT_UNIT },
  { path: '/etc/ssh/sshd_config.d/haforge-lab.conf', mode: 0o644, content: SSHD_CONFIG },
  { path: '/etc/fstab', mode: 0o644, content: '/dev/vda / ext4 defaults,noatime 0 1\n' },
  // The initrd only has to find the root disk: a list of modules instead of
  // "most" makes it about a tenth of the size, and unpacking it under TCG faster.
  { path: '/etc/initramfs-tools/conf.d/haforge-lab.conf', mode: 0o644, content: 'MODULES=list\n' },
  {
    path: '/etc/initramfs-tools/modules',
    mode: 0o644,
    content: '# haforge lab: what it takes to mount /dev/vda\nvirtio_pci\nvirtio_blk\next4\ncrc32c_generic\n',
  },
  // No hostname in the image: systemd.hostname= on the kernel command line names each VM.
  { path: '/etc/hostname', mode: 0o644, content: '' },
];

export interface GuestScript {
  /** Why the image needs it: printed in the build log. */
  purpose: string;
  /** POSIX sh, run in the chroot; a non-zero exit fails the build. */
  script: string;
}

// Debian's lighttpd.conf runs two Perl scripts (include_shell) each time the
// config is read, and its unit reads it twice per start (-tt, then the
// daemon): 3.2 s per read under TCG, about 6 s of every start of the lab's web
// server. Their output depends only on /etc/mime.types and on IPv6 support, so
// the image keeps it as static include files; a failed config test fails the build.
const LIGHTTPD_STATIC_INCLUDES = `set -eu
cd /etc/lighttpd
perl /usr/share/lighttpd/create-mime.conf.pl > mime.conf
perl /usr/share/lighttpd/use-ipv6.pl 80 > ipv6.conf
sed -i \\
  -e 's|^include_shell "/usr/share/lighttpd/use-ipv6.pl " + server.port$|include "ipv6.conf"|' \\
  -e 's|^include_shell "/usr/share/lighttpd/create-mime.conf.pl"$|include "mime.conf"|' \\
  lighttpd.conf
if grep -n '^include_shell' lighttpd.conf; then echo 'lighttpd.conf still runs scripts' >&2; exit 1; fi
lighttpd -tt -f /etc/lighttpd/lighttpd.conf
`;

export const GUEST_SCRIPTS: readonly GuestScript[] = [
  { purpose: "lighttpd: static includes instead of Perl at every start", script: LIGHTTPD_STATIC_INCLUDES },
];
