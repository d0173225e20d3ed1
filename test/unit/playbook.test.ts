import { describe, expect, it } from 'vitest';
import { UserErrors } from '../../src/errors.js';
import { parseInventory } from '../../src/inventory/load.js';
import { selectHosts } from '../../src/inventory/select.js';
import { preparePlaybook } from '../../src/engine/prepare.js';
import path from 'node:path';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load.js';
import { formatError } from '../../src/ui/errors.js';

const inventory = parseInventory(
  'inv.yaml',
  `version: 1
clusters:
  web:
    services:
      www: { port: 80 }
      db: { unit: mariadb }
    primary: b
    groups:
      db: { nodes: [a, c] }
    vars: { port: 80 }
    nodes:
      a: { address: 10.0.0.1, vars: { port: 81 } }
      b: { address: 10.0.0.2 }
      c: { address: 10.0.0.3 }
`,
);

function errors(text: string): string {
  try {
    parsePlaybook('pb.yaml', text);
  } catch (err) {
    expect(err).toBeInstanceOf(UserErrors);
    return formatError(err);
  }
  throw new Error('expected errors');
}

describe('playbook', () => {
  it('parses plays, tasks, handlers and notify', () => {
    const pb = parsePlaybook(
      'pb.yaml',
      `- name: web
  hosts: [db, primary]
  tasks:
    - name: conf
      file: { path: /etc/x, content: "x" }
      notify: reload
  handlers:
    - name: reload
      service: { name: nginx, state: reloaded }
`,
    );
    expect(pb.plays[0]).toMatchObject({ name: 'web', hosts: ['db', 'primary'] });
    expect(pb.plays[0]!.tasks[0]).toMatchObject({ name: 'conf', op: 'file', notify: ['reload'] });
    expect(pb.plays[0]!.handlers[0]).toMatchObject({ name: 'reload', op: 'service' });
  });

  it('names the position of schema errors: unknown operation, bad arguments', () => {
    const text = errors(`- hosts: all
  tasks:
    - fiel: { path: /etc/x }
    - name: t
      file: { path: relative/x, mode: "999" }
`);
    expect(text).toContain("pb.yaml:3:7: [0].tasks[0].fiel: unknown key 'fiel' (did you mean 'file'?)");
    expect(text).toContain("pb.yaml:5:21: [0].tasks[1].file.path: 'relative/x' is not an absolute path");
    expect(text).toContain(`pb.yaml:5:39: [0].tasks[1].file.mode: '999' is not an octal mode like "0644"`);
  });

  it('a package is a name, never an option; a service is a unit, never a path (checked again after templating)', () => {
    const text = errors(`- hosts: all
  tasks:
    - package: { name: "-oDPkg::Pre-Invoke::=touch /tmp/pwned" }
    - package: { name: [drbd-utils, "--allow-downgrades"] }
    - service: { name: ../../tmp/evil }
`);
    expect(text).toContain("pb.yaml:3:24: [0].tasks[0].package.name: '-oDPkg::Pre-Invoke::=touch /tmp/pwned' is not a package name");
    expect(text).toContain("pb.yaml:4:37: [0].tasks[1].package.name[1]: '--allow-downgrades' is not a package name");
    expect(text).toContain("pb.yaml:5:24: [0].tasks[2].service.name: '../../tmp/evil' is not a unit or init script name");
    const templated = parsePlaybook('pb.yaml', `- hosts: all\n  tasks:\n    - package: { name: "{{pkg}}" }\n`);
    expect(() => preparePlaybook(inventory, templated, { pkg: '-oAPT::Update::Pre-Invoke::=id' })).toThrow(/after templating: .*is not a package name/);
    expect(preparePlaybook(inventory, templated, { pkg: 'libc6:amd64=2.36-9' })[0]!.tasks.get('a')![0]!.args).toEqual({ name: 'libc6:amd64=2.36-9' });
  });

  it('names the position of structural errors: two operations, unknown handler', () => {
    const text = errors(`- hosts: all
  tasks:
    - file: { path: /etc/x }
      directory: { path: /etc/y }
    - name: t
      command: { cmd: "true" }
      notify: restrat
  handlers:
    - name: restart
      command: { cmd: "true" }
`);
    expect(text).toContain('pb.yaml:3:7: task names 2 operations (file, directory); one per task');
    expect(text).toContain("pb.yaml:7:15: task 't' notifies unknown handler 'restrat' (did you mean 'restart'?)");
  });

  it('selects hosts by all, primary, secondaries, group, node and cluster', () => {
    const names = (sel: string[]) => selectHosts(inventory, sel).map((n) => n.name);
    expect(names(['all'])).toEqual(['a', 'b', 'c']);
    expect(names(['primary'])).toEqual(['b']);
    expect(names(['secondaries'])).toEqual(['a', 'c']);
    expect(names(['db'])).toEqual(['a', 'c']);
    expect(names(['c', 'primary'])).toEqual(['b', 'c']);
    expect(names(['web'])).toEqual(['a', 'b', 'c']);
    expect(() => names(['dbb'])).toThrow(/host selector 'dbb' matches nothing.*did you mean 'db'/);
  });

  it('renders arguments per host with play vars over inventory vars, and checks them after templating', () => {
    const pb = parsePlaybook('pb.yaml', `- hosts: all\n  tasks:\n    - file: { path: "/etc/{{node.name}}.conf", content: "port={{port}}" }\n`);
    const [play] = preparePlaybook(inventory, pb, {});
    const args = (host: string) => play!.tasks.get(host)![0]!.args;
    expect(args('a')).toEqual({ path: '/etc/a.conf', content: 'port=81' });
    expect(args('b')).toEqual({ path: '/etc/b.conf', content: 'port=80' });
    const withPlayVars = parsePlaybook('pb.yaml', `- hosts: all\n  vars: { port: 90 }\n  tasks:\n    - file: { path: /etc/x, content: "{{port}}" }\n`);
    expect(preparePlaybook(inventory, withPlayVars, {})[0]!.tasks.get('a')![0]!.args).toMatchObject({ content: '90' });
    expect(preparePlaybook(inventory, withPlayVars, { port: 99 })[0]!.tasks.get('a')![0]!.args).toMatchObject({ content: '99' });
    expect(play!.tasks.get('a')![0]!.title).toBe('file /etc/a.conf');

    const bad = parsePlaybook('pb.yaml', `- hosts: all\n  tasks:\n    - file: { path: "{{where}}" }\n`);
    expect(() => preparePlaybook(inventory, bad, { where: 'etc/x' })).toThrow(/after templating: .*'etc\/x' is not an absolute path/);
    expect(() => preparePlaybook(inventory, bad, {})).toThrow(/template error: "where" not defined/);
  });

  it('loops over a list from the context or a literal list, with item in templates', () => {
    const pb = parsePlaybook(
      'pb.yaml',
      `- hosts: primary
  tasks:
    - name: "stop {{item.unit}}"
      service: { name: "{{item.unit}}", state: stopped }
      loop: cluster.services
    - directory: { path: "/srv/{{item}}" }
      loop: [a, b]
    - directory: { path: "/srv/{{item}}" }
      loop: cluster.nothing
`,
    );
    const tasks = preparePlaybook(inventory, pb, {})[0]!.tasks.get('b')!;
    expect(tasks.map((t) => t.title)).toEqual(['stop www', 'stop mariadb', 'directory /srv/a', 'directory /srv/b']);
    expect(tasks[1]!.args).toEqual({ name: 'mariadb', state: 'stopped' });
    const bad = parsePlaybook('pb.yaml', `- hosts: all\n  tasks:\n    - directory: { path: /x }\n      loop: cluster.name\n`);
    expect(() => preparePlaybook(inventory, bad, {})).toThrow(/loop: cluster.name is not a list/);
  });

  it('runs a play (or an imported playbook) only on the hosts where its when holds', async () => {
    const two = parseInventory(
      'inv.yaml',
      `version: 1
clusters:
  old: { stack: heartbeat, nodes: { h1: { address: a }, h2: { address: b } } }
  new: { stack: pacemaker, nodes: { p1: { address: c }, p2: { address: d } } }
`,
    );
    const pb = await loadPlaybook(path.join(__dirname, '../fixtures/playbooks/stacks/main.yaml'));
    const plays = preparePlaybook(two, pb, {});
    expect(plays.map((p) => [p.play.name, p.hosts.map((h) => h.name)])).toEqual([
      ['heartbeat only', ['h1', 'h2']],
      ['heartbeat primaries', ['h1']],
      ['everywhere', ['h1', 'h2', 'p1', 'p2']],
    ]);
    expect(plays[1]!.play.when).toEqual(["{{eq cluster.stack 'heartbeat'}}", '{{node.is_primary}}']);
    expect(errors(`- import: x.yaml\n  hosts: all\n`)).toMatch(/an import entry takes no other keys than when \(found hosts\)/);
  });
});

