// Whether a DRBD resource's backing disk holds DRBD metadata. drbdadm
// dump-md reads it for a resource that is down; an attached resource has
// metadata by definition.
import type { Fact } from '../engine/fact.js';
import { quoteWord } from '../util/shell.js';

export type MetadataState = 'present' | 'absent' | 'attached' | 'unknown';

export const drbdMetadataFact: Fact<{ state: MetadataState; detail: string }, string> = {
  id: 'drbd-metadata',
  command: (resource) => [
    'sh',
    '-c',
    `out=$(drbdadm dump-md ${quoteWord(resource)} 2>&1 >/dev/null); rc=$?; echo "rc=$rc"; printf '%s\\n' "$out" | tail -n 3`,
  ],
  parse(stdout) {
    const [first = '', ...rest] = stdout.split('\n');
    const rc = Number(first.replace('rc=', ''));
    const detail = rest.join(' ').trim();
    if (rc === 0) return { state: 'present', detail };
    if (/No valid meta.?data|no drbd meta data|Found no/i.test(detail)) return { state: 'absent', detail };
    if (/device is configured|resource is in use|is configured/i.test(detail)) return { state: 'attached', detail };
    return { state: 'unknown', detail };
  },
};
