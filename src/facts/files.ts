// The state of one path: what it is, its mode and owner, and (for small,
// non-secret files) its content so a diff can be shown.
//
// All paths of a batch are read by ONE piece of shell (a merged fact): the
// test builtins find which exist, one `stat` describes all of those, and one
// `tar | base64` carries the content of the small files whose content is
// wanted. A file whose content is not wanted (a secret) or too large is only
// hashed on the node.
import { createHash } from 'node:crypto';
import type { Fact } from '../engine/fact.js';
import { UserError } from '../errors.js';
import { readTar } from '../util/tar.js';
import { quoteWord } from '../util/shell.js';

export const CONTENT_LIMIT = 256 * 1024;

export type PathState =
  | { type: 'absent' }
  | { type: 'file'; mode: string; owner: string; group: string; size: number; sha256: string; content?: Buffer }
  | { type: 'dir'; mode: string; owner: string; group: string }
  | { type: 'link'; target: string }
  | { type: 'other' };

export interface PathArgs {
  path: string;
  /** Fetch the content (small files only). Never for secrets. */
  content?: boolean;
}

// Arguments: want path want path ... (want 1: send the content of a small
// regular file). Paths are arguments, never shell text. Output:
//   a line of one bit per path (1: it exists);
//   a stat line per existing path: type|mode|owner|group|size|"name" (-> "target"),
//     name and target C-quoted, so one line whatever they hold;
//   after each regular file: '+' (its content is in the tar) or '= <sha256sum>';
//   '== tar' and the base64 of one tar of the files marked '+'.
// stat only gets paths the tests found, so its lines line up with them; it
// fails only when one vanished in between, and then the whole read is redone.
// printf, not echo: dash's echo would expand the backslashes of the quoting.
const PATHS_FUNCTION = `paths() {
  e= w= n=$#
  while [ "$n" -gt 0 ]; do
    if [ -e "$2" ] || [ -L "$2" ]; then e=\${e}1 w=$w$1; set -- "$@" "$2"; else e=\${e}0; fi
    shift 2; n=$((n - 2))
  done
  s=
  if [ $# -gt 0 ]; then s=$(LC_ALL=C QUOTING_STYLE=c stat -c '%F|%a|%U|%G|%s|%N' -- "$@") || return 1; fi
  echo "$e"
  for p; do
    shift
    l=\${s%%"$nl"*}
    s=\${s#*"$nl"}
    printf '%s\\n' "$l"
    case $l in regular*)
      r=\${l#*|*|*|*|}
      if [ "\${w%"\${w#?}"}" = 1 ] && [ "\${r%%|*}" -le ${CONTENT_LIMIT} ]; then echo +; set -- "$@" "$p"
      else printf '= %s\\n' "$(sha256sum < "$p")"; fi ;;
    esac
    w=\${w#?}
  done
  if [ $# -gt 0 ]; then echo '== tar'; tar -c -P --format=gnu --no-recursion --hard-dereference -b 1 -f - -- "$@" | base64; fi
}
nl='
'`;
const SCRIPT = `${PATHS_FUNCTION}
paths "$@" || paths "$@" || paths "$@" || echo unstable`;

function pathsCommand(args: readonly PathArgs[]): string[] {
  return ['sh', '-c', `set -- ${args.map((a) => `${a.content ? 1 : 0} ${quoteWord(a.path)}`).join(' ')}\n${SCRIPT}`];
}

/**
 * Pure: the state of each path, in order. `paths` names the tar members; a
 * lone parse (no paths) reads the names from stat's quoted ones.
 */