describe('the bootstrap playbook for a cluster without DRBD (runbook 003: a VIP and a service)', () => {
  for (const stack of ['heartbeat', 'pacemaker']) {
    it(`${stack}: no DRBD task anywhere; the services' packages and boot settings once; the cluster manager and the VIP check`, async () => {
      const inv = parseInventory(
        'ipc.yaml',
        `version: 1\nclusters:\n  ipc:\n    stack: ${stack}\n    nodes:\n      node1: { address: 192.0.2.11, replication_address: 10.0.0.11 }\n      node2: { address: 192.0.2.12, replication_address: 10.0.0.12 }\n    services: { web: { unit: lighttpd, package: lighttpd, port: 80 } }\n    vip: { address: 192.0.2.50 }\n    fencing: { enabled: false }\n`,
      );
      const plays = preparePlaybook(inv, await loadPlaybook(path.join(__dirname, '../../playbooks/bootstrap.yaml')), {});
      const tasks = plays.flatMap((p) => [...p.tasks.values()].flat().map((t) => `${p.play.name}: ${t.title}`));
      expect(tasks.filter((t) => /drbd/i.test(t))).toEqual([]);
      const node1 = (play: string) => [...(plays.find((p) => p.play.name === play && p.tasks.get('node1')?.length)?.tasks.get('node1') ?? [])].map((t) => t.title);
      expect(tasks.filter((t) => t.startsWith('service packages:'))).toEqual(['service packages: package lighttpd', 'service packages: package lighttpd']);
      expect(node1('services onto the replicated volume')).toEqual(['lighttpd started by the cluster manager, not at boot']);
      expect(tasks.some((t) => t.startsWith(stack === 'heartbeat' ? 'heartbeat configuration:' : 'cluster configuration:'))).toBe(true);
      expect(node1('services answer on the virtual IP')).toEqual(['wait for 192.0.2.50:80']);
    });
  }
});
