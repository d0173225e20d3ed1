// Facts only preflight needs: the clock, time synchronisation, DRBD module
// and utils versions, name resolution, TCP listeners, tools on PATH, and a
// replication-port probe between nodes. Each is a command plus a pure parser
// (fixtures of real output in test/fixtures/preflight).
import type { Fact } from '../engine/fact.js';
import { quoteArgv, quoteWord } from '../util/shell.js';
import { sections } from './parse.js';

/** Commands in /sbin and /usr/sbin are found also for users whose PATH lacks them. */
const SBIN = 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"';

// ---------------------------------------------------------------- clock

/**
 * The node's wall clock in seconds (`date +%s.%N`). Gathered first and last in
 * the batch: with the workstation's send and receive times that is an
 * NTP-style sample (see clockOffset).
 */
export const clockFact: Fact<number | undefined, 'start' | 'end'> = {
  id: 'clock',
  command: () => ['date', '+%s.%N'],
  parse: parseClock,
};

export function parseClock(stdout: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+|N))?\s*$/.exec(stdout.trim());
  if (!m) return undefined;
  // busybox date prints a literal "N": whole seconds only.
  const frac = m[2] && m[2] !== 'N' ? Number(`0.${m[2]}`) : 0;
  return Number(m[1]) + frac;
}

export interface ClockSample {
  /** Workstation time (s) just before the batch was sent. */
  sent: number;
  /** Node time (s) at the start and at the end of the batch. */
  remoteStart: number;
  remoteEnd: number;
  /** Workstation time (s) when the batch's output had arrived. */
  received: number;
}

/**
 * Offset of the node's clock against the workstation's (positive: the node is
 * ahead), taking the middle of the round trip once the time the node spent
 * running the batch is taken out (NTP's formula). `uncertainty` is half the
 * network delay: the true offset is within offset ± uncertainty.
 */
export function clockOffset(s: ClockSample): { offset: number; uncertainty: number } {
  const offset = (s.remoteStart - s.sent + (s.remoteEnd - s.received)) / 2;
  const delay = Math.max(0, s.received - s.sent - (s.remoteEnd - s.remoteStart));
  return { offset, uncertainty: delay / 2 };
}

export interface SkewResult {
  /** max offset - min offset, seconds. */
  skew: number;
  /** Largest possible measurement error of the skew (sum of the two uncertainties). */
  uncertainty: number;
  /** Per node: offset against the workstation, its largest difference to any other node and that difference's uncertainty. */
  nodes: Record<string, { offset: number; uncertainty: number; worst: number; worstUncertainty: number }>;
}

export function computeSkew(offsets: Record<string, { offset: number; uncertainty: number }>): SkewResult | undefined {
  const entries = Object.entries(offsets);
  if (entries.length === 0) return undefined;
  const nodes: SkewResult['nodes'] = {};
  let skew = 0;
  let uncertainty = 0;
  for (const [name, o] of entries) {
    let worst = 0;
    let worstUncertainty = 0;
    for (const [other, p] of entries) {
      if (other === name) continue;
      const d = Math.abs(o.offset - p.offset);
      if (d > worst) {
        worst = d;
        worstUncertainty = o.uncertainty + p.uncertainty;
      }
      if (d > skew || (d === skew && o.uncertainty + p.uncertainty > uncertainty)) {
        skew = d;
        uncertainty = o.uncertainty + p.uncertainty;
      }
    }
    nodes[name] = { ...o, worst, worstUncertainty };
  }
  return { skew, uncertainty, nodes };
}

// ---------------------------------------------------------------- time sync

export interface TimeSyncState {
  /** Time daemons running: chronyd, ntpd, systemd-timesyncd, openntpd. */
  daemons: string[];
  /** chronyc tracking, when chronyd answered. */
  chrony?: { synchronised: boolean; leap: string; reference?: string; offsetSeconds?: number };
  /** timedatectl show (systemd). */
  timedatectl?: { ntp: boolean; synchronised: boolean };
  /** ntpq -pn: a peer line starting with '*' is the system peer. */
  ntpq?: { synchronised: boolean; peer?: string };
  /** Synchronised according to the first source that knows; undefined: nothing could tell. */
  synchronised?: boolean;
}

