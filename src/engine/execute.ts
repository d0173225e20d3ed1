// The one executor: runs a plan's steps in order, for a playbook task and a
// procedure (switchover, drill, split-brain repair) alike.
//
// - A step with a guard runs only if the guard, judged on what `reread`
//   reads right then, finds nothing against it. A destructive step without
//   a guard is refused: nothing destroys on facts read earlier.
// - A watch step is polled until its check says done, fails, or times out.
// - A non-zero exit fails the step unless the step accepts that code.
// - After a failure nothing new starts; only steps that undo a temporary
//   change of a phase already begun still run.
// - Every remote command goes through the audited connection (read or
//   change); progress lines go to `progress`.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BugError, HaforgeError, RemoteCommandError, UserError } from '../errors.js';
import { quoteArgv } from '../util/shell.js';
import type { AuditedConnection } from './audit.js';
import { describeError } from './describe-error.js';
import type { Step, WatchState } from './plan.js';

export type OutcomeStatus = 'planned' | 'ok' | 'failed' | 'skipped';

/** What became of one step: the same shape in every report. */
export interface StepOutcome {
  node?: string;
  description: string;
  argv: string[];
  phase?: string;
  destructive?: boolean;
  guarded?: boolean;
  status: OutcomeStatus;
  exitCode?: number | null;
  /** Why a non-zero exit was fine, why the step failed, or what it wrote. */
  note?: string;
  /** When it started, and how long it took (ms). */
  startedAt?: number;
  ms?: number;
  /** A watch: when the command that saw it done ended (before any confirming read). */
  doneAt?: number;
  /** keepOutput: the command's stdout. */
  stdout?: string;
  /** toFile: the file, its size and what its check listed. */
  file?: { path: string; bytes: number; entries: string[] };
}

export interface Execution {
  outcomes: StepOutcome[];
  /** The first failure (the error itself too, for callers that describe it their way). */
  failure?: { message: string; hint?: string; error: unknown };
  /** Start time of each phase that began (ms since the epoch). */
  phaseStarts: Map<string, number>;
}

/** Where the steps run. */
export interface ExecEnv<R = unknown> {
  /** The connection to a step's node (or why there is none). */
  connection(node: string): Promise<AuditedConnection | Error>;
  /** The node of a step that names none (a playbook task's host). */
  defaultNode?: string;
  /** Reads the state again, for guards and watches that ask for it. */
  reread?: () => Promise<R>;
  /** A node was powered off or on by a step. */
  powered?(node: string, state: 'off' | 'on'): Promise<void> | void;
  /** transient: a wait's progress, replaced by the next line on a terminal. */
  progress?: (line: string, transient?: boolean) => void;
}

export function plannedOutcomes(steps: readonly Step<any>[]): StepOutcome[] {
  return steps.map((s) => outcomeOf(s, 'planned'));
}

function outcomeOf(s: Step<any>, status: OutcomeStatus, node?: string): StepOutcome {
  return { node: s.node ?? node, description: s.description, argv: s.argv, phase: s.phase, destructive: s.destructive || undefined, guarded: s.guard ? true : undefined, status };
}

export async function execute<R>(steps: readonly Step<R>[], env: ExecEnv<R>): Promise<Execution> {
  const run: Execution = { outcomes: [], phaseStarts: new Map() };
  for (const step of steps) {
    const node = step.node ?? env.defaultNode;
    const outcome = outcomeOf(step, 'skipped', node);
    run.outcomes.push(outcome);
    if (run.failure && !(step.undoes && run.phaseStarts.has(step.undoes))) continue;
    const t0 = Date.now();
    outcome.startedAt = t0;
    try {
      if (step.destructive && !step.guard) throw new BugError(`destructive step "${step.description}" has no guard`);
      if (step.guard && !run.failure) {
        if (!env.reread) throw new BugError(`step "${step.description}" has a guard but the run cannot read again`);
        const why = step.guard(await env.reread());
        if (why) {
          const { message, hint } = typeof why === 'string' ? { message: why, hint: undefined } : why;
          throw new UserError(`"${step.description}" not run: ${message}`, { hint: hint ?? 'this step changed nothing; look at the state again and run again' });
        }
      }
      if (step.phase && !run.phaseStarts.has(step.phase)) run.phaseStarts.set(step.phase, t0);
      env.progress?.(`${node ? `${node}: ` : ''}${step.description}`);
      await runStep(step, node, env, outcome);
      outcome.status = 'ok';
    } catch (err) {
      outcome.status = 'failed';
      outcome.note = err instanceof RemoteCommandError ? remoteFailure(err) : describeError(err);
      const message = err instanceof RemoteCommandError ? `${err.host}: ${outcome.note}` : outcome.note;
      run.failure ??= { message, hint: err instanceof HaforgeError ? err.hint : undefined, error: err };
    }
    outcome.ms = Date.now() - t0;
  }
  return run;
}

