// split-brain and split-brain repair as text: the explanation per resource,
// the exact command sequence (per node, in order), the outcome.
import type { StepOutcome } from '../engine/execute.js';
import type { RepairReport, ResourceRepair, SplitBrainReport } from '../services/split-brain.js';
import { quoteArgv } from '../util/shell.js';
import { color } from './color.js';

export function renderDetection(report: SplitBrainReport): string {
  const out: string[] = [];
  for (const r of report.resources) {
    const head = `cluster ${r.cluster}, resource ${r.name} (${r.device}${r.mount ? `, ${r.mount}` : ''}): `;
    const verdict = r.splitBrain ? color.bold(color.red('SPLIT BRAIN')) : r.verdict === 'healthy' ? color.green('ok') : color.yellow(r.verdict);
    out.push(head + verdict);
    for (const line of r.explanation) out.push(`  ${line}`);
    out.push('');
  }
  for (const u of report.unreadable) out.push(color.red(`${u.node}: could not be read: ${u.error}`));
  return out.join('\n').trimEnd();
}

const STATUS: Record<StepOutcome['status'], (s: string) => string> = { planned: (s) => s, ok: color.green, failed: color.red, skipped: color.dim };

/** A wait's argv is a status poll: people see what it waits for. */
const shown = (s: StepOutcome) => (s.phase === 'resync' ? '(polls the DRBD status every second)' : quoteArgv(s.argv));

/** Two lines a step: what and where (and how it went), then the exact command, never wrapped. */
function renderSteps(steps: StepOutcome[], check: boolean): string[] {
  const width = String(steps.length).length;
  return steps.flatMap((s, i) => {
    const marks = [s.guarded ? 'facts re-read first' : '', s.destructive ? color.red('DESTRUCTIVE') : ''].filter(Boolean).join(', ');
    const status = check ? '' : ` ${STATUS[s.status](s.status)}`;
    const extra = [s.note, s.ms !== undefined && !check ? `${s.ms} ms` : ''].filter(Boolean).join(', ');
    const head = `${String(i + 1).padStart(width)}. ${s.node}${status}: ${s.description}${marks ? ` [${marks}]` : ''}${extra ? color.dim(` (${extra})`) : ''}`;
    return [head, `${' '.repeat(width + 2)}${color.cyan('$')} ${shown(s)}`];
  });
}

function renderOne(r: ResourceRepair, check: boolean): string[] {
  const out = [color.bold(`cluster ${r.cluster}, resource ${r.resource}: ${r.status}`)];
  for (const line of r.explanation) out.push(`  ${line}`);
  if (r.victim) out.push(`  victim ${r.victim} (${r.reason}), survivor ${r.survivor}`);
  out.push(...renderSteps(r.steps, check).map((l) => `  ${l}`));
  if (r.rescue) out.push(`  rescue archive: ${r.rescue} (${r.rescued?.entries.length ?? 0} paths, ${r.rescued?.bytes ?? 0} bytes)`);
  if (r.timings) {
    const s = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
    out.push(`  took ${s(r.timings.totalMs)} (rescue ${s(r.timings.rescueMs)}, discard to UpToDate ${s(r.timings.resyncMs)})`);
  }
  const paint = r.status === 'failed' || r.status === 'refused' ? color.red : r.status === 'repaired' ? color.green : (x: string) => x;
  out.push(paint(`  ${r.message}`));
  if (r.hint) out.push(`  hint: ${r.hint}`);
  return out;
}

export function renderRepair(report: RepairReport): string {
  const out = report.repairs.flatMap((r) => [...renderOne(r, report.check), '']);
  if (report.check) out.push('check mode: nothing was changed');
  if (report.auditLog && !report.check) out.push(color.dim(`audit log: ${report.auditLog}`));
  return out.join('\n').trimEnd();
}

/** The plan a prompt asks about. */
export function renderPlanned(planned: ResourceRepair[]): string {
  return planned.flatMap((r) => renderOne(r, true)).join('\n');
}

/** Progress on stderr: a wait's lines replace each other on a terminal; elsewhere one every 5 s. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (line: string, transient?: boolean) => void {
  let lastShown = 0;
  return (line, transient) => {
    if (stream.isTTY) {
      stream.write(`\r\u001b[K${line}${transient ? '' : '\n'}`);
      return;
    }
    if (transient && Date.now() - lastShown < 5000) return;
    lastShown = transient ? Date.now() : 0;
    stream.write(`${line}\n`);
  };
}
