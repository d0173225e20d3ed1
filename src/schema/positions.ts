// Source positions of YAML nodes, so every error names file:line:column.
import { LineCounter, type Node as YamlNode } from 'yaml';
import type { SourcePosition } from '../errors.js';

export class PositionIndex {
  private readonly byPath = new Map<string, SourcePosition>();

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  ofNode(node: YamlNode | null | undefined): SourcePosition {
    return this.at(node?.range?.[0] ?? 0);
  }

  record(path: readonly (string | number)[], node: YamlNode | null | undefined): void {
    this.byPath.set(pathKey(path), this.ofNode(node));
  }

  /** The position of a value by its path, or of its nearest recorded parent. */
  of(path: readonly (string | number)[]): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const pos = this.byPath.get(pathKey(path.slice(0, n)));
      if (pos) return pos;
    }
    return { file: this.file, line: 1, column: 1 };
  }
}

export function pathKey(path: readonly (string | number)[]): string {
  return path.map(String).join('\u0000');
}

/** A path as users read it: clusters.web.nodes.alice.ssh.port */
export function pathText(path: readonly (string | number)[]): string {
  return path.length === 0 ? '(top level)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}
