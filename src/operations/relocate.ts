// A service's data and config moved onto the replicated volume, with a
// symlink left at the old path on every node (runbooks 000 and 004). On the
// node where the volume is mounted the data is copied over, then the old
// path becomes a link; on the other nodes the local copy is set aside (kept,
// for undo) and replaced by the same link, dangling until failover. A path
// that is itself a symlink the system made (Debian's /var/spool/mail -> ../mail)
// stays as it is: its target is relocated instead, one level deep, and only
// when that target is no system directory.
import { request } from '../engine/fact.js';
import type { Operation, PlanContext } from '../engine/operation.js';
import { change, fail, noop, type Step, type TaskPlan } from '../engine/plan.js';
import { linkTargetFact, pathFact, type PathState } from '../facts/files.js';
import { systemDirUnder } from '../inventory/checks.js';
import { mountsFact } from '../facts/mounts.js';
import { serviceFact } from '../facts/services.js';
import { absolutePath } from './common.js';
import { unitName } from '../schema/values.js';

export interface RelocateArgs {
  service: string;
  unit: string;
  paths: string[];
  volume: string;
  undo?: boolean;
}

/** Where a path lives on the volume: /var/www -> /replicated/var/www */
export const onVolume = (volume: string, path: string) => `${volume.replace(/\/$/, '')}${path}`;
/** Where a standby node keeps its own copy of a relocated path. */
export const setAside = (path: string) => `${path}.haforge-local`;

// Copy to a temporary name on the volume, rename it into place, then swap
// the old path for the link: an interruption leaves either the old state or
// the new one, plus at most a temporary copy that the next run replaces.
// A relative link in the copy that points out of the moved directory would
// dangle on the volume (Debian's /etc/mail/aliases -> ../aliases, and then
// sendmail's start fails): it is pointed at the absolute path it meant.
// Links within the directory stay relative: they still work there.
const MOVE_SCRIPT = `set -e
src=$1 dst=$2
mkdir -p "$(dirname "$dst")"
rm -rf "$dst.haforge-tmp"
cp -a "$src" "$dst.haforge-tmp"
find "$dst.haforge-tmp" -type l -exec sh -c '
  tmp=$1 src=$2; shift 2
  for l do
    t=$(readlink "$l")
    case $t in /*) continue ;; esac
    meant=$(realpath -m -s -- "$(dirname -- "$src\${l#"$tmp"}")/$t")
    case $meant in "$src"|"$src"/*) ;; *) ln -sfn -- "$meant" "$l" ;; esac
  done' sh "$dst.haforge-tmp" "$src" {} +
mv "$dst.haforge-tmp" "$dst"
mv "$src" "$src.haforge-moved"
ln -s "$dst" "$src"
rm -rf "$src.haforge-moved"`;

const SET_ASIDE_SCRIPT = `set -e
mv "$1" "$3"
ln -s "$2" "$1"`;

// Undo on the active node: the data moves back from the volume (copied
// first, the volume's copy removed last), leaving things as before.
const MOVE_BACK_SCRIPT = `set -e
rm -rf "$1.haforge-tmp"
cp -a "$2" "$1.haforge-tmp"
rm "$1"
mv "$1.haforge-tmp" "$1"
rm -rf "$2"`;

const RESTORE_SCRIPT = `set -e
rm "$1"
if [ -e "$2" ] || [ -L "$2" ]; then mv "$2" "$1"; fi`;

export const relocateOperation: Operation<RelocateArgs> = {
  name: 'relocate',
  summary: "A service's paths moved onto the replicated volume with symlinks left behind (undo: true puts them back).",
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['service', 'unit', 'paths', 'volume'],
    properties: {
      service: { type: 'string', minLength: 1 },
      unit: { ...unitName, description: 'a unit or init script name: the unit stopped while its data moves' },
      paths: { type: 'array', items: absolutePath },
      volume: absolutePath,
      undo: { type: 'boolean', description: 'Put the paths back where they were.' },
    },
  },
  label: (a) => `${a.undo ? 'undo relocation of' : 'relocate'} ${a.service}`,
  facts: (a) => [
    request(mountsFact, undefined),
    request(serviceFact, a.unit),
    ...a.paths.flatMap((p) => [request(pathFact, { path: p }), request(pathFact, { path: onVolume(a.volume, p) }), request(pathFact, { path: setAside(p) }), linkRequest(a, p)]),
  ],
  plan(a, ctx) {
    const active = ctx.fact(request(mountsFact, undefined)).some((m) => m.path === a.volume.replace(/\/$/, '') || m.path === a.volume);
    const per = a.paths.map((p) => (a.undo ? undoPath(a, p, active, ctx) : relocatePath(a, p, active, ctx)));
    const failed = per.find((x) => x.refusal);
    if (failed) return failed;
    const steps = per.flatMap((x) => x.steps);
    if (steps.length === 0) return noop(per.map((x) => x.reason).join('; '));
    const service = ctx.fact(request(serviceFact, a.unit));
    const stop: Step[] = active && service.active ? [{ description: `stop ${a.unit} while its data moves`, argv: service.init === 'systemd' ? ['systemctl', 'stop', `${a.unit}.service`] : [`/etc/init.d/${a.unit}`, 'stop'] }] : [];
    return change(per.filter((x) => x.steps.length).map((x) => x.reason).join('; '), [...stop, ...steps]);
  },
};

/** The three paths relocating `path` involves, as read on this node. */
interface Place {
  here: PathState;
  there: PathState;
  aside: PathState;
}

