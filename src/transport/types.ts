// What the engine needs from a way of running commands on a host.

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Run through `sudo -n` when the connection's user is not root (default: the host's setting). */
  sudo?: boolean;
  /** Give up after this many milliseconds (the command is signalled). */
  timeoutMs?: number;
  /** Stream stdout's bytes here as they arrive (binary, e.g. an archive) instead of collecting them; result.stdout is then ''. */
  stdoutTo?: NodeJS.WritableStream;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed by a signal. */
  exitCode: number | null;
  signal?: string;
  /** The command ran past timeoutMs and was signalled (TERM, then KILL). */
  timedOut?: boolean;
  durationMs: number;
}

/** One open connection to one host. exec never throws for a non-zero exit. */
export interface Connection {
  readonly host: string;
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}
