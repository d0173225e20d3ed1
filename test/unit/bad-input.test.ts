// The bad-input corpus: what a careless or hostile user may write into an
// inventory, a playbook or a command line, and what haforge must answer. Each
// case asserts a clear refusal (file:line:column where there is a line, the
// words that say what is wrong) or safe handling; none may hang, crash or end
// as an internal error. The last part renders hostile values into the remote
// command and the configuration formats they would reach, and proves they
// arrive as data or are refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HaforgeError, UserError, UserErrors } from '../../src/errors.js';
import { stonithHostLine } from '../../src/fencing/heartbeat-stonith.js';
import { parseFenceParam, parseNodeFlag, secretParamsFromFiles } from '../../src/init/answers.js';
import { loadInventory, parseInventory } from '../../src/inventory/load.js';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load.js';
import { configValue, type ConfigFormat } from '../../src/render/formats.js';
import { render } from '../../src/render/handlebars.js';
import { parseVarFlags } from '../../src/services/apply.js';
import { validateInventory } from '../../src/services/inventory.js';
import { preparePlaybook } from '../../src/engine/prepare.js';
import { formatError } from '../../src/ui/errors.js';
import { packageOperation } from '../../src/operations/package.js';
import { quoteArgv, shArgv } from '../../src/util/shell.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hf-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid inventory; each case changes one thing. */
const base = () => ({
  version: 1,
  clusters: {
    web: {
      stack: 'pacemaker',
      primary: 'node1',
      nodes: {
        node1: { address: '192.0.2.11', replication_address: '10.0.0.11' },
        node2: { address: '192.0.2.12', replication_address: '10.0.0.12' },
      } as Record<string, any>,
      drbd: { resources: { r0: { disk: '/dev/vdb', mount: '/srv/ha' } } as Record<string, any> } as Record<string, any>,
      services: { web: { unit: 'nginx', package: 'nginx', paths: ['/var/www'], port: 80 } } as Record<string, any>,
      vip: { address: '192.0.2.50', cidr_netmask: 24 } as Record<string, any>,
      fencing: { enabled: false } as Record<string, any>,
    } as Record<string, any>,
  } as Record<string, any>,
});
type Inv = ReturnType<typeof base>;
type Web = Inv['clusters']['web'];

/** The refusal as the user sees it; fails the test when the input is accepted or the error is not a user error. */
function refusal(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    expect(err, String(err)).toSatisfy((e: unknown) => e instanceof UserError || e instanceof UserErrors);
    return formatError(err);
  }
  throw new Error('expected a refusal');
}
const inventoryText = (change: (web: Web, inv: Inv) => void) => {
  const inv = base();
  change(inv.clusters.web, inv);
  return stringify(inv);
};
const refuseInventory = (change: (web: Web, inv: Inv) => void) => refusal(() => parseInventory('bad.yaml', inventoryText(change)));

interface InventoryCase {
  name: string;
  change: (web: Web, inv: Inv) => void;
  says: RegExp;
}

const C = (name: string, change: InventoryCase['change'], says: RegExp): InventoryCase => ({ name, change, says });

