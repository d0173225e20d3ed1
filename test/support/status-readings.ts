// Status readings of the lab assembled from captured output: crm_mon XML
// (test/fixtures/pacemaker), /proc/drbd, mounts and addresses of the lab
// VMs, cl_status (test/fixtures/heartbeat). Shared by the status and move
// planner tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseAddresses } from '../../src/facts/addresses.js';
import { parseProcDrbd } from '../../src/drbd/status.js';
import { parseHeartbeatView } from '../../src/heartbeat/view.js';
import { parseMounts } from '../../src/facts/mounts.js';
import { parseCrmMonXml } from '../../src/pacemaker/crm-mon.js';
import { parseSbdHealth } from '../../src/fencing/sbd-health.js';
import { parseRunningManager } from '../../src/facts/running-manager.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { StatusReading } from '../../src/cluster/status.js';

export const fx = (dir: string, name: string) => readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');
const VIP_LINE = fx('heartbeat', 'lab-node1-holds-all.txt').split('\n').find((l) => l.includes('10.99.0.100/'))!;
const addresses = (node: 'node1' | 'node2', vip: boolean) => parseAddresses(fx('addresses', `lab-${node}-ip-o-4-addr.txt`) + (vip ? `${VIP_LINE}\n` : ''));
const mounts = (withVolume: boolean) => parseMounts(fx('drbd', 'lab-8.4-sb-mounts-node1.txt').split('\n').filter((l) => withVolume || !l.includes('drbd0')).join('\n'));
const MANAGER = { pacemaker: parseRunningManager('== active\nactive\ninactive\n== maintenance\nfalse\n'), heartbeat: parseRunningManager('== active\ninactive\nactive\n== maintenance\n') };

export function cluster(stack: 'pacemaker' | 'heartbeat', extra: Record<string, unknown> = {}) {
  const lab = {
    stack,
    primary: 'node1',
    nodes: {
      node1: { address: '192.0.2.11', replication_address: '10.99.0.11' },
      node2: { address: '192.0.2.12', replication_address: '10.99.0.12' },
    },
    drbd: { resources: { r0: { disk: '/dev/vdb', mount: '/replicated' } } },
    services: { web: { unit: 'lighttpd', paths: ['/var/www/html'], port: 80 } },
    vip: { address: '10.99.0.100', cidr_netmask: 24, nic: 'eth1' },
    fencing: { enabled: false },
    ...extra,
  };
  return parseInventory('inv.yaml', stringify({ version: 1, clusters: { lab } })).clusters[0]!;
}

export interface Side {
  proc: string;
  mounted?: boolean;
  vip?: boolean;
  crmMon?: string;
  heartbeat?: string;
  lighttpd?: boolean;
  /** A capture of the SBD health fact (test/fixtures/sbd). */
  sbd?: string;
}

export function read(node: 'node1' | 'node2', stack: 'pacemaker' | 'heartbeat', s: Side | string): StatusReading {
  if (typeof s === 'string') return { node, error: s };
  return {
    node,
    family: '8.4',
    status: parseProcDrbd(fx('drbd', s.proc)),
    mounts: mounts(!!s.mounted),
    manager: MANAGER[stack],
    addresses: addresses(node, !!s.vip),
    pacemaker: s.crmMon ? parseCrmMonXml(fx('pacemaker', s.crmMon)) : undefined,
    heartbeat: s.heartbeat ? parseHeartbeatView(s.heartbeat) : undefined,
    services: { lighttpd: { init: 'systemd', exists: true, active: !!s.lighttpd, enabled: false, enabledState: 'disabled', triggers: [] } },
    ...(s.sbd ? { sbd: parseSbdHealth(fx('sbd', s.sbd)) } : {}),
  };
}

