#!/usr/bin/env bash
# The main job: boot the built-in VM lab (real kernel DRBD, Corosync,
# Pacemaker, Heartbeat from Debian), run haforge's playbooks against it twice
# (the second run must change nothing), and show the lab.
#
# Today the playbooks are the base layer (hosts, time sync, cluster
# description); the DRBD and cluster-manager layers are being built (issues 4
# and 5) and join this script as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
haforge() { node bin/run.js "$@"; }

npm run build --silent
haforge lab up
inventory=$(haforge lab status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).inventory))')
echo "lab inventory: $inventory"
haforge inventory validate -i "$inventory"
haforge apply -i "$inventory" base --diff
echo "--- second run: nothing may change"
haforge apply -i "$inventory" base
haforge facts -i "$inventory" node1
haforge lab status
echo "The lab keeps running: 'node bin/run.js lab ssh node1' for a shell, 'node bin/run.js lab down' to remove it."
