// The Fact contract (DESIGN.md): a command to run on a host and a pure
// parser of its output. Facts are gathered in one batched command per host.

export interface Fact<T, A = void> {
  /** Stable name, e.g. "file" or "system". */
  id: string;
  /** The command to run (argv; a ['sh','-c',script] is inlined in the batch). */
  command(args: A): string[];
  /** Pure: turns the command's stdout (and exit code) into a value. */
  parse(stdout: string, exitCode: number): T;
  /**
   * Optional, for a fact asked about many things at once (paths, units): every
   * request of this fact in one batch becomes ONE command, so one `stat` or one
   * `systemctl` serves them all instead of one process each. `command` gets the
   * requests' args in order; `parse` (pure) returns one value per args, in the
   * same order. The batch uses this whenever it is there, even for a single
   * request; `command`/`parse` above serve callers that run the fact alone.
   */
  merged?: {
    command(args: readonly A[]): string[];
    parse(stdout: string, exitCode: number, args: readonly A[]): T[];
  };
}

/** A fact with its arguments, ready to be gathered. */
export interface FactRequest<T = unknown> {
  key: string;
  fact: Fact<T, any>;
  args: unknown;
}

export function request<T, A>(fact: Fact<T, A>, args: A): FactRequest<T> {
  return { key: `${fact.id}:${JSON.stringify(args ?? null)}`, fact, args };
}
