// The one place where errors become text for people.
import { BugError, ConnectionError, HaforgeError, RemoteCommandError, UserError, UserErrors } from '../errors.js';
import { quoteArgv } from '../util/shell.js';
import { visible } from '../util/text.js';

function where(err: UserError): string {
  const p = err.position;
  return p ? `${p.file}:${p.line}:${p.column}: ` : '';
}

function withHint(text: string, hint?: string): string {
  return hint ? `${text}\n  hint: ${hint}` : text;
}

export function formatError(err: unknown): string {
  return visible(describe(err));
}

function describe(err: unknown): string {
  if (err instanceof UserErrors) return err.errors.map((e) => describe(e)).join('\n');
  if (err instanceof UserError) return withHint(`error: ${where(err)}${err.message}`, err.hint);
  if (err instanceof RemoteCommandError) {
    const stderr = err.stderr.trim();
    const lines = [
      `error: ${err.message}`,
      `  host: ${err.host}`,
      `  command: ${quoteArgv(err.argv)}`,
      `  exit code: ${err.exitCode ?? `killed by ${err.signal ?? 'signal'}`}`,
    ];
    if (stderr) lines.push(`  stderr: ${stderr.split('\n').slice(-10).join('\n          ')}`);
    return withHint(lines.join('\n'), err.hint);
  }
  if (err instanceof ConnectionError) return withHint(`error: ${err.host}: ${err.message}`, err.hint);
  if (err instanceof BugError || !(err instanceof HaforgeError)) {
    const e = err as Error;
    return `internal error (a bug in haforge, please report it): ${e?.stack ?? String(err)}`;
  }
  return `error: ${(err as Error).message}`;
}

export function errorJson(err: unknown): object {
  if (err instanceof UserErrors) return { kind: 'user', errors: err.errors.map(errorJson) };
  if (err instanceof UserError) return { kind: 'user', message: err.message, hint: err.hint, position: err.position };
  if (err instanceof RemoteCommandError)
    return { kind: 'remote', host: err.host, argv: err.argv, exitCode: err.exitCode, stderr: err.stderr, hint: err.hint };
  if (err instanceof ConnectionError) return { kind: 'connection', host: err.host, failure: err.failure, message: err.message, hint: err.hint };
  return { kind: 'bug', message: (err as Error)?.message ?? String(err) };
}