// The values are as typed: each reaches a shell, a configuration file or a path on the nodes if accepted.
const INVENTORY_CASES: Record<string, InventoryCase[]> = {
  'templates in an inventory are text, never rendered (and then refused by type)': [
    C('a VIP as a template', (w) => (w.vip.address = '{{evil}}'), /vip\.address: '\{\{evil\}\}' is not an IPv4 address/),
    C('a DRBD minor as a template', (w) => (w.drbd.resources.r0.minor = '{{ minor }}'), /minor: expected a whole number, got the string/),
    C('a node name as a template', (w) => (w.nodes['{{n}}'] = { address: '192.0.2.13' }), /'\{\{n\}\}' is not a host name/),
    C('a unit as a template', (w) => (w.services.web.unit = '{{unit}}; reboot'), /unit: '\{\{unit\}\}; reboot' is not a unit or init script name/),
    C('a mount point as a template', (w) => (w.drbd.resources.r0.mount = '{{mount}}'), /mount: '\{\{mount\}\}' is not an absolute, normalized path/),
  ],
  'shell injection': [
    C('a unit with a command after it', (w) => (w.services.web.unit = 'nginx; rm -rf /'), /is not a unit or init script name/),
    C('a unit that is a path out of /etc/init.d', (w) => (w.services.web.unit = '../../tmp/evil'), /'\.\.\/\.\.\/tmp\/evil' is not a unit or init script name/),
    C('a unit that is an option', (w) => (w.services.web.unit = '--now'), /'--now' is not a unit or init script name/),
    C('a unit with command substitution', (w) => (w.services.web.unit = '$(reboot)'), /is not a unit or init script name/),
    C('a unit with a blank', (w) => (w.services.web.unit = 'nginx x'), /'nginx x' is not a unit/),
    C('a package that is an apt option', (w) => (w.services.web.package = '-oDPkg::Pre-Invoke::=evil'), /is not a package name/),
    C('a package with a command after it', (w) => (w.services.web.package = 'nginx;reboot'), /'nginx;reboot' is not a package name/),
    C('an empty package', (w) => (w.services.web.package = ''), /'' is not a package name/),
    C('a ping node with a command after it', (w) => (w.ping_nodes = ['192.0.2.1; reboot']), /ping_nodes\[0\]: '192\.0\.2\.1; reboot' is not a DNS name, an IPv4 or an IPv6 address/),
    C('a disk with a command after it', (w) => (w.drbd.resources.r0.disk = '/dev/vdb;reboot'), /disk: '\/dev\/vdb;reboot' is not a device path under \/dev/),
    C('a disk that climbs out of /dev', (w) => (w.drbd.resources.r0.disk = '/dev/../etc/passwd'), /is not a device path under \/dev/),
    C('a disk that is not under /dev', (w) => (w.drbd.resources.r0.disk = 'vdb'), /'vdb' is not a device path/),
    C('an SBD device with a blank', (w) => (w.fencing = { sbd: { devices: ['/dev/sda b'] } }), /devices\[0\]: '\/dev\/sda b' is not a device path/),
    C('a watchdog with backquotes', (w) => (w.fencing = { sbd: { devices: ['/dev/vdc'], watchdog: '/dev/watchdog`id`' } }), /watchdog: .* is not a device path/),
    C('an SSH user that is an option', (w) => (w.nodes.node1.ssh = { user: '-oProxyCommand=evil' }), /ssh\.user: '-oProxyCommand=evil' is not a login name/),
    C('an SSH host that is an option', (w) => (w.nodes.node1.ssh = { host: '-oProxyCommand=evil' }), /ssh\.host: '-oProxyCommand=evil' is not a DNS name/),
    C('a jump host that is an option', (w) => (w.nodes.node1.ssh = { proxy_jump: '-oProxyCommand=evil' }), /proxy_jump: '-oProxyCommand=evil' is not a jump host/),
    C('a fence agent with a command after it', (w) => (w.fencing = { devices: { f: { agent: 'fence_ipmilan;reboot', targets: ['node1', 'node2'] } } }), /agent: 'fence_ipmilan;reboot' is not a fence agent name/),
    C('a fence parameter name with a blank', (w) => (w.fencing = { devices: { f: { agent: 'fence_virsh', targets: ['node1', 'node2'], params: { 'ip x': '1' } } } }), /'ip x' is not a parameter name/),
    C('a service agent with a command', (w) => (w.services.web.agent = 'ocf:heartbeat:apache;reboot'), /agent: .* is not one of systemd/),
  ],
  'configuration-file injection': [
    C('a log facility that adds a respawn line to ha.cf', (w) => ((w.stack = 'heartbeat'), (w.heartbeat = { logfacility: 'local0\nrespawn root /tmp/x' })), /logfacility: .* is not one of auth, authpriv/),
    C('a replication address that adds a line to /etc/hosts', (w) => (w.nodes.node1.replication_address = '10.0.0.11\n1.2.3.4 deb.debian.org'), /replication_address: .* is not an IPv4 address/),
    C('a ping node that adds a respawn line', (w) => (w.ping_nodes = ['gw\nrespawn root /x']), /ping_nodes\[0\]: .* is not a DNS name/),
    C('a VIP interface with a newline', (w) => (w.vip.nic = 'eth0\nx'), /nic: .* is not an interface name/),
    C('a VIP interface with a blank (haresources splits on it)', (w) => (w.vip.nic = 'eth0 eth1'), /nic: 'eth0 eth1' is not an interface name/),
    C('an interface name too long for the kernel', (w) => (w.vip.nic = 'a-very-long-interface'), /is not an interface name like eth0/),
    C('mount options that add an fstab line', (w) => (w.drbd.resources.r0.mount_options = 'defaults\n/dev/sda / ext4'), /mount_options: .* is not mount options/),
    C('mount options with a blank (a new fstab field)', (w) => (w.drbd.resources.r0.mount_options = 'noatime 0'), /'noatime 0' is not mount options/),
    C('a mount point with a blank', (w) => (w.drbd.resources.r0.mount = '/srv/ha x'), /mount: '\/srv\/ha x' is not an absolute, normalized path/),
    C('a mount point with a newline', (w) => (w.drbd.resources.r0.mount = '/srv/ha\n'), /mount: .* is not an absolute, normalized path/),
    C('a Heartbeat interface with a blank', (w) => ((w.stack = 'heartbeat'), (w.heartbeat = { interface: 'eth0 x' })), /interface: 'eth0 x' is not an interface name/),
    C('a multicast group that is no address', (w) => ((w.stack = 'heartbeat'), (w.heartbeat = { comm: 'mcast', mcast_group: 'x' })), /mcast_group: 'x' is not an IPv4 address/),
    C('a serial port with a respawn line', (w) => ((w.stack = 'heartbeat'), (w.heartbeat = { serial: '/dev/ttyS0\nrespawn root /x' })), /serial: .* is not a device path/),
    C('a resource name with a semicolon (drbd.conf)', (w) => (w.drbd.resources = { 'r0;': { disk: '/dev/vdb' } }), /'r0;' is not a resource name/),
    C('a resource name that is an option', (w) => (w.drbd.resources = { '-r0': { disk: '/dev/vdb' } }), /'-r0' is not a resource name/),
    C('a cluster name with a newline', (w, inv) => ((inv.clusters = { 'web\nx': w })), /is not a name of letters, digits and dashes/),
    C('a service name with a blank', (w) => (w.services = { 'a b': { unit: 'nginx' } }), /'a b' is not a name of letters/),
    C('a node name with a blank', (w) => (w.nodes['node3 x'] = { address: '192.0.2.13' }), /'node3 x' is not a host name/),
    C('a node name with a newline', (w) => (w.nodes['node3\nrespawn'] = { address: '192.0.2.13' }), /is not a host name/),
    C('a fence device name with a semicolon', (w) => (w.fencing = { devices: { 'a;b': { agent: 'fence_virsh', targets: ['node1', 'node2'] } } }), /'a;b' is not a device name/),
    C('a cluster property name with a blank', (w) => (w.pacemaker = { properties: { 'stonith enabled': 'false' } }), /'stonith enabled' is not a parameter name/),
    C('an agent parameter name with a quote (CIB XML)', (w) => (w.services.web.params = { 'a"b': 'x' }), /'a"b' is not a parameter name/),
    C('a resync rate with more after it', (w) => (w.drbd.resync_rate = '100M; x'), /resync_rate: '100M; x' is not a rate like 100M/),
    C('a failure timeout with a blank', (w) => (w.pacemaker = { failure_timeout: '5 min' }), /failure_timeout: '5 min' is not a duration/),
  ],
  'paths that destroy systems': [
    C('the root as mount point', (w) => (w.drbd.resources.r0.mount = '/'), /mount: '\/' is not an absolute, normalized path/),
    C('/etc as mount point', (w) => (w.drbd.resources.r0.mount = '/etc'), /mount point \/etc is a system directory/),
    C('/tmp as mount point', (w) => (w.drbd.resources.r0.mount = '/tmp'), /mount point \/tmp is a system directory/),
    C('/var as mount point', (w) => (w.drbd.resources.r0.mount = '/var'), /mount point \/var is a system directory/),
    C('/usr/local as mount point', (w) => (w.drbd.resources.r0.mount = '/usr/local'), /mount point \/usr\/local is a system directory/),
    C('/var/lib as mount point (it holds the CIB)', (w) => (w.drbd.resources.r0.mount = '/var/lib'), /mount point \/var\/lib is a system directory/),
    C('/root as mount point', (w) => (w.drbd.resources.r0.mount = '/root'), /mount point \/root is a system directory/),
    C('the root as a service path', (w) => (w.services.web.paths = ['/']), /paths\[0\]: '\/' is not an absolute, normalized path/),
    C('/etc as a service path', (w) => (w.services.web.paths = ['/etc']), /\/etc is a system directory: moved onto the volume it would be a dangling symlink/),
    C('/var/lib as a service path', (w) => (w.services.web.paths = ['/var/lib']), /\/var\/lib is a system directory/),
    C("Heartbeat's own configuration as a service path", (w) => (w.services.web.paths = ['/etc/ha.d']), /\/etc\/ha\.d is a system directory/),
    C("root's SSH keys as a service path", (w) => (w.services.web.paths = ['/root/.ssh']), /\/root\/\.ssh is a system directory/),
    C('/home as a service path', (w) => (w.services.web.paths = ['/home']), /\/home is a system directory/),
    C('/usr as a service path', (w) => (w.services.web.paths = ['/usr']), /\/usr is a system directory/),
    C('a mount point with a . component', (w) => (w.drbd.resources.r0.mount = '/srv/./ha'), /'\/srv\/\.\/ha' is not an absolute, normalized path/),
    C('a mount point that climbs with ..', (w) => (w.drbd.resources.r0.mount = '/srv/../etc'), /'\/srv\/\.\.\/etc' is not an absolute, normalized path/),
    C('a mount point with //', (w) => (w.drbd.resources.r0.mount = '/srv//ha'), /is not an absolute, normalized path/),
    C('a mount point with a trailing /', (w) => (w.drbd.resources.r0.mount = '/srv/ha/'), /is not an absolute, normalized path/),
    C('a relative service path', (w) => (w.services.web.paths = ['var/www']), /'var\/www' is not an absolute, normalized path/),
    C('a service path inside another', (w) => (w.services.web.paths = ['/var/www', '/var/www/html']), /\/var\/www\/html is inside \/var\/www/),
    C('one path in two services', (w) => (w.services.api = { unit: 'api', paths: ['/var/www'] }), /\/var\/www is listed again of service 'web'|\/var\/www is listed again of service 'api'/),
    C('a service path on the volume already', (w) => (w.services.web.paths = ['/srv/ha/www']), /\/srv\/ha\/www is already on the replicated volume/),
    C('a service path that holds the mount point', (w) => (w.services.web.paths = ['/srv']), /\/srv holds the mount point \/srv\/ha of resource 'r0'/),
    C('two resources on one mount point', (w) => (w.drbd.resources.r1 = { disk: '/dev/vdc', mount: '/srv/ha' }), /mount point \/srv\/ha is also the mount point of resource 'r0'/),
    C('a mount point inside another', (w) => (w.drbd.resources.r1 = { disk: '/dev/vdc', mount: '/srv/ha/more' }), /mount point \/srv\/ha\/more is inside the mount point of resource 'r0'/),
    C('a quiescent path off the volume', (w) => (w.drill = { quiescent: ['/etc/lighttpd'] }), /drill: quiescent path \/etc\/lighttpd is on no replicated filesystem/),
    C('a relative quiescent path', (w) => (w.drill = { quiescent: ['srv/ha'] }), /quiescent\[0\]: 'srv\/ha' is not an absolute, normalized path/),
    C("a service file in the cluster's own configuration", (w) => (w.services.web.files = [{ path: '/etc/corosync/corosync.conf', content: 'totem {}' }]), /file \/etc\/corosync\/corosync\.conf is in \/etc\/corosync, which haforge and the cluster manage/),
    C("a service file in root's ssh keys", (w) => (w.services.web.files = [{ path: '/root/.ssh/authorized_keys', content: 'ssh-ed25519 AAAA' }]), /file \/root\/\.ssh\/authorized_keys is in \/root\/\.ssh/),
    C('a relative service file path', (w) => (w.services.web.files = [{ path: 'etc/nginx/x.conf', content: '' }]), /files\[0\]\.path: 'etc\/nginx\/x\.conf' is not an absolute, normalized path/),
    C('a service file at a relocated path', (w) => (w.services.web.files = [{ path: '/var/www', content: '' }]), /file \/var\/www is one of the service's relocated paths/),
    C('a service file with content and a template', (w) => (w.services.web.files = [{ path: '/etc/nginx/x.conf', content: '', template: 'x.hbs' }]), /file \/etc\/nginx\/x\.conf needs exactly one of content and template/),
    C('a service file with neither content nor template', (w) => (w.services.web.files = [{ path: '/etc/nginx/x.conf' }]), /needs exactly one of content and template/),
    C('a service file listed twice', (w) => (w.services.web.files = [{ path: '/etc/nginx/x.conf', content: 'a' }, { path: '/etc/nginx/x.conf', content: 'b' }]), /file \/etc\/nginx\/x\.conf is listed twice/),
    C("a service file template outside the inventory's directory", (w) => (w.services.web.files = [{ path: '/etc/nginx/x.conf', template: '../../../../../../etc/passwd' }]), /template \.\.\/.*etc\/passwd is \/etc\/passwd, outside the inventory's directory/),
    C('a service file template that is not there', (w) => (w.services.web.files = [{ path: '/etc/nginx/x.conf', template: 'no-such.hbs' }]), /template no-such\.hbs is not a file/),
  ],
  'values that are not what they claim': [
    C('an address octet above 255', (w) => (w.nodes.node1.replication_address = '10.0.0.300'), /'10\.0\.0\.300' is not an IPv4 address/),
    C('an address that is words', (w) => (w.nodes.node1.replication_address = 'not an ip'), /'not an ip' is not an IPv4 address/),
    C('a VIP out of range', (w) => (w.vip.address = '300.1.2.999'), /'300\.1\.2\.999' is not an IPv4 address/),
    C('a VIP on no network of the nodes', (w) => (w.vip.address = '198.51.100.50'), /the virtual IP 198\.51\.100\.50\/24 is on no network of the nodes/),
    C("a VIP that is a node's address", (w) => (w.vip.address = '192.0.2.11'), /the virtual IP 192\.0\.2\.11 is an address of node 'node1'/),
    C('a VIP that is the network address', (w) => (w.vip.address = '192.0.2.0'), /is the network address of 192\.0\.2\.0\/24/),
    C('a VIP that is the broadcast address', (w) => (w.vip.address = '192.0.2.255'), /is the broadcast address of 192\.0\.2\.255\/24/),
    C('two nodes with one replication address', (w) => (w.nodes.node2.replication_address = '10.0.0.11'), /node 'node2': replication_address 10\.0\.0\.11 is already the replication address of node 'node1'/),
    C('two nodes with one ring1 address', (w) => ((w.nodes.node1.ring1_address = '10.1.0.1'), (w.nodes.node2.ring1_address = '10.1.0.1')), /ring1_address 10\.1\.0\.1 is already the ring1 address of node 'node1'/),
    C('two resources on one TCP port', (w) => (w.drbd.resources.r1 = { disk: '/dev/vdc', port: 7788 }), /resources r0 and r1 both replicate on TCP port 7788/),
    C('two resources with one minor', (w) => (w.drbd.resources.r1 = { disk: '/dev/vdc', minor: 0 }), /resources r0 and r1 both use minor 0/),
    C('three nodes under Heartbeat', (w) => ((w.stack = 'heartbeat'), (w.nodes.node3 = { address: '192.0.2.13', replication_address: '10.0.0.13' })), /cluster 'web' has 3 nodes: Heartbeat v1 \(haresources\) runs exactly two/),
    C('one node under Heartbeat', (w) => ((w.stack = 'heartbeat'), delete w.nodes.node2), /cluster 'web' has 1 node: Heartbeat v1/),
    C('meta attributes under Heartbeat', (w) => ((w.stack = 'heartbeat'), (w.services.web.meta = { 'allow-migrate': true })), /service 'web' has meta attributes, which Heartbeat v1 \(haresources\) has no place for/),
    C('a meta attribute name with a blank', (w) => (w.services.web.meta = { 'allow migrate': true }), /'allow migrate' is not a parameter name/),
    C('a netmask of 33', (w) => (w.vip.cidr_netmask = 33), /cidr_netmask: 33 is out of range 1\.\.32/),
    C('a port above 65535', (w) => (w.services.web.port = 70000), /port: 70000 is out of range 1\.\.65535/),
    C('a negative minor', (w) => (w.drbd.resources.r0.minor = -1), /minor: -1 is out of range 0\.\./),
    C('an address with a blank', (w) => (w.nodes.node1.address = 'a b'), /address: 'a b' is not a DNS name/),
    C('an empty address', (w) => (w.nodes.node1.address = ''), /address: '' is not a DNS name/),
    C('a DNS name and no replication address with DRBD', (w) => ((w.nodes.node1.address = 'node1.example.com'), delete w.nodes.node1.replication_address), /node 'node1' has no IPv4 replication address \(its address is node1\.example\.com\)/),
    C('a multicast group octet above 255', (w) => ((w.stack = 'heartbeat'), (w.heartbeat = { comm: 'mcast', mcast_group: '239.0.0.256' })), /'239\.0\.0\.256' is not an IPv4 address/),
    C('a UDP port of 0', (w) => ((w.stack = 'heartbeat'), (w.heartbeat = { udpport: 0 })), /udpport: 0 is out of range 1\.\.65535/),
    C('a Corosync token of 10 ms', (w) => (w.corosync = { token: 10 }), /token: 10 is out of range 500\.\.120000/),
    C('a watchdog timeout of 1 s', (w) => (w.fencing = { sbd: { devices: ['/dev/vdc'], watchdog_timeout: 1 } }), /watchdog_timeout: 1 is out of range 2\.\.120/),
    C('a DRBD protocol D', (w) => (w.drbd.protocol = 'D'), /'D' is not one of A, B, C/),
    C('an NTFS volume', (w) => (w.drbd.resources.r0.filesystem = 'ntfs'), /'ntfs' is not one of ext4, xfs/),
    C('an unknown stack', (w) => (w.stack = 'openais'), /'openais' is not one of heartbeat, pacemaker/),
    C('inventory version 2', (_w, inv) => (inv.version = 2), /version: '?2'? is not one of 1/),
    C('a cluster without nodes', (w) => (w.nodes = {}), /cluster 'web' has no nodes/),
    C('a primary that is no node', (w) => (w.primary = 'node9'), /primary 'node9' is not a node of cluster 'web'/),
    C('a group naming an unknown node', (w) => (w.groups = { db: { nodes: ['node9'] } }), /group 'db' names unknown node 'node9'/),
    C('a group named like a node', (w) => (w.groups = { node1: { nodes: ['node2'] } }), /group 'node1' has the name of a node/),
    C('a fence device targeting an unknown node', (w) => (w.fencing = { devices: { f: { agent: 'fence_virsh', targets: ['node1', 'node9'] } } }), /targets 'node9', which is not a node/),
    C('a node in two clusters', (w, inv) => (inv.clusters.db = { nodes: { node1: { address: '192.0.2.21' }, node5: { address: '192.0.2.22' } }, fencing: { enabled: false } }), /node 'node1' is already defined in cluster 'web'/),
    C('an unknown key, with a suggestion', (w) => (w.nodes.node1.replication_adress = '10.0.0.11'), /unknown key 'replication_adress' \(did you mean 'replication_address'\?\)/),
    C('a reserved variable name', (w) => (w.vars = { node: 'x' }), /variable 'node' is reserved/),
  ],
};

describe('the bad-input corpus: inventories', () => {
  for (const [kind, cases] of Object.entries(INVENTORY_CASES)) {
    describe(kind, () => {
      for (const c of cases) {
        it(c.name, () => {
          const text = refuseInventory(c.change);
          if (process.env.SHOW_REFUSALS) console.log(`@@ ${c.name}\n${text}`);
          expect(text).toMatch(c.says);
          // Where the inventory has a line, the error names it.
          expect(text).toMatch(/bad\.yaml:\d+:\d+: /);
        });
      }
    });
  }

  it('the corpus holds more than 100 cases across every class', () => {
    const total = Object.values(INVENTORY_CASES).flat().length + LOADING + SECRETS + PLAYBOOK + COMMAND_LINE + RENDERED;
    expect(total).toBeGreaterThanOrEqual(100);
  });

  it('the base inventory itself is accepted (each case fails for its own change)', () => {
    expect(parseInventory('ok.yaml', stringify(base())).clusters[0]!.name).toBe('web');
  });

  it('accepts what is right though unusual: FQDN node names, a VIP on a network of its own with a nic, meta attributes', () => {
    const inv = parseInventory(
      'ok.yaml',
      inventoryText((w) => {
        w.nodes = { 'sasmbohost1.example.cz': { address: '192.0.2.11', replication_address: '10.0.0.11' }, 'sasmbohost2.example.cz': { address: '192.0.2.12', replication_address: '10.0.0.12' } };
        w.primary = 'sasmbohost1.example.cz';
        w.vip = { address: '198.51.100.50', cidr_netmask: 24, nic: 'eth1' };
        w.services.web.meta = { 'allow-migrate': true, 'migration-threshold': 2 };
      }),
    );
    expect(inv.clusters[0]!.services[0]!.meta).toEqual({ 'allow-migrate': 'true', 'migration-threshold': '2' });
    expect(inv.clusters[0]!.nodes.map((n) => n.name)).toEqual(['sasmbohost1.example.cz', 'sasmbohost2.example.cz']);
    expect(inv.warnings).toEqual([expect.stringMatching(/the virtual IP 198\.51\.100\.50\/24 is on no network of the nodes .*; it goes on eth1 as given/)]);
  });
});

// ------------------------------------------------------------------ loading

const LOADING = 12;
describe('the bad-input corpus: loading never hangs, crashes or reads without end', () => {
  const load = async (file: string) => {
    try {
      await loadInventory(file);
    } catch (err) {
      expect(err).toBeInstanceOf(HaforgeError);
      expect((err as HaforgeError).kind).toBe('user');
      return formatError(err);
    }
    throw new Error('expected a refusal');
  };
  const write = (name: string, text: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('a FIFO', async () => {
    const fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(await load(fifo)).toMatch(/inventory .*fifo\.yaml is a FIFO, not a file/);
  });
  it('a directory', async () => expect(await load(dir)).toMatch(/is a directory, not a file[\s\S]*hint: give the path of the inventory file itself/));
  it('/dev/zero', async () => expect(await load('/dev/zero')).toMatch(/\/dev\/zero is a character device, not a file/));
  it('a file over the size cap, refused before it is read', async () => expect(await load(write('big.yaml', `# ${'x'.repeat(5 * 1024 * 1024)}\n`))).toMatch(/is larger than 4 MiB \(5120 KiB\)/));
  it('a missing file', async () => expect(await load(path.join(dir, 'nowhere.yaml'))).toMatch(/cannot read inventory .*nowhere\.yaml: no such file/));
  it('an alias bomb', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(await load(write('bomb.yaml', `${levels.join('\n')}\nversion: 1\nclusters: {}\n`))).toMatch(/unknown key 'a'|aliases expand too far/);
  });
  it('an alias fan-out inside valid keys', async () => {
    const text = `version: 1\nclusters:\n  web:\n    vars: &v\n${Array.from({ length: 1000 }, (_, i) => `      k${i}: ${i}`).join('\n')}\n    nodes:\n${Array.from({ length: 200 }, (_, i) => `      n${i}: { address: 192.0.2.1, vars: *v }`).join('\n')}\n`;
    expect(await load(write('fanout.yaml', text))).toMatch(/aliases expand too far|fencing|replication address/);
  });
  it('duplicate keys', async () => expect(await load(write('dup.yaml', 'version: 1\nversion: 1\nclusters: {}\n'))).toMatch(/dup\.yaml:2:1: YAML: Map keys must be unique/));
  it('a tab in the indentation', async () => expect(await load(write('tab.yaml', 'version: 1\nclusters:\n\tweb: {}\n'))).toMatch(/tab\.yaml:3:\d+: YAML: /));
  it('an empty file', async () => expect(await load(write('empty.yaml', ''))).toMatch(/expected a map|missing required key/));
  it('a list instead of a map', async () => expect(await load(write('list.yaml', '[]\n'))).toMatch(/list\.yaml:1:1: .*expected a map \(key: value\), got a list/));
  it('binary garbage', async () => expect(await load(write('garbage.yaml', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x1b, 0x5b, 0x32, 0x4a])))).not.toMatch(/\x1b/));
});

