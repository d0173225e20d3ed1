// Loads a playbook: schema (with positions), exactly one operation per task,
// notify names a handler of the same play.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, UserErrors } from '../errors.js';
import { RESERVED_VARS, type Vars } from '../inventory/model.js';
import { operations } from '../operations/index.js';
import { parseAndValidate, readYamlFile } from '../schema/load.js';
import type { PositionIndex } from '../schema/positions.js';
import { didYouMean } from '../schema/suggest.js';
import type { Play, Playbook, Task } from './model.js';
import { playbookSchema } from './schema.js';
import { findTemplate } from './templates.js';

interface RawTask {
  name?: string;
  notify?: string | string[];
  loop?: unknown[] | string;
  when?: string;
  [op: string]: unknown;
}
interface RawPlay {
  import?: string;
  when?: string;
  name?: string;
  hosts: string | string[];
  vars?: Vars;
  tasks: RawTask[];
  handlers?: RawTask[];
  any_errors_fatal?: boolean;
}

/** haforge's own directory (for built-in playbooks and templates): the nearest one up with haforge's package.json, wherever the build put this module. */
export const PACKAGE_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'playbooks'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`haforge's package directory (with package.json and playbooks/) is not above ${from}`);
  }
}

/** A playbook path as given, or the name of a built-in one ("bootstrap"). */
export function resolvePlaybookPath(name: string): string {
  if (existsSync(name)) return name;
  for (const candidate of [path.join(PACKAGE_ROOT, 'playbooks', name), path.join(PACKAGE_ROOT, 'playbooks', `${name}.yaml`)]) {
    if (existsSync(candidate)) return candidate;
  }
  return name;
}

export interface PlaybookLoadOptions {
  /** Directories `template:` may read beyond the playbook's own and haforge's templates. */
  templateDirs?: string[];
}

/** Loads a playbook and its imports; every template a task names without `{{` is found (and confined) here, before connecting. */
export async function loadPlaybook(file: string, opts: PlaybookLoadOptions = {}): Promise<Playbook> {
  const playbook = await loadPlays(file, []);
  const templateDirs = (opts.templateDirs ?? []).map((d) => path.resolve(d));
  const errors: UserError[] = [];
  for (const play of playbook.plays) {
    for (const task of [...play.tasks, ...play.handlers]) {
      const name = task.args.template;
      if (task.op !== 'file' || typeof name !== 'string' || name.includes('{{')) continue;
      try {
        findTemplate(name, play.dir ?? playbook.dir, templateDirs);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        errors.push(new UserError(err.message, { position: task.position, hint: err.hint }));
      }
    }
  }
  if (errors.length) throw new UserErrors(errors);
  return { ...playbook, templateDirs };
}

async function loadPlays(file: string, importedFrom: string[]): Promise<Playbook> {
  const resolved = resolvePlaybookPath(file);
  if (importedFrom.includes(path.resolve(resolved))) {
    throw new UserError(`playbook ${resolved} imports itself (${[...importedFrom, resolved].join(' -> ')})`);
  }
  const playbook = parsePlaybook(resolved, await readYamlFile(resolved, 'playbook'));
  const plays: Play[] = [];
  for (const play of playbook.plays) {
    if (!play.importFile) {
      plays.push(play);
      continue;
    }
    const local = path.resolve(playbook.dir, play.importFile);
    const imported = await loadPlays(existsSync(local) ? local : play.importFile, [...importedFrom, path.resolve(resolved)]);
    // Imported plays find their templates next to their own file, and run only where the import's when holds.
    plays.push(...imported.plays.map((p) => ({ ...p, dir: p.dir ?? imported.dir, when: [...play.when, ...p.when] })));
  }
  return { ...playbook, plays };
}

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function parsePlaybook(file: string, text: string): Playbook {
  const { value, positions } = parseAndValidate<RawPlay[]>(file, text, playbookSchema, true);
  const errors: UserError[] = [];
  const plays: Play[] = (value ?? []).map((raw, p) => {
    if (raw.import !== undefined) {
      const extra = Object.keys(raw).filter((k) => k !== 'import' && k !== 'when');
      if (extra.length) {
        errors.push(
          new UserError(`an import entry takes no other keys than when (found ${extra.join(', ')})`, {
            position: positions.of([p]),
            hint: 'hosts, vars and tasks belong to the plays of the imported playbook; here only `when:` narrows where they run',
          }),
        );
      }
      return { name: `import ${raw.import}`, hosts: [], vars: {}, tasks: [], handlers: [], when: asList(raw.when), anyErrorsFatal: false, importFile: raw.import, position: positions.of([p]) };
    }
    for (const key of ['hosts', 'tasks'] as const) {
      if (raw[key] === undefined) errors.push(new UserError(`[${p}]: missing required key '${key}'`, { position: positions.of([p]) }));
    }
    for (const key of Object.keys(raw.vars ?? {})) {
      if ((RESERVED_VARS as readonly string[]).includes(key)) {
        errors.push(new UserError(`variable '${key}' is reserved`, { position: positions.of([p, 'vars', key]) }));
      }
    }
    const tasks = (raw.tasks ?? []).map((t, i) => toTask(t, [p, 'tasks', i], positions, errors));
    const handlers = (raw.handlers ?? []).map((t, i) => toTask(t, [p, 'handlers', i], positions, errors));
    const handlerNames = handlers.map((h) => h.name!);
    tasks.forEach((task, i) =>
      task.notify.forEach((n) => {
        if (!handlerNames.includes(n)) {
          errors.push(
            new UserError(`task '${task.label}' notifies unknown handler '${n}'${didYouMean(n, handlerNames)}`, {
              position: positions.of([p, 'tasks', i, 'notify']),
              hint: handlerNames.length ? `handlers of this play: ${handlerNames.join(', ')}` : 'add it under handlers: in the same play',
            }),
          );
        }
      }),
    );
    return {
      name: raw.name ?? `play ${p + 1}`,
      hosts: asList(raw.hosts),
      vars: raw.vars ?? {},
      tasks,
      handlers,
      when: asList(raw.when),
      anyErrorsFatal: raw.any_errors_fatal ?? false,
      position: positions.of([p]),
    };
  });
  if (errors.length) throw new UserErrors(errors);
  return { file, dir: path.dirname(path.resolve(file)), plays };
}

function toTask(raw: RawTask, where: (string | number)[], positions: PositionIndex, errors: UserError[]): Task {
  const opKeys = Object.keys(raw).filter((k) => operations.has(k));
  const position = positions.of(where);
  if (opKeys.length !== 1) {
    errors.push(
      new UserError(opKeys.length === 0 ? 'task names no operation' : `task names ${opKeys.length} operations (${opKeys.join(', ')}); one per task`, {
        position,
        hint: `operations: ${[...operations.keys()].join(', ')}`,
      }),
    );
  }
  const op = opKeys[0] ?? '';
  const args = (raw[op] as Record<string, unknown>) ?? {};
  if (op === 'command' && !args.cmd && !args.argv) {
    errors.push(new UserError('command needs cmd (a shell line) or argv (a list)', { position: positions.of([...where, op]) }));
  }
  if (op === 'file' && args.content !== undefined && args.template !== undefined) {
    errors.push(new UserError('file takes content or template, not both', { position: positions.of([...where, op]) }));
  }
  return { name: raw.name, label: raw.name ?? operations.get(op)?.label(args) ?? op, op, args, notify: asList(raw.notify), loop: raw.loop, when: raw.when, position };
}
