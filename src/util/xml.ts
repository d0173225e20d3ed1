// A small XML tree: enough for Pacemaker's CIB and crm_mon output
// (elements, attributes, text, comments, the XML declaration). haforge
// writes the CIB as a tree and reads Pacemaker's answers into the same
// tree, so generator, comparison and parsers share one shape.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside the element, trimmed ('' when none). */
  text: string;
}

export class XmlError extends Error {}

export function el(name: string, attrs: Record<string, string | number | undefined> = {}, children: (XmlElement | undefined | false)[] = []): XmlElement {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = String(v);
  return { name, attrs: clean, children: children.filter((c): c is XmlElement => !!c), text: '' };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' };

/** Escapes text for an attribute value or character data (quotes and line breaks too). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\n\r\t]/g, (c) => ESCAPES[c]!);
}

/** Pretty-printed, two spaces per level, attributes in the order given. */
export function serializeXml(e: XmlElement, depth = 0): string {
  const pad = '  '.repeat(depth);
  const attrs = Object.entries(e.attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  if (e.children.length === 0 && e.text === '') return `${pad}<${e.name}${attrs}/>\n`;
  if (e.children.length === 0) return `${pad}<${e.name}${attrs}>${escapeXml(e.text)}</${e.name}>\n`;
  return `${pad}<${e.name}${attrs}>\n${e.children.map((c) => serializeXml(c, depth + 1)).join('')}${pad}</${e.name}>\n`;
}

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, ent: string) => {
    if (ent[0] === '#') return String.fromCodePoint(ent[1] === 'x' ? parseInt(ent.slice(2), 16) : Number(ent.slice(1)));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[ent]!;
  });
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTR = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/;

/** Parses a document into its root element; throws XmlError on anything malformed. */
export function parseXml(text: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (why: string): never => {
    const line = text.slice(0, pos).split('\n').length;
    throw new XmlError(`XML line ${line}: ${why}`);
  };
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt === -1 ? text.length : lt);
    if (chunk.trim()) {
      if (!stack.length) fail('text outside the root element');
      const top = stack[stack.length - 1]!;
      top.text = (top.text + decode(chunk)).trim();
    }
    if (lt === -1) break;
    pos = lt;
    if (text.startsWith('<?', pos) || text.startsWith('<!--', pos) || text.startsWith('<!DOCTYPE', pos)) {
      const end = text.startsWith('<!--', pos) ? text.indexOf('-->', pos) + 3 : text.indexOf('>', pos) + 1;
      if (end <= pos) fail('unterminated declaration or comment');
      pos = end;
      continue;
    }
    if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos);
      if (end === -1 || !stack.length) fail('bad CDATA section');
      stack[stack.length - 1]!.text += text.slice(pos + 9, end);
      pos = end + 3;
      continue;
    }
    if (text.startsWith('</', pos)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(pos));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) fail(`unexpected closing tag${m ? ` </${m[1]}>` : ''}${open ? ` (open: <${open.name}>)` : ''}`);
      pos += m![0].length;
      continue;
    }
    const name = NAME.exec(text.slice(pos + 1))?.[0] ?? fail('bad tag');
    pos += 1 + name.length;
    const node: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const a = ATTR.exec(text.slice(pos));
      if (!a) break;
      node.attrs[a[1]!] = decode(a[3] ?? a[4] ?? '');
      pos += a[0].length;
    }
    const close = /^\s*(\/?)>/.exec(text.slice(pos)) ?? fail(`bad attribute or unterminated tag <${name}>`);
    pos += close[0].length;
    if (stack.length) stack[stack.length - 1]!.children.push(node);
    else if (root) fail('more than one root element');
    else root = node;
    if (!close[1]) stack.push(node);
  }
  if (stack.length) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  return root ?? fail('no root element');
}

/** Direct children with this name. */
export function childrenNamed(e: XmlElement | undefined, name: string): XmlElement[] {
  return e ? e.children.filter((c) => c.name === name) : [];
}

/** The first direct child with this name. */
export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children.find((c) => c.name === name);
}
