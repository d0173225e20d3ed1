// The inventory `lab up` writes for its VMs, in the format of
// inventory.example.yaml. Kept in one place so later issues can add their
// keys (DRBD resources, services) here.
import { stringify } from 'yaml';
import { writeFileAtomic } from '../util/fs.js';
import { DATA_DISK_DEVICE, SBD_DISK_DEVICE } from './network.js';
import type { LabPaths } from './paths.js';
import { hostName, type LabState } from './state.js';

export const LAB_CLUSTER = 'lab';
/** The lab cluster's virtual IP, on the replication network (10.99.0.0/24). */
export const LAB_VIP = '10.99.0.100';

export function inventoryDocument(state: LabState, paths: LabPaths): object {
  const nodes: Record<string, object> = {};
  for (const n of state.nodes) {
    nodes[hostName(state, n)] = {
      address: '127.0.0.1',
      ssh: { port: n.sshPort },
      replication_address: n.addresses.replication,
      ring1_address: n.addresses.ring1,
      vars: { data_disk: DATA_DISK_DEVICE },
    };
  }
  return {
    version: 1,
    defaults: { ssh: { user: 'root', identity_file: paths.privateKey, known_hosts: paths.knownHosts } },
    clusters: {
      [LAB_CLUSTER]: {
        stack: state.stack,
        primary: hostName(state, state.nodes[0]),
        nodes,
        // The cluster the lab is for: one replicated volume on the blank data
        // disk, the web server's pages and config on it, a VIP on the
        // replication network. Fixed-rate resync: the emulated link is slow.
        drbd: {
          resync_rate: '100M',
          c_plan_ahead: 0,
          resources: { r0: { disk: DATA_DISK_DEVICE, mount: '/replicated', mount_options: 'noatime' } },
        },
        services: { web: { unit: 'lighttpd', paths: ['/var/www/html', '/etc/lighttpd'], port: 80 } },
        // Nothing writes the web server's configuration: a drill checksums it besides its write probe.
        drill: { quiescent: ['/etc/lighttpd'] },
        vip: { address: LAB_VIP, cidr_netmask: 24, nic: 'eth1' },
        // Emulated CPUs keep the VMs' load average above Pacemaker's default
        // throttle (80% per core), which then runs one action at a time across
        // the cluster: a switchover took 60 s instead of 40. Read only with stack: pacemaker.
        pacemaker: { properties: { 'load-threshold': '1000%' } },
        // Fencing as on real machines: SBD on the disk every VM shares, each VM's
        // watchdog resets it when sbd stops. Heartbeat v1 cannot use SBD and the
        // lab has no power switch for it: no fencing there, said explicitly
        // (preflight and status warn about it every time).
        fencing: state.sbd && state.stack === 'pacemaker' ? { sbd: { devices: [SBD_DISK_DEVICE] } } : { enabled: false },
      },
    },
  };
}

export async function writeInventory(state: LabState, paths: LabPaths): Promise<string> {
  const header = `# Written by \`haforge lab up --name ${state.name}\`: the lab's VMs. Rewritten by every \`lab up\`.\n`;
  await writeFileAtomic(paths.inventory, header + stringify(inventoryDocument(state, paths)), 0o644);
  return paths.inventory;
}
