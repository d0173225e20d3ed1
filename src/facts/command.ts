// A read-only command's outcome, run inside the fact batch: guards
// (unless/only_if) and read-only tasks cost no extra round trip.
import type { Fact } from '../engine/fact.js';

export interface CommandOutcome {
  exitCode: number;
  stdout: string;
}

export const commandFact: Fact<CommandOutcome, { argv: string[] }> = {
  id: 'command',
  command: ({ argv }) => argv,
  parse: (stdout, exitCode) => ({ exitCode, stdout }),
};
