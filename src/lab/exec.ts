// Running local programs (debootstrap, qemu-img, ssh-keygen, ...) with their
// output captured, so a failure can say what the program said.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { UserError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  /** Append stdout and stderr to this file instead of keeping them in memory. */
  logFile?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    child.stdout!.on('data', (d: Buffer) => (log ? log.write(d) : (stdout += d.toString())));
    child.stderr!.on('data', (d: Buffer) => {
      if (log) log.write(d);
      stderr += d.toString();
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000); // keep the tail: that is where the error is
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on('error', (err: NodeJS.ErrnoException) => {
      log?.end();
      if (err.code === 'ENOENT') {
        reject(new UserError(`${argv[0]} is not installed`, { hint: `install it (see docs/lab.md for the Debian packages the lab needs)` }));
      } else reject(err);
    });
    child.on('close', (exitCode, signal) => {
      const done = () => resolve({ stdout, stderr, exitCode, signal });
      if (log) log.end(done);
      else done();
    });
  });
}

/** Run and insist on exit code 0; the error names the program and quotes its stderr's tail. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}, hint?: string): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-15).join('\n    ');
    const how = r.exitCode === null ? `was killed (${r.signal})` : `exited with ${r.exitCode}`;
    throw new UserError(`${argv.slice(0, 3).join(' ')} ${how}${tail ? `:\n    ${tail}` : ''}`, {
      hint: hint ?? (opts.logFile ? `see the full log in ${opts.logFile}` : undefined),
    });
  }
  return r;
}