const TIMESYNC_SCRIPT = `${SBIN}
echo '== daemons'; for p in chronyd ntpd systemd-timesyncd openntpd; do pidof "$p" >/dev/null 2>&1 && echo "$p"; done
echo '== chrony'; command -v chronyc >/dev/null 2>&1 && chronyc -n tracking 2>&1
echo '== timedatectl'; command -v timedatectl >/dev/null 2>&1 && timedatectl show 2>/dev/null
echo '== ntpq'; command -v ntpq >/dev/null 2>&1 && pidof ntpd >/dev/null 2>&1 && ntpq -pn 2>&1
true`;

export const timeSyncFact: Fact<TimeSyncState> = {
  id: 'timesync',
  command: () => ['sh', '-c', TIMESYNC_SCRIPT],
  parse: parseTimeSync,
};

export function parseChronyTracking(text: string): TimeSyncState['chrony'] {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z ()]*?)\s*:\s(.*)$/.exec(line);
    if (m) fields[m[1]!.trim()] = m[2]!.trim();
  }
  const leap = fields['Leap status'];
  if (!leap) return undefined; // "506 Cannot talk to daemon" and the like
  const ref = fields['Reference ID'];
  const sys = /^([\d.]+) seconds (fast|slow)/.exec(fields['System time'] ?? '');
  const reference = ref && !/^0+\b/.test(ref) ? ref : undefined;
  return {
    leap,
    synchronised: leap === 'Normal' && reference !== undefined,
    reference: reference?.replace(/\s*\(\)$/, ''),
    offsetSeconds: sys ? Number(sys[1]) * (sys[2] === 'fast' ? 1 : -1) : undefined,
  };
}

export function parseTimedatectl(text: string): TimeSyncState['timedatectl'] {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  if (!('NTPSynchronized' in kv)) return undefined;
  return { ntp: kv.NTP === 'yes', synchronised: kv.NTPSynchronized === 'yes' };
}

export function parseNtpq(text: string): TimeSyncState['ntpq'] {
  const lines = text.split('\n');
  if (!lines.some((l) => /^\s*remote\s+refid/.test(l))) return undefined;
  const sys = lines.find((l) => l.startsWith('*'));
  return { synchronised: !!sys, peer: sys ? sys.slice(1).trim().split(/\s+/)[0] : undefined };
}

export function parseTimeSync(stdout: string): TimeSyncState {
  const s = sections(stdout);
  const daemons = (s.daemons ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const chrony = parseChronyTracking(s.chrony ?? '');
  const timedatectl = parseTimedatectl(s.timedatectl ?? '');
  const ntpq = parseNtpq(s.ntpq ?? '');
  // chronyd/ntpd know best; timedatectl only reports what the kernel or timesyncd says.
  const synchronised = chrony?.synchronised ?? ntpq?.synchronised ?? timedatectl?.synchronised;
  return { daemons, chrony, timedatectl, ntpq, synchronised };
}

// ---------------------------------------------------------------- name resolution

export interface Resolution {
  /** Addresses `getent hosts` printed (empty: does not resolve). */
  addresses: string[];
  /** The first name on the line (canonical name). */
  canonical?: string;
}

export const resolveFact: Fact<Record<string, Resolution>, string[]> = {
  id: 'resolve',
  command: (names) => ['sh', '-c', `for n in ${names.length ? quoteArgv(names) : ''}; do echo "== $n"; getent hosts "$n"; done; true`],
  parse: parseResolve,
};

export function parseResolve(stdout: string): Record<string, Resolution> {
  const out: Record<string, Resolution> = {};
  for (const [name, body] of Object.entries(sections(stdout))) {
    const addresses: string[] = [];
    let canonical: string | undefined;
    for (const line of body.split('\n')) {
      const [addr, cname] = line.trim().split(/\s+/);
      if (!addr || !cname) continue;
      if (!addresses.includes(addr)) addresses.push(addr);
      canonical ??= cname;
    }
    out[name] = { addresses, canonical };
  }
  return out;
}

// ---------------------------------------------------------------- listeners

export interface Listener {
  /** 0.0.0.0, ::, *, or a specific address (brackets and %iface removed). */
  address: string;
  port: number;
  /** Process names from ss -p (empty: a kernel socket, or one in a namespace ss cannot see into). */
  processes: string[];
}

export const listenersFact: Fact<Listener[]> = {
  id: 'listeners',
  command: () => ['sh', '-c', `${SBIN}; ss -Hltnp 2>/dev/null || ss -ltnp`],
  parse: parseListeners,
};

export function parseListeners(stdout: string): Listener[] {
  const out: Listener[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'LISTEN' || f.length < 5) continue;
    const local = f[3]!;
    const colon = local.lastIndexOf(':');
    if (colon < 0) continue;
    const port = Number(local.slice(colon + 1));
    if (!Number.isInteger(port)) continue;
    const address = local.slice(0, colon).replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
    const processes = [...line.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1]!);
    out.push({ address, port, processes: [...new Set(processes)] });
  }
  return out;
}

