// Use cases around the inventory file itself.
import path from 'node:path';
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
    warnings: inventory.warnings,
    clusters: inventory.clusters.map((c) => ({ name: c.name, stack: c.stack, primary: c.primary, nodes: c.nodes.map((n) => n.name) })),
  };
}

export function schemaFiles(): Record<string, string> {
  return {
    'inventory.schema.json': JSON.stringify(inventorySchema, null, 2) + '\n',
    'playbook.schema.json': JSON.stringify(playbookSchema, null, 2) + '\n',
  };
}

export async function writeSchemaFiles(dir = path.join(PACKAGE_ROOT, 'schemas')): Promise<string[]> {
  const written: string[] = [];
  for (const [name, text] of Object.entries(schemaFiles())) {
    const file = path.join(dir, name);
    await writeFileAtomic(file, text, 0o644);
    written.push(file);
  }
  return written;
}
