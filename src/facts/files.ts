// The state of one path: what it is, its mode and owner, and (for small,
// non-secret files) its content so a diff can be shown.
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
if [ -L "$p" ]; then echo link; readlink "$p"
elif [ -d "$p" ]; then echo dir; stat -c '%a %U %G' "$p"
elif [ -f "$p" ]; then echo file; stat -c '%a %U %G %s' "$p"; sha256sum < "$p" | cut -d' ' -f1
  if [ "$2" = 1 ] && [ "$(stat -c %s "$p")" -le ${CONTENT_LIMIT} ]; then base64 < "$p"; fi
elif [ -e "$p" ]; then echo other
else echo absent; fi`;

export const pathFact: Fact<PathState, PathArgs> = {
  id: 'path',
  command: ({ path, content }) => ['sh', '-c', `set -- ${shQuote(path)} ${content ? 1 : 0}\n${SCRIPT}`],
  parse(stdout) {
    const lines = stdout.split('\n');
    const kind = lines[0]?.trim();
    if (kind === 'link') return { type: 'link', target: lines[1] ?? '' };
    if (kind === 'dir') {
      const [mode = '', owner = '', group = ''] = (lines[1] ?? '').trim().split(' ');
      return { type: 'dir', mode: normalizeMode(mode), owner, group };
    }
    if (kind === 'file') {
      const [mode = '', owner = '', group = '', size = '0'] = (lines[1] ?? '').trim().split(' ');
      const body = lines.slice(3).join('');
      return {
        type: 'file',
        mode: normalizeMode(mode),
        owner,
        group,
        size: Number(size),
        sha256: (lines[2] ?? '').trim(),
        content: lines.length > 3 && (body.length > 0 || Number(size) === 0) ? Buffer.from(body, 'base64') : undefined,
      };
    }
    if (kind === 'other') return { type: 'other' };
    return { type: 'absent' };
  },
};

/** "644" -> "0644", "4755" stays. */
export function normalizeMode(mode: string): string {
  return mode.padStart(4, '0');
}

