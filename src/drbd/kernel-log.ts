// DRBD's own account of what happened, from the kernel log: when the link
// was lost, who was promoted while apart, when the split brain was
// detected. The journal gives wall-clock times (and survives reboots when
// persistent); without it, dmesg's seconds-since-boot are turned into wall
// clock with the node's uptime (as dmesg -T does: off by any suspend time).
import type { Fact } from '../engine/fact.js';
import { sections } from '../facts/parse.js';

export interface KernelLogLine {
  /** Unix seconds on the node's clock; undefined when the line carried no time. */
  time?: number;
  text: string;
}

export interface KernelLog {
  /** Where the lines came from. */
  source: 'journal' | 'dmesg' | 'none';
  /** The node's clock when it was read (Unix seconds). */
  now?: number;
  lines: KernelLogLine[];
}

// The newest DRBD lines only: a split brain is recent history, and a busy
// node's log must not make the fact command slow or large.
const SCRIPT = `echo '== now'; date +%s; cat /proc/uptime 2>/dev/null
j=$(journalctl -q -o short-unix --no-pager -n 50000 _TRANSPORT=kernel 2>/dev/null | grep -i drbd | tail -n 400)
if [ -n "$j" ]; then echo '== journal'; printf '%s\\n' "$j"
else echo '== dmesg'; dmesg 2>/dev/null | grep -i drbd | tail -n 400; fi`;

export function parseKernelLog(stdout: string): KernelLog {
  const s = sections(stdout);
  const [nowLine = '', uptimeLine = ''] = (s.now ?? '').trim().split('\n');
  const now = Number(nowLine) || undefined;
  const uptime = Number(uptimeLine.split(' ')[0]) || undefined;
  if (s.journal !== undefined) {
    const lines = s.journal
      .split('\n')
      .map((l) => /^(\d+(?:\.\d+)?) \S+ kernel: (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ time: Number(m[1]), text: m[2]! }));
    return { source: 'journal', now, lines };
  }
  if (s.dmesg !== undefined) {
    const boot = now !== undefined && uptime !== undefined ? now - uptime : undefined;
    const lines = s.dmesg
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const m = /^\[\s*(\d+\.\d+)\]\s?(.*)$/.exec(l);
        if (!m) return { text: l };
        return { time: boot === undefined ? undefined : Math.round((boot + Number(m[1])) * 1000) / 1000, text: m[2]! };
      });
    return { source: 'dmesg', now, lines };
  }
  return { source: 'none', now, lines: [] };
}

export const drbdKernelLogFact: Fact<KernelLog> = {
  id: 'drbd-kernel-log',
  command: () => ['sh', '-c', SCRIPT],
  parse: parseKernelLog,
};

// ---------------------------------------------------------------- events

export type DrbdLogEventKind =
  /** The replication link went down. */
  | 'disconnected'
  | 'connected'
  | 'promoted'
  | 'demoted'
  /** DRBD refused to reconnect: split brain left for a person. */
  | 'split-brain'
  /** DRBD resolved a split brain by itself (after-sb policies): one side's writes are gone. */
  | 'split-brain-auto';

export interface DrbdLogEvent {
  kind: DrbdLogEventKind;
  time?: number;
  text: string;
}

/** Connection states in which the nodes replicate (8.x cs: words and 9's replication states). */
const LINKED = 'Connected|SyncSource|SyncTarget|PausedSyncS|PausedSyncT|VerifyS|VerifyT|WFBitMapS|WFBitMapT|WFSyncUUID|Ahead|Behind|Established';
const DOWN = 'NetworkFailure|Timeout|BrokenPipe|ProtocolError|TearDown|Disconnecting|Unconnected|StandAlone';

const PATTERNS: [DrbdLogEventKind, RegExp][] = [
  ['split-brain', /Split-Brain detected but unresolved/],
  ['split-brain-auto', /Split-Brain detected, .*automatically solved/],
  ['disconnected', new RegExp(`conn\\( (?:${LINKED}) -> (?:${DOWN}) \\)`)],
  ['connected', new RegExp(`conn\\( \\S+ -> Connected \\)`)],
  ['promoted', /role\( Secondary -> Primary \)/],
  ['demoted', /role\( Primary -> Secondary \)/],
];

/**
 * Whether a kernel line is about this resource. DRBD names resources and
 * connections ("drbd r0:", 9: "drbd r0 node2:", "drbd r0/0 drbd0:") and
 * devices by minor ("block drbd0:", 8.3 only does this).
 */
export function lineIsAbout(text: string, resource: string, minor: number): boolean {
  const named = /\bdrbd ([^\s/:]+)[\s/:]/.exec(text);
  if (named) return named[1] === resource;
  return new RegExp(`\\bdrbd${minor}:`).test(text);
}

/** DRBD state changes of one resource, oldest first. */
export function drbdEvents(log: KernelLog, resource: string, minor: number): DrbdLogEvent[] {
  const events: DrbdLogEvent[] = [];
  for (const line of log.lines) {
    if (!lineIsAbout(line.text, resource, minor)) continue;
    for (const [kind, re] of PATTERNS) {
      if (re.test(line.text)) events.push({ kind, time: line.time, text: line.text });
    }
  }
  return events;
}
