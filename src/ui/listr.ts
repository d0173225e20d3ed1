// A listr2 view of the run: one line per host per phase.
import { Listr } from 'listr2';
import { quietReporter, type Reporter } from '../engine/reporter.js';
import type { PlannedTask } from '../engine/results.js';

export function listrReporter(onPlan: (plan: PlannedTask[]) => void): Reporter {
  if (!process.stdout.isTTY) return lineReporter(onPlan);
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
        { renderer: 'default', exitOnError: false, rendererOptions: { collapseSubtasks: false } },
      );
      await list.run();
    },
    result() {},
  };
}

/** Not a terminal (CI, logs): one line when a phase starts, nothing animated. */
function lineReporter(onPlan: (plan: PlannedTask[]) => void): Reporter {
  return {
    planned: onPlan,
    async phase(name, hosts, work) {
      process.stdout.write(`running ${name} on ${hosts.join(', ')}\n`);
      await quietReporter.phase(name, hosts, work);
    },
    result() {},
  };
}
