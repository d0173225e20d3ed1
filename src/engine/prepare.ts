// Before connecting anywhere: resolve each play's hosts and render every
// task's arguments per host, so template errors appear before any change.
import { readFileSync } from 'node:fs';
import { UserError, UserErrors } from '../errors.js';
import { checkRendered, coerceRendered } from '../schema/validate.js';
import { limitHosts, selectHosts } from '../inventory/select.js';
import type { Inventory, NodeSpec, Vars } from '../inventory/model.js';
import { operations as builtIn } from '../operations/index.js';
import type { Playbook, Play, Task } from '../playbook/model.js';
import { findTemplate } from '../playbook/templates.js';
import { lookupPath, render, renderDeep } from '../render/handlebars.js';
import { templateContext } from './template-context.js';
import type { FactRequest } from './fact.js';
import type { Operation } from './operation.js';

export interface PreparedTask {
  task: Task;
  /** Shown in plans and results: the task's name, else its label after templating. */
  title: string;
  op: Operation;
  args: unknown;
  facts: FactRequest[];
  /** What the task needs read on another node of its cluster (gathered in that node's batch). */
  peerFacts(peer: NodeSpec): FactRequest[];
  handler: boolean;
  /** The loop item, which template files see as `item` too. */
  item?: unknown;
}

export interface PreparedPlay {
  play: Play;
  hosts: NodeSpec[];
  /** Per host: the play's tasks then its handlers, arguments rendered. */
  tasks: Map<string, PreparedTask[]>;
}

/** `operations`: the registry task names resolve in (the built-in operations; tests add their own). */
export function preparePlaybook(inventory: Inventory, playbook: Playbook, cliVars: Vars, limit?: string[], operations: ReadonlyMap<string, Operation> = builtIn): PreparedPlay[] {
  return playbook.plays.map((play) => {
    const selected = limitHosts(inventory, selectHosts(inventory, play.hosts, play.position), limit);
    const hosts = selected.filter((node) => play.when.every((w) => truthy(render(w, templateContext(inventory, node, play.vars, cliVars), play.position))));
    const tasks = new Map<string, PreparedTask[]>();
    for (const node of hosts) {
      const context = templateContext(inventory, node, play.vars, cliVars);
      const prepare = (task: Task, handler: boolean): PreparedTask[] =>
        loopItems(task, context).flatMap((item) => {
          const op = operations.get(task.op)!;
          const itemContext = item === NO_LOOP ? context : { ...context, item };
          if (task.when !== undefined && !truthy(render(task.when, itemContext, task.position))) return [];
          const args = coerceRendered(renderDeep(task.args, itemContext, task.position), op.schema);
          const problems = checkRendered(args, op.schema, task.position, `task '${task.label}' on ${node.name}`);
          if (problems.length) throw new UserErrors(problems);
          const name = task.name && item !== NO_LOOP ? renderDeep(task.name, itemContext, task.position) : task.name;
          const peerFacts = (peer: NodeSpec) => op.peerFacts?.(args, peer) ?? [];
          return [{ task, title: name ?? op.label(args), op, args, facts: op.facts(args), peerFacts, handler, item: item === NO_LOOP ? undefined : item }];
        });
      tasks.set(node.name, [...play.tasks.flatMap((t) => prepare(t, false)), ...play.handlers.flatMap((t) => prepare(t, true))]);
    }
    return { play, hosts, tasks };
  });
}

/** Finds and renders template files: the playbook's directory first, then haforge's templates/. */
export class TemplateFiles {
  private readonly cache = new Map<string, { file: string; text: string }>();

  /** `allowed`: directories beyond the playbook's and haforge's own that templates may come from (--template-dir); `files`: single template files allowed besides. */
  constructor(
    private readonly playbookDir: string,
    private readonly allowed: readonly string[] = [],
    private readonly files: readonly string[] = [],
  ) {}

  load(name: string, dir = this.playbookDir): { file: string; text: string } {
    const key = `${dir}\0${name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const file = findTemplate(name, dir, this.allowed, this.files);
    const loaded = { file, text: readFileSync(file, 'utf8') };
    this.cache.set(key, loaded);
    return loaded;
  }

  render(name: string, context: object, dir?: string): string {
    const { file, text } = this.load(name, dir);
    return render(text, context, file);
  }
}

const NO_LOOP = Symbol('no loop');

/** The items a task runs for: [NO_LOOP] without a loop. */
function loopItems(task: Task, context: Record<string, unknown>): unknown[] {
  if (task.loop === undefined) return [NO_LOOP];
  if (Array.isArray(task.loop)) return task.loop;
  const value = lookupPath(context, task.loop);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new UserError(`loop: ${task.loop} is not a list`, { position: task.position, hint: 'loop over a list, e.g. cluster.services or cluster.drbd.resources' });
  }
  return value;
}

function truthy(rendered: string): boolean {
  const v = rendered.trim();
  return v !== '' && v !== 'false' && v !== '0';
}
