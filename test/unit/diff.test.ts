import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/util/diff.js';

// A diff is right when GNU patch, applied to the old text, gives the new one.
function patchApplies(before: string, after: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hf-diff-'));
  const file = path.join(dir, 'f');
  writeFileSync(file, before);
  writeFileSync(path.join(dir, 'p'), unifiedDiff(before, after, 'f'));
  execFileSync('patch', ['-s', file, path.join(dir, 'p')]);
  return execFileSync('cat', [file], { encoding: 'utf8' });
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => expect(unifiedDiff('a\n', 'a\n', 'x')).toBe(''));

  it('produces hunks that patch(1) applies', () => {
    const before = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const after = before.replace('line 3\n', 'line three\n').replace('line 30\n', '').replace('line 39\n', 'line 39\nline 40\n');
    expect(patchApplies(before, after)).toBe(after);
    expect(patchApplies('', 'new file\n')).toBe('new file\n');
    expect(patchApplies('a\nb\n', 'b\nc\n')).toBe('b\nc\n');
  });

  it('labels both sides', () => {
    const d = unifiedDiff('keepalive 2\n', 'keepalive 1\n', '/etc/ha.d/ha.cf');
    expect(d).toBe('--- /etc/ha.d/ha.cf (on host)\n+++ /etc/ha.d/ha.cf (desired)\n@@ -1,1 +1,1 @@\n-keepalive 2\n+keepalive 1\n');
  });
});
