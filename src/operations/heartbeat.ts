// Heartbeat has taken its resources: the virtual IP is up on this node and
// Heartbeat has finished starting the group (the first start on the
// preferred node), or the VIP answers from another node (a re-run after a
// failover: with auto_failback off the resources stay there, and that is
// healthy). Waits with Heartbeat's own view as progress. And the other
// end of its life: Heartbeat stopped for good when the nodes move to
// Pacemaker (heartbeat_retired).
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { change, fail, noop, refuse, type Step, type TaskPlan } from '../engine/plan.js';
import { runningManagerFact } from '../facts/running-manager.js';
import { serviceFact } from '../facts/services.js';
import { addressesFact, type InterfaceAddress } from '../facts/addresses.js';
import { heartbeatResourcesFact, heartbeatViewFact, parseHeartbeatResources, parseHeartbeatView, type HeartbeatGaveUp, type HeartbeatResourcesState, type HeartbeatView } from '../heartbeat/view.js';

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

/** Heartbeat v1 does not retry a group it gave up: waiting longer cannot help. */
const gaveUpMessage = (g: HeartbeatGaveUp) =>
  `Heartbeat gave the resources up: ${g.resource} failed to start${g.log.length ? `; its last log lines:\n${g.log.map((l) => `    ${l}`).join('\n')}` : ''}`;
// hb_takeover does nothing then: Heartbeat still believes it holds the group (rscstatus all).
const GAVE_UP_HINT = 'fix what the log says, then systemctl restart heartbeat on this node (Heartbeat v1 never retries by itself) and run again';

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
    if (now.gaveUp) return fail(gaveUpMessage(now.gaveUp), GAVE_UP_HINT);
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
              if (s.gaveUp) return { done: false, error: `${gaveUpMessage(s.gaveUp)}; ${GAVE_UP_HINT}` };
              return { done: false, progress: `${s.vipNic ? `${a.vip} up, resources still starting` : `${a.vip} not up yet`}, ${says(s)} (${waited()})` };
            },
          },
        },
      ],
    };
  },
};

// ---------------------------------------------------------------- handover

export interface HeartbeatRetiredArgs {
  /** The VIP Heartbeat moves: where it is up, Heartbeat holds the resources. */
  vip?: string;
  /** Seconds the holder waits for the other nodes to leave (default 120). */
  timeout?: number;
}

const SERVICE = request(serviceFact, 'heartbeat');
// Heartbeat's own view (cl_status only: no ping of the VIP on every Pacemaker run) and this node's addresses.
const VIEW = request(heartbeatViewFact, undefined);
const ADDRESSES = request(addressesFact, undefined);
/** The VIP is the group's first resource: up here, this node holds the group (rscstatus cannot tell a standby's `local` from a holder's). */
const holds = (view: HeartbeatView, addresses: InterfaceAddress[], a: HeartbeatRetiredArgs) =>
  a.vip ? addresses.some((x) => x.address === a.vip) : view.rscstatus === 'all' || view.rscstatus === 'local';

/**
 * Heartbeat stopped and off at boot, so that another cluster manager can take
 * the same nodes over in place. Every node in one pass: a standby stops at
 * once; the holder first waits, in its own Heartbeat's view, until no other
 * node is left to take the resources over, then stops and so releases them
 * (they stay down until the new manager starts them: the destructive step
 * of a conversion).
 */
