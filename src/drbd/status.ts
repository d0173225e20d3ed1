// DRBD state, from the kernel's /proc/drbd (8.0-8.4) or from
// `drbdsetup status --json` (DRBD 9), normalised to one shape.
import { inline } from '../engine/batch.js';
import type { Fact } from '../engine/fact.js';
import { sections } from '../facts/parse.js';

export type DrbdRole = 'Primary' | 'Secondary' | 'Unknown';

export interface DrbdSync {
  /** 0-100 */
  percent: number;
  /** KiB still to sync. */
  remainingKiB?: number;
  totalKiB?: number;
  speedKiBs?: number;
  etaSeconds?: number;
}

export interface DrbdDeviceState {
  minor: number;
  /** Resource name (DRBD 9 / drbdsetup); /proc/drbd only knows minors. */
  resource?: string;
  /** StandAlone, WFConnection, Connecting, Connected, Unconfigured, ... */
  connection: string;
  /** Established, SyncSource, SyncTarget, PausedSyncS, ... when connected. */
  replication?: string;
  role: DrbdRole;
  peerRole: DrbdRole;
  /** UpToDate, Inconsistent, Outdated, Diskless, DUnknown, ... */
  disk: string;
  peerDisk: string;
  protocol?: string;
  outOfSyncKiB?: number;
  sync?: DrbdSync;
}

export interface DrbdKernelState {
  /** e.g. "8.4.11"; undefined when the module is not loaded. */
  version?: string;
  api?: string;
  proto?: string;
  devices: DrbdDeviceState[];
}

/** /proc/drbd's cs: field says "connected" with these words too. */
const CONNECTED_STATES = /^(Connected|SyncSource|SyncTarget|PausedSync[ST]|VerifyS|VerifyT|WFBitMap[ST]|WFSyncUUID|StartingSync[ST]|Ahead|Behind)$/;

const role = (s: string | undefined): DrbdRole => (s === 'Primary' || s === 'Secondary' ? s : 'Unknown');
const num = (s: string) => Number(s.replace(/,/g, ''));

function hms(s: string): number {
  return s.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

export function parseProcDrbd(text: string): DrbdKernelState {
  const state: DrbdKernelState = { devices: [] };
  const version = /version:\s*(\S+)\s*\(api:(\S+?)\/proto:(\S+?)\)/.exec(text);
  if (version) Object.assign(state, { version: version[1], api: version[2], proto: version[3] });
  let current: DrbdDeviceState | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^(\d+):\s+cs:(\S+)(?:\s+(?:ro|st):(\S+?)\/(\S+))?(?:\s+ds:(\S+?)\/(\S+))?(?:\s+([ABC])\b)?/.exec(line);
    if (head) {
      const cs = head[2]!;
      const connected = CONNECTED_STATES.test(cs);
      current = {
        minor: Number(head[1]),
        connection: connected ? 'Connected' : cs,
        replication: connected ? (cs === 'Connected' ? 'Established' : cs) : undefined,
        role: role(head[3]),
        peerRole: role(head[4]),
        disk: head[5] ?? 'Unconfigured',
        peerDisk: head[6] ?? 'DUnknown',
        protocol: head[7],
      };
      state.devices.push(current);
      continue;
    }
    if (!current) continue;
    const oos = /\boos:(\d+)/.exec(line);
    if (oos) current.outOfSyncKiB = Number(oos[1]);
    const synced = /sync'ed:\s*([\d.]+)%\s*\((\d+)\/(\d+)\)([KM])/.exec(line);
    if (synced) {
      const unit = synced[4] === 'M' ? 1024 : 1;
      current.sync = { percent: Number(synced[1]), remainingKiB: Number(synced[2]) * unit, totalKiB: Number(synced[3]) * unit };
    }
    const finish = /finish:\s*(\d+:\d+:\d+)\s+speed:\s*([\d,]+)/.exec(line);
    if (finish && current.sync) Object.assign(current.sync, { etaSeconds: hms(finish[1]!), speedKiBs: num(finish[2]!) });
  }
  return state;
}

interface JsonPeerDevice {
  volume: number;
  'replication-state'?: string;
  'peer-disk-state'?: string;
  'out-of-sync'?: number;
  'percent-in-sync'?: number;
}
interface JsonConnection {
  name?: string;
  'connection-state'?: string;
  'peer-role'?: string;
  peer_devices?: JsonPeerDevice[];
}
interface JsonResource {
  name: string;
  role?: string;
  devices?: { volume: number; minor: number; 'disk-state'?: string }[];
  connections?: JsonConnection[];
}

