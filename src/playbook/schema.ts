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
    required: ['hosts', 'tasks'],
    properties: {
      name: { type: 'string', minLength: 1 },
      hosts: { ...stringOrList, description: 'all, primary, secondaries, a node, a group or a cluster name (or a list).' },
      vars: { type: 'object', additionalProperties: true, description: 'Play variables (above inventory variables).' },
      tasks: { type: 'array', items: taskSchema('task') },
      handlers: { type: 'array', items: taskSchema('handler') },
    },
  },
};