async function runStep<R>(step: Step<R>, node: string | undefined, env: ExecEnv<R>, outcome: StepOutcome): Promise<void> {
  if (step.local) {
    await step.local();
  } else if (step.watch) {
    await waitFor(step, node, env, outcome);
  } else {
    const conn = await connectionFor(node, env, step);
    if (step.toFile) await streamToFile(conn, step, outcome);
    else await exec(conn, step, outcome);
  }
  if (step.power && node) await env.powered?.(node, step.power);
}

async function connectionFor<R>(node: string | undefined, env: ExecEnv<R>, step: Step<R>): Promise<AuditedConnection> {
  if (!node) throw new BugError(`step "${step.description}" names no node`);
  const conn = await env.connection(node);
  if (conn instanceof Error) throw new UserError(`${node} is not connected: cannot ${step.description}`, { hint: `${conn.message}; haforge status shows which nodes answer` });
  return conn;
}

async function exec<R>(conn: AuditedConnection, step: Step<R>, outcome: StepOutcome): Promise<void> {
  const r = await conn.exec(step.readonly ? 'read' : 'change', step.argv, { stdin: step.stdin, destructive: step.destructive });
  outcome.exitCode = r.exitCode;
  if (step.keepOutput) outcome.stdout = r.stdout;
  if (r.exitCode === 0) return;
  const fine = step.accept?.find((a) => a.code === r.exitCode);
  if (fine) {
    outcome.note = `exit ${r.exitCode}: ${fine.meaning}`;
    return;
  }
  throw new RemoteCommandError(conn.host, step.argv, r.exitCode, r.stderr, undefined, r.signal);
}

/** Polls the step's watch until it says done, fails, or runs out of time. */
async function waitFor<R>(step: Step<R>, node: string | undefined, env: ExecEnv<R>, outcome: StepOutcome): Promise<void> {
  const watch = step.watch!;
  const deadline = Date.now() + watch.timeoutMs;
  const where = node ? `${node}: ` : '';
  for (;;) {
    let stdout = '';
    let exitCode = 0;
    if (step.argv.length) {
      const r = await (await connectionFor(node, env, step)).exec('read', step.argv);
      [stdout, exitCode] = [r.stdout, r.exitCode ?? -1];
    }
    const ranAt = Date.now();
    if (watch.reread && !env.reread) throw new BugError(`watch "${step.description}" reads again but the run cannot`);
    const state: WatchState = watch.check(stdout, exitCode, watch.reread ? await env.reread!() : undefined);
    if (state.progress) env.progress?.(`${where}${state.progress}`, true);
    if (state.done) {
      outcome.doneAt = ranAt;
      return;
    }
    if (state.error) throw new UserError(`${where}${step.description}: ${state.error}`, { hint: state.hint });
    if (Date.now() > deadline) {
      throw new UserError(`${where}gave up after ${Math.round(watch.timeoutMs / 1000)} s: ${step.description}${state.progress ? ` (last: ${state.progress})` : ''}`, {
        hint: watch.timeoutHint ?? 'the wait is over, not the work: run again to keep waiting',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, watch.intervalMs));
  }
}

/** The command's stdout into a new 0600 file here (never written on the node), then checked. */
async function streamToFile<R>(conn: AuditedConnection, step: Step<R>, outcome: StepOutcome): Promise<void> {
  const { file, check, hint } = step.toFile!;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'wx': never overwrite an earlier file.
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
  const finished = new Promise<void>((resolve, reject) => out.once('finish', resolve).once('error', reject));
  try {
    const r = await conn.exec('read', step.argv, { stdoutTo: out });
    out.end();
    await finished;
    outcome.exitCode = r.exitCode;
    if (r.exitCode !== 0) throw new RemoteCommandError(conn.host, step.argv, r.exitCode, r.stderr, hint, r.signal);
    const entries = await check(file).catch((err: Error) => {
      throw new UserError(err.message, { hint });
    });
    outcome.file = { path: file, bytes: (await stat(file)).size, entries };
    outcome.note = `${entries.length} path(s), ${outcome.file.bytes} bytes -> ${file}`;
  } catch (err) {
    out.destroy();
    await rm(file, { force: true });
    throw err;
  }
}

/** The whole command, its exit code and the end of its stderr. */
function remoteFailure(err: RemoteCommandError): string {
  const stderr = err.stderr.trim().split('\n').slice(-3).join(' | ');
  return `${quoteArgv(err.argv)} exited ${err.exitCode ?? `on ${err.signal ?? 'a signal'}`}${stderr ? `: ${stderr}` : ''}`;
}

/** ms from the start of one phase to the start of the next, when both began. */
export function phaseSpan(run: Execution, phase: string, next: string): number | undefined {
  const a = run.phaseStarts.get(phase);
  const b = run.phaseStarts.get(next);
  return a !== undefined && b !== undefined ? b - a : undefined;
}
