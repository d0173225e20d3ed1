// How the engine tells the outside world what happens. The engine runs hosts
// concurrently inside a phase through the reporter, so a UI (listr2) can draw
// one line per host per phase without the engine knowing about it.
import type { PlannedTask, TaskResult } from './results.js';

export type HostWork = (host: string, say: (line: string) => void) => Promise<void>;

export interface Reporter {
  /** The plan, before anything changes. */
  planned(plan: PlannedTask[]): void;
  /** Runs work for every host concurrently; resolves when all are done. */
  phase(name: string, hosts: string[], work: HostWork): Promise<void>;
  result(result: TaskResult): void;
}

/** Runs phases without drawing anything. */
export const quietReporter: Reporter = {
  planned() {},
  async phase(_name, hosts, work) {
    await Promise.allSettled(hosts.map((h) => work(h, () => {})));
  },
  result() {},
};
