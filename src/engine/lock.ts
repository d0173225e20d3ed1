// One haforge run per cluster at a time: a lock directory on every node,
// taken with mkdir (atomic), holding who took it and when. /run is cleared at
// boot, so a crashed run's lock does not outlive a reboot.
import { hostname, userInfo } from 'node:os';
import { UserError } from '../errors.js';
import type { AuditedConnection } from './audit.js';

export const LOCK_DIR = '/run/haforge.lock';

const TAKE = `if mkdir -m 0700 "$1" 2>/dev/null; then printf '%s\\n' "$2" > "$1/owner"; echo taken; else echo held; cat "$1/owner" 2>/dev/null; fi`;

export async function takeLock(conn: AuditedConnection, runId: string): Promise<void> {
  const owner = `${userInfo().username}@${hostname()} pid ${process.pid} run ${runId} since ${new Date().toISOString()}`;
  const result = await conn.exec('lock', ['sh', '-c', TAKE, 'haforge-lock', LOCK_DIR, owner]);
  const [state, ...rest] = result.stdout.trim().split('\n');
  if (state !== 'taken') {
    throw new UserError(`${conn.host} is locked by another haforge run (${rest.join(' ').trim() || 'owner unknown'})`, {
      hint: `wait for it to finish; if it crashed, run: haforge unlock -i <inventory> (removes ${LOCK_DIR} on the nodes)`,
    });
  }
}

export async function releaseLock(conn: AuditedConnection): Promise<void> {
  await conn.exec('lock', ['rm', '-rf', LOCK_DIR]);
}

/** The lock's owner line, or null when no lock is held. */
export async function readLock(conn: AuditedConnection): Promise<string | null> {
  const result = await conn.exec('read', ['sh', '-c', 'if [ -d "$1" ]; then echo held; cat "$1/owner" 2>/dev/null; fi', 'haforge-lock', LOCK_DIR]);
  const [state, ...owner] = result.stdout.trim().split('\n');
  return state === 'held' ? owner.join(' ').trim() || 'unknown owner' : null;
}