/** `drbdsetup status --json` (DRBD 9 style; one entry per resource). */
export function parseDrbdsetupStatusJson(text: string): DrbdDeviceState[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const resources = JSON.parse(trimmed) as JsonResource[];
  const out: DrbdDeviceState[] = [];
  for (const r of resources) {
    for (const dev of r.devices ?? []) {
      const conn = r.connections?.[0];
      const peer = conn?.peer_devices?.find((p) => p.volume === dev.volume);
      const replication = peer?.['replication-state'];
      const percentInSync = peer?.['percent-in-sync'];
      out.push({
        minor: dev.minor,
        resource: r.name,
        connection: conn?.['connection-state'] ?? 'StandAlone',
        replication: conn?.['connection-state'] === 'Connected' ? replication : undefined,
        role: role(r.role),
        peerRole: role(conn?.['peer-role']),
        disk: dev['disk-state'] ?? 'DUnknown',
        peerDisk: peer?.['peer-disk-state'] ?? 'DUnknown',
        outOfSyncKiB: peer?.['out-of-sync'],
        sync:
          replication && /^(SyncSource|SyncTarget|PausedSync[ST])$/.test(replication) && percentInSync !== undefined
            ? { percent: percentInSync, remainingKiB: peer?.['out-of-sync'] }
            : undefined,
      });
    }
  }
  return out;
}

// DRBD 9's /proc/drbd lists no devices: drbdsetup's JSON does. The file is
// read by the shell's read builtin (as cat and grep would, without their
// two processes): the batch reads it several times and a watch every second.
const STATUS_SCRIPT = `echo '== proc'; v=
if [ -r /proc/drbd ]; then while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; case $l in 'version: 9'*) v=9 ;; esac; done < /proc/drbd; fi
echo '== json'; if [ -n "$v" ]; then drbdsetup status --json 2>/dev/null; fi`;

export const drbdStatusFact: Fact<DrbdKernelState> = {
  id: 'drbd-status',
  command: () => ['sh', '-c', STATUS_SCRIPT],
  parse(stdout) {
    const s = sections(stdout);
    const state = parseProcDrbd(s.proc ?? '');
    if (state.version?.startsWith('9')) state.devices = parseDrbdsetupStatusJson(s.json ?? '');
    return state;
  },
};

/** The state of one minor; undefined when it is not configured (not up). */
export function deviceState(state: DrbdKernelState, minor: number): DrbdDeviceState | undefined {
  const dev = state.devices.find((d) => d.minor === minor);
  return dev && dev.connection !== 'Unconfigured' ? dev : undefined;
}

/** "r0 45.2% of 256 MiB, 3.1 MiB/s, ETA 0:40" */
export function describeSync(name: string, sync: DrbdSync): string {
  const parts = [`${name} ${sync.percent.toFixed(1)}%`];
  if (sync.totalKiB) parts[0] += ` of ${Math.round(sync.totalKiB / 1024)} MiB`;
  if (sync.speedKiBs) parts.push(`${(sync.speedKiBs / 1024).toFixed(1)} MiB/s`);
  if (sync.etaSeconds !== undefined) parts.push(`ETA ${Math.floor(sync.etaSeconds / 60)}:${String(sync.etaSeconds % 60).padStart(2, '0')}`);
  return parts.join(', ');
}

const UP_MARK = '@@drbd-minor-up';

/**
 * A fact that only matters while DRBD minor `minor` is down (blank-disk and
 * metadata checks before create-md): on a running 8.x resource it is not
 * read at all, which keeps re-runs fast. undefined means "the minor is up".
 */
export function whileDrbdDown<T, A>(fact: Fact<T, A>, minor: number): Fact<T | undefined, A> {
  return {
    id: `${fact.id}@drbd${minor}-down`,
    // 8.3 lists a minor that was taken down as cs:Unconfigured: that one is down.
    // Shell builtins only (read strips the leading blanks grep's '^ *' allowed).
    command: (args) => [
      'sh',
      '-c',
      `u=; if [ -r /proc/drbd ]; then while read -r l || [ -n "$l" ]; do case $l in '${minor}: cs:'*) case $l in *cs:Unconfigured*) ;; *) u=1 ;; esac ;; esac; done < /proc/drbd; fi
if [ -n "$u" ]; then echo ${UP_MARK}; else ${inline(fact.command(args))}; fi`,
    ],
    parse: (stdout, exitCode) => (stdout.trim() === UP_MARK ? undefined : fact.parse(stdout, exitCode)),
  };
}
