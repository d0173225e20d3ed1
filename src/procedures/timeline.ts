// The failover timeline: what the survivor's log says happened after the
// primary failed, in order, each with its time since the failure. Read from
// `journalctl -o short-unix` lines of the cluster manager, the kernel (DRBD,
// the filesystem), the resource agents and systemd. The node's clock is put
// on the workstation's with the offset measured when the log was read.
// No I/O here.
import type { ServiceSpec, Stack } from '../inventory/model.js';
import { serviceId } from '../pacemaker/ids.js';

/** The log sources the timeline reads (a grep -E pattern: what the survivor sends back). */
export const TIMELINE_SOURCES = 'corosync|pacemaker-|kernel:|heartbeat|ResourceManager|IPaddr|Filesystem|systemd\\[1\\]|fence-peer|stonith';

export type TimelineStage = 'detected' | 'membership' | 'fencing' | 'fenced' | 'promoted' | 'mounted' | 'vip' | 'service';

export interface TimelineEvent {
  stage: TimelineStage;
  /** What happened, in words: "node1 left the membership". */
  what: string;
  /** ms after the failure (the workstation's clock). */
  atMs: number;
  /** The log line it was read from. */
  line: string;
}

export interface TimelineContext {
  stack: Stack;
  failed: string;
  survivor: string;
  vip?: string;
  services: Pick<ServiceSpec, 'name' | 'unit' | 'agent'>[];
  /** When the failure began, on the workstation's clock (ms since the epoch). */
  failedAt: number;
  /** The survivor's clock minus the workstation's (ms). */
  clockOffsetMs: number;
}

interface Rule {
  stage: TimelineStage;
  match: (message: string) => string | undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function rules(ctx: TimelineContext): Rule[] {
  const failed = escape(ctx.failed);
  const on = (re: RegExp, what: (m: RegExpExecArray) => string) => (msg: string) => {
    const m = re.exec(msg);
    return m ? what(m) : undefined;
  };
  const list: Rule[] = [
    // Corosync notices the silence (its token), Heartbeat declares the node dead.
    { stage: 'detected', match: on(/\[TOTEM \] (Token has not been received|A processor failed)/, () => `${ctx.survivor} noticed ${ctx.failed} was silent (Corosync token lost)`) },
    { stage: 'detected', match: on(new RegExp(`Late heartbeat: Node ${failed}`), () => `${ctx.survivor} noticed late heartbeats from ${ctx.failed}`) },
    { stage: 'membership', match: on(/\[TOTEM \] A new membership \(\S+\) was formed\. Members left: (.+)/, () => `${ctx.failed} left the membership`) },
    { stage: 'membership', match: on(new RegExp(`node ${failed}: is dead`, 'i'), () => `Heartbeat declared ${ctx.failed} dead`) },
    { stage: 'fencing', match: on(new RegExp(`Requesting fencing \\((\\w+)\\) of node ${failed}\\b`), (m) => `fencing (${m[1]}) of ${ctx.failed} requested`) },
    { stage: 'fenced', match: on(new RegExp(`Peer ${failed} was terminated \\((\\w+)\\) by (\\S+) .*: OK`), (m) => `${ctx.failed} fenced (${m[1]}) by ${m[2]}`) },
    { stage: 'promoted', match: on(/(drbd\d+|drbd \S+): role\( Secondary -> Primary \)/, (m) => `DRBD promoted (${m[1]!.replace('drbd ', '')})`) },
    { stage: 'mounted', match: on(/(?:EXT4-fs|XFS) \((drbd\d+)\): (?:mounted filesystem|Ending clean mount)/, (m) => `filesystem on ${m[1]} mounted`) },
  ];
  if (ctx.vip) list.push({ stage: 'vip', match: on(new RegExp(`Adding inet address ${escape(ctx.vip)}/`), () => `VIP ${ctx.vip} up`) });
  for (const s of ctx.services) {
    const started = `${s.name} started`;
    if (s.agent.class === 'systemd' || s.agent.class === 'lsb') list.push({ stage: 'service', match: on(new RegExp(`^Started ${escape(s.unit)}\\.service\\b`), () => started) });
    if (ctx.stack === 'pacemaker') list.push({ stage: 'service', match: on(new RegExp(`Result of start operation for ${escape(serviceId(s.name))} on ${escape(ctx.survivor)}: ok`), () => started) });
  }
  return list;
}

/** One "<seconds.micro> <host> <ident>: <message>" line. */
function parseLine(line: string): { atMs: number; message: string } | undefined {
  const m = /^(\d+)\.(\d{1,6}) \S+ [^:]+: (.*)$/.exec(line.trim());
  if (!m) return undefined;
  return { atMs: Number(m[1]) * 1000 + Math.round(Number(m[2]!.padEnd(6, '0')) / 1000), message: m[3]!.trim() };
}

/**
 * The first event of each kind (of each service) after the failure, in time
 * order. Lines from before the failure (less a second of clock uncertainty)
 * are ignored: a log holds earlier switchovers too.
 */
export function failoverTimeline(log: string, ctx: TimelineContext): TimelineEvent[] {
  const seen = new Set<string>();
  const events: TimelineEvent[] = [];
  const all = rules(ctx);
  const from = ctx.failedAt + ctx.clockOffsetMs - 1000;
  for (const line of log.split('\n')) {
    const parsed = parseLine(line);
    if (!parsed || parsed.atMs < from) continue;
    for (const rule of all) {
      const what = rule.match(parsed.message);
      if (what === undefined) continue;
      const key = `${rule.stage} ${rule.stage === 'service' ? what : ''}`;
      if (seen.has(key)) break;
      seen.add(key);
      events.push({ stage: rule.stage, what, atMs: parsed.atMs - ctx.clockOffsetMs - ctx.failedAt, line: line.trim() });
      break;
    }
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

/** The survivor's clock minus this workstation's, from its clock read at a known moment of ours. */
export function clockOffset(nodeClock: string, readAt: number): number | undefined {
  const t = Number(nodeClock.trim());
  return Number.isFinite(t) && t > 0 ? Math.round(t * 1000) - readAt : undefined;
}

/**
 * RTO from the watch (every port answered on the VIP, the status showed every
 * group member started) and the timeline: a service with no port (a VM)
 * counts from its start in the survivor's log, which the status reading that
 * ended the watch saw after the watch's last command.
 */
export function recoveryMs(watchedMs: number, timeline: TimelineEvent[] | undefined): number {
  const starts = (timeline ?? []).filter((e) => e.stage === 'service').map((e) => e.atMs);
  return Math.max(watchedMs, ...starts);
}
