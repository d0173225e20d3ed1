// A playbook as the engine sees it.
import type { SourcePosition } from '../errors.js';
import type { Vars } from '../inventory/model.js';

export interface Task {
  /** The name the playbook gives it (handlers always have one). */
  name?: string;
  /** For messages before templating: the name, else the operation's label. */
  label: string;
  /** The operation's name (a key of the operations registry). */
  op: string;
  /** Arguments before templating. */
  args: Record<string, unknown>;
  notify: string[];
  /** Run once per item: a list, or a dotted name of a list in the template context. */
  loop?: unknown[] | string;
  /** A template; the task is left out for a host (and item) where it renders empty, "false" or "0". */
  when?: string;
  position: SourcePosition;
}

export interface Play {
  name: string;
  /** Host selectors: all, primary, secondaries, a node, a group, a cluster. */
  hosts: string[];
  vars: Vars;
  tasks: Task[];
  handlers: Task[];
  /** Templates rendered per host: the play runs only on hosts where every one renders true (an import's when reaches its plays). */
  when: string[];
  /** A host failing in this play stops the whole run after the play (no later play runs anywhere). */
  anyErrorsFatal: boolean;
  /** Set while loading: this entry imports another playbook's plays. */
  importFile?: string;
  /** Where this play's templates are looked up first (its own playbook's directory). */
  dir?: string;
  position: SourcePosition;
}

export interface Playbook {
  file: string;
  /** Templates are looked up here first. */
  dir: string;
  plays: Play[];
  /** Directories beyond the playbook's own and haforge's templates that `template:` may read (--template-dir). */
  templateDirs?: string[];
}
