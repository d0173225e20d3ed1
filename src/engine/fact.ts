// The Fact contract (DESIGN.md): a command to run on a host and a pure
// parser of its output. Facts are gathered in one batched command per host.

export interface Fact<T, A = void> {
  /** Stable name, e.g. "file" or "system". */
  id: string;
  /** The command to run (argv; a ['sh','-c',script] is inlined in the batch). */
  command(args: A): string[];
  /** Pure: turns the command's stdout (and exit code) into a value. */
  parse(stdout: string, exitCode: number): T;
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
