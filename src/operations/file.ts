// A file's content (inline or from a template), mode and owner.
import { createHash } from 'node:crypto';
import { request } from '../engine/fact.js';
import { plannedBefore, type Operation, type PlanContext } from '../engine/operation.js';
import { change, fail, noop, type TaskPlan } from '../engine/plan.js';
import { pathFact } from '../facts/files.js';
import { mountsFact } from '../facts/mounts.js';
import { unifiedDiff } from '../util/diff.js';
import { absolutePath, groupSchema, modeSchema, normalizeModeArg, ownerSchema, secretBackups, sameContentPlan, secretBackupSteps, writeFileStep } from './common.js';

export interface FileArgs {
  path: string;
  content?: string;
  template?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  /** Never fetched, printed, diffed or logged. */
  secret?: boolean;
  backup?: boolean;
  validate?: string;
  /** A mount point the path lies on (through a relocated path): written only on the node where it is mounted. */
  on_volume?: string;
}

const MOUNTS = request(mountsFact, undefined);

export const fileOperation: Operation<FileArgs> = {
  name: 'file',
  summary: 'A file with the given content (inline or rendered from a template), mode and owner; written atomically, the old version backed up.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: absolutePath,
      content: { type: 'string', description: 'The content, a Handlebars template itself.' },
      template: { type: 'string', minLength: 1, description: 'A template file, relative to the playbook (then to haforge templates/).' },
      mode: modeSchema,
      owner: ownerSchema,
      group: groupSchema,
      secret: { type: 'boolean', description: 'Secret content: never shown in diffs or logs; mode defaults to 0600.' },
      backup: { type: 'boolean', description: 'Keep the replaced version under /var/backups/haforge (default true; false for a secret, whose old backups are removed).' },
      validate: { type: 'string', pattern: '%s', description: 'a command that checks the new content before it is installed, with %s for the file (e.g. "drbdadm -c %s dump")' },
      on_volume: { type: 'string', pattern: '^(/.*)?$', description: 'The mount point of the replicated volume the path lies on (through a relocated path): written only on the node where it is mounted; empty: everywhere.' },
    },
  },
  label: (a) => `file ${a.path}`,
  facts: (a) => [request(pathFact, { path: a.path, content: !a.secret }), ...(a.secret ? [secretBackups(a.path)] : []), ...(a.on_volume ? [MOUNTS] : [])],
  plan(a, ctx) {
    // Elsewhere the path leads through a symlink into an empty mount point: the volume's node writes it for all.
    if (a.on_volume && !ctx.fact(MOUNTS).some((m) => m.path === a.on_volume)) return noop(`on ${a.on_volume}, which is mounted on another node`);
    return planContent(a, ctx);
  },
  // The volume mounted here in this run: the relocation moves what the path holds now onto it, then the file is compared there.
  predict(a, ctx) {
    if (!a.on_volume || ctx.fact(MOUNTS).some((m) => m.path === a.on_volume)) return undefined;
    return plannedBefore(ctx, 'mount', { path: a.on_volume }, ctx.node.name).length ? { ...planContent(a, ctx), predicted: [`${a.on_volume} mounted on ${ctx.node.name} in this run`] } : undefined;
  },
};

/** The file against its desired content, mode and owner, where it is to be written. */
function planContent(a: FileArgs, ctx: PlanContext): TaskPlan {
  const desired = a.template !== undefined ? ctx.renderTemplate(a.template) : (a.content ?? '');
  const current = ctx.fact(request(pathFact, { path: a.path, content: !a.secret }));
  const mode = normalizeModeArg(a.mode);
  const pruned = a.secret && !a.backup ? secretBackupSteps(a.path, ctx.fact(secretBackups(a.path))) : [];
  const write = (why: string, before: string) =>
    change(why, [
      writeFileStep({
        path: a.path,
        content: desired,
        mode: mode ?? (current.type === 'absent' ? (a.secret ? '0600' : '0644') : undefined),
        owner: a.owner,
        group: a.group,
        backup: a.backup ?? !a.secret,
        validate: a.validate,
        secret: a.secret,
        description: `write ${a.path}${a.secret ? ' (secret)' : ''}`,
      }),
      ...pruned,
    ], { diff: a.secret ? undefined : unifiedDiff(before, desired, a.path) });

  if (current.type === 'absent') return write('create', '');
  if (current.type !== 'file') {
    return fail(`${a.path} is a ${current.type === 'dir' ? 'directory' : current.type}, not a file`, 'remove or move it by hand if a file belongs there');
  }
  const sha = createHash('sha256').update(desired).digest('hex');
  if (sha !== current.sha256) return write('content differs', current.content?.toString('utf8') ?? '(not shown: large file)\n');
  return sameContentPlan(a.path, current, { mode, owner: a.owner, group: a.group }, pruned, 'content, mode and owner as desired');
}
