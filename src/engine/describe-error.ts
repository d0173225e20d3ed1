// A failure as one line, for recaps and reports.
import { ConnectionError, RemoteCommandError } from '../errors.js';

/** One line for a failed host or command (remote failures: the command, its exit code and the end of its stderr). */
export function describeError(err: unknown): string {
  if (err instanceof RemoteCommandError) {
    const stderr = err.stderr.trim().split('\n').slice(-3).join(' | ');
    return `${err.argv[0] === 'sh' ? err.argv.slice(3).join(' ') || 'script' : err.argv.join(' ')} exited ${err.exitCode}${stderr ? `: ${stderr}` : ''}`;
  }
  if (err instanceof ConnectionError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
