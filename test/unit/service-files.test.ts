// A service's configuration files from the inventory (a bind address, a
// module enabled): resolved at load (templates confined to the inventory's
// directory), rendered into the relocate playbook's tasks, and written only
// where the volume they lie on is mounted.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { EarlierChange, PredictContext } from '../../src/engine/operation.js';
import { preparePlaybook, TemplateFiles } from '../../src/engine/prepare.js';
import { serviceTemplates, templateContext } from '../../src/engine/template-context.js';
import { parseInventory } from '../../src/inventory/load.js';
import { fileOperation } from '../../src/operations/file.js';
import { loadPlaybook, PACKAGE_ROOT } from '../../src/playbook/load.js';
import { formatError } from '../../src/ui/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hf-svc-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'bind.cnf.hbs'), '[mysqld]\nbind-address = {{cluster.vip.address}}\n');

const inventoryText = (files: unknown[]) =>
  stringify({
    version: 1,
    clusters: {
      db: {
        stack: 'heartbeat',
        primary: 'node1',
        nodes: { node1: { address: '10.0.0.11' }, node2: { address: '10.0.0.12' } },
        drbd: { resources: { r0: { disk: '/dev/vdb', mount: '/srv/ha' } } },
        services: { db: { unit: 'mariadb', paths: ['/var/lib/mysql', '/etc/mysql'], port: 3306, files } },
        vip: { address: '10.0.0.100' },
        fencing: { enabled: false },
      },
    },
  });
const FILES = [
  { path: '/etc/mysql/mariadb.conf.d/60-cluster.cnf', template: 'bind.cnf.hbs' },
  { path: '/etc/default/mariadb-extra', content: 'LITERAL={{not rendered}}\n', mode: '0600' },
];
const inventory = () => parseInventory(path.join(dir, 'inventory.yaml'), inventoryText(FILES));

describe('service files in the inventory', () => {
  it('resolve a template next to the inventory and say which volume a file lies on', () => {
    const [conf, extra] = inventory().clusters[0]!.services[0]!.files;
    expect(conf).toEqual({ path: '/etc/mysql/mariadb.conf.d/60-cluster.cnf', template: path.join(dir, 'bind.cnf.hbs'), content: undefined, mode: undefined, volume: '/srv/ha' });
    // Outside the relocated paths: on every node.
    expect(extra).toEqual({ path: '/etc/default/mariadb-extra', content: 'LITERAL={{not rendered}}\n', template: undefined, mode: '0600', volume: undefined });
  });

  it('refuse a template that is a symlink out of the inventory\'s directory', () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'hf-outside-'));
    writeFileSync(path.join(outside, 'id_ed25519'), 'PRIVATE KEY');
    const sub = path.join(dir, 'sym');
    mkdirSync(sub);
    symlinkSync(path.join(outside, 'id_ed25519'), path.join(sub, 'innocent.hbs'));
    let said = '';
    try {
      parseInventory(path.join(sub, 'inventory.yaml'), inventoryText([{ path: '/etc/mysql/x.cnf', template: 'innocent.hbs' }]));
    } catch (err) {
      said = formatError(err);
    }
    rmSync(outside, { recursive: true, force: true });
    expect(said).toMatch(/inventory\.yaml:\d+:\d+: service 'db': template innocent\.hbs is .*id_ed25519, outside the inventory's directory/);
  });
});

describe('service files in the relocate playbook', () => {
  it('become file tasks: content as written, a template by its path, on the volume or everywhere', async () => {
    const inv = inventory();
    const plays = preparePlaybook(inv, await loadPlaybook(path.join(PACKAGE_ROOT, 'playbooks/relocate.yaml')), {});
    const files = plays.flatMap((p) => p.tasks.get('node2')!).filter((t) => t.op.name === 'file');
    expect(files.map((t) => [t.title, t.args])).toEqual([
      ['/etc/default/mariadb-extra for db', { path: '/etc/default/mariadb-extra', content: 'LITERAL={{not rendered}}\n', mode: '0600', on_volume: '' }],
      ['/etc/mysql/mariadb.conf.d/60-cluster.cnf for db', { path: '/etc/mysql/mariadb.conf.d/60-cluster.cnf', template: path.join(dir, 'bind.cnf.hbs'), mode: '0644', on_volume: '/srv/ha' }],
    ]);
    // Undone relocation writes none.
    const undone = preparePlaybook(inv, await loadPlaybook(path.join(PACKAGE_ROOT, 'playbooks/relocate.yaml')), { undo: true });
    expect(undone.flatMap((p) => p.tasks.get('node2')!).filter((t) => t.op.name === 'file')).toEqual([]);
  });

  it("render the inventory's template, and only that one outside the playbook's directory", () => {
    const inv = inventory();
    const templates = new TemplateFiles(path.join(PACKAGE_ROOT, 'playbooks'), [], serviceTemplates(inv));
    const context = templateContext(inv, inv.clusters[0]!.nodes[0]!, {}, {});
    expect(templates.render(path.join(dir, 'bind.cnf.hbs'), context)).toBe('[mysqld]\nbind-address = 10.0.0.100\n');
    writeFileSync(path.join(dir, 'other.hbs'), 'not named by the inventory');
    expect(() => templates.render(path.join(dir, 'other.hbs'), context)).toThrow(/outside the playbook's directory/);
  });
});

describe('file on_volume', () => {
  const ARGS = { path: '/etc/mysql/mariadb.conf.d/60-cluster.cnf', content: 'x\n', on_volume: '/srv/ha' };
  const ctx = (mounted: string[], earlier: EarlierChange[] = []) =>
    ({
      node: { name: 'node2' },
      fact: (r: { fact: { id: string } }) => (r.fact.id === 'mounts' ? mounted.map((p) => ({ device: '/dev/drbd0', path: p, fstype: 'ext4', options: 'rw' })) : { type: 'absent' }),
      earlier,
    }) as unknown as PredictContext;
  const plan = (mounted: string[]) => fileOperation.plan(ARGS, ctx(mounted));
  it('writes where the volume is mounted, nowhere else (the path leads into an empty mount point there)', () => {
    expect(plan(['/', '/srv/ha']).steps.map((s) => s.description)).toEqual(['write /etc/mysql/mariadb.conf.d/60-cluster.cnf']);
    expect(plan(['/'])).toMatchObject({ steps: [], reason: 'on /srv/ha, which is mounted on another node' });
  });
  it('check mode: where the run mounts the volume first, predicts the write (compared with what the relocation will move onto it)', () => {
    const mount = (host: string, path: string): EarlierChange => ({ host, op: 'mount', args: { path, device: '/dev/drbd0', fstype: 'ext4' }, plan: { reason: 'not mounted', steps: [] } });
    expect(fileOperation.predict!(ARGS, ctx(['/'], [mount('node2', '/srv/ha')]))).toMatchObject({ reason: 'create', steps: [{ description: 'write /etc/mysql/mariadb.conf.d/60-cluster.cnf' }], predicted: ['/srv/ha mounted on node2 in this run'] });
    expect(fileOperation.predict!(ARGS, ctx(['/'], [mount('node1', '/srv/ha')]))).toBeUndefined();
    expect(fileOperation.predict!(ARGS, ctx(['/'], [mount('node2', '/srv/other')]))).toBeUndefined();
  });
});
