// Questions on the terminal. @inquirer/prompts is loaded at the first
// question, so a run that asks nothing never pays for it (start-up time
// counts). Ctrl-C is a plain "cancelled", not a crash.
import { UserError } from '../errors.js';
import type { Prompts } from '../init/wizard.js';

export function terminalPrompts(): Prompts {
  const load = () => import('@inquirer/prompts');
  return {
    input: async (q) => cancellable((await load()).input(q)),
    confirm: async (q) => cancellable((await load()).confirm(q)),
    select: async (q) => cancellable((await load()).select(q)),
  };
}

async function cancellable<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    if ((err as Error)?.name === 'ExitPromptError') throw new UserError('cancelled: nothing written');
    throw err;
  }
}
