// Use cases around the inventory file itself.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fencingWarning } from '../fencing/rules.js';
import type { Inventory } from '../inventory/model.js';
import { isSecretName } from '../util/secrets.js';
import { operations } from '../operations/index.js';
import { commandsReference, loadCommands } from '../ui/commands-reference.js';
import { operationsReference } from '../ui/operations-reference.js';
import { loadInventory } from '../inventory/load.js';
import { inventorySchema } from '../inventory/schema.js';
import { playbookSchema } from '../playbook/schema.js';
import { PACKAGE_ROOT } from '../playbook/load.js';
import { writeFileAtomic } from '../util/fs.js';

export async function validateInventory(file: string) {
  const inventory = await loadInventory(file);
  return {
    file,
    valid: true,
    warnings: [...inventory.warnings, ...offlineWarnings(inventory, (await stat(file)).mode)],
    clusters: inventory.clusters.map((c) => ({ name: c.name, stack: c.stack, primary: c.primary, nodes: c.nodes.map((n) => n.name) })),
  };
}

/** What preflight would warn about that the file alone shows: no SSH needed. */
export function offlineWarnings(inventory: Inventory, fileMode: number): string[] {
  const out: string[] = [];
  for (const c of inventory.clusters) {
    const fencing = fencingWarning(c);
    if (fencing) out.push(`cluster '${c.name}': ${fencing}`);
  }
  const secrets = inventory.clusters.flatMap((c) => (c.fencing?.devices ?? []).flatMap((d) => Object.keys(d.params).filter(isSecretName).map((k) => `${d.name}.${k}`)));
  if (secrets.length && fileMode & 0o077) {
    out.push(`${inventory.file} holds secrets (${secrets.join(', ')}) and other users may read it (mode ${(fileMode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${inventory.file}`);
  }
  const blind = [...new Set(inventory.clusters.flatMap((c) => c.nodes).filter((n) => n.ssh.knownHostsFile === '/dev/null').map((n) => n.name))];
  if (blind.length) out.push(`known_hosts is /dev/null for ${blind.join(', ')}: no host key is ever recorded, so none is verified (anyone on the path could answer as the node); use a real known_hosts file`);
  return out;
}

export function schemaFiles(): Record<string, string> {
  return {
    'inventory.schema.json': JSON.stringify(inventorySchema, null, 2) + '\n',
    'playbook.schema.json': JSON.stringify(playbookSchema, null, 2) + '\n',
  };
}

/** The operations reference, docs/operations.md. */
export const operationsDoc = (): string => operationsReference(operations);

export async function writeSchemaFiles(dir = path.join(PACKAGE_ROOT, 'schemas')): Promise<string[]> {
  const written: string[] = [];
  for (const [name, text] of Object.entries(schemaFiles())) {
    const file = path.join(dir, name);
    await writeFileAtomic(file, text, 0o644);
    written.push(file);
  }
  const reference = path.join(PACKAGE_ROOT, 'docs', 'operations.md');
  await writeFileAtomic(reference, operationsDoc(), 0o644);
  const commands = path.join(PACKAGE_ROOT, 'docs', 'commands.md');
  await writeFileAtomic(commands, commandsReference(await loadCommands(path.join(PACKAGE_ROOT, 'dist', 'commands'), '.js')), 0o644);
  return [...written, reference, commands];
}
