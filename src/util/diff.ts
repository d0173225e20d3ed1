// A unified diff of two texts, for the plan's --diff: the `diff` package's
// Myers algorithm (O(ND): a 20,000-line file with a few changes diffs in
// milliseconds), hunks with 3 lines of context, labelled as haforge shows
// them: what is on the host against what is desired.
import { structuredPatch } from 'diff';

/** Unified diff with `context` lines around changes; '' when equal. */
export function unifiedDiff(before: string, after: string, label: string, context = 3): string {
  if (before === after) return '';
  const patch = structuredPatch(label, label, before, after, '', '', { context });
  const hunks = patch.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines]);
  return [`--- ${label} (on host)`, `+++ ${label} (desired)`, ...hunks].join('\n') + '\n';
}