/** Listeners that would keep a DRBD resource from binding address:port. */
export function listenersOn(listeners: Listener[], address: string, port: number): Listener[] {
  const wildcard = ['0.0.0.0', '::', '*', '::ffff:0.0.0.0'];
  return listeners.filter((l) => l.port === port && (wildcard.includes(l.address) || l.address === address || l.address === `::ffff:${address}`));
}

// ---------------------------------------------------------------- tools and files

export interface Presence {
  /** Tool name -> path, or null when not on PATH. */
  tools: Record<string, string | null>;
  /** File -> exists. */
  files: Record<string, boolean>;
}

export const presenceFact: Fact<Presence, { tools: string[]; files: string[] }> = {
  id: 'presence',
  command: ({ tools, files }) => [
    'sh',
    '-c',
    `${SBIN}
for t in ${tools.length ? quoteArgv(tools) : ''}; do p=$(command -v "$t" 2>/dev/null) && echo "tool $t $p" || echo "tool $t -"; done
for f in ${files.length ? quoteArgv(files) : ''}; do if [ -e "$f" ]; then echo "file $f yes"; else echo "file $f no"; fi; done
true`,
  ],
  parse: parsePresence,
};

export function parsePresence(stdout: string): Presence {
  const out: Presence = { tools: {}, files: {} };
  for (const line of stdout.split('\n')) {
    const tool = /^tool (\S+) (.+)$/.exec(line);
    if (tool) out.tools[tool[1]!] = tool[2] === '-' ? null : tool[2]!;
    const file = /^file (.+) (yes|no)$/.exec(line);
    if (file) out.files[file[1]!] = file[2] === 'yes';
  }
  return out;
}

// ---------------------------------------------------------------- replication port probe

export interface ProbeTarget {
  resource: string;
  minor: number;
  address: string;
  port: number;
}

export interface PortProbeArgs {
  /** Ports this node listens on for a moment, with how many peers will connect. */
  listen: (ProbeTarget & { peers: number })[];
  /** Peers' ports this node connects to. */
  probe: ProbeTarget[];
  /** How long probes retry (the listener lives two seconds longer). */
  seconds: number;
}

export interface PortProbeResult {
  /** perl could not run: nothing was tested. */
  unavailable?: string;
  /** Resources DRBD reports connected here (no listener, no probe: DRBD's state says it all). */
  drbdConnected: string[];
  listen: { resource: string; address: string; port: number; ok: boolean; errno?: number; error?: string; accepted: string[] }[];
  probe: { resource: string; address: string; port: number; ok: boolean; error?: string }[];
}

