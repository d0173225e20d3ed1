#!/usr/bin/env bash
# Installs the Debian packages haforge's tests and lab need (run as root).
# Used by .ci/run and by the README's first commands.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh installs Debian packages: run it as root (sudo ./scripts/setup.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  openssh-server openssh-client iproute2 sudo patch util-linux procps \
  ansible-core python3 \
  qemu-system-x86 qemu-utils debootstrap e2fsprogs ca-certificates
