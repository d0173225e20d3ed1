import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { UserError } from '../errors.js';
import {
  FILESYSTEMS,
  parseAddress,
  parseDiskFlag,
  parseFenceAgent,
  parseFenceParam,
  parseKeyed,
  parseMount,
  parseName,
  parseNic,
  parseNodeFlag,
  parseNodeList,
  parseNodeName,
  parsePort,
  parseResourceName,
  parseServiceFlag,
  parseVip,
  SECRET_ON_COMMAND_LINE_HINT,
  secretParamsFromFiles,
  showFenceParam,
  STACKS,
} from '../init/answers.js';
import { initInventory, type InitReport, type Note } from '../init/wizard.js';
import { acceptNewFlag, BaseCommand, jsonFlag } from '../ui/base-command.js';
import { color } from '../ui/color.js';
import { terminalPrompts } from '../ui/prompts.js';

/**
 * A flag value through one of the answer parsers; its errors name the flag
 * and its value (`show` hides what must not be printed, e.g. a password).
 * Parsed here rather than in oclif, which would wrap the message in its own words.
 */
function answer<T>(flag: string, input: string, parse: (text: string) => T, show: (text: string) => string = (t) => t): T {
  try {
    return parse(input);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`--${flag} ${show(input)}: ${err.message}`, { hint: err.hint });
    throw err;
  }
}

function answers<T>(flag: string, inputs: string[] | undefined, parse: (text: string) => T, show?: (text: string) => string): T[] {
  return (inputs ?? []).map((input) => answer(flag, input, parse, show));
}

const maybe = <T>(flag: string, input: string | undefined, parse: (text: string) => T): T | undefined => (input === undefined ? undefined : answer(flag, input, parse));

const A = 'ANSWER';
const F = 'FENCING';

export default class Init extends BaseCommand {
  static override description = `Write a new inventory: asks for the cluster, checks what it can over SSH as it goes, writes a commented inventory.yaml.

Asks for the cluster name, the nodes (SSH address, name, replication address), the backing disk, the mount point, the virtual IP, the cluster stack, the primary node, the services to make highly available, and fencing: a fence device (agent, its parameters, the nodes it powers off), or none on purpose. After each node's address it connects (host keys verified) and reads \`uname -n\`, offered as the node's name; after the disk it checks that the disk exists on every node, its size, and that it is blank. A node that cannot be reached is reported and the wizard goes on; --offline skips SSH altogether.

Every answer can be given as a flag. With all required flags (--cluster, two --node, --disk, --mount, --vip), with --yes or --json, or without a terminal, nothing is asked: a missing required value is an error that names its flag.

Fencing must be decided before haforge preflight passes: --fence-agent (with --fence-param, repeated, and --fence-targets) or --no-fencing. A --fence-param NODE:NAME=VALUE makes one device per node, as a management controller (IPMI, iLO, iDRAC) powers one machine: --fence-param alice:ip=... --fence-param bob:ip=... When neither is given and nothing is asked, the inventory is written without a fencing section (a comment shows one) and init warns on stderr that preflight fails until the file says.

The file is checked with the inventory loader before it is written (atomically, mode 0644; 0600 when it holds a fence password). Parameters named like passwords (pass, secret, key, token) are never printed. An existing file is kept unless --force, which keeps the old one as FILE.<time>.bak.

Flag values (repeat --node, --replication, --disk, --service and --fence-param as needed):
  --node [NAME=][USER@]HOST[:PORT]   NAME left out: read with uname -n
  --replication NAME=ADDRESS         default: the SSH address
  --disk DEVICE | NODE=DEVICE        NODE= where one node's disk differs
  --vip ADDRESS[/CIDR]               CIDR default 24
  --service NAME[:unit=U,paths=/a:/b,port=N,package=P]   unit default NAME
  --fence-agent AGENT                e.g. fence_ipmilan, fence_virsh
  --fence-param [NODE:]NAME=VALUE    NODE: a value of that node's device only
  --fence-targets NODE,NODE          default: every node
A login user other than root (USER@ or --ssh-user) gets sudo: true.`;

