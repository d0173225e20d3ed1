// A directory with mode and owner.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop } from '../engine/plan.js';
import { pathFact } from '../facts/files.js';
import { absolutePath, attributeSteps, groupSchema, modeSchema, normalizeModeArg, ownerSchema } from './common.js';

export interface DirectoryArgs {
  path: string;
  mode?: string | number;
  owner?: string;
  group?: string;
}

export const directoryOperation: Operation<DirectoryArgs> = {
  name: 'directory',
  summary: 'A directory (parents created as needed) with mode and owner.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: absolutePath, mode: modeSchema, owner: ownerSchema, group: groupSchema },
  },
  label: (a) => `directory ${a.path}`,
  facts: (a) => [request(pathFact, { path: a.path })],
  plan(a, ctx) {
    const current = ctx.fact(request(pathFact, { path: a.path }));
    const mode = normalizeModeArg(a.mode);
    if (current.type === 'absent') {
      const steps = [{ description: `mkdir ${a.path}`, argv: ['mkdir', '-p', '-m', mode ?? '0755', a.path] }];
      if (a.owner || a.group) {
        const spec = `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`;
        steps.push({ description: `chown ${spec} ${a.path}`, argv: ['chown', spec, a.path] });
      }
      return change('create', steps);
    }
    if (current.type !== 'dir') {
      return fail(`${a.path} exists and is a ${current.type}, not a directory`, 'move it away by hand if a directory belongs there');
    }
    const steps = attributeSteps(a.path, current, { mode, owner: a.owner, group: a.group });
    return steps.length ? change('attributes differ', steps) : noop('directory as desired');
  },
};
