#!/usr/bin/env bash
# The main job: boot the built-in VM lab (real kernel DRBD, Corosync,
# Pacemaker, Heartbeat from Debian), bootstrap a failover cluster on it with
# haforge (preflight, DRBD, the cluster manager, the monitor), run the
# bootstrap again to show it changes nothing, write a page onto the
# replicated volume that names the node serving it, fetch it through the
# virtual IP, show the cluster's status, switch the services over to node2,
# show it again and fetch the same page, now served by node2.
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
echo "--- a page written onto the replicated volume on node1: the web server's pages and configuration live there"
# lighttpd's configuration is on the volume too (/etc/lighttpd is relocated): enabling
# server-side includes there once enables them on whichever node serves the page.
haforge lab ssh node1 -- 'set -e
ln -sf ../conf-available/10-ssi.conf /etc/lighttpd/conf-enabled/10-ssi.conf
printf "<p>This page lives on the replicated volume (written on %s at %s). Served by <!--#exec cmd=\"uname -n\" --></p>\n" "$(uname -n)" "$(date -u +%H:%M:%S)" > /var/www/html/haforge-demo.shtml
systemctl reload lighttpd
readlink -f /var/www/html /etc/lighttpd'
page() { haforge lab ssh "$1" -- curl -s --max-time 10 http://10.99.0.100/haforge-demo.shtml; }
expect_served_by() {
  local got
  got=$(page "$1")
  echo "$got"
  case "$got" in *"Served by $2"*) ;; *) echo "demo: expected the page to be served by $2" >&2; exit 1 ;; esac
}
echo "--- the page on the virtual IP, fetched from node2, while node1 serves it"
expect_served_by node2 node1
echo "--- the cluster's status"
haforge status -i "$inventory"
echo "--- a planned switchover to node2, timed"
haforge switchover -i "$inventory" --to node2
haforge status -i "$inventory"
echo "--- the same page on the virtual IP, now served by node2 from its copy of the volume"
expect_served_by node1 node2
haforge lab status
echo "The lab keeps running: 'node bin/run.js lab kill node1' pulls the primary's power; 'node bin/run.js lab down' removes it all."
