// Gathers facts with one remote command per host.
import { BugError, RemoteCommandError } from '../errors.js';
import type { AuditedConnection } from './audit.js';
import { batchPieces, buildBatchScript, newNonce, parseBatchOutput, pieceValues } from './batch.js';
import type { FactRequest } from './fact.js';

export class FactStore {
  private readonly values = new Map<string, unknown>();
  private readonly readAt = new Map<string, number>();
  /** Counts the changes made on the host; a fact read before the last change is stale. */
  generation = 0;

  set(key: string, value: unknown): void {
    this.values.set(key, value);
    this.readAt.set(key, this.generation);
  }

  /** Read before the host's latest change (or never read). */
  isStale(key: string): boolean {
    return (this.readAt.get(key) ?? -1) < this.generation;
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get<T>(req: FactRequest<T>): T {
    if (!this.values.has(req.key)) throw new BugError(`fact ${req.key} was not gathered`);
    return this.values.get(req.key) as T;
  }
}

export function dedupe(requests: readonly FactRequest[]): FactRequest[] {
  const byKey = new Map<string, FactRequest>();
  for (const r of requests) byKey.set(r.key, r);
  return [...byKey.values()];
}

/** Runs every request in one command and stores the parsed values. */
export async function gatherFacts(conn: AuditedConnection, requests: readonly FactRequest[], store = new FactStore()): Promise<FactStore> {
  const unique = dedupe(requests);
  if (unique.length === 0) return store;
  const pieces = batchPieces(unique);
  const nonce = newNonce();
  const argv = ['sh', '-c', buildBatchScript(pieces, nonce)];
  const result = await conn.exec('fact', argv);
  const outputs = parseBatchOutput(result.stdout, pieces, nonce);
  if (outputs.size !== pieces.length) {
    throw new RemoteCommandError(conn.host, ['sh', '-c', '(fact batch)'], result.exitCode, result.stderr, 'the fact command was cut short; is the host out of memory or the shell not POSIX sh?');
  }
  for (const [key, value] of pieceValues(pieces, outputs)) store.set(key, value);
  return store;
}