export const heartbeatRetiredOperation: Operation<HeartbeatRetiredArgs> = {
  name: 'heartbeat_retired',
  summary: 'Heartbeat stopped and off at boot on every node, the holder of the resources last (it releases them): the hand-over to another cluster manager.',
  idempotent: true,
  predictable: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      vip: { type: 'string', pattern: '^(\\d{1,3}(\\.\\d{1,3}){3})?$', description: 'The virtual IP Heartbeat moves: the node where it is up holds the resources.' },
      timeout: { type: 'integer', minimum: 1, maximum: 3600, description: 'Seconds the holder waits for the other nodes to leave Heartbeat (default 120).' },
    },
  },
  label: () => 'heartbeat stopped',
  facts: () => [SERVICE, VIEW, ADDRESSES],
  plan(a, ctx): TaskPlan {
    const svc = ctx.fact(SERVICE);
    if (!svc.exists) return noop('Heartbeat is not installed');
    const hb = ctx.fact(VIEW);
    const running = svc.active || hb.running || hb.unitActive;
    if (running && hb.rscstatus === 'transition') return fail(`Heartbeat on ${ctx.node.name} is moving resources right now`, 'run again once it has settled (cl_status rscstatus says all, local or none)');
    const holding = running && holds(hb, ctx.fact(ADDRESSES), a);
    const steps: Step[] = [];
    const why: string[] = [];
    if (svc.enabled) {
      steps.push({ description: 'systemctl disable heartbeat', argv: ['systemctl', 'disable', 'heartbeat.service'] });
      why.push('enabled at boot');
    }
    if (running && holding) {
      steps.push(othersLeft(ctx.node.name, a.timeout ?? 120), {
        description: `systemctl stop heartbeat (releases ${a.vip || 'the resources'} and the services: they stay down until the new cluster manager starts them)`,
        argv: ['systemctl', 'stop', 'heartbeat.service'],
        destructive: true,
      });
      why.push('running, holds the resources');
    } else if (running) {
      steps.push({ description: 'systemctl stop heartbeat (holds nothing)', argv: ['systemctl', 'stop', 'heartbeat.service'] });
      why.push('running, holds nothing');
    }
    return steps.length ? change(why.join(', '), steps) : noop('stopped, disabled at boot');
  },
};

/** The holder waits until its Heartbeat sees no other node running: stopping while one does would hand it the resources. */
function othersLeft(self: string, timeoutS: number): Step {
  const others = (stdout: string) => parseHeartbeatView(stdout).members.filter((m) => m.name !== self && m.status !== 'dead' && m.status !== 'ping');
  return {
    description: 'wait until no other node runs Heartbeat (it would take the resources over)',
    argv: heartbeatViewFact.command(undefined),
    readonly: true,
    watch: {
      intervalMs: 1000,
      timeoutMs: timeoutS * 1000,
      check(stdout) {
        const view = parseHeartbeatView(stdout);
        if (!view.running) return { done: false, error: `Heartbeat on ${self} stopped by itself`, hint: 'journalctl -u heartbeat says why; the services may be down: start the new cluster manager' };
        const left = others(stdout);
        return left.length ? { done: false, progress: `Heartbeat still runs on ${left.map((m) => m.name).join(', ')}` } : { done: true, progress: 'the other nodes have left Heartbeat' };
      },
      timeoutHint: 'stop Heartbeat on the other nodes first (systemctl stop heartbeat), then run again',
    },
  };
}

// ---------------------------------------------------------------- the only manager

const MANAGERS = request(runningManagerFact, undefined);

/**
 * Heartbeat only where Pacemaker does not run: two cluster managers would
 * both promote DRBD and start the services. haforge moves a cluster from
 * Heartbeat to Pacemaker (heartbeat_retired), never back by itself.
 */
export const pacemakerAbsentOperation: Operation<Record<string, never>> = {
  name: 'pacemaker_absent',
  summary: 'Refuses a node where Pacemaker runs: Heartbeat beside it would move the same resources.',
  idempotent: true,
  predictable: true,
  schema: { type: 'object', additionalProperties: false, properties: {} },
  label: () => 'pacemaker not running',
  facts: () => [MANAGERS],
  plan(_a, ctx): TaskPlan {
    if (!ctx.fact(MANAGERS).pacemaker) return noop('Pacemaker does not run here');
    return refuse({
      message: `Pacemaker runs on ${ctx.node.name}: Heartbeat beside it would promote DRBD and start the services a second time`,
      hint: 'the inventory says stack: heartbeat; haforge moves a cluster from Heartbeat to Pacemaker, not back: fix the inventory (stack: pacemaker), or stop Pacemaker on every node first (systemctl disable --now pacemaker corosync)',
      certain: true,
    });
  },
};
