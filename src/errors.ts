// Typed errors. Every error a user can see is one of these; they are turned
// into text in one place (ui/errors.ts).

/** Where in a user's file something went wrong (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export abstract class HaforgeError extends Error {
  abstract readonly kind: 'user' | 'remote' | 'connection' | 'bug';
  /** What the user can do about it. */
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Bad input the user can fix: a wrong inventory, a missing flag, an unsafe request. */
export class UserError extends HaforgeError {
  readonly kind = 'user' as const;
  readonly position?: SourcePosition;

  constructor(message: string, opts: { hint?: string; position?: SourcePosition } = {}) {
    super(message, opts.hint);
    this.position = opts.position;
  }
}

/** Several user errors at once (e.g. every problem in an inventory file). */
export class UserErrors extends HaforgeError {
  readonly kind = 'user' as const;

  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** A remote command exited non-zero (or was killed). */
export class RemoteCommandError extends HaforgeError {
  readonly kind = 'remote' as const;

  constructor(
    readonly host: string,
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    hint?: string,
    readonly signal?: string,
  ) {
    super(`command failed on ${host} (exit ${exitCode ?? `signal ${signal ?? '?'}`})`, hint);
  }
}

export type ConnectionFailure =
  | 'unreachable'
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'sudo-password'
  | 'key-passphrase'
  | 'config'
  | 'lost';

/** Could not reach, authenticate to, or trust a host. */
export class ConnectionError extends HaforgeError {
  readonly kind = 'connection' as const;

  constructor(
    readonly host: string,
    readonly failure: ConnectionFailure,
    message: string,
    hint?: string,
    /** host-key-unknown: the key the host offered, so that exactly this key can be approved and recorded. */
    readonly offeredHostKey?: Buffer,
  ) {
    super(message, hint);
  }
}

/** A bug in haforge: should never happen. */
export class BugError extends HaforgeError {
  readonly kind = 'bug' as const;
}
