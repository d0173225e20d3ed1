// Every remote command of a run, one JSON line each, on the workstation.
// Commands carry their argv only: file contents travel on stdin and are
// never written here.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Connection, ExecOptions, ExecResult } from '../transport/types.js';
import { stateDir } from '../util/state-dir.js';

/** fact/lock/read never change a host; change does. */
export type CommandKind = 'fact' | 'lock' | 'read' | 'change';

export interface AuditRecord {
  time: string;
  host: string;
  kind: CommandKind;
  argv: readonly string[];
  exitCode: number | null;
  durationMs: number;
  destructive?: boolean;
}

export function defaultAuditDir(): string {
  return process.env.HAFORGE_AUDIT_DIR || stateDir('runs');
}

export class AuditLog {
  readonly records: AuditRecord[] = [];

  /** file: where to append JSON lines (undefined: memory only). */
  constructor(readonly file?: string) {
    if (file) mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  }

  /** The log at `file`, or a new file in the default directory. */
  static open(file?: string): AuditLog {
    return file ? new AuditLog(file) : AuditLog.forNewRun();
  }

  static forNewRun(dir = defaultAuditDir()): AuditLog {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return new AuditLog(path.join(dir, `${stamp}-${process.pid}.jsonl`));
  }

  add(record: AuditRecord): void {
    this.records.push(record);
    if (this.file) appendFileSync(this.file, JSON.stringify(record) + '\n', { mode: 0o600 });
  }
}

/** Runs commands on a connection and records each one. */
export class AuditedConnection {
  constructor(
    readonly connection: Connection,
    private readonly log: AuditLog,
  ) {}

  get host(): string {
    return this.connection.host;
  }

  async exec(kind: CommandKind, argv: readonly string[], opts?: ExecOptions & { destructive?: boolean }): Promise<ExecResult> {
    const started = Date.now();
    try {
      const result = await this.connection.exec(argv, opts);
      this.log.add({ time: new Date(started).toISOString(), host: this.host, kind, argv, exitCode: result.exitCode, durationMs: result.durationMs, destructive: opts?.destructive || undefined });
      return result;
    } catch (err) {
      this.log.add({ time: new Date(started).toISOString(), host: this.host, kind, argv, exitCode: null, durationMs: Date.now() - started, destructive: opts?.destructive || undefined });
      throw err;
    }
  }
}
