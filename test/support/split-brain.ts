// The split-brain repair's command sequence for the lab's situation (r0,
// victim node2 StandAlone and unmounted, survivor node1 StandAlone, DRBD
// 8.4), as "node argv" lines; the resync wait is "node (wait)". The unit
// tests (planner) and the lab test (the CLI's --check) expect the same.

export const stepLine = (s: { node?: string; phase?: string; argv: string[] }) => `${s.node} ${s.phase === 'resync' ? '(wait)' : s.argv.join(' ')}`;

export function labRepairSequence(since: number): string[] {
  return [
    'node2 drbdadm primary r0',
    'node2 mkdir -p /run/haforge-rescue-r0',
    'node2 mount -o ro /dev/drbd0 /run/haforge-rescue-r0',
    `node2 sh -c cd /run/haforge-rescue-r0 && find . -xdev -newerct @${since} \\( -type f -o -type l -o -type d \\) -print0 | tar --null --no-recursion -T - -czf -`,
    'node2 umount /run/haforge-rescue-r0',
    'node2 rmdir /run/haforge-rescue-r0',
    'node2 drbdadm secondary r0',
    'node2 drbdadm secondary r0',
    'node2 drbdadm disconnect r0',
    'node2 drbdadm connect --discard-my-data r0',
    'node1 drbdadm connect r0',
    'node2 (wait)',
  ];
}
