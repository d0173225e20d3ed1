// A listr2 view of the run: one line per host per phase.
import { Listr } from 'listr2';
import type { Reporter } from '../engine/reporter.js';
import type { PlannedTask } from '../engine/results.js';

export function listrReporter(onPlan: (plan: PlannedTask[]) => void): Reporter {
  const renderer = process.stdout.isTTY ? 'default' : 'simple';
  return {
    planned: onPlan,
    async phase(name, hosts, work) {
      const list = new Listr(
        [
          {
            title: name,
            task: (_ctx, parent) =>
              parent.newListr(
                hosts.map((host) => ({
                  title: host,
                  task: async (_c, task) => {
                    await work(host, (line) => {
                      task.output = line;
                    });
                  },
                })),
                { concurrent: true, exitOnError: false },
              ),
          },
        ],
        { renderer, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
      );
      await list.run();
    },
    result() {},
  };
}
