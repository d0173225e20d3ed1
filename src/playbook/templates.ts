// Where a task's `template:` file comes from. Templates are read on the
// workstation and their rendering pushed to the nodes, so a name must not
// reach a file the playbook does not own (`~/.ssh/id_ed25519`, or a symlink
// to it): only the playbook's directory and haforge's own templates, plus
// directories the user allows with --template-dir.
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from './load.js';

/** haforge's own templates (a function: load.js, which defines the root, imports this module). */
export const builtInTemplates = () => path.join(PACKAGE_ROOT, 'templates');

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};
const inside = (file: string, root: string) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The template file `name` for a play whose playbook lives in `dir`, or a
 * UserError (missing, or outside the allowed directories). `files`: single
 * files allowed besides (the templates an inventory names for its services,
 * checked to lie next to it when it was loaded).
 */
export function findTemplate(name: string, dir: string, allowed: readonly string[] = [], files: readonly string[] = []): string {
  const candidates = path.isAbsolute(name) ? [name] : [path.join(dir, name), path.join(dir, 'templates', name), path.join(builtInTemplates(), name)];
  const found = candidates.find(isFile);
  if (!found) throw new UserError(`template ${name} not found`, { hint: `looked in: ${candidates.join(', ')}` });
  const roots = [dir, builtInTemplates(), ...allowed].map(real);
  const file = real(found);
  if (!roots.some((root) => inside(file, root)) && !files.includes(file)) {
    throw new UserError(`template ${name} is ${file}, outside the playbook's directory and haforge's templates`, {
      hint: `templates are pushed to the nodes: move it next to the playbook, or allow its directory with --template-dir ${path.dirname(file)}`,
    });
  }
  return found;
}
