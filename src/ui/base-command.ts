// What every command shares: the inventory flag and one way to print errors.
import { Command, Errors, Flags } from '@oclif/core';
import { HaforgeError, UserError } from '../errors.js';
import { errorJson, formatError } from './errors.js';

export const inventoryFlag = Flags.string({
  char: 'i',
  description: 'Inventory file (default: $HAFORGE_INVENTORY, else ./inventory.yaml).',
  default: async () => process.env.HAFORGE_INVENTORY ?? 'inventory.yaml',
});

export const jsonFlag = Flags.boolean({ description: 'Print machine-readable JSON on stdout.' });

export const clusterFlag = Flags.string({ description: 'The cluster (needed when the inventory has several).' });

export const acceptNewFlag = Flags.boolean({
  description: 'Trust and record host keys of hosts not yet in known_hosts (a changed key is still refused).',
});

/** A flag holding a non-negative number of seconds. */
export const secondsFlag = (name: string) =>
  Flags.custom<number>({
    parse: async (input) => {
      const n = Number(input);
      if (!Number.isFinite(n) || n < 0) throw new UserError(`--${name} must be a number of seconds, not '${input}'`, { hint: `e.g. --${name} 0.5` });
      return n;
    },
  });

export const labNameFlag = Flags.string({
  char: 'n',
  description: 'which lab (several can run side by side)',
  default: 'default',
});

/**
 * Every command's one error handler. Exit codes: 0 all well, 1 bad input or
 * a host that cannot be reached or trusted, 2 a task failed on some host, 3
 * a bug in haforge. oclif's own exits (--help, --version, a command's exit
 * code) pass through.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof Errors.ExitError) return super.catch(err);
    // A flag or argument oclif could not parse is the user's to fix.
    const error: Error = err instanceof Errors.CLIError && !(err instanceof HaforgeError) ? new UserError(err.message.replace(/^Error: /, ''), { hint: `haforge ${this.id?.replaceAll(':', ' ') ?? ''} --help lists the flags and arguments`.replace('  ', ' ') }) : err;
    const wantsJson = this.argv.includes('--json');
    if (wantsJson) process.stdout.write(JSON.stringify({ error: errorJson(error) }, null, 2) + '\n');
    else process.stderr.write(formatError(error) + '\n');
    process.exitCode = error instanceof HaforgeError ? (error.kind === 'bug' ? 3 : 1) : 3;
    return undefined;
  }

  /** Progress lines go to stderr so stdout stays clean for --json. */
  protected report = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
}
