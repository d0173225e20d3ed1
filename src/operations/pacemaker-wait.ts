// Waits on the cluster as crm_mon shows it: every inventory node online
// (before the configuration is loaded), or the services group started on
// one node with DRBD promoted there (after). Already there: ok, no wait,
// so a re-run reports no change.
import { request } from '../engine/fact.js';
import type { Operation } from '../engine/operation.js';
import { noop, type TaskPlan, type WatchState } from '../engine/plan.js';
import { crmMonFact, drbdClones, groupNode, stoppedOnPurpose, parseCrmMonXml, promotedNodes, type ClusterStatus } from '../pacemaker/crm-mon.js';
import type { ClusterSpec } from '../inventory/model.js';
import { drbdCloneId, GROUP_ID } from '../pacemaker/ids.js';
import { expectsGroup } from '../pacemaker/resources.js';

export interface PacemakerWaitArgs {
  until: 'online' | 'started';
  /** Seconds. */
  timeout?: number;
}

const STATUS = request(crmMonFact, undefined);

export function nodesOnline(cluster: ClusterSpec, s: ClusterStatus): WatchState {
  if (!s.running) return { done: false, progress: `Pacemaker not answering yet (${s.error})` };
  const online = cluster.nodes.filter((n) => s.nodes.some((x) => x.name === n.name && x.online && !x.pending && !x.unclean)).map((n) => n.name);
  const missing = cluster.nodes.map((n) => n.name).filter((n) => !online.includes(n));
  if (missing.length === 0 && s.dc) return { done: true, progress: `online: ${online.join(', ')} (DC ${s.dc})` };
  return { done: false, progress: `online: ${online.join(', ') || 'none'}; waiting for ${missing.join(', ') || 'a DC'}` };
}

/**
 * The DRBD clones and the services group in crm_mon's view: by haforge's ids,
 * or, where haforge took over resources another tool made (pacemaker/adoption.ts:
 * they keep their ids), by what they are: the promotable clones of
 * ocf:linbit:drbd, the one group.
 */
function servicesResources(cluster: ClusterSpec, s: ClusterStatus): { clones: string[]; group: string } {
  const ids = (cluster.drbd?.resources ?? []).map((r) => drbdCloneId(r.name));
  const drbd = drbdClones(s);
  const clones = ids.every((id) => drbd.includes(id)) || drbd.length !== ids.length ? ids : drbd;
  const group = s.groups.some((g) => g.id === GROUP_ID) || s.groups.length !== 1 ? GROUP_ID : s.groups[0]!.id;
  return { clones, group };
}

export function servicesStarted(cluster: ClusterSpec, s: ClusterStatus): WatchState {
  if (!s.running) return { done: false, progress: `Pacemaker not answering (${s.error})` };
  const { clones, group: groupId } = servicesResources(cluster, s);
  const promoted = clones.map((c) => ({ clone: c, nodes: promotedNodes(s, c) }));
  // A member an admin stopped on purpose (target-role Stopped: haforge resource stop) is not waited for.
  const group = s.groups.find((g) => g.id === groupId);
  const running = group && { ...group, members: group.members.filter((m) => !stoppedOnPurpose(m)) };
  const where = expectsGroup(cluster) ? (running?.members.length ? groupNode({ ...s, groups: [running] }, groupId) : promoted[0]?.nodes[0]) : promoted[0]?.nodes[0];
  const ready = where !== undefined && promoted.every((p) => p.nodes.length === 1 && p.nodes[0] === where);
  const blocked = s.resources.filter((r) => r.blocked || !r.managed).map((r) => r.id);
  const progress = [
    ...promoted.map((p) => `${p.clone} promoted on ${p.nodes.join(', ') || 'no node'}`),
    ...(group?.members.map((m) => `${m.id} ${m.role}${m.nodes.length ? ` on ${m.nodes.join(', ')}` : ''}`) ?? []),
  ].join(', ');
  if (ready) return { done: true, progress: `running on ${where}: ${progress}` };
  // A blocked resource (a stop that failed without fencing) waits for a person, not for time.
  if (blocked.length) return { done: false, progress, error: `${blocked.join(', ')} blocked or unmanaged: look at crm_mon, fix the cause, then crm_resource --cleanup` };
  return { done: false, progress: progress || 'no resources yet' };
}

export const pacemakerWaitOperation: Operation<PacemakerWaitArgs> = {
  name: 'pacemaker_wait',
  summary: 'Wait until every node is online in Pacemaker (until: online), or until the services run on one node with DRBD promoted there (until: started).',
  idempotent: true,
  predictable: false,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['until'],
    properties: {
      until: { type: 'string', enum: ['online', 'started'], description: 'online: all inventory nodes members; started: the services group running.' },
      timeout: { type: 'integer', minimum: 1, maximum: 3600, description: 'Seconds to wait before failing (default 300).' },
    },
  },
  label: (a) => (a.until === 'online' ? 'pacemaker: all nodes online' : 'pacemaker: services started'),
  facts: () => [STATUS],
  plan(a, ctx): TaskPlan {
    const check = (s: ClusterStatus) => (a.until === 'online' ? nodesOnline(ctx.cluster, s) : servicesStarted(ctx.cluster, s));
    const now = check(ctx.fact(STATUS));
    if (now.done) return noop(now.progress ?? 'done');
    return {
      reason: now.progress ?? 'waiting',
      steps: [
        {
          description: a.until === 'online' ? 'wait until every node is online' : 'wait until the services run',
          argv: crmMonFact.command(undefined),
          watch: { intervalMs: 2000, timeoutMs: (a.timeout ?? 300) * 1000, check: (stdout, code) => check(parseCrmMonXml(stdout, code)) },
        },
      ],
    };
  },
};
