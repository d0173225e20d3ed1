// docs/operations.md, generated from the operations' own schemas and
// summaries (`npm run schema` writes it; a unit test keeps it in step), so
// the reference cannot drift from what the loader accepts.
import type { Operation } from '../engine/operation.js';
import type { Schema } from '../schema/types.js';

/** A value's accepted form, in words. */
function accepted(s: Schema): string {
  if (s.anyOf) return s.anyOf.map(accepted).join(', or ');
  if (s.enum) return `one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (s.type === 'array') return `a list of ${s.items ? accepted(s.items) : 'values'}`;
  if (s.type === 'object') return 'a map';
  if (s.expects) return s.expects;
  if (s.pattern) return `${s.type ?? 'a value'} matching \`${s.pattern}\``;
  if (s.type === 'integer' && (s.minimum !== undefined || s.maximum !== undefined)) return `a whole number ${s.minimum ?? ''}..${s.maximum ?? ''}`;
  return s.type === 'integer' ? 'a whole number' : s.type === 'boolean' ? '`true` or `false`' : (s.type ?? 'a value');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function operationsReference(operations: ReadonlyMap<string, Operation>): string {
  const out = [
    '# Playbook operations',
    '',
    'Generated from the operations themselves (`npm run schema`): what each task',
    'of a playbook can do, and the arguments it takes. Every argument may be a',
    'template (`"{{item.name}}"`); its value is checked again once rendered.',
    '',
  ];
  for (const op of [...operations.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const props = Object.entries(op.schema.properties ?? {});
    const required = new Set(op.schema.required ?? []);
    out.push(`## ${op.name}`, '', op.summary, '');
    out.push(`${op.idempotent ? 'Idempotent' : 'Runs when its guards say so'}; ${op.predictable ? 'its plan is exact' : 'its plan depends on what it finds when it runs'}.`, '');
    if (!props.length) {
      out.push('No arguments.', '');
      continue;
    }
    out.push('| argument | required | accepts | what it does |', '|---|---|---|---|');
    for (const [name, s] of props) out.push(`| \`${name}\` | ${required.has(name) ? 'yes' : ''} | ${cell(accepted(s))} | ${cell(s.description ?? '')} |`);
    out.push('');
  }
  return out.join('\n');
}