export function parsePathStates(stdout: string, paths?: readonly string[]): PathState[] {
  const lines = stdout.split('\n');
  if (lines[0] === 'unstable') {
    throw new UserError('paths kept changing while haforge read them (a path vanished between two reads, three times)', { hint: 'run again once whatever changes them has finished' });
  }
  const bits = (lines[0] ?? '').trim();
  if (paths && (bits.length !== paths.length || /[^01]/.test(bits))) {
    throw new UserError(`the path fact's output is cut short (${bits.length} of ${paths.length} paths)`, { hint: 'does the node have POSIX sh, GNU stat and GNU tar?' });
  }
  const tarAt = lines.indexOf('== tar');
  const contents = tarAt < 0 ? new Map<string, Buffer>() : readTar(Buffer.from(lines.slice(tarAt + 1).join(''), 'base64'));
  let next = 1;
  return [...bits].map((bit, k): PathState => {
    if (bit !== '1') return { type: 'absent' };
    const line = lines[next++] ?? '';
    // type|mode|owner|group|size|names: the type may contain spaces, none of the first five a '|'
    const fields = line.split('|');
    const [kind = '', mode = '', owner = '', group = '', size = '0'] = fields;
    const names = fields.slice(5).join('|');
    if (kind.startsWith('symbolic link')) return { type: 'link', target: statNames(names).target ?? '' };
    if (kind.startsWith('directory')) return { type: 'dir', mode: normalizeMode(mode), owner, group };
    if (kind.startsWith('regular')) {
      const mark = lines[next++] ?? '';
      // The content when it was sent (its hash is taken here: one process less on the node), else the node's sha256sum.
      const content = mark === '+' ? (contents.get(paths?.[k] ?? statNames(names).name) ?? Buffer.alloc(0)) : undefined;
      const sha256 = content ? createHash('sha256').update(content).digest('hex') : (mark.slice(2).split(' ')[0] ?? '').trim();
      return { type: 'file', mode: normalizeMode(mode), owner, group, size: Number(size), sha256, content };
    }
    return { type: 'other' };
  });
}

export const pathFact: Fact<PathState, PathArgs> = {
  id: 'path',
  command: (args) => pathsCommand([args]),
  parse: (stdout) => parsePathStates(stdout)[0] ?? { type: 'absent' },
  merged: {
    command: pathsCommand,
    parse: (stdout, _exitCode, args) => parsePathStates(stdout, args.map((a) => a.path)),
  },
};

/** "644" -> "0644", "4755" stays. */
export function normalizeMode(mode: string): string {
  return mode.padStart(4, '0');
}

/**
 * stat's %N: "name", or "name" -> "target" for a link, each quoted in C style
 * (QUOTING_STYLE=c: backslash escapes, octal for other bytes). Older stat
 * quotes with '...' the same way. Unreadable quoting: the raw text.
 */
export function statNames(text: string): { name: string; target?: string } {
  const name = unquote(text, 0);
  if (!name) return { name: text };
  if (!text.startsWith(' -> ', name.end)) return { name: name.value };
  const target = unquote(text, name.end + 4);
  return { name: name.value, target: target?.value ?? text.slice(name.end + 4) };
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

function unquote(text: string, start: number): { value: string; end: number } | undefined {
  const open = text[start];
  if (open !== '"' && open !== "'") return undefined;
  const bytes: number[] = [];
  for (let i = start + 1; i < text.length; i++) {
    const c = String.fromCodePoint(text.codePointAt(i)!);
    if (c === open) return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      i += c.length - 1;
      continue;
    }
    const e = text[++i] ?? '';
    const octal = /^[0-7]{1,3}/.exec(text.slice(i, i + 3))?.[0];
    if (octal) {
      bytes.push(parseInt(octal, 8));
      i += octal.length - 1;
    } else bytes.push(ESCAPES[e] ?? e.charCodeAt(0));
  }
  return undefined;
}

/** Where a symlink leads, one level, and the paths relocating that target involves. */
export interface LinkTarget {
  /** The link's target, absolute and normalized (.. resolved as text); undefined: not a link. */
  target?: string;
  /** The target, its place on the volume, its set-aside copy. */
  states?: [PathState, PathState, PathState];
}

// The target is computed on the node (readlink, relative to the link's
// directory, normalized without following further links), then read like any
// path: its place on the volume and its set-aside name only exist once known.
const LINK_SCRIPT = `${PATHS_FUNCTION}
t=$(readlink -- "$p") || exit 0
case $t in /*) ;; *) t=$(dirname -- "$p")/$t ;; esac
t=$(realpath -m -s -- "$t") || exit 0
printf '%s\\n%s\\n' "$t" "$v$t"
paths 0 "$t" 0 "$v$t" 0 "$t.haforge-local" || paths 0 "$t" 0 "$v$t" 0 "$t.haforge-local" || echo unstable`;

export const linkTargetFact: Fact<LinkTarget, { path: string; volume: string }> = {
  id: 'link-target',
  command: ({ path, volume }) => ['sh', '-c', `p=${quoteWord(path)} v=${quoteWord(volume.replace(/\/$/, ''))}\n${LINK_SCRIPT}`],
  parse(stdout) {
    const [target = '', onVolume = '', ...rest] = stdout.split('\n');
    if (!target) return {};
    const states = parsePathStates(rest.join('\n'), [target, onVolume, `${target}.haforge-local`]);
    return { target, states: states as [PathState, PathState, PathState] };
  },
};
