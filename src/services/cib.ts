// Use cases over the Pacemaker configurations haforge saved before each
// replace: list them on every node, and restore one (through the move
// runner: plan, confirm, execute, wait).
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import { pickCluster, withRun, type ConnectOptions } from '../engine/run-context.js';
import { BACKUP_DIR, isBackupName, listBackupsScript, parseBackupList, type CibBackup } from '../pacemaker/backups.js';
import { planCibRestore } from '../procedures/cib-restore.js';
import { runMove, type MoveReport, type MoveRequest } from './moves.js';

export interface CibBackups {
  cluster: string;
  directory: string;
  nodes: { node: string; backups: CibBackup[]; error?: string }[];
}

export async function listCibBackups(inventory: Inventory, req: ConnectOptions & { cluster?: string }): Promise<CibBackups> {
  const cluster = pickCluster(inventory, req.cluster);
  return withRun(cluster.nodes, { ...req, lock: false }, async (run) => ({
    cluster: cluster.name,
    directory: BACKUP_DIR,
    nodes: await Promise.all(
      cluster.nodes.map(async ({ name }) => {
        const conn = await run.connection(name);
        if (conn instanceof Error) return { node: name, backups: [], error: conn.message };
        const r = await conn.exec('read', listBackupsScript());
        return { node: name, backups: parseBackupList(r.stdout) };
      }),
    ),
  }));
}

/** Restores `backup` (default: the newest on any node) from the node that saved it. */
export async function restoreCibBackup(inventory: Inventory, req: MoveRequest & { backup?: string }): Promise<MoveReport> {
  if (req.backup !== undefined && !isBackupName(req.backup)) {
    throw new UserError(`'${req.backup}' is not the name of a saved configuration`, { hint: 'haforge cib backups lists them (names like 20261206T104512.123456789Z.xml)' });
  }
  const listing = await listCibBackups(inventory, req);
  const all = listing.nodes.flatMap((n) => n.backups.map((b) => ({ node: n.node, ...b }))).sort((a, b) => b.name.localeCompare(a.name));
  const chosen = req.backup === undefined ? all[0] : all.find((b) => b.name === req.backup);
  if (!chosen) {
    const unread = listing.nodes.filter((n) => n.error).map((n) => n.node);
    throw new UserError(req.backup ? `no node of cluster ${listing.cluster} has ${req.backup} in ${BACKUP_DIR}` : `no node of cluster ${listing.cluster} has a saved configuration in ${BACKUP_DIR}`, {
      hint: unread.length ? `${unread.join(', ')} could not be read` : 'haforge saves one before each change it makes to the configuration',
    });
  }
  return runMove(inventory, req, (report, ctx) => planCibRestore(report, ctx, chosen.node, chosen.name));
}
