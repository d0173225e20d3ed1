// Many facts, one remote command: each piece's output is followed by a
// marker line carrying a per-run nonce, the piece's index and its exit code.
// A piece is one request, or every request of a merged fact (fact.ts).
import { randomBytes } from 'node:crypto';
import { BugError } from '../errors.js';
import { quoteArgv } from '../util/shell.js';
import type { FactRequest } from './fact.js';

export interface RawFactOutput {
  stdout: string;
  exitCode: number;
}

/** One command of the batch and the requests its output answers. */
export interface BatchPiece {
  argv: string[];
  requests: FactRequest[];
  /** The requests' values, in order. */
  parse(stdout: string, exitCode: number): unknown[];
}

export function newNonce(): string {
  return `@@HF${randomBytes(6).toString('hex')}`;
}

/** A fact's command as shell text, to run inside a batch or another script. */
export function inline(argv: string[]): string {
  // A shell script runs in a subshell instead of a new `sh -c`: one fork, no exec.
  if (argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c') return `( ${argv[2]}\n)`;
  return quoteArgv(argv);
}

/** One piece per request, except that all requests of a merged fact share one (where the first of them was). */
export function batchPieces(requests: readonly FactRequest[]): BatchPiece[] {
  const groups: FactRequest[][] = [];
  const merged = new Map<string, FactRequest[]>();
  for (const r of requests) {
    if (!r.fact.merged) {
      groups.push([r]);
      continue;
    }
    const group = merged.get(r.fact.id);
    if (group) group.push(r);
    else {
      merged.set(r.fact.id, [r]);
      groups.push(merged.get(r.fact.id)!);
    }
  }
  return groups.map((group) => {
    const many = group[0]!.fact.merged;
    if (!many) {
      const [r] = group as [FactRequest];
      return { argv: r.fact.command(r.args), requests: group, parse: (stdout, exitCode) => [r.fact.parse(stdout, exitCode)] };
    }
    const args = group.map((r) => r.args);
    return { argv: many.command(args), requests: group, parse: (stdout, exitCode) => many.parse(stdout, exitCode, args) };
  });
}

export function buildBatchScript(pieces: readonly BatchPiece[], nonce: string): string {
  return pieces.map((p, i) => `${inline(p.argv)} </dev/null 2>/dev/null; printf '\\n%s %d %d\\n' ${nonce} ${i} $?`).join('\n');
}

/** Each piece's raw output, by piece index. */
export function parseBatchOutput(stdout: string, pieces: readonly BatchPiece[], nonce: string): Map<number, RawFactOutput> {
  const results = new Map<number, RawFactOutput>();
  const marker = new RegExp(`\\n${nonce} (\\d+) (\\d+)\\n`, 'g');
  let start = 0;
  for (const match of stdout.matchAll(marker)) {
    const index = Number(match[1]);
    if (!pieces[index]) throw new BugError(`fact batch: unexpected index ${index}`);
    results.set(index, { stdout: stdout.slice(start, match.index), exitCode: Number(match[2]) });
    start = match.index! + match[0].length;
  }
  return results;
}

/** The value of every request of every piece, by request key. */
export function pieceValues(pieces: readonly BatchPiece[], outputs: ReadonlyMap<number, RawFactOutput>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  pieces.forEach((piece, i) => {
    const out = outputs.get(i);
    if (!out) throw new BugError(`fact batch: no output for piece ${i}`);
    const parsed = piece.parse(out.stdout, out.exitCode);
    if (parsed.length !== piece.requests.length) {
      throw new BugError(`fact ${piece.requests[0]!.fact.id}: ${parsed.length} values for ${piece.requests.length} requests`);
    }
    piece.requests.forEach((r, j) => values.set(r.key, parsed[j]));
  });
  return values;
}
