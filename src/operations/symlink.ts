// A symbolic link pointing at a target; replaced atomically when it points
// elsewhere. A real file or directory in its place is never removed.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop } from '../engine/plan.js';
import { pathFact } from '../facts/files.js';
import { absolutePath } from './common.js';

export interface SymlinkArgs {
  path: string;
  target: string;
}

// ln -s to a temporary name, then rename over the old link: never a moment
// without the link.
const LINK_SCRIPT = `set -e
tmp="$2.haforge-tmp.$$"
ln -s "$1" "$tmp"
mv -T -f "$tmp" "$2"`;

export const symlinkOperation: Operation<SymlinkArgs> = {
  name: 'symlink',
  summary: 'A symbolic link at path pointing to target.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'target'],
    properties: {
      path: absolutePath,
      target: { type: 'string', minLength: 1, description: 'What the link points to.' },
    },
  },
  label: (a) => `symlink ${a.path} -> ${a.target}`,
  facts: (a) => [request(pathFact, { path: a.path })],
  plan(a, ctx) {
    const current = ctx.fact(request(pathFact, { path: a.path }));
    const step = { description: `ln -s ${a.target} ${a.path}`, argv: ['sh', '-c', LINK_SCRIPT, 'haforge-link', a.target, a.path] };
    if (current.type === 'absent') return change('create', [step]);
    if (current.type === 'link') {
      return current.target === a.target ? noop(`points to ${a.target}`) : change(`points to ${current.target}`, [step]);
    }
    return fail(
      `${a.path} is a ${current.type === 'dir' ? 'directory' : current.type}, not a symlink`,
      'haforge does not delete data: move it away (or use the relocate operation) and run again',
    );
  },
};
