// A unified diff of two texts (LCS on lines), enough for config files.

type Edit = { op: ' ' | '-' | '+'; line: string };

function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function edits(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: '-', line: a[i++]! });
    else out.push({ op: '+', line: b[j++]! });
  }
  while (i < n) out.push({ op: '-', line: a[i++]! });
  while (j < m) out.push({ op: '+', line: b[j++]! });
  return out;
}

/** Unified diff with `context` lines around changes; '' when equal. */
export function unifiedDiff(before: string, after: string, label: string, context = 3): string {
  if (before === after) return '';
  const all = edits(lines(before), lines(after));
  const hunks: string[] = [];
  let k = 0;
  while (k < all.length) {
    if (all[k]!.op === ' ') {
      k++;
      continue;
    }
    // Grow a hunk from this change until `2*context` unchanged lines separate the next.
    let start = Math.max(0, k - context);
    let end = k;
    while (end < all.length) {
      if (all[end]!.op !== ' ') {
        end++;
        continue;
      }
      let run = 0;
      while (end + run < all.length && all[end + run]!.op === ' ') run++;
      if (end + run >= all.length || run > 2 * context) {
        end = Math.min(all.length, end + context);
        break;
      }
      end += run;
    }
    const slice = all.slice(start, end);
    const oldStart = all.slice(0, start).filter((e) => e.op !== '+').length + 1;
    const newStart = all.slice(0, start).filter((e) => e.op !== '-').length + 1;
    const oldLen = slice.filter((e) => e.op !== '+').length;
    const newLen = slice.filter((e) => e.op !== '-').length;
    hunks.push(`@@ -${oldLen ? oldStart : oldStart - 1},${oldLen} +${newLen ? newStart : newStart - 1},${newLen} @@`);
    for (const e of slice) hunks.push(`${e.op}${e.line}`);
    k = end;
    start = end;
  }
  return [`--- ${label} (on host)`, `+++ ${label} (desired)`, ...hunks].join('\n') + '\n';
}
