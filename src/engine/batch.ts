// Many facts, one remote command: each fact's output is followed by a
// marker line carrying a per-run nonce, its index and its exit code.
import { randomBytes } from 'node:crypto';
import { BugError } from '../errors.js';
import { quoteArgv } from '../util/shell.js';
import type { FactRequest } from './fact.js';

export interface RawFactOutput {
  stdout: string;
  exitCode: number;
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

export function buildBatchScript(requests: readonly FactRequest[], nonce: string): string {
  return requests
    .map((r, i) => `${inline(r.fact.command(r.args))} </dev/null 2>/dev/null; printf '\\n%s %d %d\\n' ${nonce} ${i} $?`)
    .join('\n');
}

export function parseBatchOutput(stdout: string, requests: readonly FactRequest[], nonce: string): Map<string, RawFactOutput> {
  const results = new Map<string, RawFactOutput>();
  const marker = new RegExp(`\\n${nonce} (\\d+) (\\d+)\\n`, 'g');
  let start = 0;
  for (const match of stdout.matchAll(marker)) {
    const index = Number(match[1]);
    const request = requests[index];
    if (!request) throw new BugError(`fact batch: unexpected index ${index}`);
    results.set(request.key, { stdout: stdout.slice(start, match.index), exitCode: Number(match[2]) });
    start = match.index! + match[0].length;
  }
  return results;
}
