// A plain text table: padded columns, optional notes printed under a row
// (hints), colour applied after padding so widths stay right.

export interface TableRow {
  cells: string[];
  /** Lines printed under the row, indented to the last column. */
  notes?: string[];
  /** Colours a cell's text (after padding): (column, text) -> text. */
  paint?: (column: number, text: string) => string;
}

export interface TableOptions {
  /** Separator between columns (default two spaces). */
  gap?: string;
  /** Terminal width; the last column wraps to it (default: no wrapping). */
  width?: number;
  /** Colours the header line. */
  paintHeader?: (text: string) => string;
}

/** Characters a terminal shows (escape sequences do not count). */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

/** Word-wraps text to width (a word longer than width stays whole). */
export function wrap(text: string, width: number): string[] {
  if (width <= 0 || text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function renderTable(headers: string[], rows: TableRow[], opts: TableOptions = {}): string {
  const gap = opts.gap ?? '  ';
  const columns = headers.length;
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r.cells[i] ?? ''))));
  const indent = widths.slice(0, -1).reduce((a, w) => a + w + gap.length, 0);
  const lastWidth = opts.width ? Math.max(20, opts.width - indent) : 0;
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - visibleLength(s)));
  const out: string[] = [];
  const head = headers.map((h, i) => (i === columns - 1 ? h : pad(h, widths[i]!))).join(gap);
  out.push(opts.paintHeader ? opts.paintHeader(head) : head);
  for (const row of rows) {
    const last = row.cells[columns - 1] ?? '';
    const lastLines = lastWidth ? wrap(last, lastWidth) : [last];
    const first = row.cells
      .slice(0, columns - 1)
      .map((c, i) => (row.paint ? row.paint(i, pad(c, widths[i]!)) : pad(c, widths[i]!)))
      .concat(row.paint ? row.paint(columns - 1, lastLines[0]!) : lastLines[0]!)
      .join(gap);
    out.push(first.trimEnd());
    for (const more of lastLines.slice(1)) out.push(' '.repeat(indent) + (row.paint ? row.paint(columns - 1, more) : more));
    for (const note of row.notes ?? []) {
      for (const line of lastWidth ? wrap(note, lastWidth) : [note]) out.push(' '.repeat(indent) + line);
    }
  }
  return out.join('\n');
}
