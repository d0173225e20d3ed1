#!/usr/bin/env bash
# The main job: boot the built-in VM lab (real kernel DRBD, Corosync,
# Pacemaker, Heartbeat from Debian), bootstrap a failover cluster on it with
# haforge (preflight, DRBD, the cluster manager, the monitor), run the
# bootstrap again to show it changes nothing, fetch the web page that the
# cluster serves from the replicated volume through its virtual IP, show
# the cluster's status, switch the services over to node2 and show it again.
#
#   npm run demo                        # Corosync + Pacemaker
#   HAFORGE_DEMO_STACK=heartbeat npm run demo
set -euo pipefail
cd "$(dirname "$0")/.."
haforge() { node bin/run.js "$@"; }
stack=${HAFORGE_DEMO_STACK:-pacemaker}

npm run build --silent
haforge lab up --stack "$stack"
inventory=$(haforge lab status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).inventory))')
echo "lab inventory: $inventory"
haforge inventory validate -i "$inventory"
haforge bootstrap -i "$inventory" --yes
echo "--- second bootstrap: nothing may change"
haforge bootstrap -i "$inventory" --yes
echo "--- the page the cluster serves on its virtual IP, fetched from node2"
haforge lab ssh node2 -- curl -s --max-time 10 http://10.99.0.100/ | head -n 5
echo "--- the cluster's status"
haforge status -i "$inventory"
echo "--- a planned switchover to node2, timed"
haforge switchover -i "$inventory" --to node2
haforge status -i "$inventory"
haforge lab status
echo "The lab keeps running: 'node bin/run.js lab kill node1' pulls the primary's power; 'node bin/run.js lab down' removes it all."
