// What every `haforge lab` command shares: the --name flag and turning
// haforge's typed errors into a message and a hint instead of a stack trace.
import { Command, Flags } from '@oclif/core';
import { HaforgeError } from '../errors.js';
import { formatError } from '../ui/errors.js';

export const labNameFlag = Flags.string({
  char: 'n',
  description: 'which lab (several can run side by side)',
  default: 'default',
});

export abstract class LabCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof HaforgeError) {
      process.stderr.write(`${formatError(err)}\n`);
      this.exit(err.kind === 'bug' ? 70 : 2);
    }
    return super.catch(err);
  }

  /** Progress lines go to stderr so stdout stays clean for --json. */
  protected report = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };
}
