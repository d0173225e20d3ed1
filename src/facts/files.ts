// The state of one path: what it is, its mode and owner, and (for small,
// non-secret files) its content so a diff can be shown.
import { createHash } from 'node:crypto';
import type { Fact } from '../engine/fact.js';
import { quoteWord as shQuote } from '../util/shell.js';

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

// $1 is the path, $2 "1" to fetch content. Positional parameters keep the
// script constant, so no path is ever spliced into shell text.
const SCRIPT = `p=$1
s=$(stat -c '%F|%a|%U|%G|%s' -- "$p" 2>/dev/null) || { echo absent; exit 0; }
case $s in
  'symbolic link'*) echo link; readlink -- "$p" ;;
  directory*) echo dir; echo "$s" ;;
  regular*) echo file; echo "$s"
    if [ "$2" = 1 ] && [ "\${s##*|}" -le ${CONTENT_LIMIT} ]; then echo base64; base64 < "$p"; else sha256sum < "$p"; fi ;;
  *) echo other ;;
esac`;

export const pathFact: Fact<PathState, PathArgs> = {
  id: 'path',
  command: ({ path, content }) => ['sh', '-c', `set -- ${shQuote(path)} ${content ? 1 : 0}\n${SCRIPT}`],
  parse(stdout) {
    const lines = stdout.split('\n');
    const kind = lines[0]?.trim();
    // stat line: type|mode|owner|group|size (type may contain spaces, never '|')
    const [, mode = '', owner = '', group = '', size = '0'] = (lines[1] ?? '').split('|');
    if (kind === 'link') return { type: 'link', target: lines[1] ?? '' };
    if (kind === 'dir') return { type: 'dir', mode: normalizeMode(mode), owner, group };
    if (kind === 'file') {
      // The content when it was asked for (its hash is taken here: one process less on the node), else the node's sha256sum.
      const content = lines[2] === 'base64' ? Buffer.from(lines.slice(3).join(''), 'base64') : undefined;
      const sha256 = content ? createHash('sha256').update(content).digest('hex') : (lines[2] ?? '').split(' ')[0]!.trim();
      return { type: 'file', mode: normalizeMode(mode), owner, group, size: Number(size), sha256, content };
    }
    if (kind === 'other') return { type: 'other' };
    return { type: 'absent' };
  },
};

/** "644" -> "0644", "4755" stays. */
export function normalizeMode(mode: string): string {
  return mode.padStart(4, '0');
}

