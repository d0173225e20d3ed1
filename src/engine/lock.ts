// One haforge run per cluster at a time: a lock directory on every node,
// taken with mkdir (atomic), holding who took it and when. /run is cleared at
// boot, so a crashed run's lock does not outlive a reboot.
//
// A playbook run reads its facts without the lock and takes it only when its
// plan changes something: a run that finds nothing to change never writes,
// and saves the round trip that released the lock (a no-change re-run is the
// command people repeat). Every take records its run id in a generation file
// next to the lock; a run that finds another id there than its facts saw
// knows a run came and went in between, and reads its facts again.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { UserError } from '../errors.js';
import { processAlive } from '../util/process.js';
import { quoteWord } from '../util/shell.js';
import { AuditedConnection } from './audit.js';
import type { Fact } from './fact.js';

export const LOCK_DIR = '/run/haforge.lock';
/** The run id of the last run that took the lock: outside the directory, so it outlives the release. */
export const LOCK_GENERATION = '/run/haforge.lock.gen';

// $1 lock dir, $2 owner line, $3 generation file, $4 run id. Prints "taken <previous generation>" or "held" and the owner.
const TAKE = `if mkdir -m 0700 "$1" 2>/dev/null; then printf '%s\n' "$2" > "$1/owner"; g=; read -r g < "$3" 2>/dev/null; printf '%s\n' "$4" > "$3"; echo "taken $g"; else echo held; cat "$1/owner" 2>/dev/null; fi`;
// $1 lock dir, $2 generation file. The generation is read first: a run that takes the lock after it is seen holding it.
const PROBE = `g=; read -r g < "$2" 2>/dev/null; echo "generation $g"; if [ -d "$1" ]; then echo held; cat "$1/owner" 2>/dev/null; else echo free; fi`;

const ownerLine = (runId: string) => `${userInfo().username}@${hostname()} pid ${process.pid} run ${runId} since ${new Date().toISOString()}`;

export type LockOutcome = { taken: true; previousGeneration: string } | { taken: false; owner: string };

const ownerOf = (lines: string[]) => lines.join(' ').trim() || 'owner unknown';

function parseTake(stdout: string): LockOutcome {
  const [state = '', ...rest] = stdout.trim().split('\n');
  return state.startsWith('taken') ? { taken: true, previousGeneration: state.slice('taken'.length).trim() } : { taken: false, owner: ownerOf(rest) };
}

/** What a run saw before taking the lock: who holds it now, and the last run that took it. */
export interface LockProbe {
  generation: string;
  heldBy?: string;
}

function parseProbe(stdout: string): LockProbe {
  const [gen = '', state, ...rest] = stdout.trim().split('\n');
  const generation = gen.replace(/^generation ?/, '').trim();
  return state === 'held' ? { generation, heldBy: ownerOf(rest) } : { generation };
}

/** Another run holds the lock: the one error that stops a run instead of its host. */
export class LockRefusedError extends UserError {}

export function lockRefused(host: string, owner: string): LockRefusedError {
  return new LockRefusedError(`${host} is locked by another haforge run (${owner})`, {
    hint: `wait for it to finish; if it crashed, run: haforge unlock -i <inventory> (removes ${LOCK_DIR} on the nodes)`,
  });
}

/** Takes the lock or throws the refusal; returns the generation it replaced. */
export async function takeLock(conn: AuditedConnection, runId: string): Promise<string> {
  const outcome = parseTake((await conn.exec('lock', ['sh', '-c', TAKE, 'haforge-lock', LOCK_DIR, ownerLine(runId), LOCK_GENERATION, runId])).stdout);
  if (!outcome.taken) throw lockRefused(conn.host, outcome.owner);
  return outcome.previousGeneration;
}

/** Read with the other facts, in the same command: the lock as the facts found it. */
export const lockProbeFact: Fact<LockProbe, void> = {
  id: 'run-lock-probe',
  command: () => ['sh', '-c', `set -- ${quoteWord(LOCK_DIR)} ${quoteWord(LOCK_GENERATION)}\n${PROBE}`],
  parse: parseProbe,
};

/** Removes the lock; with runId, only if this run holds it (after an unclear failure). */
export async function releaseLock(conn: AuditedConnection, runId?: string): Promise<void> {
  if (runId === undefined) await conn.exec('lock', ['rm', '-rf', LOCK_DIR]);
  // The owner line is read by the shell's read builtin: rm is the only process.
  else await conn.exec('lock', ['sh', '-c', 'o=; read -r o 2>/dev/null < "$1/owner"; case $o in *" run $2 "*) rm -rf "$1" ;; esac', 'haforge-lock', LOCK_DIR, runId]);
}

/**
 * Whether the run that holds a lock may still be going, judged from its
 * owner line ("user@host pid N run ID since TIME"): undefined when it
 * certainly ended (a process of this machine that is gone), else why it may
 * not have. A run on another workstation cannot be seen from here.
 */
export function ownerMayRun(owner: string, here = hostname(), alive: (pid: number) => boolean = processAlive): string | undefined {
  const m = /^\S+@(\S+) pid (\d+) run /.exec(owner);
  if (!m) return 'its owner line is not haforge\'s: whoever wrote it may still be at work';
  const [, host, pid] = m;
  if (host !== here) return `it was taken on ${host}: whether that run still goes cannot be seen from here`;
  return alive(Number(pid)) ? `process ${pid} that took it still runs on this machine` : undefined;
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
  private readonly held = new Set<string>();

  constructor(readonly runId: string = randomBytes(4).toString('hex')) {}

  /** Takes the lock on every reachable node; throws the first refusal or failure. */
  async take(conns: Iterable<AuditedConnection | Error>): Promise<void> {
    const failed = [...(await this.takeEach(conns)).values()].find((o) => o instanceof Error);
    if (failed) throw failed;
  }

  /** Takes the lock on every reachable node: per node its previous generation, or why not. */
  async takeEach(conns: Iterable<AuditedConnection | Error>): Promise<Map<string, string | Error>> {
    const reachable = [...conns].filter((c): c is AuditedConnection => c instanceof AuditedConnection);
    const outcomes = new Map<string, string | Error>();
    await Promise.all(
      reachable.map(async (c) => {
        try {
          outcomes.set(c.host, await takeLock(c, this.runId));
          this.held.add(c.host);
        } catch (err) {
          outcomes.set(c.host, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    return outcomes;
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
