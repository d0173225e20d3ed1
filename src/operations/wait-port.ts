// Waits until a TCP port answers, seen from the node: the final check of a
// bootstrap (the service answers on the virtual IP). Already answering: ok,
// no wait; so a re-run reports no change.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { noop, type TaskPlan } from '../engine/plan.js';
import { commandFact } from '../facts/command.js';

export interface WaitPortArgs {
  host: string;
  port: number;
  /** Seconds. */
  timeout?: number;
}

// bash's /dev/tcp needs no nc or curl on the node; timeout keeps a
// blackholed address from hanging the probe.
const probe = (a: WaitPortArgs) => ['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'haforge-probe', a.host, String(a.port)];

export const waitPortOperation: Operation<WaitPortArgs> = {
  name: 'wait_port',
  summary: 'Wait until a TCP port answers (seen from the node), e.g. a service on the virtual IP.',
  idempotent: true,
  predictable: false,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'port'],
    properties: {
      host: { type: 'string', minLength: 1, description: 'Address or name to connect to.' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port.' },
      timeout: { type: 'integer', minimum: 1, maximum: 3600, description: 'Seconds to wait before failing (default 120).' },
    },
  },
  label: (a) => `wait for ${a.host}:${a.port}`,
  facts: (a) => [request(commandFact, { argv: probe(a) })],
  plan(a, ctx): TaskPlan {
    if (ctx.fact(request(commandFact, { argv: probe(a) })).exitCode === 0) return noop(`${a.host}:${a.port} answers`);
    const timeout = a.timeout ?? 120;
    const started = Date.now();
    return {
      steps: [
        {
          description: `wait until ${a.host}:${a.port} answers`,
          argv: probe(a),
          watch: {
            intervalMs: 1000,
            timeoutMs: timeout * 1000,
            check: (_stdout, exitCode) =>
              exitCode === 0
                ? { done: true, progress: `${a.host}:${a.port} answers after ${((Date.now() - started) / 1000).toFixed(1)} s` }
                : { done: false, progress: `${a.host}:${a.port} not answering yet` },
          },
        },
      ],
      reason: `${a.host}:${a.port} does not answer yet`,
    };
  },
};