const linkRequest = (a: RelocateArgs, path: string) => request(linkTargetFact, { path, volume: a.volume });
const placeOf = (path: string, a: RelocateArgs, ctx: PlanContext): Place => ({
  here: ctx.fact(request(pathFact, { path })),
  there: ctx.fact(request(pathFact, { path: onVolume(a.volume, path) })),
  aside: ctx.fact(request(pathFact, { path: setAside(path) })),
});

/**
 * A path that is a link, not to the volume: the link stays and its target is
 * relocated (Debian's /var/spool/mail -> ../mail moves /var/mail), with
 * the target's own place read through the link. Refused when the target is a
 * system directory, the volume, or holds it, or is itself a link elsewhere.
 */
function throughLink(a: RelocateArgs, path: string, here: Extract<PathState, { type: 'link' }>, active: boolean, ctx: PlanContext, undo: boolean): TaskPlan {
  const link = ctx.fact(linkRequest(a, path));
  const volume = a.volume.replace(/\/$/, '');
  const via = link.target;
  if (!via || !link.states) return fail(`${path} is a link to ${here.target}, which could not be read`, 'look at the link by hand');
  if (via === volume || via.startsWith(`${volume}/`)) return noop(`${path} -> ${here.target}, on the volume`);
  const system = systemDirUnder(via);
  if (system || volume.startsWith(`${via}/`)) {
    const what = system ? (system === via ? 'is a system directory' : `holds ${system}, a system directory`) : `holds the volume's mount point ${volume}`;
    return fail(`${path} is a link to ${via}, which ${what}: haforge relocates a link's target only when it is the service's own directory`, 'list the service\'s own directory in the inventory instead, or fix the link by hand');
  }
  const [viaHere, there, aside] = link.states;
  if (viaHere.type === 'link' && viaHere.target !== onVolume(a.volume, via)) {
    return fail(`${path} is a link to ${via}, itself a link to ${viaHere.target}: haforge follows one link, not a chain`, `list ${via}'s final target in the inventory instead`);
  }
  const plan = undo ? undoAt(a, via, viaHere, active, there) : relocateAt(a, via, { here: viaHere, there, aside }, active, ctx);
  return plan.refusal ? plan : { ...plan, reason: `${path} -> ${here.target}: ${plan.reason}` };
}

function relocatePath(a: RelocateArgs, path: string, active: boolean, ctx: PlanContext): TaskPlan {
  const place = placeOf(path, a, ctx);
  if (place.here.type === 'link' && place.here.target !== onVolume(a.volume, path)) return throughLink(a, path, place.here, active, ctx, false);
  return relocateAt(a, path, place, active, ctx);
}

function relocateAt(a: RelocateArgs, path: string, place: Place, active: boolean, ctx: PlanContext): TaskPlan {
  const target = onVolume(a.volume, path);
  const { here } = place;
  const there: PathState = active ? place.there : { type: 'absent' };
  const link = { description: `ln -s ${target} ${path}`, argv: ['ln', '-s', target, path] };
  if (here.type === 'link') {
    return here.target === target ? noop(`${path} -> ${target}`) : fail(`${path} is a link to ${here.target}, not to ${target}`, 'remove or fix that link by hand, then run again');
  }
  if (!active) {
    if (here.type === 'absent') return change(`${path}: link to the volume`, [link]);
    if (place.aside.type !== 'absent') {
      return fail(`${path} and ${setAside(path)} both exist on ${ctx.node.name}`, `one of them is left from an earlier relocation: look at both and remove the one you do not need`);
    }
    return change(`${path}: local copy kept as ${setAside(path)}, link to the volume`, [
      { description: `set ${path} aside as ${setAside(path)}; ln -s ${target} ${path}`, argv: ['sh', '-c', SET_ASIDE_SCRIPT, 'haforge-aside', path, target, setAside(path)] },
    ]);
  }
  if (here.type === 'absent') {
    return there.type === 'absent'
      ? fail(`${path} exists neither on ${ctx.node.name} nor on the volume`, `install ${a.service} first (its package creates ${path}), or fix the path in the inventory`)
      : change(`${path}: link to the data already on the volume`, [link]);
  }
  if (there.type !== 'absent') {
    return fail(`${path} exists both on ${ctx.node.name} and on the volume (${target})`, `haforge will not choose between them: merge them by hand, keep one, and run again`);
  }
  return change(`${path}: moved to ${target}`, [{ description: `move ${path} to ${target}, link back`, argv: ['sh', '-c', MOVE_SCRIPT, 'haforge-move', path, target] }]);
}

function undoPath(a: RelocateArgs, path: string, active: boolean, ctx: PlanContext): TaskPlan {
  const here = ctx.fact(request(pathFact, { path }));
  if (here.type === 'link' && here.target !== onVolume(a.volume, path)) return throughLink(a, path, here, active, ctx, true);
  return undoAt(a, path, here, active, ctx.fact(request(pathFact, { path: onVolume(a.volume, path) })));
}

function undoAt(a: RelocateArgs, path: string, here: PathState, active: boolean, there: PathState): TaskPlan {
  const target = onVolume(a.volume, path);
  if (here.type !== 'link') return noop(`${path} is not relocated`);
  if (here.target !== target) return fail(`${path} links to ${here.target}, not to ${target}: not haforge's`, 'leave it, or fix it by hand');
  if (active) {
    return there.type === 'absent'
      ? fail(`${target} is missing on the volume: nothing to copy back to ${path}`)
      : change(`${path}: moved back from the volume`, [{ description: `move ${target} back to ${path}`, argv: ['sh', '-c', MOVE_BACK_SCRIPT, 'haforge-back', path, target] }]);
  }
  return change(`${path}: local copy restored`, [{ description: `restore ${path} from ${setAside(path)}`, argv: ['sh', '-c', RESTORE_SCRIPT, 'haforge-restore', path, setAside(path)] }]);
}
