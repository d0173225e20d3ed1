// Flags split-brain and split-brain repair share.
import { Flags } from '@oclif/core';
import { UserError } from '../errors.js';
import { acceptNewFlag, inventoryFlag, jsonFlag } from './base-command.js';

/** --since: an ISO time, 'YYYY-MM-DD HH:MM[:SS]' (this workstation's time zone), or @UNIX-SECONDS. */
export function parseSince(input: string): number {
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(input.trim());
  const ms = epoch ? Number(epoch[1]) * 1000 : Date.parse(input.trim().replace(' ', 'T'));
  if (!Number.isFinite(ms)) throw new UserError(`--since: cannot read '${input}' as a time`, { hint: "e.g. --since '2026-11-23 10:00', --since 2026-11-23T10:00:00Z or --since @1795428000" });
  return Math.floor(ms / 1000);
}

export const splitBrainFlags = {
  inventory: inventoryFlag,
  json: jsonFlag,
  'accept-new-host-keys': acceptNewFlag,
  cluster: Flags.string({ char: 'c', description: 'Only this cluster of the inventory.' }),
  resource: Flags.string({ char: 'r', description: 'Only this DRBD resource.' }),
  since: Flags.custom<number>({ parse: async (input) => parseSince(input) })({
    description: "Changes since this time instead of the split time the kernel logs give: '2026-11-23 10:00' (local time), an ISO time, or @UNIX-SECONDS.",
  }),
};
