// The playbook's schema, built from the operations' own argument schemas;
// published as schemas/playbook.schema.json.
import { operations } from '../operations/index.js';
import type { Schema } from '../schema/types.js';

const stringOrList: Schema = {
  anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
};

function taskSchema(kind: 'task' | 'handler'): Schema {
  const opProperties = Object.fromEntries([...operations.values()].map((op) => [op.name, { ...op.schema, description: op.summary }]));
  return {
    type: 'object',
    additionalProperties: false,
    required: kind === 'handler' ? ['name'] : [],
    description: 'One operation (exactly one of its keys) with a name; `notify` names handlers to run after a change.',
    properties: {
      name: { type: 'string', minLength: 1, description: kind === 'handler' ? 'What tasks notify.' : 'Shown in the plan.' },
      notify: { ...stringOrList, description: 'Handlers to run (once per host, after the play) when this task changed something.' },
      when: { type: 'string', minLength: 1, description: 'A template: the task runs only where it renders non-empty and not "false" or "0".' },
      loop: {
        anyOf: [
          { type: 'string', pattern: '^[A-Za-z_][\\w.]*$', description: 'a dotted name like cluster.drbd.resources' },
          { type: 'array' },
        ],
        description: 'Run the task once per item of this list (a list, or the dotted name of one, e.g. cluster.services); templates see the item as `item`.',
      },
      ...opProperties,
    },
  };
}

export const playbookSchema: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://haforge.dev/schemas/playbook.schema.json',
  title: 'haforge playbook',
  type: 'array',
  description: 'Plays, run in order; each play is a phase that all its hosts finish before the next starts.',
  items: {
    type: 'object',
    additionalProperties: false,
    description: 'A play (hosts + tasks), or `import: other.yaml` to run that playbook\'s plays here.',
    properties: {
      import: { type: 'string', minLength: 1, description: 'Another playbook (relative to this one, or a built-in name) whose plays run here.' },
      when: { type: 'string', minLength: 1, description: 'A template rendered per host: the play (or the imported plays) runs only on hosts where it renders non-empty and not "false" or "0", e.g. "{{eq cluster.stack \'heartbeat\'}}".' },
      name: { type: 'string', minLength: 1 },
      hosts: { ...stringOrList, description: 'all, primary, secondaries, a node, a group or a cluster name (or a list).' },
      vars: { type: 'object', additionalProperties: true, description: 'Play variables (above inventory variables).' },
      any_errors_fatal: { type: 'boolean', description: 'If any host fails this play, stop the run after it: later plays run nowhere.' },
      tasks: { type: 'array', items: taskSchema('task') },
      handlers: { type: 'array', items: taskSchema('handler') },
    },
  },
};
