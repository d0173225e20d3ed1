// Small helpers shared by the fact parsers.

/** "key=value" lines into a record (values may contain '='). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** Splits output into sections introduced by lines "== name". */
export function sections(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  let body: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^== (\S+)$/.exec(line);
    if (m) {
      if (current) out[current] = body.join('\n');
      current = m[1]!;
      body = [];
    } else if (current) body.push(line);
  }
  if (current) out[current] = body.join('\n');
  return out;
}