// ------------------------------------------------------------------ secrets

const SECRETS = 5;
describe('the bad-input corpus: secrets are never echoed', () => {
  const SECRET = 'hunter2-never-shown';
  it('a password of the wrong type', () => {
    const text = refuseInventory((w) => (w.fencing = { devices: { f: { agent: 'fence_virsh', targets: ['node1', 'node2'], params: { password: [SECRET] } } } }));
    expect(text).toMatch(/password/);
    expect(text).not.toContain(SECRET);
  });
  it('an SNMP community of the wrong type', () => {
    const text = refuseInventory((w) => (w.fencing = { devices: { f: { agent: 'fence_apc_snmp', targets: ['node1', 'node2'], params: { community: { x: SECRET } } } } }));
    expect(text).not.toContain(SECRET);
  });
  it('an IPMI Kg key in a Heartbeat stonith line it cannot hold', () => {
    let text = '';
    try {
      stonithHostLine({ name: 'f', agent: 'fence_ipmilan', targets: ['node1'], params: { ip: '192.0.2.1', username: 'u', password: `${SECRET} #x` } });
    } catch (err) {
      text = formatError(err);
    }
    expect(text).toMatch(/a parameter is empty or holds a blank/);
    expect(text).not.toContain(SECRET);
  });
  it('terminal escape sequences in a name are shown escaped', () => {
    const text = refuseInventory((w) => (w.nodes['\x1b[2Jnode'] = { address: '192.0.2.13' }));
    expect(text).not.toMatch(/\x1b/);
    expect(text).toContain('\\x1b[2Jnode');
  });
  it('a password on the command line is warned about, its value not repeated', () => {
    const { warnings } = secretParamsFromFiles([`password=${SECRET}`], () => '');
    expect(warnings).toEqual([expect.stringMatching(/--fence-param password is on the command line/)]);
    expect(warnings.join('')).not.toContain(SECRET);
  });
});

