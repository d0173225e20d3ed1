// What every command shares: the inventory flag and one way to print errors.
import { Command, Flags } from '@oclif/core';
import { HaforgeError, UserError } from '../errors.js';
import { errorJson, formatError } from './errors.js';

export const inventoryFlag = Flags.string({
  char: 'i',
  description: 'Inventory file (default: $HAFORGE_INVENTORY, else ./inventory.yaml).',
  default: async () => process.env.HAFORGE_INVENTORY ?? 'inventory.yaml',
});

export const jsonFlag = Flags.boolean({ description: 'Print machine-readable JSON on stdout.' });

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

export abstract class BaseCommand extends Command {
  /** Exit codes: 1 user/connection error, 2 some host failed, 3 internal error. */
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err.oclif?.exit !== undefined && !(err instanceof HaforgeError)) return super.catch(err);
    const wantsJson = this.argv.includes('--json');
    if (wantsJson) process.stdout.write(JSON.stringify({ error: errorJson(err) }, null, 2) + '\n');
    else process.stderr.write(formatError(err) + '\n');
    process.exitCode = err instanceof HaforgeError ? (err.kind === 'bug' ? 3 : 1) : 3;
    return undefined;
  }

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
}
