// Schema pieces and remote scripts shared by the file-system operations.
import type { Schema } from '../schema/types.js';
import { change, noop, type Plan, type Step } from '../engine/plan.js';
import { request } from '../engine/fact.js';
import type { PlanContext } from '../engine/operation.js';
import { runningManagerFact } from '../facts/running-manager.js';
import { secretBackupsFact } from '../facts/secret.js';

/** Which cluster manager runs on a node (one fact for every operation that asks). */
export const MANAGER = request(runningManagerFact, undefined);

/**
 * The cluster manager running on this node, by name. Once one runs, it and
 * not haforge decides where DRBD is Primary and the volume mounted: a
 * promotion or mount behind its back (a re-run after a failover, or while it
 * keeps the resources stopped) would fight it.
 */
export function clusterManagerHere(ctx: PlanContext): 'Pacemaker' | 'Heartbeat' | undefined {
  const m = ctx.fact(MANAGER);
  return m.pacemaker ? 'Pacemaker' : m.heartbeat ? 'Heartbeat' : undefined;
}

export const modeSchema: Schema = {
  anyOf: [
    { type: 'string', pattern: '^0?[0-7]{3,4}$', description: 'an octal mode like "0644"' },
    { type: 'integer', minimum: 0, maximum: 4095 },
  ],
  description: 'Octal permission bits, quoted: "0644".',
};
export const ownerSchema: Schema = { type: 'string', minLength: 1, description: 'Owner user name.' };
export const groupSchema: Schema = { type: 'string', minLength: 1, description: 'Owner group name.' };
export const absolutePath: Schema = {
  type: 'string',
  pattern: '^/',
  description: 'an absolute path',
};

/** Where the replaced version of every file is kept. */
export const BACKUP_DIR = '/var/backups/haforge';

/** Backups of a secret are not kept (a replaced key stays readable nowhere): the steps that remove those an older run left. */
export function secretBackupSteps(path: string, backups: readonly string[]): Step[] {
  return backups.length ? [{ description: `remove ${backups.length} old backup(s) of secret ${path}`, argv: ['rm', '-f', '--', ...backups] }] : [];
}

/** The secretBackupsFact request for a file. */
export const secretBackups = (path: string) => request(secretBackupsFact, { prefix: `${BACKUP_DIR}${path}.` });

/** "644", 420 (YAML read 0644 as a number) -> "0644". */
export function normalizeModeArg(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') return mode.toString(8).padStart(4, '0');
  return mode.padStart(4, '0');
}

// Atomic write: temp file in the same directory (mktemp: 0600, so new
// content is never readable by more than root before its final mode is set),
// the given mode/owner set on the temp file (else the old file's), previous
// version copied to the backup dir, then rename. The script is constant;
// every value arrives as a positional parameter.
const WRITE_SCRIPT = `set -e
dest=$1 mode=$2 owner=$3 group=$4 backup=$5 validate=$6 secret=$7
dir=$(dirname "$dest")
tmp=$(mktemp "$dir/.haforge.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
if [ -n "$validate" ] && ! out=$(sh -c "$validate" haforge-validate "$tmp" 2>&1); then
  [ -n "$secret" ] && out='(its output is not shown: it may quote the secret the file holds)'
  printf 'validation of the new %s failed (%s):\\n%s\\n' "$dest" "$validate" "$out" >&2
  exit 3
fi
if [ -n "$mode" ]; then chmod "$mode" "$tmp"; elif [ -e "$dest" ]; then chmod --reference="$dest" "$tmp"; fi
if [ -n "$owner" ]; then chown "$owner" "$tmp"; elif [ -e "$dest" ]; then chown --reference="$dest" "$tmp"; fi
if [ -n "$group" ]; then chgrp "$group" "$tmp"; elif [ -e "$dest" ]; then chgrp --reference="$dest" "$tmp"; fi
if [ -n "$backup" ] && [ -f "$dest" ]; then
  mkdir -p -m 0700 "$backup$dir"
  cp -p "$dest" "$backup$dest.$(date +%Y%m%dT%H%M%S)"
fi
mv -f "$tmp" "$dest"
trap - EXIT`;

export function writeFileStep(opts: {
  path: string;
  content: string | Buffer;
  mode?: string;
  owner?: string;
  group?: string;
  backup: boolean;
  /** A shell command run on the new content before it replaces the file; %s is the file. */
  validate?: string;
  /** The content is a secret: a failed validation's output (which may quote it) is not passed on. */
  secret?: boolean;
  description: string;
}): Step {
  const validate = opts.validate?.replace(/%s/g, '"$1"') ?? '';
  return {
    description: opts.description,
    argv: ['sh', '-c', WRITE_SCRIPT, 'haforge-write', opts.path, opts.mode ?? '', opts.owner ?? '', opts.group ?? '', opts.backup ? BACKUP_DIR : '', validate, opts.secret ? 'yes' : ''],
    stdin: opts.content,
  };
}

/**
 * A file whose content is as desired: its drifted attributes and old secret
 * backups put right, or nothing to do. Handlers are not notified (the
 * content a daemon reads is the same).
 */
export function sameContentPlan(path: string, current: { mode: string; owner: string; group: string }, desired: { mode?: string; owner?: string; group?: string }, pruned: Step[], asDesired: string): Plan {
  const steps = [...attributeSteps(path, current, desired), ...pruned];
  return steps.length ? change(pruned.length ? 'old backups of the secret' : 'attributes differ', steps, { contentUnchanged: true }) : noop(asDesired);
}

/** chmod/chown steps for an existing path whose attributes drifted. */
export function attributeSteps(
  path: string,
  current: { mode: string; owner: string; group: string },
  desired: { mode?: string; owner?: string; group?: string },
): Step[] {
  const steps: Step[] = [];
  if (desired.mode && desired.mode !== current.mode) {
    steps.push({ description: `chmod ${desired.mode} ${path} (was ${current.mode})`, argv: ['chmod', desired.mode, path] });
  }
  const ownerDrift = desired.owner && desired.owner !== current.owner;
  const groupDrift = desired.group && desired.group !== current.group;
  if (ownerDrift || groupDrift) {
    const spec = `${desired.owner ?? current.owner}:${desired.group ?? current.group}`;
    steps.push({ description: `chown ${spec} ${path} (was ${current.owner}:${current.group})`, argv: ['chown', spec, path] });
  }
  return steps;
}
