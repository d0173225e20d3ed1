// A secret file as the workstation needs it to keep one secret identical on
// every node: attributes and content. The content stays in memory: facts'
// output is parsed, never logged or printed.
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';
import { normalizeMode } from './files.js';

/** Larger files are no key haforge writes. */
export const SECRET_LIMIT = 64 * 1024;

export type SecretFileState =
  | { type: 'absent' }
  | { type: 'file'; mode: string; owner: string; group: string; content: Buffer }
  | { type: 'other'; what: string };

const SCRIPT = `p=$1
s=$(stat -c '%F|%a|%U|%G|%s' -- "$p" 2>/dev/null) || { echo absent; exit 0; }
case $s in
  regular*) if [ "\${s##*|}" -le ${SECRET_LIMIT} ]; then echo file; echo "$s"; base64 < "$p"; else echo "other|larger than ${SECRET_LIMIT} bytes"; fi ;;
  *) echo "other|\${s%%|*}" ;;
esac`;

export const secretFileFact: Fact<SecretFileState, { path: string }> = {
  id: 'secret-file',
  command: ({ path }) => ['sh', '-c', `set -- ${quoteWord(path)}\n${SCRIPT}`],
  parse(stdout) {
    const [kind = '', stat = '', ...body] = stdout.split('\n');
    if (kind === 'file') {
      const [, mode = '', owner = '', group = ''] = stat.split('|');
      return { type: 'file', mode: normalizeMode(mode), owner, group, content: Buffer.from(body.join(''), 'base64') };
    }
    if (kind.startsWith('other|')) return { type: 'other', what: kind.slice('other|'.length) };
    return { type: 'absent' };
  },
};

/** Backups of a file kept under a prefix (/var/backups/haforge/etc/corosync/authkey.): their paths. */
export const secretBackupsFact: Fact<string[], { prefix: string }> = {
  id: 'secret-backups',
  command: ({ prefix }) => ['sh', '-c', 'for f in "$1"*; do [ -f "$f" ] && printf "%s\\n" "$f"; done; true', 'haforge-backups', prefix],
  parse: (stdout) => stdout.split('\n').filter(Boolean),
};
