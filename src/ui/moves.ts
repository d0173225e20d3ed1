// The planned-move commands' shared flags and output.
import { Flags } from '@oclif/core';
import { plannedOutcomes } from '../engine/execute.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/model.js';
import { runMove, type MovePlanner, type MoveReport, type MoveRequest } from '../services/moves.js';
import { quoteArgv } from '../util/shell.js';
import { acceptNewFlag, BaseCommand, clusterFlag, inventoryFlag, jsonFlag } from './base-command.js';
import { color } from './color.js';

export const moveFlags = {
  inventory: inventoryFlag,
  json: jsonFlag,
  cluster: clusterFlag,
  check: Flags.boolean({ description: 'Print the commands and what the move waits for; change nothing.' }),
  timeout: Flags.integer({ description: 'Seconds to wait for the move to show in the status.', default: 300, min: 1 }),
  'accept-new-host-keys': acceptNewFlag,
};

const secs = (ms?: number) => (ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`);

export function renderMove(r: MoveReport): string {
  const out = [color.bold(`cluster ${r.cluster}: ${r.action}`)];
  if (r.status === 'noop') return [...out, `nothing to do: ${r.noop}`].join('\n');
  r.steps.forEach((s, i) => {
    const wait = s.phase === 'wait';
    // A wait's command is the look at the target: people see what it waits for.
    out.push(`${i + 1}. ${s.node && !wait ? `${s.node}: ` : ''}${s.description}${wait && s.node ? ` (watching ${s.node})` : ''}${r.status === 'done' ? color.dim(secs(wait ? r.movedMs : s.ms)) : ''}`);
    if (s.argv.length && !wait) out.push(`   ${color.cyan('$')} ${quoteArgv(s.argv)}`);
  });
  if (r.status === 'planned') out.push('check mode: nothing was changed');
  else {
    const primary = r.from === r.to ? `primary ${r.to ?? 'none'}` : `primary ${r.from ?? 'none'} -> ${r.to ?? 'none'}`;
    const confirmed = r.confirmedMs !== undefined && r.movedMs !== undefined && r.confirmedMs - r.movedMs >= 100 ? ` (the status confirmed it at ${(r.confirmedMs / 1000).toFixed(1)} s)` : '';
    const waited = r.waitFor ? `${r.waitFor} after ${((r.movedMs ?? 0) / 1000).toFixed(1)} s${confirmed}, ` : '';
    out.push(color.green(`done: ${waited}${((r.totalMs ?? 0) / 1000).toFixed(1)} s in all; ${primary}`));
    if (r.auditLog) out.push(color.dim(`audit log: ${r.auditLog}`));
  }
  return out.join('\n');
}

type MoveFlags = { inventory: string; json: boolean; cluster?: string; check: boolean; timeout: number; 'accept-new-host-keys': boolean; yes?: boolean };

/** The move commands: flags in, one runMove, the report out. */
export abstract class MoveCommand extends BaseCommand {
  protected async move(flags: MoveFlags, planFor: MovePlanner): Promise<void> {
    await this.moveWith(flags, (inventory, req) => runMove(inventory, req, planFor));
  }

  /** A move whose plan needs more than the status reading (the runner reads it, then calls runMove). */
  protected async moveWith(flags: MoveFlags, runner: (inventory: Inventory, req: MoveRequest) => Promise<MoveReport>): Promise<void> {
    const report = await runner(await loadInventory(flags.inventory), {
      cluster: flags.cluster,
      check: flags.check,
      timeout: flags.timeout,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: !flags.json,
      onProgress: flags.json ? undefined : (line) => this.logToStderr(color.dim(line)),
      yes: flags.yes,
      confirm:
        !flags.json && process.stdin.isTTY
          ? async (plan) => {
              this.log(renderMove({ cluster: plan.cluster, action: plan.action, status: 'planned', steps: plannedOutcomes(plan.steps), from: null }));
              return (await import('@inquirer/prompts')).confirm({ message: `${plan.action}: go ahead?`, default: false });
            }
          : undefined,
    });
    if (flags.json) this.printJson(report);
    else this.log(renderMove(report));
  }
}