  static override examples = [
    { description: 'Ask for everything, checking the nodes over SSH:', command: '<%= config.bin %> init' },
    {
      description: 'No questions: everything as flags',
      command:
        '<%= config.bin %> init --cluster web --node alice=192.0.2.11 --node bob=192.0.2.12 --replication alice=10.0.0.11 --replication bob=10.0.0.12 --disk /dev/sdb --mount /replicated --vip 192.0.2.50/24 --vip-nic eth0 --stack pacemaker --primary alice --service web:unit=nginx,paths=/var/www:/etc/nginx,port=80 --fence-agent fence_ipmilan --fence-param alice:ip=192.0.2.111 --fence-param bob:ip=192.0.2.112 --fence-param username=admin --fence-param password=change-me --fence-param lanplus=1 --yes',
    },
    {
      description: 'One fence device for every node (a hypervisor); the file gets mode 0600 for the password:',
      command: '<%= config.bin %> init -c lab --node n1=192.0.2.21 --node n2=192.0.2.22 --disk /dev/vdb --mount /srv --vip 192.0.2.60 --fence-agent fence_virsh --fence-param ip=192.0.2.1 --fence-param username=fence --fence-param password=change-me --fence-targets n1,n2 --yes',
    },
    { description: 'Names read from the nodes (uname -n), a non-root login, one node with another disk:', command: '<%= config.bin %> init -c db --node admin@db1.example.org --node admin@db2.example.org --disk /dev/vdb --disk db2=/dev/vdc --mount /srv/data --vip 10.1.0.50 --service mariadb:paths=/var/lib/mysql,port=3306' },
    { description: 'Without touching the network, to another file, without fencing on purpose (preflight and status warn about it):', command: '<%= config.bin %> init --offline -o staging.yaml --cluster stage --node s1=10.2.0.11 --node s2=10.2.0.12 --disk /dev/sdb --mount /replicated --vip 10.2.0.50/24 --no-fencing --yes' },
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

    'fence-agent': Flags.string({ helpGroup: F, description: 'Fence agent of the device(s), from fence-agents: fence_ipmilan, fence_idrac, fence_virsh, ...' }),
    'fence-param': Flags.string({ helpGroup: F, multiple: true, description: "[NODE:]NAME=VALUE: a parameter of the agent (ip=, username=, password=, ...); NODE: for one node's own device, which makes one device per node. Once per parameter. A secret is best read from a file: password=@FILE." }),
    'fence-targets': Flags.string({ helpGroup: F, description: 'NODE,NODE: the nodes the device powers off (default: every node).' }),
    'no-fencing': Flags.boolean({ helpGroup: F, description: 'Run without fencing on purpose: writes fencing: { enabled: false } (split brain stays possible; preflight and status warn).' }),

    'ssh-user': Flags.string({ helpGroup: 'SSH', description: 'Login user of every node (defaults.ssh.user); not root means sudo.' }),
    'ssh-port': Flags.string({ helpGroup: 'SSH', description: 'SSH port of every node (defaults.ssh.port).' }),
    'identity-file': Flags.string({ helpGroup: 'SSH', description: 'Private key for every node (defaults.ssh.identity_file).' }),
    'known-hosts': Flags.string({ helpGroup: 'SSH', description: 'known_hosts file host keys are checked against (defaults.ssh.known_hosts; default ~/.ssh/known_hosts).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const human = !flags.json;
    const fenceParams = secretParamsFromFiles(flags['fence-param'] ?? [], (file) => readFileSync(file, 'utf8'));
    for (const w of fenceParams.warnings) this.logToStderr(color.yellow(`warning: ${w}\n  hint: ${SECRET_ON_COMMAND_LINE_HINT}`));
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
          primary: maybe('primary', flags.primary, (t) => parseNodeName(t, 'primary')),
          services: answers('service', flags.service, parseServiceFlag),
          fencing: {
            disabled: flags['no-fencing'],
            agent: maybe('fence-agent', flags['fence-agent'], parseFenceAgent),
            params: answers('fence-param', fenceParams.params, parseFenceParam, showFenceParam),
            targets: maybe('fence-targets', flags['fence-targets'], (t) => parseNodeList(t)),
          },
        },
      },
      {
        prompts: human && !flags.yes && process.stdin.isTTY ? terminalPrompts() : undefined,
        say: (note) => human && this.log(renderNote(note)),
      },
    );
    // On stderr, with or without --json: the file is written, but preflight will refuse it.
    if (report.fencing.state === 'undecided') this.logToStderr(color.yellow(undecidedFencing(report.file)));
    if (flags.json) this.printJson(report);
    else this.log(renderSummary(report));
  }
}

export function undecidedFencing(file: string): string {
  return [
    `warning: ${file} has no fencing decision yet: haforge preflight fails (and no cluster manager is configured) until it has fence devices or says fencing: { enabled: false }`,
    `  hint: edit the file (its last comment shows the format), or run init again with --force and --fence-agent AGENT --fence-param NAME=VALUE ..., or --no-fencing`,
  ].join('\n');
}

function renderFencing(r: InitReport): string | undefined {
  const f = r.fencing;
  if (f.state === 'undecided') return undefined;
  if (f.state === 'disabled') return color.yellow('  fencing: off on purpose (fencing: { enabled: false }): split brain stays possible; preflight and status warn about it');
  const devices = f.devices.map((d) => `${d.name} (${d.agent} → ${d.targets.join(', ')})`).join(', ');
  return `  fencing: ${devices}${r.mode === '0600' ? `; mode 0600: the file holds the fence password` : ''}`;
}

export function renderNote(note: Note): string {
  const mark = note.level === 'ok' ? color.green('✓') : note.level === 'warn' ? color.yellow('warning:') : color.dim('·');
  return `  ${mark} ${note.text}${note.hint && note.level === 'warn' ? `\n      hint: ${note.hint}` : ''}`;
}

export function renderSummary(r: InitReport): string {
  const out = [`wrote ${r.file}: cluster ${r.cluster} (${r.stack}), nodes ${r.nodes.map((n) => n.name).join(', ')}; primary ${r.primary}`];
  if (r.backup) out.push(`  the previous file is kept as ${r.backup}`);
  const fencing = renderFencing(r);
  if (fencing) out.push(fencing);
  for (const w of r.warnings) out.push(color.yellow(`warning: ${w}`));
  const warned = r.notes.filter((n) => n.level === 'warn').length;
  if (!r.probed) out.push('  the nodes were not checked (--offline): haforge preflight checks them');
  else if (warned) out.push(color.yellow(`  ${warned} warning(s) above: fix them on the nodes or in the file before going on`));
  if (r.fencing.state === 'undecided') out.push(`next: decide on fencing in ${r.file} (its last comment), then haforge inventory validate -i ${r.file}; haforge preflight -i ${r.file}`);
  else out.push(`next: haforge inventory validate -i ${r.file}; haforge preflight -i ${r.file}`);
  return out.join('\n');
}
