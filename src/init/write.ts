// Answers -> the text of a commented inventory, in the style of
// inventory.example.yaml. Pure: no files, no hosts. The text is checked with
// the loader itself, so what `haforge init` writes always loads.
import { Document, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { UserError, UserErrors } from '../errors.js';
import { checkAnswers, holdsSecret, type FencingAnswer, type InitAnswers, type NodeAnswer } from './answers.js';
import { isSecretName } from '../util/secrets.js';
import { parseInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/model.js';

export interface RenderOptions {
  /** The file's name as the user will type it (shown in the header's commands). */
  file: string;
  /** Where the editor finds the JSON Schema, relative to the file (or a URL). */
  schemaRef: string;
}

/** The inventory's text; throws UserErrors listing every bad answer. */
export function renderInventory(a: InitAnswers, opts: RenderOptions): string {
  const errors = checkAnswers(a);
  if (errors.length) throw new UserErrors(errors);
  const doc = new Document(inventoryValue(a));
  const notes = new Notes(doc);
  doc.commentBefore = lines(header(a, opts));

  if (hasSshDefaults(a)) {
    notes.before(['defaults'], "Settings every node inherits unless it says otherwise. SSH settings left out\ncome from ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump), then\nOpenSSH's defaults.", true);
    notes.after(['defaults', 'ssh', 'user'], a.ssh.user === 'root' ? 'a non-root user needs `sudo: true`' : 'not root: commands run through `sudo -n`');
    notes.after(['defaults', 'ssh', 'identity_file'], 'relative paths are relative to this file');
    notes.after(['defaults', 'ssh', 'known_hosts'], 'host keys are always verified against it');
    notes.after(['defaults', 'sudo'], 'commands run through `sudo -n`');
    notes.before(['clusters'], 'The cluster: its nodes, replicated volume, services and address.', true);
  } else {
    notes.before(['clusters'], 'Settings every node inherits can go under `defaults:`; SSH settings left out\ncome from ~/.ssh/config, then OpenSSH\'s defaults. For example:\n  defaults:\n    ssh:\n      user: root\n      identity_file: ~/.ssh/id_ed25519\n    vars:\n      ntp_server: pool.ntp.org', true);
  }

  const c = ['clusters', a.cluster];
  notes.before([...c, 'stack'], 'The cluster manager: heartbeat (v1 haresources) or pacemaker (Corosync + Pacemaker).');
  notes.before([...c, 'primary'], 'The node that becomes DRBD primary first and holds the services by preference.');
  notes.before([...c, 'nodes'], 'The machines, each named as `uname -n` prints it there.');
  a.nodes.forEach((n, i) => {
    const p = [...c, 'nodes', n.name];
    notes.afterKey(p, i === 0 ? 'must equal `uname -n` on that machine' : undefined);
    notes.after([...p, 'address'], i === 0 ? 'where haforge connects over SSH' : undefined);
    notes.after([...p, 'replication_address'], i === 0 ? 'DRBD and cluster traffic' : undefined);
    notes.after([...p, 'sudo'], 'commands run through `sudo -n`');
    notes.after([...p, 'disks', a.resource], `${n.name}'s backing disk differs from the resource's`);
  });

  notes.before([...c, 'drbd'], 'Replication. Defaults: protocol C, resync_rate 100M, on_io_error detach,\nand `disconnect` on split brain: automatic after-sb policies throw away\none side\'s writes without asking, so they are opt-in (and warned about).', true);
  const r = [...c, 'drbd', 'resources', a.resource];
  notes.afterKey(r, 'one replicated volume: /dev/drbd0, TCP port 7788');
  notes.after([...r, 'disk'], 'backing disk on every node (same size!)');
  notes.after([...r, 'filesystem'], 'made once, on the primary, only on an empty device');
  notes.after([...r, 'mount'], 'where the active node mounts it');

  const servicesNote = 'Services moved onto the replicated volume (symlinks stay behind) and\nstarted by the cluster manager on the active node only.';
  if (a.services.length) {
    notes.before([...c, 'services'], servicesNote, true);
    a.services.forEach((s, i) => {
      notes.after([...c, 'services', s.name, 'unit'], i === 0 ? 'the systemd unit (or init script) name' : undefined);
      notes.flow([...c, 'services', s.name, 'paths']);
      notes.after([...c, 'services', s.name, 'paths'], i === 0 ? 'data and config, moved onto the volume' : undefined);
      notes.after([...c, 'services', s.name, 'port'], i === 0 ? 'watched by the monitor' : undefined);
    });
  }
  const vipNote = 'The address clients use; it moves with the services.';
  notes.before(
    [...c, 'vip'],
    a.services.length ? vipNote : `${servicesNote} None yet, e.g.:\n  services:\n    web:\n      unit: nginx\n      paths: [/var/www, /etc/nginx]\n      port: 80\n\n${vipNote}`,
    true,
  );
  if (!a.vip.nic) notes.after([...c, 'vip', 'cidr_netmask'], 'nic: left out, the interface that routes to it');
  const names = a.nodes.map((n) => n.name);
  if (!a.fencing) {
    notes.trailing(
      c,
      `Fencing (STONITH) is not decided yet: haforge preflight fails, and the\ncluster manager is not configured, until this cluster says how a node that\nstops answering is powered off. Add fence devices, or say\n\`fencing: { enabled: false }\` to run without on purpose. For example:\n${exampleFencing(names)}`,
    );
  } else if (!a.fencing.enabled) {
    notes.before(
      [...c, 'fencing'],
      `Fencing (STONITH) is off on purpose. The risk: a node that only looks dead\n(hung, or cut off from the others) keeps its disk and may go on writing while\nanother node takes over: split brain, and one side's writes are lost when it\nis repaired. haforge preflight and status warn about it every time. To fence,\nreplace this with devices, e.g.:\n${exampleFencing(names)}`,
      true,
    );
  } else {
    const secret = holdsSecret(a);
    notes.before(
      [...c, 'fencing'],
      `Fencing (STONITH): a node that stops answering is powered off before its\nservices start on another, so it cannot go on writing (split brain).${
        secret ? '\nThis file holds the fence password: it is written with mode 0600 (keep it\nso); haforge never prints parameters named like passwords.' : ''
      }`,
      true,
    );
    a.fencing.devices.forEach((d, i) => {
      const p = [...c, 'fencing', 'devices', d.name];
      notes.after([...p, 'agent'], i === 0 ? 'from fence-agents' : undefined);
      notes.flow([...p, 'targets']);
      notes.after([...p, 'targets'], i === 0 ? 'the nodes it powers off' : undefined);
      notes.flow([...p, 'params']);
    });
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * Renders and loads the text with the inventory loader, the one judge of an
 * inventory: the file will load exactly like this. What the loader refuses is
 * said about the answers (the file does not exist yet: no position).
 */
export function renderAndCheck(a: InitAnswers, opts: RenderOptions & { path: string }): { text: string; inventory: Inventory } {
  const text = renderInventory(a, opts);
  try {
    return { text, inventory: parseInventory(opts.path, text) };
  } catch (err) {
    if (err instanceof UserErrors) throw new UserErrors(err.errors.map((e) => new UserError(e.message, { hint: e.hint })));
    throw err;
  }
}

function header(a: InitAnswers, opts: RenderOptions): string {
  return [
    `haforge inventory of cluster ${a.cluster}, written by \`haforge init\`.`,
    '',
    `Check it with:   haforge inventory validate -i ${opts.file}`,
    `then the nodes:  haforge preflight -i ${opts.file}`,
    'Editors complete and check it with the JSON Schema, e.g. with the YAML',
    'language server:',
    `yaml-language-server: $schema=${opts.schemaRef}`,
    '',
    'Variable precedence, lowest to highest (a later one wins):',
    '  defaults.vars  <  clusters.<c>.vars  <  clusters.<c>.groups.<g>.vars',
    '  (groups in the order they are written)  <  clusters.<c>.nodes.<n>.vars',
    '  <  a playbook play\'s vars  <  --var key=value on the command line.',
    'The whole format, with every option: inventory.example.yaml in haforge.',
  ].join('\n');
}

const hasSshDefaults = (a: InitAnswers) => Object.values(a.ssh).some((v) => v !== undefined);
const nonRoot = (user: string | undefined) => user !== undefined && user !== 'root';

/** The plain value, keys in the order people read them. */
function inventoryValue(a: InitAnswers): object {
  const defaultsSudo = nonRoot(a.ssh.user);
  const defaults = hasSshDefaults(a)
    ? {
        defaults: {
          ssh: compact({ user: a.ssh.user, port: a.ssh.port, identity_file: a.ssh.identityFile, known_hosts: a.ssh.knownHosts }),
          ...(defaultsSudo ? { sudo: true } : {}),
        },
      }
    : {};
  const node = (n: NodeAnswer) => {
    const sudo = n.sudo ?? (n.user !== undefined ? nonRoot(n.user) : undefined);
    return compact({
      address: n.host,
      replication_address: n.replicationAddress,
      ssh: n.user !== undefined || n.port !== undefined ? compact({ user: n.user, port: n.port }) : undefined,
      sudo: sudo !== undefined && sudo !== defaultsSudo ? sudo : undefined,
      disks: n.disk && n.disk !== a.disk ? { [a.resource]: n.disk } : undefined,
    });
  };
  const cluster = {
    stack: a.stack,
    primary: a.primary,
    nodes: Object.fromEntries(a.nodes.map((n) => [n.name, node(n)])),
    drbd: { resources: { [a.resource]: { disk: a.disk, filesystem: a.filesystem, mount: a.mount } } },
    ...(a.services.length
      ? {
          services: Object.fromEntries(
            a.services.map((s) => [s.name, compact({ unit: s.unit ?? s.name, package: s.package, paths: s.paths.length ? s.paths : undefined, port: s.port })]),
          ),
        }
      : {}),
    vip: compact({ address: a.vip.address, cidr_netmask: a.vip.cidrNetmask, nic: a.vip.nic }),
    ...(a.fencing ? { fencing: fencingValue(a.fencing) } : {}),
  };
  return { version: 1, ...defaults, clusters: { [a.cluster]: cluster } };
}

function fencingValue(f: FencingAnswer): object {
  if (!f.enabled) return { enabled: false };
  return {
    devices: Object.fromEntries(f.devices.map((d) => [d.name, { agent: d.agent, targets: d.targets, ...(Object.keys(d.params).length ? { params: paramsValue(d.params) } : {}) }])),
  };
}

/** Whole numbers (lanplus: 1, ipport: 623) as YAML numbers; everything else, and every secret, a string. */
function paramsValue(params: Record<string, string>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, !isSecretName(k) && /^(0|[1-9]\d{0,8})$/.test(v) ? Number(v) : v]));
}

/** A commented example of fence devices: one IPMI controller per node, as inventory.example.yaml has it. */
function exampleFencing(nodes: string[]): string {
  const out = ['  fencing:', '    devices:'];
  nodes.forEach((n, i) => {
    out.push(`      ipmi-${n}:`, '        agent: fence_ipmilan', `        targets: [${n}]`, `        params: { ip: 192.0.2.${(201 + i) % 255}, username: admin, password: change-me, lanplus: 1 }`);
  });
  return out.join('\n');
}

function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** yaml wants a space after every `#`. */
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');

/** Attaches comments to the pairs of a document by key path; a missing path is skipped. */
class Notes {
  constructor(private readonly doc: Document) {}

  private pair(path: string[]): Pair<Node, Node> | undefined {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents;
    if (!isMap(parent)) return undefined;
    return (parent as YAMLMap<Node, Node>).items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  }

  /** Comment lines above the key (with a blank line before them when `space`). */
  before(path: string[], text: string, space = false): void {
    const p = this.pair(path);
    if (!p || !p.key) return;
    p.key.commentBefore = lines(text);
    if (space) p.key.spaceBefore = true;
  }

  /** A comment at the end of the line of a scalar (or flow list) value. */
  after(path: string[], text: string | undefined): void {
    const p = this.pair(path);
    if (text && p && (isScalar(p.value) || (isSeq(p.value) && p.value.flow))) p.value.comment = ` ${text}`;
  }

  /** A list or map on one line: [a, b], { k: v }. */
  flow(path: string[]): void {
    const p = this.pair(path);
    if (p && (isSeq(p.value) || isMap(p.value))) p.value.flow = true;
  }

  /** A comment at the end of a key whose value is a map. */
  afterKey(path: string[], text: string | undefined): void {
    const p = this.pair(path);
    if (text && p && isScalar(p.key)) p.key.comment = ` ${text}`;
  }

  /** Comment lines after the last entry of a map. */
  trailing(path: string[], text: string): void {
    const map = this.doc.getIn(path, true);
    if (isMap(map)) {
      map.comment = lines(text);
    }
  }
}
