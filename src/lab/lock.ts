// One command at a time per lab: two `lab up` (or an `up` and a `down`) on
// the same lab would fight over ports, overlays and state.json. The lock
// file sits beside the lab directory so `down` can remove the directory.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { processAlive } from '../util/process.js';
import type { LabPaths } from './paths.js';

function lockPath(paths: LabPaths): string {
  return path.join(path.dirname(paths.dir), `.${paths.name}.lock`);
}

export async function withLabLock<T>(paths: LabPaths, what: string, fn: () => Promise<T>): Promise<T> {
  const file = lockPath(paths);
  await fs.mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid} ${what}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockedError(paths, await fs.readFile(file, 'utf8').catch(() => ''));
      const [pid] = (await fs.readFile(file, 'utf8').catch(() => '')).split(' ');
      if (Number(pid) > 0 && processAlive(Number(pid))) throw lockedError(paths, await fs.readFile(file, 'utf8'));
      await fs.rm(file, { force: true }); // its holder died: take it over
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}

function lockedError(paths: LabPaths, holder: string): UserError {
  const [pid, ...what] = holder.trim().split(' ');
  return new UserError(`lab "${paths.name}" is busy: process ${pid || '?'} is running \`lab ${what.join(' ') || '?'}\``, {
    hint: 'wait for it to finish, or use another --name',
  });
}
