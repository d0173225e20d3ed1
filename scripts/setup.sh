#!/usr/bin/env bash
# Installs the Debian packages haforge's tests and lab need. Run as root;
# as another user it asks sudo (when there is one). Used by .ci/run and by
# the README's first commands.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo "$0" "$@"; fi
  echo "scripts/setup.sh installs Debian packages: run it as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  openssh-server openssh-client iproute2 sudo patch util-linux procps \
  ansible-core ansible-mitogen python3 \
  qemu-system-x86 qemu-utils debootstrap e2fsprogs ca-certificates

# Corosync, Pacemaker and DRBD's tools: the unit tests run corosync -t,
# crm_verify and drbdadm on what haforge renders. Their daemons must not run
# on this machine: policy-rc.d stops the packages from starting them, and
# they are not enabled at boot.
no_start=/usr/sbin/policy-rc.d
if [ ! -e "$no_start" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$no_start" && chmod 755 "$no_start"
  trap 'rm -f "$no_start"' EXIT
fi
apt-get install -y -q --no-install-recommends corosync pacemaker pacemaker-cli-utils drbd-utils
if [ -d /run/systemd/system ]; then systemctl disable corosync pacemaker drbd 2>/dev/null || true; fi
