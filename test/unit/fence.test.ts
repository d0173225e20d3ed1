// The fence planners over status readings assembled from lab captures
// (test/support/status-readings.ts): who fences, the guard right before a
// node is rebooted, the test that fences nobody, and the refusals.
import { describe, expect, it } from 'vitest';
import { clusterStatus } from '../../src/cluster/status.js';
import { planFence, planFenceTest } from '../../src/procedures/fence.js';
import { cluster, fx, read } from '../support/status-readings.js';

const SBD = { fencing: { sbd: { devices: ['/dev/disk/by-id/virtio-haforge-sbd'] } } };
const IPMI = { fencing: { devices: { 'ipmi-node1': { agent: 'fence_ipmilan', targets: ['node1'], params: { ip: '192.0.2.1' } }, 'ipmi-node2': { agent: 'fence_ipmilan', targets: ['node2'], params: { ip: '192.0.2.2' } } } } };
const ctx = (extra: Record<string, unknown>, stack: 'pacemaker' | 'heartbeat' = 'pacemaker') => ({ cluster: cluster(stack, extra), timeoutSeconds: 120 });
const onNode1 = (c = cluster('pacemaker', SBD)) =>
  clusterStatus(c, [
    read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
    read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
  ]);

describe('fence NODE', () => {
  it('another member reboots the node through Pacemaker, destructive and guarded', () => {
    const plan = planFence(onNode1(), ctx(SBD), 'node1');
    expect(plan.steps).toMatchObject([{ node: 'node2', argv: ['stonith_admin', '--reboot', 'node1', '--timeout', '120'], destructive: true }]);
    // Right before: still another member, and the data in sync.
    expect(plan.steps[0]!.guard!(onNode1())).toBeUndefined();
    const degraded = clusterStatus(cluster('pacemaker', SBD), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
    ]);
    expect(plan.steps[0]!.guard!(degraded)).toMatch(/node1 is Primary and DRBD is not in sync/);
  });

  it('refuses without fencing, on Heartbeat, for an unknown node, and when no other node could keep running', () => {
    expect(planFence(onNode1(cluster('pacemaker')), ctx({}), 'node1').refusal?.message).toMatch(/configures no fencing/);
    expect(planFence(onNode1(), ctx(SBD), 'node3').refusal?.message).toBe("no node 'node3' in cluster lab");
    const hb = clusterStatus(cluster('heartbeat'), [
      read('node1', 'heartbeat', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, lighttpd: true, heartbeat: fx('heartbeat', 'lab-node1-view.txt') }),
      read('node2', 'heartbeat', { proc: 'lab-8.4-proc-connected-secondary.txt', heartbeat: fx('heartbeat', 'lab-node1-view.txt') }),
    ]);
    expect(planFence(hb, ctx({}, 'heartbeat'), 'node2').refusal?.message).toMatch(/runs Heartbeat v1/);
    const alone = clusterStatus(cluster('pacemaker', SBD), [
      read('node1', 'pacemaker', 'node1: cannot connect'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-after-failover.xml' }),
    ]);
    expect(planFence(alone, ctx(SBD), 'node2').refusal?.message).toMatch(/fencing node2 would leave no node running/);
  });
});

describe('fence --test', () => {
  it('SBD: a test message into each node\'s slot from another node, then a wait for its sbd to take it out', () => {
    const plan = planFenceTest(onNode1(), ctx(SBD));
    expect(plan.steps.map((s) => `${s.node} ${s.argv.slice(0, 5).join(' ')}`)).toEqual([
      'node2 sbd -d /dev/disk/by-id/virtio-haforge-sbd message node1',
      'node2 sh -c d=/dev/disk/by-id/virtio-haforge-sbd\nPATH="$PATH:/usr/sbin:/sbin"\necho \'== dump\'; sbd -d "$d" dump 2>&1; echo "rc=$?"\necho \'== list\'; sbd -d "$d" list 2>/dev/null; true',
      'node1 sbd -d /dev/disk/by-id/virtio-haforge-sbd message node2',
      'node1 sh -c d=/dev/disk/by-id/virtio-haforge-sbd\nPATH="$PATH:/usr/sbin:/sbin"\necho \'== dump\'; sbd -d "$d" dump 2>&1; echo "rc=$?"\necho \'== list\'; sbd -d "$d" list 2>/dev/null; true',
    ]);
    expect(plan.steps.some((s) => s.destructive)).toBe(false);
    // The wait, on captured `sbd dump`/`list` output: done when the slot is clear, not while the message waits in it.
    const check = plan.steps[1]!.watch!.check;
    const slots = fx('sbd', 'host-slots-reset.txt');
    expect(check(slots, 0)).toMatchObject({ done: true });
    expect(check(slots.replace('node1\tclear', 'node1\ttest'), 0)).toMatchObject({ done: false, progress: 'node1: slot test' });
    expect(check(fx('sbd', 'host-created.txt'), 0)).toMatchObject({ done: false, error: expect.stringMatching(/node1 has no slot on the SBD disk/) });
  });

  it('fence devices: Pacemaker must list each device for its node, and the device answer its status', () => {
    const plan = planFenceTest(onNode1(cluster('pacemaker', IPMI)), ctx(IPMI));
    expect(plan.steps.map((s) => `${s.node} ${s.argv.join(' ')}`)).toEqual(['node2 stonith_admin --list node1', 'node2 stonith_admin --query st_ipmi-node1', 'node1 stonith_admin --list node2', 'node1 stonith_admin --query st_ipmi-node2']);
    const listed = plan.steps[0]!.watch!.check;
    expect(listed('st_ipmi-node1\n1 fence device found\n', 0)).toMatchObject({ done: true });
    expect(listed('0 fence devices found\n', 0)).toMatchObject({ done: false, error: expect.stringMatching(/st_ipmi-node1 cannot fence node1/) });
  });
});
