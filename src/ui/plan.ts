// The plan and the recap as text.
import type { PlannedTask, RunReport, TaskResult } from '../engine/results.js';
import { color } from './color.js';

const STATUS: Record<string, (s: string) => string> = {
  ok: color.green,
  change: color.yellow,
  wait: color.cyan,
  changed: color.yellow,
  fail: color.red,
  failed: color.red,
  skipped: color.dim,
};

function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .map((l) => (l.startsWith('+') ? color.green(l) : l.startsWith('-') ? color.red(l) : l.startsWith('@@') ? color.cyan(l) : l))
    .join('\n');
}

function indent(text: string, pad: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** showOutput: print what read-only tasks printed (check mode: the results show it otherwise). */
export function formatPlan(plan: PlannedTask[], opts: { diff: boolean; showOutput: boolean; verbose?: boolean }): string {
  const out: string[] = [];
  let play = '';
  for (const item of plan) {
    if (item.status === 'ok' && !opts.verbose && !(opts.showOutput && item.output !== undefined)) continue;
    if (item.play !== play) {
      play = item.play;
      out.push(color.bold(`PLAY ${play}`));
    }
    const word = item.uncertain ? 'maybe' : item.predicted ? 'predict' : item.status;
    const status = STATUS[item.status]!(word.padEnd(7));
    out.push(`  ${item.host}  ${status} ${item.task}${item.reason ? color.dim(` (${item.reason})`) : ''}${item.destructive ? color.red(' DESTRUCTIVE') : ''}`);
    if (item.status === 'change') for (const step of item.steps) out.push(color.dim(`      - ${step}`));
    for (const basis of item.predicted ?? []) out.push(color.dim(`      rests on: ${basis}`));
    if (item.hint) out.push(`      hint: ${item.hint}`);
    if (opts.showOutput && item.output) out.push(indent(item.output, '      | '));
    if (opts.diff && item.diff) out.push(indent(colorDiff(item.diff), '      '));
  }
  const changes = plan.filter((p) => p.status === 'change').length;
  const failures = plan.filter((p) => p.status === 'fail').length;
  out.push(`plan: ${changes} to change, ${failures} refused, ${plan.length - changes - failures} ok (tasks × hosts)`);
  return out.join('\n');
}

export function formatResults(results: TaskResult[], opts: { diff: boolean }): string {
  const out: string[] = [];
  for (const r of results) {
    if (r.status === 'ok' && r.output === undefined) continue;
    out.push(`  ${r.host}  ${STATUS[r.status]!(r.status.padEnd(7))} ${r.handler ? 'handler: ' : ''}${r.task}${r.msg ? color.dim(` (${r.msg})`) : ''}`);
    if (r.hint) out.push(`      hint: ${r.hint}`);
    if (r.output) out.push(indent(r.output, '      | '));
    if (opts.diff && r.diff) out.push(indent(colorDiff(r.diff), '      '));
  }
  return out.join('\n');
}

export function formatRecap(report: RunReport): string {
  const out = [color.bold(report.check ? 'RECAP (check mode: nothing was changed)' : 'RECAP')];
  for (const [host, r] of Object.entries(report.hosts)) {
    const line = `  ${host.padEnd(16)} ok=${r.ok} changed=${r.changed} failed=${r.failed} skipped=${r.skipped}`;
    out.push(r.error || r.failed ? color.red(line) : r.changed ? color.yellow(line) : color.green(line));
    if (r.error) out.push(color.red(`      ${r.error}`));
  }
  for (const w of report.warnings ?? []) out.push(color.yellow(`  warning: ${w}`));
  if (report.auditLog) out.push(color.dim(`audit log: ${report.auditLog}`));
  return out.join('\n');
}
