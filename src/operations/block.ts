// A block of lines haforge owns inside a file it does not (/etc/hosts,
// /etc/fstab), between marker comments; the rest of the file is left alone.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop } from '../engine/plan.js';
import { pathFact } from '../facts/files.js';
import { unifiedDiff } from '../util/diff.js';
import { absolutePath, groupSchema, modeSchema, normalizeModeArg, ownerSchema, writeFileStep } from './common.js';

export interface BlockArgs {
  path: string;
  block: string;
  marker?: string;
  state?: 'present' | 'absent';
  mode?: string | number;
  owner?: string;
  group?: string;
}

const begin = (marker: string) => `# BEGIN haforge ${marker}`;
const end = (marker: string) => `# END haforge ${marker}`;

/** The file's text with the block put in (replacing an old one) or taken out. */
export function withBlock(text: string, marker: string, block: string | undefined): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const from = lines.indexOf(begin(marker));
  const to = from >= 0 ? lines.indexOf(end(marker), from) : -1;
  const body = block === undefined ? [] : [begin(marker), ...block.replace(/\n$/, '').split('\n'), end(marker)];
  if (from >= 0 && to >= 0) lines.splice(from, to - from + 1, ...body);
  else lines.push(...body);
  return lines.length ? lines.join('\n') + '\n' : '';
}

export const blockOperation: Operation<BlockArgs> = {
  name: 'block',
  summary: 'A marked block of lines inside a file (e.g. /etc/hosts entries); the rest of the file is kept.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'block'],
    properties: {
      path: absolutePath,
      block: { type: 'string', description: 'The lines (a Handlebars template).' },
      marker: { type: 'string', minLength: 1, description: 'Names the block, so one file can hold several (default: cluster).' },
      state: { type: 'string', enum: ['present', 'absent'] },
      mode: modeSchema,
      owner: ownerSchema,
      group: groupSchema,
    },
  },
  label: (a) => `block ${a.marker ?? 'cluster'} in ${a.path}`,
  facts: (a) => [request(pathFact, { path: a.path, content: true })],
  plan(a, ctx) {
    const current = ctx.fact(request(pathFact, { path: a.path, content: true }));
    if (current.type !== 'file' && current.type !== 'absent') return fail(`${a.path} is a ${current.type}, not a file`);
    if (current.type === 'file' && !current.content) return fail(`${a.path} is too large to edit (over 256 KiB)`);
    const before = current.type === 'file' ? current.content!.toString('utf8') : '';
    const after = withBlock(before, a.marker ?? 'cluster', a.state === 'absent' ? undefined : a.block);
    if (after === before) return noop('block as desired');
    return change(current.type === 'absent' ? 'create' : 'block differs', [
      writeFileStep({ path: a.path, content: after, mode: normalizeModeArg(a.mode), owner: a.owner, group: a.group, backup: true, description: `update ${a.path}` }),
    ], { diff: unifiedDiff(before, after, a.path) });
  },
};
