// An arbitrary command, made idempotent by guards: creates/removes (a path),
// unless/only_if (a read-only shell test). readonly commands report data and
// never count as a change.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, noop } from '../engine/plan.js';
import { commandFact } from '../facts/command.js';
import { pathFact } from '../facts/files.js';
import { shArgv } from '../util/shell.js';

export interface CommandArgs {
  cmd?: string;
  argv?: string[];
  /** Positional parameters of cmd, unless and only_if ($1, $2, ...). */
  args?: string[];
  creates?: string;
  removes?: string;
  unless?: string;
  only_if?: string;
  readonly?: boolean;
}

const argvOf = (a: CommandArgs) => a.argv ?? shArgv(a.cmd ?? '', a.args);
const testArgv = (script: string, a: CommandArgs) => shArgv(script, a.args);

export const commandOperation: Operation<CommandArgs> = {
  name: 'command',
  summary: 'Run a command, guarded by creates/removes/unless/only_if; readonly: true for commands that only read.',
  idempotent: false,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      cmd: { type: 'string', minLength: 1, description: 'A shell command line (run with sh -c).' },
      argv: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'A command as a list of words (no shell).' },
      args: { type: 'array', items: { type: 'string' }, description: 'Values for cmd, unless and only_if as $1, $2, ...: put templated values here, not into the shell text.' },
      creates: { type: 'string', pattern: '^/', description: 'Skip when this path exists.' },
      removes: { type: 'string', pattern: '^/', description: 'Skip when this path does not exist.' },
      unless: { type: 'string', minLength: 1, description: 'Skip when this read-only shell test exits 0.' },
      only_if: { type: 'string', minLength: 1, description: 'Run only when this read-only shell test exits 0.' },
      readonly: { type: 'boolean', description: 'The command only reads: run it with the facts, never a change.' },
    },
  },
  label: (a) => `command ${a.cmd ?? a.argv?.join(' ')}`,
  facts(a) {
    if (a.readonly) return [request(commandFact, { argv: argvOf(a) })];
    return [
      ...(a.creates ? [request(pathFact, { path: a.creates })] : []),
      ...(a.removes ? [request(pathFact, { path: a.removes })] : []),
      ...(a.unless ? [request(commandFact, { argv: testArgv(a.unless, a) })] : []),
      ...(a.only_if ? [request(commandFact, { argv: testArgv(a.only_if, a) })] : []),
    ];
  },
  plan(a, ctx) {
    if (a.readonly) {
      const outcome = ctx.fact(request(commandFact, { argv: argvOf(a) }));
      const output = outcome.stdout.replace(/\n$/, '');
      if (outcome.exitCode !== 0) return { steps: [], reason: `exit ${outcome.exitCode}`, output, refusal: { message: `read-only command exited ${outcome.exitCode}` } };
      return noop('read-only', { output });
    }
    if (a.creates && ctx.fact(request(pathFact, { path: a.creates })).type !== 'absent') return noop(`${a.creates} exists`);
    if (a.removes && ctx.fact(request(pathFact, { path: a.removes })).type === 'absent') return noop(`${a.removes} does not exist`);
    if (a.unless && ctx.fact(request(commandFact, { argv: testArgv(a.unless, a) })).exitCode === 0) return noop(`unless: ${a.unless}`);
    if (a.only_if && ctx.fact(request(commandFact, { argv: testArgv(a.only_if, a) })).exitCode !== 0) return noop(`only_if failed: ${a.only_if}`);
    return change('run', [{ description: a.cmd ?? a.argv!.join(' '), argv: argvOf(a) }]);
  },
};
