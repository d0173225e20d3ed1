// Where haforge keeps what it writes on this workstation: audit logs, rescue
// archives. ${XDG_STATE_HOME:-~/.local/state}/haforge/<what>.
import { homedir } from 'node:os';
import path from 'node:path';

export function stateDir(what: string, env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(state, 'haforge', what);
}
