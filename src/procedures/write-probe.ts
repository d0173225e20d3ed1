// The drill's write probe, as data: the script a node runs to append
// sequence-numbered, fsync'd records to a file on the replicated volume, and
// the judgement of what the workstation saw acknowledged against what the
// new primary holds. An acknowledgement is printed only after fsync returned:
// with protocol C the record is then on both nodes' disks, so every
// acknowledged record must survive the primary's failure. No I/O here.

/** The probe's file, in the root of the replicated filesystem. */
export const PROBE_FILE = '.haforge-probe';

/** Exit codes of the probe script that are not failures. */
export const PROBE_EXIT = { notMounted: 3, stopped: 4 } as const;

/** The stop flag a node's probe looks for before each record (on tmpfs: gone at the next boot). */
export const probeStopFile = (probeId: string) => `/run/haforge-probe-${probeId}.stop`;

/**
 * Appends "<probe id> <session> <n>" records while the volume is mounted
 * here. The file is held open on fd 3 from the first record: a node whose
 * filesystem goes away cannot write through to the directory beneath it, and
 * the cluster's unmount has to stop the writer as it would a database.
 * Prints "ack <n>" after each record's fsync.
 */
export function probeScript(mount: string, probeId: string, session: string, intervalSec = 0.1): string[] {
  const script = `m=$1 id=$2 sess=$3 stop=$4 pause=$5
[ -e "$stop" ] && exit ${PROBE_EXIT.stopped}
mountpoint -q "$m" || exit ${PROBE_EXIT.notMounted}
exec 3>>"$m/${PROBE_FILE}" || exit 5
n=0
while [ ! -e "$stop" ]; do
  n=$((n+1))
  printf '%s %s %s\\n' "$id" "$sess" "$n" | dd of=/dev/fd/3 oflag=append conv=notrunc,fsync status=none || exit 6
  echo "ack $n"
  sleep "$pause"
done
exit ${PROBE_EXIT.stopped}`;
  return ['sh', '-c', script, 'haforge-probe', mount, probeId, session, probeStopFile(probeId), String(intervalSec)];
}

export interface ProbeAck {
  /** "<node>.<k>": the k-th session on that node. */
  session: string;
  node: string;
  seq: number;
  /** When the acknowledgement reached this workstation (ms since the epoch). */
  at: number;
}

/** "ack <n>" lines of one session's output. */
export function parseAckLine(line: string): number | undefined {
  const m = /^ack (\d+)$/.exec(line.trim());
  return m ? Number(m[1]) : undefined;
}

export interface ProbeVerdict {
  /** Records acknowledged to the workstation. */
  acknowledged: number;
  /** Of those, the ones the new primary does not have: the RPO in records. */
  lost: ProbeAck[];
  /** Records on the volume that were written but whose acknowledgement never arrived (in flight at the failure: allowed). */
  unacknowledged: number;
  /** Nodes that acknowledged records. */
  writers: string[];
  /** Last acknowledgement from the failed primary and first from another node (ms since the epoch). */
  lastBeforeFailure?: number;
  firstAfterFailure?: number;
}

/** Every acknowledged record must be in the file read from the new primary. */
export function judgeProbe(acks: ProbeAck[], fileContent: string, probeId: string, failedNode: string): ProbeVerdict {
  const onVolume = new Set<string>();
  for (const line of fileContent.split('\n')) {
    const [id, session, seq] = line.trim().split(' ');
    if (id === probeId && session && seq) onVolume.add(`${session} ${seq}`);
  }
  const acked = new Set(acks.map((a) => `${a.session} ${a.seq}`));
  const fromFailed = acks.filter((a) => a.node === failedNode);
  const fromOthers = acks.filter((a) => a.node !== failedNode);
  return {
    acknowledged: acks.length,
    lost: acks.filter((a) => !onVolume.has(`${a.session} ${a.seq}`)),
    unacknowledged: [...onVolume].filter((r) => !acked.has(r)).length,
    writers: [...new Set(acks.map((a) => a.node))],
    lastBeforeFailure: fromFailed.length ? Math.max(...fromFailed.map((a) => a.at)) : undefined,
    firstAfterFailure: fromOthers.length ? Math.min(...fromOthers.map((a) => a.at)) : undefined,
  };
}
