// One haforge run per cluster at a time: a lock directory on every node,
// taken with mkdir (atomic), holding who took it and when. /run is cleared at
// boot, so a crashed run's lock does not outlive a reboot.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { UserError } from '../errors.js';
import { quoteWord } from '../util/shell.js';
import { AuditedConnection } from './audit.js';
import type { Fact } from './fact.js';

export const LOCK_DIR = '/run/haforge.lock';

const TAKE = `if mkdir -m 0700 "$1" 2>/dev/null; then printf '%s\\n' "$2" > "$1/owner"; echo taken; else echo held; cat "$1/owner" 2>/dev/null; fi`;

const ownerLine = (runId: string) => `${userInfo().username}@${hostname()} pid ${process.pid} run ${runId} since ${new Date().toISOString()}`;

export type LockOutcome = { taken: true } | { taken: false; owner: string };

function parseTake(stdout: string): LockOutcome {
  const [state, ...rest] = stdout.trim().split('\n');
  return state === 'taken' ? { taken: true } : { taken: false, owner: rest.join(' ').trim() || 'owner unknown' };
}

export function lockRefused(host: string, owner: string): UserError {
  return new UserError(`${host} is locked by another haforge run (${owner})`, {
    hint: `wait for it to finish; if it crashed, run: haforge unlock -i <inventory> (removes ${LOCK_DIR} on the nodes)`,
  });
}

export async function takeLock(conn: AuditedConnection, runId: string): Promise<void> {
  const outcome = parseTake((await conn.exec('lock', ['sh', '-c', TAKE, 'haforge-lock', LOCK_DIR, ownerLine(runId)])).stdout);
  if (!outcome.taken) throw lockRefused(conn.host, outcome.owner);
}

/**
 * Taking the lock as the first "fact" of a run's one batched command saves a
 * round trip per node. It is the only fact that writes, and only /run.
 */
export const lockFact: Fact<LockOutcome, string> = {
  id: 'run-lock',
  command: (runId) => ['sh', '-c', `set -- ${quoteWord(LOCK_DIR)} ${quoteWord(ownerLine(runId))}\n${TAKE}`],
  parse: parseTake,
};

/** Removes the lock; with runId, only if this run holds it (after an unclear failure). */
export async function releaseLock(conn: AuditedConnection, runId?: string): Promise<void> {
  if (runId === undefined) await conn.exec('lock', ['rm', '-rf', LOCK_DIR]);
  // The owner line is read by the shell's read builtin: rm is the only process.
  else await conn.exec('lock', ['sh', '-c', 'o=; read -r o 2>/dev/null < "$1/owner"; case $o in *" run $2 "*) rm -rf "$1" ;; esac', 'haforge-lock', LOCK_DIR, runId]);
}

/** The lock's owner line, or null when no lock is held. */
export async function readLock(conn: AuditedConnection): Promise<string | null> {
  const result = await conn.exec('read', ['sh', '-c', 'if [ -d "$1" ]; then echo held; cat "$1/owner" 2>/dev/null; fi', 'haforge-lock', LOCK_DIR]);
  const [state, ...owner] = result.stdout.trim().split('\n');
  return state === 'held' ? owner.join(' ').trim() || 'unknown owner' : null;
}

/**
 * One run's lock on a set of nodes: taken on all of them at once (one
 * refusal stops the run before it reads anything) and released only where
 * this run took it, through whatever connection reaches the node then (a
 * drill re-dials the node it powered off).
 */
export class RunLocks {
  readonly runId = randomBytes(4).toString('hex');
  private readonly held = new Set<string>();

  async take(conns: Iterable<AuditedConnection | Error>): Promise<void> {
    const reachable = [...conns].filter((c): c is AuditedConnection => c instanceof AuditedConnection);
    const outcomes = await Promise.allSettled(reachable.map(async (c) => (await takeLock(c, this.runId), c.host)));
    for (const o of outcomes) if (o.status === 'fulfilled') this.held.add(o.value);
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (refused) throw refused.reason;
  }

  /** Nodes whose lock this run holds. */
  get hosts(): string[] {
    return [...this.held];
  }

  async release(conns: Iterable<AuditedConnection | Error>): Promise<void> {
    const mine = [...conns].filter((c): c is AuditedConnection => c instanceof AuditedConnection && this.held.has(c.host));
    await Promise.allSettled(mine.map(async (c) => (await releaseLock(c, this.runId), this.held.delete(c.host))));
  }
}
