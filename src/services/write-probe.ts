// The drill's write probe, running: on every node of the cluster a loop
// starts the probe script (procedures/write-probe.ts) whenever the node is
// reachable; it writes only where the replicated filesystem is mounted, so
// the records go through whichever node is primary now, before the failure
// and after the takeover alike. Each acknowledgement is stamped with this
// workstation's clock as it arrives.
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditedConnection } from '../engine/audit.js';
import { UserError } from '../errors.js';
import { parseAckLine, PROBE_EXIT, probeScript, probeStopFile, type ProbeAck } from '../procedures/write-probe.js';
import { shArgv } from '../util/shell.js';
import { oneLine } from '../util/text.js';

/** How the probe reaches nodes: the run's connections (an Error while a node cannot be used). */
export type ProbeConnections = (node: string) => Promise<AuditedConnection | Error>;

const RETRY_MS = 1000;
/** How long stop() waits for the sessions to see the stop flag; a hung node's session is left behind. */
const STOP_WAIT_MS = 5000;

export class WriteProbe {
  readonly acks: ProbeAck[] = [];
  /** Why sessions ended other than by the stop flag or an unmounted volume (shown when the probe could not write). */
  readonly problems: string[] = [];
  private stopped = false;
  private sessions = 0;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly connection: ProbeConnections,
    private readonly nodes: readonly string[],
    readonly mount: string,
    readonly id: string,
  ) {}

  /**
   * Starts writing through every node that can; resolves once `primary` has
   * acknowledged `before` records: the failure then cuts into a stream of
   * writes, not into its first one.
   */
  async start(primary: string, before = 10, timeoutMs = 30_000): Promise<void> {
    this.loops = this.nodes.map((n) => this.loop(n));
    const end = Date.now() + timeoutMs;
    while (this.acks.filter((a) => a.node === primary).length < before) {
      if (Date.now() > end) {
        await this.stop();
        throw new UserError(`the write probe could not write on ${primary} within ${timeoutMs / 1000} s (${this.mount})`, {
          hint: this.problems.at(-1) ?? `is ${this.mount} mounted read-write on ${primary}?`,
        });
      }
      await sleep(100);
    }
  }

  /** Raises the stop flag on every node that answers and waits a little for the sessions to end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      this.nodes.map(async (n) => {
        const c = await this.connection(n);
        if (!(c instanceof Error)) await c.exec('change', ['touch', probeStopFile(this.id)], { timeoutMs: 10_000 }).catch(() => undefined);
      }),
    );
    await Promise.race([Promise.allSettled(this.loops), sleep(STOP_WAIT_MS)]);
  }

  /** Removes the stop flags (after stop; a node that does not answer loses its flag at its next boot). */
  async clean(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        const c = await this.connection(n);
        if (!(c instanceof Error)) await c.exec('change', shArgv('rm -f -- "$1"', [probeStopFile(this.id)]), { timeoutMs: 10_000 }).catch(() => undefined);
      }),
    );
  }

  private async loop(node: string): Promise<void> {
    while (!this.stopped) {
      const conn = await this.connection(node);
      if (conn instanceof Error) {
        await sleep(RETRY_MS);
        continue;
      }
      const session = `${node}.${++this.sessions}`;
      const sink = lineSink((line) => {
        const seq = parseAckLine(line);
        if (seq !== undefined) this.acks.push({ session, node, seq, at: Date.now() });
      });
      try {
        const r = await conn.exec('change', probeScript(this.mount, this.id, session), { stdoutTo: sink });
        if (r.exitCode === PROBE_EXIT.stopped) return;
        if (r.exitCode !== PROBE_EXIT.notMounted) this.problems.push(`${node}: the probe ended with exit ${r.exitCode ?? r.signal}${r.stderr.trim() ? `: ${oneLine(r.stderr)}` : ''}`);
      } catch (err) {
        this.problems.push(`${node}: ${(err as Error).message}`);
      }
      await sleep(RETRY_MS);
    }
  }
}

/** Calls `onLine` for every complete line written to it. */
function lineSink(onLine: (line: string) => void): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const l of lines) onLine(l);
      done();
    },
  });
}
