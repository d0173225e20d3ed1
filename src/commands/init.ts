import { Flags } from '@oclif/core';
import { UserError } from '../errors.js';
import {
  FILESYSTEMS,
  parseAddress,
  parseDiskFlag,
  parseKeyed,
  parseMount,
  parseName,
  parseNic,
  parseNodeFlag,
  parsePort,
  parseResourceName,
  parseServiceFlag,
  parseVip,
  STACKS,
} from '../inventory/answers.js';
import { initInventory, type InitReport, type Note } from '../services/init.js';
import { acceptNewFlag, BaseCommand, jsonFlag } from '../ui/base-command.js';
import { color } from '../ui/color.js';
import { terminalPrompts } from '../ui/prompts.js';

/**
 * A flag value through one of the answer parsers; its errors name the flag.
 * Parsed here rather than in oclif, which would wrap the message in its own words.
 */
function answer<T>(flag: string, input: string, parse: (text: string) => T): T {
  try {
    return parse(input);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`--${flag} ${input}: ${err.message}`, { hint: err.hint });
    throw err;
  }
}

function answers<T>(flag: string, inputs: string[] | undefined, parse: (text: string) => T): T[] {
  return (inputs ?? []).map((input) => answer(flag, input, parse));
}

const maybe = <T>(flag: string, input: string | undefined, parse: (text: string) => T): T | undefined => (input === undefined ? undefined : answer(flag, input, parse));

const A = 'ANSWER';

export default class Init extends BaseCommand {
  static override description = `Write a new inventory: asks for the cluster, checks what it can over SSH as it goes, writes a commented inventory.yaml.

Asks for the cluster name, the nodes (SSH address, name, replication address), the backing disk, the mount point, the virtual IP, the cluster stack, the primary node and the services to make highly available. After each node's address it connects (host keys verified) and reads \`uname -n\`, offered as the node's name; after the disk it checks that the disk exists on every node, its size, and that it is blank. A node that cannot be reached is reported and the wizard goes on; --offline skips SSH altogether.

Every answer can be given as a flag. With all required flags (--cluster, two --node, --disk, --mount, --vip), with --yes or --json, or without a terminal, nothing is asked: a missing required value is an error that names its flag.

The file is checked with the inventory loader before it is written (atomically, mode 0644). An existing file is kept unless --force, which keeps the old one as FILE.<time>.bak.

Flag values (repeat --node, --replication, --disk and --service as needed):
  --node [NAME=][USER@]HOST[:PORT]   NAME left out: read with uname -n
  --replication NAME=ADDRESS         default: the SSH address
  --disk DEVICE | NODE=DEVICE        NODE= where one node's disk differs
  --vip ADDRESS[/CIDR]               CIDR default 24
  --service NAME[:unit=U,paths=/a:/b,port=N,package=P]   unit default NAME
A login user other than root (USER@ or --ssh-user) gets sudo: true.`;

  static override examples = [
    { description: 'Ask for everything, checking the nodes over SSH:', command: '<%= config.bin %> init' },
    {
      description: 'No questions: everything as flags',
      command:
        '<%= config.bin %> init --cluster web --node alice=192.0.2.11 --node bob=192.0.2.12 --replication alice=10.0.0.11 --replication bob=10.0.0.12 --disk /dev/sdb --mount /replicated --vip 192.0.2.50/24 --vip-nic eth0 --stack pacemaker --primary alice --service web:unit=nginx,paths=/var/www:/etc/nginx,port=80 --yes',
    },
    { description: 'Names read from the nodes (uname -n), a non-root login, one node with another disk:', command: '<%= config.bin %> init -c db --node admin@db1.example.org --node admin@db2.example.org --disk /dev/vdb --disk db2=/dev/vdc --mount /srv/data --vip 10.1.0.50 --service mariadb:paths=/var/lib/mysql,port=3306' },
    { description: 'Without touching the network, to another file:', command: '<%= config.bin %> init --offline -o staging.yaml --cluster stage --node s1=10.2.0.11 --node s2=10.2.0.12 --disk /dev/sdb --mount /replicated --vip 10.2.0.50/24 --yes' },
  ];

