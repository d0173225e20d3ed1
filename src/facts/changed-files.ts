// Files changed since a moment (inode change time, which also catches files
// copied in with old modification times), on a mounted filesystem or, for
// a node that has the volume neither Primary nor mounted, through a
// read-only loop device over DRBD's backing disk: DRBD keeps the data at
// offset 0 of it, and a Secondary DRBD device cannot be opened at all. The
// loop device is read-only and the filesystem is mounted without journal
// replay, so nothing is written anywhere. The type is named: seen whole,
// the backing disk also carries DRBD's metadata signature, and mount's own
// probing answers "unknown filesystem type 'drbd'".
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';
import { sections } from './parse.js';

export interface ChangedFilesArgs {
  /** Unix seconds on the node's clock. */
  since: number;
  /** A mount point to search; else lowerDevice is looked at read-only. */
  mount?: string;
  lowerDevice?: string;
  /** The filesystem the inventory expects there (tried first; ext4 and xfs after it). */
  fstype?: string;
  /** At most this many paths are returned (the total is counted anyway). */
  limit: number;
}

export interface ChangedFile {
  /** Relative to the filesystem's root. */
  path: string;
  bytes: number;
  /** Inode change time, Unix seconds. */
  changedAt: number;
}

export interface ChangedFiles {
  files: ChangedFile[];
  /** All matches, beyond the limit too. */
  total: number;
  /** How the filesystem was read. */
  via: 'mount' | 'read-only look';
  /** Why it could not be read. */
  error?: string;
}

// Regular files and links only: a directory's change time moves whenever
// a file in it is added or removed, which says nothing new.
const FIND = `find "$dir" -xdev -newerct "@$since" \\( -type f -o -type l \\) -printf '%C@ %s %P\\n' 2>/dev/null | awk -v max="$limit" 'NR<=max {print} END {print "== total"; print NR}'`;

// DRBD writes below the backing disk's page cache: pages cached from an
// earlier read of it (blkid, a wipefs probe) would show old data. Drop them,
// and have the loop device read around the cache where it can.
const LOOK = `d=$(mktemp -d /run/haforge-look.XXXXXX) || exit 1
blockdev --flushbufs "$dev" 2>/dev/null
l=$(losetup -r --direct-io=on -f --show "$dev" 2>/dev/null || losetup -r -f --show "$dev" 2>&1) || { echo '== error'; echo "losetup: $l"; rmdir "$d"; exit 1; }
trap 'umount "$d" 2>/dev/null; losetup -d "$l"; rmdir "$d"' EXIT
for t in $fstype ext4 xfs; do m=$(mount -t "$t" -o ro,norecovery "$l" "$d" 2>&1) && break; done || { echo '== error'; echo "mount: $m"; exit 1; }
dir=$d`;

export const changedFilesFact: Fact<ChangedFiles, ChangedFilesArgs> = {
  id: 'changed-files',
  command(a) {
    const vars = `since=${Math.floor(a.since)}; limit=${a.limit}`;
    const look = `dev=${quoteWord(a.lowerDevice ?? '')}; fstype=${quoteWord(a.fstype ?? 'ext4')}\necho '== via'; echo look\n${LOOK}`;
    const mounted = `dir=${quoteWord(a.mount ?? '')}\necho '== via'; echo mount\n[ -d "$dir" ] || { echo '== error'; echo "$dir is not a directory"; exit 1; }`;
    const body = a.mount ? mounted : look;
    return ['sh', '-c', `${vars}\n${body}\necho '== files'\n${FIND}`];
  },
  parse: parseChangedFiles,
};

export function parseChangedFiles(stdout: string): ChangedFiles {
  const s = sections(stdout);
  const files = (s.files ?? '')
    .split('\n')
    .map((l) => /^(\d+(?:\.\d+)?) (\d+) (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ path: m[3]!, bytes: Number(m[2]), changedAt: Math.floor(Number(m[1])) }));
  const total = Number((s.total ?? '').trim()) || files.length;
  const via = (s.via ?? '').trim() === 'look' ? 'read-only look' : 'mount';
  if (s.error !== undefined) return { files: [], total: 0, via, error: s.error.trim() || 'could not read the filesystem' };
  if (s.total === undefined) return { files, total, via, error: 'the file search did not finish' };
  return { files, total, via };
}