// ------------------------------------------------------------------ playbooks

const PLAYBOOK = 12;
describe('the bad-input corpus: playbooks', () => {
  const refusePlaybook = (text: string) => refusal(() => parsePlaybook(path.join(dir, 'bad-play.yaml'), text));
  const inventory = parseInventory('ok.yaml', stringify(base()));
  const prepare = (text: string) => refusal(() => preparePlaybook(inventory, parsePlaybook(path.join(dir, 'p.yaml'), text), {}));
  const loadFile = async (text: string) => {
    const file = path.join(dir, `pb-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    try {
      await loadPlaybook(file);
    } catch (err) {
      expect(err).toBeInstanceOf(UserErrors);
      return formatError(err);
    }
    throw new Error('expected a refusal');
  };

  it('two operations in one task', () => expect(refusePlaybook('- hosts: all\n  tasks:\n    - { file: { path: /x, content: "" }, command: { cmd: "true" } }\n')).toMatch(/bad-play\.yaml:3:\d+: task names 2 operations/));
  it('an unknown operation', () => expect(refusePlaybook('- hosts: all\n  tasks:\n    - shell: { cmd: "true" }\n')).toMatch(/unknown key 'shell'|task names no operation/));
  it('a notify of no handler', () => expect(refusePlaybook('- hosts: all\n  tasks:\n    - { file: { path: /x, content: "" }, notify: restart }\n')).toMatch(/notifies unknown handler 'restart'/));
  it('a command with neither cmd nor argv', () => expect(refusePlaybook('- hosts: all\n  tasks:\n    - command: { creates: /x }\n')).toMatch(/command needs cmd \(a shell line\) or argv/));
  it('a file with content and template', () => expect(refusePlaybook('- hosts: all\n  tasks:\n    - file: { path: /x, content: "", template: t.hbs }\n')).toMatch(/file takes content or template, not both/));
  it('a reserved variable', () => expect(refusePlaybook('- hosts: all\n  vars: { cluster: x }\n  tasks: []\n')).toMatch(/variable 'cluster' is reserved/));
  it('a template that does not exist, found at load', async () => expect(await loadFile('- hosts: all\n  tasks:\n    - file: { path: /x, template: nowhere.hbs }\n')).toMatch(/pb-\w+\.yaml:3:\d+: template nowhere\.hbs not found/));
  it("a template outside the playbook's directory, named by its absolute path (a private key)", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'hf-key-'));
    writeFileSync(path.join(outside, 'id_ed25519'), 'PRIVATE KEY');
    expect(await loadFile(`- hosts: all\n  tasks:\n    - file: { path: /root/key, template: ${path.join(outside, 'id_ed25519')} }\n`)).toMatch(
      /pb-\w+\.yaml:3:\d+: template .*id_ed25519 is .*id_ed25519, outside the playbook's directory and haforge's templates[\s\S]*hint: .*--template-dir/,
    );
    rmSync(outside, { recursive: true, force: true });
  });
  it('a template that is a symlink out of the playbook directory', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'hf-outside-'));
    writeFileSync(path.join(outside, 'id_ed25519'), 'PRIVATE KEY');
    const sub = path.join(dir, `sym-${Date.now()}`);
    mkdirSync(sub);
    symlinkSync(path.join(outside, 'id_ed25519'), path.join(sub, 'innocent.hbs'));
    writeFileSync(path.join(sub, 'play.yaml'), '- hosts: all\n  tasks:\n    - file: { path: /x, template: innocent.hbs }\n');
    await expect(loadPlaybook(path.join(sub, 'play.yaml'))).rejects.toThrow(/template innocent\.hbs is .*id_ed25519, outside the playbook's directory/);
    // Allowed on purpose: --template-dir.
    await expect(loadPlaybook(path.join(sub, 'play.yaml'), { templateDirs: [outside] })).resolves.toBeDefined();
    rmSync(outside, { recursive: true, force: true });
  });
  it('a loop over something that is not a list', () => expect(prepare('- hosts: all\n  tasks:\n    - { file: { path: /x, content: "" }, loop: cluster.name }\n')).toMatch(/loop: cluster\.name is not a list/));
  it('unknown hosts', () => expect(prepare('- hosts: nodeX\n  tasks: []\n')).toMatch(/nodeX/));
  it('a templated package that renders to an option is refused after templating', () =>
    expect(refusal(() => preparePlaybook(inventory, parsePlaybook(path.join(dir, 'p.yaml'), '- hosts: all\n  tasks:\n    - package: { name: "{{pkg}}" }\n'), { pkg: '-oDPkg::Pre-Invoke::=evil' }))).toMatch(
      /after templating: name: .* is not a package name/,
    ));
});

// ------------------------------------------------------------------ command lines

const COMMAND_LINE = 6;
describe('the bad-input corpus: command lines', () => {
  it('--var without =', () => expect(refusal(() => parseVarFlags(['initial_sync']))).toMatch(/--var expects key=value, got 'initial_sync'/));
  it('--var with no key', () => expect(refusal(() => parseVarFlags(['=skip']))).toMatch(/--var expects key=value/));
  it('--node with a name that is no host name', () => expect(refusal(() => parseNodeFlag('a b=192.0.2.1'))).toMatch(/node name 'a b' is not a valid host name/));
  it('--fence-param without a value', () => expect(refusal(() => parseFenceParam('password='))).toMatch(/fence parameter 'password' has no value/));
  it('--fence-param with a line break', () => expect(refusal(() => parseFenceParam('username=a\nb'))).toMatch(/has a line break/));
  it('--fence-param password=@FILE that cannot be read', () => expect(refusal(() => secretParamsFromFiles(['password=@/nonexistent/pw'], (f) => execFileSync('cat', [f], { stdio: 'pipe' }).toString()))).toMatch(/cannot read the value of fence parameter 'password' from \/nonexistent\/pw/));
});

// ------------------------------------------------------------------ hostile values rendered

const RENDERED = 13;
describe('the bad-input corpus: hostile values arrive as data or are refused where they would be written', () => {
  const HOSTILE = ['a b', 'x\nrespawn root /tmp/evil', '#comment', 'semi;colon', 'brace{', 'quote"', "single'", '$(reboot)', '`id`', '-oProxyCommand=evil', 'tab\there', 'nul\0byte'];

  it('as positional parameters every byte arrives, nothing runs', () => {
    const values = HOSTILE.filter((v) => !v.includes('\0'));
    const argv = shArgv('for a; do printf "%s\\0" "$a"; done', values);
    const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).stdout;
    expect(out.split('\0').slice(0, -1)).toEqual(values);
  });

  it('quoted into one command line for ssh, every byte arrives', () => {
    const values = HOSTILE.filter((v) => !v.includes('\0'));
    const line = quoteArgv(['printf', '%s\\0', ...values]);
    const out = spawnSync('sh', ['-c', line], { encoding: 'utf8' }).stdout;
    expect(out.split('\0').slice(0, -1)).toEqual(values);
  });

  const formats: ConfigFormat[] = ['ha.cf', 'haresources', 'fstab', 'hosts', 'mon.cf', 'drbd', 'corosync.conf'];
  for (const format of formats) {
    it(`${format} refuses what would split or end its lines`, () => {
      for (const v of ['x\nrespawn root /tmp/evil', 'nul\0byte', '#comment'.replace('#', format === 'corosync.conf' ? '{' : '#')]) {
        expect(refusal(() => configValue(format, v))).toMatch(new RegExp(`cannot be written into ${format.replace('.', '\\.')}`));
      }
      expect(configValue(format, 'node1.example.com')).toBe('node1.example.com');
    });
  }

  it('a template using conf refuses a hostile value with the reason, without echoing a raw newline', () => {
    const text = refusal(() => render('node {{conf "ha.cf" name}}\n', { name: 'n1\nrespawn root /tmp/evil' }, 'ha.cf.hbs'));
    expect(text).toMatch(/'n1\\nrespawn root \/tmp\/evil' cannot be written into ha\.cf: it holds blanks, control characters or #/);
  });

  it('haresources refuses the :: that would add an argument to a resource', () => {
    expect(refusal(() => configValue('haresources', 'eth0::evil'))).toMatch(/cannot be written into haresources: it holds blanks, control characters, # or ::/);
  });

  it('package names reach apt-get, dnf and zypper after --: a name is never an option', () => {
    for (const pm of ['apt', 'dnf', 'zypper'] as const) {
      const plan = packageOperation.plan({ name: ['nginx', '-x'] }, { fact: () => ({}), system: { packageManager: pm }, node: { name: 'n' } } as never);
      const install = plan.steps.at(-1)!.argv;
      expect(install.slice(install.indexOf('--') + 1), pm).toEqual(['nginx', '-x']);
    }
  });

  it('the built-in playbooks paste no template into shell text: values go as args', () => {
    const playbooks = path.join(__dirname, '../../playbooks');
    for (const name of ['base', 'bootstrap', 'drbd', 'heartbeat', 'pacemaker', 'relocate']) {
      const pb = parsePlaybook(`${name}.yaml`, execFileSync('cat', [path.join(playbooks, `${name}.yaml`)], { encoding: 'utf8' }));
      for (const play of pb.plays) {
        for (const task of [...play.tasks, ...play.handlers]) {
          if (task.op !== 'command') continue;
          for (const key of ['cmd', 'unless', 'only_if'] as const) {
            expect(String(task.args[key] ?? ''), `${name}.yaml: ${task.label} ${key}`).not.toContain('{{');
          }
        }
      }
    }
  });
});

describe('inventory validate: what preflight would warn about, without SSH', () => {
  it('no fencing decision, fencing off, fence passwords in a file others can read, known_hosts /dev/null', async () => {
    const file = path.join(dir, 'warned.yaml');
    const text = stringify({
      version: 1,
      defaults: { ssh: { known_hosts: '/dev/null' } },
      clusters: {
        web: { ...base().clusters.web, fencing: { devices: { f: { agent: 'fence_virsh', targets: ['node1', 'node2'], params: { ip: '192.0.2.1', password: 'hunter2' } } } } },
        db: { nodes: { db1: { address: '192.0.2.21' }, db2: { address: '192.0.2.22' } } },
        mail: { nodes: { mx1: { address: '192.0.2.31' }, mx2: { address: '192.0.2.32' } }, fencing: { enabled: false } },
      },
    });
    writeFileSync(file, text, { mode: 0o644 });
    chmodSync(file, 0o644);
    const { warnings } = await validateInventory(file);
    expect(warnings).toEqual([
      expect.stringMatching(/^cluster 'db': no fencing section/),
      expect.stringMatching(/^cluster 'mail': fencing disabled/),
      `${file} holds secrets (f.password) and other users may read it (mode 0644): chmod 600 ${file}`,
      expect.stringMatching(/^known_hosts is \/dev\/null for node1, node2, db1, db2, mx1, mx2: no host key is ever recorded/),
    ]);
    expect(warnings.join('\n')).not.toContain('hunter2');
    chmodSync(file, 0o600);
    expect((await validateInventory(file)).warnings.filter((w) => w.includes('other users'))).toEqual([]);
  });
});