  static override flags = {
    output: Flags.string({
      char: 'o',
      description: 'Inventory file to write (default: $HAFORGE_INVENTORY, else ./inventory.yaml).',
      default: async () => process.env.HAFORGE_INVENTORY ?? 'inventory.yaml',
    }),
    force: Flags.boolean({ description: 'Replace an existing file (the old one is kept as FILE.<time>.bak).' }),
    yes: Flags.boolean({ char: 'y', description: 'Ask nothing: defaults for what is optional, an error for what is required.' }),
    offline: Flags.boolean({ aliases: ['no-probe'], description: 'Do not connect to the nodes (no uname -n, disk or address checks). Alias: --no-probe.' }),
    'accept-new-host-keys': acceptNewFlag,
    json: jsonFlag,

    cluster: Flags.string({ helpGroup: A, char: 'c', description: 'Cluster name.' }),
    node: Flags.string({ helpGroup: A, multiple: true, description: 'A node: [NAME=][USER@]HOST[:PORT]; once per node.' }),
    replication: Flags.string({ helpGroup: A, multiple: true, description: "NAME=ADDRESS: a node's address for DRBD and cluster traffic." }),
    disk: Flags.string({ helpGroup: A, multiple: true, description: 'Backing disk on every node (DEVICE), or on one node (NODE=DEVICE).' }),
    mount: Flags.string({ helpGroup: A, description: 'Mount point of the replicated filesystem.' }),
    vip: Flags.string({ helpGroup: A, description: 'Virtual IP: ADDRESS[/CIDR].' }),
    'vip-nic': Flags.string({ helpGroup: A, description: 'Interface for the VIP (default: found on the nodes, else the one routing to it).' }),
    stack: Flags.string({ helpGroup: A, options: [...STACKS], description: 'Cluster stack (default pacemaker).' }),
    primary: Flags.string({ helpGroup: A, description: 'Node that is primary first (default: the first node).' }),
    service: Flags.string({ helpGroup: A, multiple: true, description: 'A service: NAME[:unit=UNIT,paths=/a:/b,port=N,package=PKG]; once per service.' }),
    resource: Flags.string({ helpGroup: A, description: 'DRBD resource name (default r0).' }),
    filesystem: Flags.string({ helpGroup: A, options: [...FILESYSTEMS], description: 'Filesystem made on the volume (default ext4).' }),

    'ssh-user': Flags.string({ helpGroup: 'SSH', description: 'Login user of every node (defaults.ssh.user); not root means sudo.' }),
    'ssh-port': Flags.string({ helpGroup: 'SSH', description: 'SSH port of every node (defaults.ssh.port).' }),
    'identity-file': Flags.string({ helpGroup: 'SSH', description: 'Private key for every node (defaults.ssh.identity_file).' }),
    'known-hosts': Flags.string({ helpGroup: 'SSH', description: 'known_hosts file host keys are checked against (defaults.ssh.known_hosts; default ~/.ssh/known_hosts).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const human = !flags.json;
    const disks = answers('disk', flags.disk, parseDiskFlag);
    const shared = disks.filter((d) => !d.node);
    if (shared.length > 1) throw new UserError(`--disk given ${shared.length} times without NODE=`, { hint: 'one --disk DEVICE for every node, plus --disk NODE=DEVICE where a node differs' });
    const report = await initInventory(
      {
        output: flags.output,
        force: flags.force,
        probe: !flags.offline,
        acceptNewHostKeys: flags['accept-new-host-keys'],
        interactive: human,
        given: {
          cluster: maybe('cluster', flags.cluster, (t) => parseName(t, 'cluster name')),
          nodes: answers('node', flags.node, parseNodeFlag),
          replication: Object.fromEntries(
            answers('replication', flags.replication, (t) => {
              const { key, value } = parseKeyed(t, 'alice=10.0.0.11');
              return [key, parseAddress(value, 'replication address')];
            }),
          ),
          ssh: { user: flags['ssh-user'], port: maybe('ssh-port', flags['ssh-port'], (t) => parsePort(t, 'SSH port')), identityFile: flags['identity-file'], knownHosts: flags['known-hosts'] },
          disk: shared[0]?.device,
          nodeDisks: Object.fromEntries(disks.filter((d) => d.node).map((d) => [d.node!, d.device])),
          resource: maybe('resource', flags.resource, parseResourceName),
          filesystem: flags.filesystem as (typeof FILESYSTEMS)[number] | undefined,
          mount: maybe('mount', flags.mount, parseMount),
          vip: maybe('vip', flags.vip, parseVip),
          nic: maybe('vip-nic', flags['vip-nic'], parseNic),
          stack: flags.stack as (typeof STACKS)[number] | undefined,
          primary: maybe('primary', flags.primary, (t) => parseName(t, 'primary')),
          services: answers('service', flags.service, parseServiceFlag),
        },
      },
      {
        prompts: human && !flags.yes && process.stdin.isTTY ? terminalPrompts() : undefined,
        say: (note) => human && this.log(renderNote(note)),
      },
    );
    if (flags.json) this.printJson(report);
    else this.log(renderSummary(report));
  }
}

export function renderNote(note: Note): string {
  const mark = note.level === 'ok' ? color.green('✓') : note.level === 'warn' ? color.yellow('warning:') : color.dim('·');
  return `  ${mark} ${note.text}${note.hint && note.level === 'warn' ? `\n      hint: ${note.hint}` : ''}`;
}

export function renderSummary(r: InitReport): string {
  const out = [`wrote ${r.file}: cluster ${r.cluster} (${r.stack}), nodes ${r.nodes.map((n) => n.name).join(', ')}; primary ${r.primary}`];
  if (r.backup) out.push(`  the previous file is kept as ${r.backup}`);
  for (const w of r.warnings) out.push(color.yellow(`warning: ${w}`));
  const warned = r.notes.filter((n) => n.level === 'warn').length;
  if (!r.probed) out.push('  the nodes were not checked (--offline): haforge preflight checks them');
  else if (warned) out.push(color.yellow(`  ${warned} warning(s) above: fix them on the nodes or in the file before going on`));
  out.push(`next: haforge inventory validate -i ${r.file}; haforge preflight -i ${r.file}`);
  return out.join('\n');
}
