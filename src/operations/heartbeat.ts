// Heartbeat has taken its resources: the virtual IP is up on this node and
// Heartbeat has finished starting the group (the first start on the
// preferred node), or the VIP answers from another node (a re-run after a
// failover: with auto_failback off the resources stay there, and that is
// healthy). Waits with Heartbeat's own view as progress.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { fail, noop, type TaskPlan } from '../engine/plan.js';
import { heartbeatResourcesFact, parseHeartbeatResources, type HeartbeatResourcesState } from '../heartbeat/view.js';

export interface HeartbeatResourcesArgs {
  vip: string;
  /** Seconds. */
  timeout?: number;
}

const fact = (a: HeartbeatResourcesArgs) => request(heartbeatResourcesFact, { vip: a.vip });
const says = (s: HeartbeatResourcesState) =>
  `heartbeat ${s.running ? `running, holds ${s.rscstatus ?? '?'}` : s.unitActive ? 'starting (its API does not answer yet)' : 'not running'}`;
/** Neither systemd nor cl_status knows a Heartbeat here: nothing will take the resources. */
const stopped = (s: HeartbeatResourcesState) => !s.running && !s.unitActive;
// The VIP is the group's first resource: up, it says the takeover began; `all`/`local` say it ended.
const holding = (s: HeartbeatResourcesState) => !!s.vipNic && (s.rscstatus === 'all' || s.rscstatus === 'local');

export const heartbeatResourcesOperation: Operation<HeartbeatResourcesArgs> = {
  name: 'heartbeat_resources',
  summary: "Wait until Heartbeat has taken the resources: the virtual IP up and the group started on this node, or the VIP answering from the node that holds them.",
  idempotent: true,
  predictable: false,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['vip'],
    properties: {
      vip: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$', description: 'The virtual IP Heartbeat moves (IPaddr2).' },
      timeout: { type: 'integer', minimum: 1, maximum: 3600, description: 'Seconds to wait (default 180: initdead plus the resources\' start).' },
    },
  },
  label: (a) => `heartbeat resources (${a.vip})`,
  facts: (a) => [fact(a)],
  plan(a, ctx): TaskPlan {
    const now = ctx.fact(fact(a));
    if (holding(now)) return noop(`${a.vip} is up on ${now.vipNic} (${says(now)})`);
    if (stopped(now)) return fail(`Heartbeat is not running on ${ctx.node.name}`, 'start it (systemctl start heartbeat) and look at its log (journalctl -u heartbeat) if it stops');
    // rscstatus alone cannot say it: a standby node reports `local` (its own, empty, set of groups) as often as `none`.
    if (now.running && now.vipAnswers && now.rscstatus !== 'transition') return noop(`${a.vip} answers from another node, which holds the resources (auto_failback off keeps them there)`);
    const started = Date.now();
    const waited = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    return {
      reason: `${a.vip} ${now.vipNic ? 'is up, the resources are still starting' : 'is not up yet'} (${says(now)})`,
      steps: [
        {
          description: `wait for Heartbeat to bring up ${a.vip}`,
          argv: heartbeatResourcesFact.command({ vip: a.vip }),
          watch: {
            intervalMs: 1000,
            timeoutMs: (a.timeout ?? 180) * 1000,
            check(stdout) {
              const s = parseHeartbeatResources(stdout);
              if (holding(s)) return { done: true, progress: `${a.vip} up on ${s.vipNic}, resources started after ${waited()}` };
              if (stopped(s)) return { done: false, error: 'Heartbeat stopped (journalctl -u heartbeat says why)' };
              return { done: false, progress: `${s.vipNic ? `${a.vip} up, resources still starting` : `${a.vip} not up yet`}, ${says(s)} (${waited()})` };
            },
          },
        },
      ],
    };
  },
};