// One perl process (perl-base is in every Debian system): a child listens on
// the node's replication address:port until every peer connected or time is
// up; the parent connects to each peer's address:port, retrying until the
// deadline (the peers' listeners start at about the same time, in their own
// batches). It exits by itself; nothing is left behind.
const PROBE_PERL = String.raw`
use strict; use IO::Socket::INET; use IO::Select; $| = 1;
my $hires = eval { require Time::HiRes; 1 };
sub now { $hires ? Time::HiRes::time() : time }
my ($secs, @items) = @ARGV;
my %up;
if (open my $fh, '<', '/proc/drbd') {
  while (<$fh>) { $up{$1} = 1 if /^\s*(\d+):\s+cs:(Connected|SyncSource|SyncTarget|PausedSync[ST]|Verify[ST]|WFBitMap[ST]|WFSyncUUID|StartingSync[ST]|Ahead|Behind)\b/ }
}
my (@listen, @probe, %said);
for (@items) {
  my ($k, $res, $minor, $addr, $port, $n) = split /,/;
  if ($up{$minor}) { print "drbd-connected $res\n" unless $said{$res}++; next }
  push @{ $k eq 'L' ? \@listen : \@probe }, [$res, $addr, $port, $n];
}
my $sel = IO::Select->new; my %want;
for my $l (@listen) {
  my ($res, $addr, $port, $n) = @$l;
  my $s = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 8, ReuseAddr => 1, Proto => 'tcp');
  if ($s) { print "listen $res $addr $port ok\n"; $sel->add($s); $want{fileno $s} = [$res, $n] }
  else { printf "listen %s %s %s fail %d %s\n", $res, $addr, $port, $!+0, $! }
}
my $pid;
if ($sel->count) {
  $pid = fork;
  if (defined $pid && $pid == 0) {
    my $end = now() + $secs + 2;
    while ($sel->count && now() < $end) {
      for my $s ($sel->can_read(0.2)) {
        my $c = $s->accept or next; my $w = $want{fileno $s}; my $line = '';
        # Only our probe's greeting counts: DRBD itself may connect here too.
        if (IO::Select->new($c)->can_read(1)) { sysread($c, $line, 64) }
        my $ours = $line =~ /^HFPROBE $w->[0]\b/;
        print $ours ? 'accept' : 'stray', " $w->[0] ", ($c->peerhost // '?'), "\n"; close $c;
        if ($ours && --$w->[1] <= 0) { $sel->remove($s); close $s }
      }
    }
    exit 0;
  }
  close $_ for $sel->handles;
}
my $end = now() + $secs;
for my $p (@probe) {
  my ($res, $addr, $port) = @$p; my ($ok, $err) = (0, '');
  while (1) {
    my $c = IO::Socket::INET->new(PeerAddr => $addr, PeerPort => $port, Proto => 'tcp', Timeout => 1);
    if ($c) { $ok = 1; print $c "HFPROBE $res\n"; close $c; last }
    $err = "$!"; last if now() >= $end;
    select(undef, undef, undef, 0.2);
  }
  print $ok ? "probe $res $addr $port ok\n" : "probe $res $addr $port fail $err\n";
}
waitpid($pid, 0) if $pid;
print "done\n";
`;

export const portProbeFact: Fact<PortProbeResult, PortProbeArgs> = {
  id: 'port-probe',
  command: ({ listen, probe, seconds }) => {
    const items = [
      ...listen.map((l) => `L,${l.resource},${l.minor},${l.address},${l.port},${l.peers}`),
      ...probe.map((p) => `P,${p.resource},${p.minor},${p.address},${p.port},0`),
    ];
    return ['sh', '-c', `if command -v perl >/dev/null 2>&1; then perl -e ${quoteWord(PROBE_PERL)} ${quoteArgv([String(seconds), ...items])}; else echo 'no-perl'; fi`];
  },
  parse: parsePortProbe,
};

export function parsePortProbe(stdout: string): PortProbeResult {
  const out: PortProbeResult = { drbdConnected: [], listen: [], probe: [] };
  if (/^no-perl$/m.test(stdout)) return { ...out, unavailable: 'perl is not installed' };
  for (const line of stdout.split('\n')) {
    let m = /^drbd-connected (\S+)$/.exec(line);
    if (m) out.drbdConnected.push(m[1]!);
    m = /^listen (\S+) (\S+) (\d+) ok$/.exec(line);
    if (m) out.listen.push({ resource: m[1]!, address: m[2]!, port: Number(m[3]), ok: true, accepted: [] });
    m = /^listen (\S+) (\S+) (\d+) fail (\d+) (.*)$/.exec(line);
    if (m) out.listen.push({ resource: m[1]!, address: m[2]!, port: Number(m[3]), ok: false, errno: Number(m[4]), error: m[5]!, accepted: [] });
    m = /^accept (\S+) (\S+)$/.exec(line);
    if (m) out.listen.find((l) => l.resource === m![1] && l.ok)?.accepted.push(m[2]!);
    m = /^probe (\S+) (\S+) (\d+) (ok|fail)(?: (.*))?$/.exec(line);
    if (m) out.probe.push({ resource: m[1]!, address: m[2]!, port: Number(m[3]), ok: m[4] === 'ok', error: m[4] === 'fail' ? m[5] || 'failed' : undefined });
  }
  if (!/^done$/m.test(stdout) && (out.listen.length || out.probe.length || out.drbdConnected.length) === 0 && stdout.trim()) {
    out.unavailable = `the probe did not run: ${stdout.trim().split('\n').slice(-1)[0]}`;
  }
  return out;
}
