// The lab's VMs have no time server to reach (no network but the lab's own),
// and a guest takes its time at boot from the emulated RTC, which counts whole
// seconds: two VMs start up to a second apart, enough for haforge's preflight
// to (rightly) refuse them. What NTP does for real nodes, the lab does once
// per boot: measure each guest's clock against this machine's over one SSH
// session, NTP-style (the sample with the shortest round trip wins), and step
// it until it is within a few milliseconds.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { quoteArgv } from '../util/shell.js';

/** One exchange: this machine's clock when the question left and when the answer came, the guest's clock in between (ns since the epoch). */
export interface ClockExchange {
  sentNs: bigint;
  remoteNs: bigint;
  receivedNs: bigint;
}

export interface ClockOffset {
  /** Guest minus this machine, ns (positive: the guest is ahead). */
  offsetNs: bigint;
  /** The round trip of the sample used: the offset is right within half of it. */
  roundTripNs: bigint;
}

/** Offset from the exchange with the shortest round trip, assuming the two directions took equally long. */
export function bestOffset(exchanges: readonly ClockExchange[]): ClockOffset {
  if (exchanges.length === 0) throw new Error('no clock exchange to measure from');
  let best = exchanges[0]!;
  for (const e of exchanges) if (e.receivedNs - e.sentNs < best.receivedNs - best.sentNs) best = e;
  return { offsetNs: best.remoteNs - (best.sentNs + best.receivedNs) / 2n, roundTripNs: best.receivedNs - best.sentNs };
}

/**
 * Runs on the guest: `t` answers the clock in ns; `s + 0.711000000` steps it
 * by that many seconds. The step is relative and done by one `date`, which
 * reads and sets the clock microseconds apart (a read then a set in two
 * processes would lose the fork between them, tens of ms under emulation).
 */
export const GUEST_CLOCK_SCRIPT = `echo ready
while read -r cmd sign seconds; do
  case $cmd in
    t) date +%s%N ;;
    s) date -s "now $sign $seconds seconds" >/dev/null && echo stepped || echo failed ;;
  esac
done`;

/** The step command for a correction of `deltaNs` (added to the guest's clock). */
export function stepCommand(deltaNs: bigint): string {
  const magnitude = deltaNs < 0n ? -deltaNs : deltaNs;
  return `s ${deltaNs < 0n ? '-' : '+'} ${magnitude / 1_000_000_000n}.${String(magnitude % 1_000_000_000n).padStart(9, '0')}`;
}

/** Good enough for cluster timeouts and logs, and well below what preflight warns about. */
export const CLOCK_TOLERANCE_NS = 20_000_000n;
const SAMPLES = 6;
const MAX_STEPS = 3;

export interface ClockSyncResult {
  /** The offset found first (ns). */
  beforeNs: bigint;
  /** The offset after stepping, and the round trip it was measured with. */
  after: ClockOffset;
  steps: number;
}

const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;

/** Measures a guest's clock over `sshArgv` (an ssh command line without the remote command) and steps it to this machine's. */
export async function syncGuestClock(sshArgv: readonly string[], timeoutMs = 60_000): Promise<ClockSyncResult> {
  const child = spawn(sshArgv[0]!, [...sshArgv.slice(1), quoteArgv(['bash', '-c', GUEST_CLOCK_SCRIPT])], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`the guest's clock could not be read over ssh${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    return line.value;
  };
  const ask = async (question: string) => {
    child.stdin.write(`${question}\n`);
    return next();
  };
  const measure = async (): Promise<ClockOffset> => {
    const exchanges: ClockExchange[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const sentNs = nowNs();
      const answer = await ask('t');
      exchanges.push({ sentNs, remoteNs: BigInt(answer.trim()), receivedNs: nowNs() });
    }
    return bestOffset(exchanges);
  };
  try {
    if ((await next()) !== 'ready') throw new Error('the guest did not start its clock script');
    const first = await measure();
    let after = first;
    let steps = 0;
    while (abs(after.offsetNs) > CLOCK_TOLERANCE_NS && steps < MAX_STEPS) {
      if ((await ask(stepCommand(-after.offsetNs))) !== 'stepped') throw new Error('date -s failed on the guest');
      steps++;
      after = await measure();
    }
    return { beforeNs: first.offsetNs, after, steps };
  } finally {
    clearTimeout(timer);
    child.stdin.end();
    child.kill();
  }
}

const abs = (n: bigint) => (n < 0n ? -n : n);

/** "0.930 s behind" / "0.004 s ahead". */
export function describeOffset(ns: bigint): string {
  const seconds = Number(abs(ns)) / 1e9;
  return `${seconds.toFixed(3)} s ${ns < 0n ? 'behind' : 'ahead'}`;
}
