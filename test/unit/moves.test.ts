// The planned-move planners over status readings assembled from lab
// captures (test/support/status-readings.ts): the commands, where they run,
// what they wait for, and the refusals.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { clusterStatus } from '../../src/cluster/status.js';
import { planDrill } from '../../src/procedures/drill.js';
import { planCibRestore } from '../../src/procedures/cib-restore.js';
import { restoreScript } from '../../src/pacemaker/backups.js';
import { arrivedScript, planCleanup, planTargetRole, planMigrate, planStandby, planSwitchover, planUnmigrate, runsOn, type MovePlan } from '../../src/procedures/moves.js';
import type { ClusterReport } from '../../src/cluster/status.js';
import { withListeningPort } from '../support/listening-port.js';
import { cluster, fx, read } from '../support/status-readings.js';

const pcmkOnNode1 = () =>
  clusterStatus(cluster('pacemaker'), [
    read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
    read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
  ]);
const pcmkOnNode2 = (crmMon = 'lab-crm-mon-rejoined.xml') =>
  clusterStatus(cluster('pacemaker'), [
    read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon }),
    read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon }),
  ]);
const hbOnNode1 = () =>
  clusterStatus(cluster('heartbeat'), [
    read('node1', 'heartbeat', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, lighttpd: true, heartbeat: HB_VIEW }),
    read('node2', 'heartbeat', { proc: 'lab-8.4-proc-connected-secondary.txt', heartbeat: HB_VIEW }),
  ]);
const argv = (steps: { node?: string; argv: string[] }[]) => steps.map((s) => `${s.node}: ${s.argv.join(' ')}`);
const refusal = (plan: { refusal?: { message: string } }) => {
  if (!plan.refusal) throw new Error('not refused');
  return plan.refusal.message;
};
const CTX = { cluster: cluster('pacemaker'), timeoutSeconds: 300 };
const HB = { cluster: cluster('heartbeat'), timeoutSeconds: 300 };
const DRILL = { ...CTX, quiescent: [], fail: { description: 'fail', argv: ['false'] }, restore: { description: 'restore', argv: ['true'] } };
/** The commands of a move: neither its wait nor what runs after. */
const commands = (plan: MovePlan) => plan.steps.filter((s) => !s.phase);
const after = (plan: MovePlan) => plan.steps.filter((s) => s.phase === 'after');
const waitOf = (plan: MovePlan) => plan.steps.find((s) => s.phase === 'wait');
/** The wait, judged on a reading; `arrived`: the look at the target saw the services answer on the VIP. */
const waitDone = (plan: MovePlan, report: ClusterReport, arrived = true) => waitOf(plan)!.watch!.check('', arrived ? 0 : 1, report).done;

// heartbeat-view output captured on the lab node holding the group, both members active.
const HB_VIEW = fx('heartbeat', 'lab-node1-view.txt');

describe('switchover', () => {
  it('Pacemaker: moves the promoted DRBD instance to the peer, waits for the services there, then lifts the temporary constraint', () => {
    const before = pcmkOnNode1();
    expect(runsOn(before, 'node1')).toBe(true);
    const plan = planSwitchover(before, CTX);
    expect(plan.action).toBe('switchover node1 -> node2');
    // Run on the DC (node2 in these captures): the node whose view status read.
    expect(argv(commands(plan))).toEqual(['node2: crm_resource --move --promoted --resource ms_drbd_r0 --node node2']);
    expect(argv(after(plan))).toEqual(['node2: crm_resource --clear --resource ms_drbd_r0 --node node2']);
    expect(plan.steps.map((s) => s.phase)).toEqual([undefined, 'wait', 'after']);
    expect(waitDone(plan, before)).toBe(false);
    expect(waitDone(plan, pcmkOnNode2())).toBe(true);
    // A member still Starting there (as crm_mon says it, lab-crm-mon-starting-vip.xml) is not there yet.
    const starting = pcmkOnNode2();
    expect(waitDone(plan, { ...starting, resources: starting.resources.map((r) => (r.id === 'p_svc_web' ? { ...r, role: 'Starting' } : r)) })).toBe(false);
    // Done only once the look at node2 saw the services answer on the VIP there.
    expect(waitDone(plan, pcmkOnNode2(), false)).toBe(false);
    expect(waitOf(plan)!.watch!.timeoutHint).toMatch(/remove what the move left: crm_resource --clear --resource ms_drbd_r0 --node node2$/);
  });

  it('Heartbeat: hb_standby on the node that holds the resources', () => {
    const plan = planSwitchover(hbOnNode1(), HB, 'node2');
    expect(argv(commands(plan))).toEqual(['node1: /usr/share/heartbeat/hb_standby all']);
    expect(after(plan)).toEqual([]);
    expect(plan.waitFor).toBe('the services running on node2');
  });

  it('does nothing when the services already run on the target', () => {
    expect(planSwitchover(pcmkOnNode1(), CTX, 'node1')).toMatchObject({ reason: 'the services already run on node1', steps: [] });
  });

  it('refuses a target that is down or whose data is not UpToDate and connected, and a cluster with no primary', () => {
    const peerDown = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', 'node1: cannot connect'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-after-failover.xml' }),
    ]);
    expect(refusal(planSwitchover(peerDown, CTX))).toBe('node1 cannot be read: node1: cannot connect');
    const degraded = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
    ]);
    expect(refusal(planSwitchover(degraded, CTX))).toBe('node2 cannot take r0: its DRBD disk is UpToDate (WFConnection)');
    const lost = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', 'node1: cannot connect'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-secondary.txt', crmMon: 'lab-crm-mon-node1-lost.xml' }),
    ]);
    expect(refusal(planSwitchover(lost, CTX))).toBe('no node runs the services of cluster lab: nothing to switch over');
  });
});

describe('bans', () => {
  it('a move or a drill towards a node a ban keeps the services off is refused, with the way out', () => {
    // node1 standby and banned (cli-ban-g_services-on-node1), the services on node2.
    const banned = pcmkOnNode2('lab-crm-mon-standby-ban-unmanaged.xml');
    expect(planSwitchover(banned, CTX, 'node1').refusal).toBeDefined();
    const unbanned = { ...banned, nodes: banned.nodes.map((n) => ({ ...n, membership: 'online' })) };
    expect(refusal(planSwitchover(unbanned, CTX, 'node1'))).toBe('node1 cannot take the services: g_services is kept off it by cli-ban-g_services-on-node1');
    expect(refusal(planDrill(unbanned, DRILL))).toBe('node1 cannot take the services: g_services is kept off it by cli-ban-g_services-on-node1');
    expect(planSwitchover(unbanned, CTX, 'node1').refusal!.hint).toBe('haforge unmigrate node1 lifts it');
  });

  it('moves that move the services also wait for them to answer on the VIP (a look at the target); others only read again', () => {
    expect(waitOf(planSwitchover(pcmkOnNode1(), CTX))!.argv[0]).toBe('bash');
    expect(waitOf(planMigrate(pcmkOnNode1(), CTX, 'node1'))!.argv[0]).toBe('bash');
    const cleanup = waitOf(planCleanup(clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-failcount.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-failcount.xml' }),
    ]), CTX))!;
    expect(cleanup).toMatchObject({ argv: [], node: undefined, watch: { intervalMs: 1000, reread: true } });
  });
});

describe('migrate, unmigrate, standby, cleanup', () => {
  it('migrate bans the promoted instance from the node and waits only when the node held the services', () => {
    const plan = planMigrate(pcmkOnNode1(), CTX, 'node1');
    expect(argv(commands(plan))).toEqual(['node2: crm_resource --ban --promoted --resource ms_drbd_r0 --node node1']);
    expect(waitDone(plan, pcmkOnNode2())).toBe(true);
    expect(waitOf(planMigrate(pcmkOnNode2(), CTX, 'node1'))).toBeUndefined();
    expect(planMigrate(hbOnNode1(), HB, 'node2')).toMatchObject({ reason: 'node2 does not hold the resources (Heartbeat v1 has no lasting ban to add)', steps: [] });
  });

  it('unmigrate lifts the cli- constraints naming the node, and only those', () => {
    const banned = pcmkOnNode2('lab-crm-mon-standby-ban-unmanaged.xml');
    expect(argv(planUnmigrate(banned, CTX, 'node1').steps)).toEqual([expect.stringMatching(/: crm_resource --clear --resource g_services --node node1$/)]);
    expect(planUnmigrate(banned, CTX, 'node2')).toMatchObject({ reason: 'nothing keeps the services off node2', steps: [] });
    expect(planUnmigrate(hbOnNode1(), HB, 'node1').reason).toBe('Heartbeat v1 keeps no ban: nothing to lift');
  });

  it('standby sets the node attribute and waits for the services to leave; --off on a standby node brings it back', () => {
    const on = planStandby(pcmkOnNode1(), CTX, 'node1', true);
    expect(argv(commands(on))).toEqual(['node2: crm_attribute --node node1 --name standby --update on']);
    expect(on.waitFor).toBe('node1 standby and the services running elsewhere');
    const standby = pcmkOnNode2('lab-crm-mon-standby-ban-unmanaged.xml');
    expect(argv(commands(planStandby(standby, CTX, 'node1', false)))).toEqual([expect.stringMatching(/crm_attribute --node node1 --name standby --update off$/)]);
    expect(planStandby(standby, CTX, 'node1', true).reason).toBe('node1 is standby');
    // Back means online and replicating again: standby stopped the node's DRBD instance too.
    const off = planStandby(standby, CTX, 'node1', false);
    expect(off.waitFor).toBe('node1 online and its DRBD UpToDate again');
    expect(waitDone(off, pcmkOnNode1())).toBe(true);
    const degraded = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-cut-secondary.txt', crmMon: 'lab-crm-mon-rejoined.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-rejoined.xml' }),
    ]);
    expect(waitDone(off, degraded)).toBe(false);
  });

  it('cleanup clears fail counts where there are some, and says so where there are none', () => {
    const failed = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-failcount.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-failcount.xml' }),
    ]);
    const plan = planCleanup(failed, CTX, 'p_svc_web');
    expect(argv(commands(plan))).toEqual([expect.stringMatching(/: crm_resource --cleanup --resource p_svc_web$/)]);
    expect(waitDone(plan, failed)).toBe(false);
    // Captured before lighttpd was killed: no fail count yet (the rejoined capture still has it).
    expect(waitDone(plan, pcmkOnNode2('lab-crm-mon-after-failover.xml'))).toBe(true);
    expect(waitDone(plan, pcmkOnNode2('lab-crm-mon-rejoined.xml'))).toBe(false);
    expect(planCleanup(pcmkOnNode1(), CTX).reason).toBe('no fail count and no failed action');
    expect(refusal(planCleanup(pcmkOnNode1(), CTX, 'p_nope'))).toBe("no resource 'p_nope' in cluster lab");
    expect(planCleanup(hbOnNode1(), HB).reason).toMatch(/^Heartbeat v1 keeps no fail counts/);
  });
});

describe('the watch on the node the services go to (arrivedScript, run here on this machine\'s own kernel tables)', () => {
  const run = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  it('ends at once when the VIP is a local address and every service port answers on it; else after its seconds', () =>
    withListeningPort((port) => {
      const here = cluster('pacemaker', { vip: { address: '127.0.0.1', cidr_netmask: 8, nic: 'lo' }, services: { web: { unit: 'lighttpd', port } } });
      expect(run(arrivedScript(here, 30)!).status).toBe(0);
      // A port nobody listens on: the watch looks for a second, then gives up.
      const closed = cluster('pacemaker', { vip: { address: '127.0.0.1', cidr_netmask: 8, nic: 'lo' }, services: { web: { unit: 'lighttpd', port }, db: { unit: 'mariadb', port: 1 } } });
      expect(run(arrivedScript(closed, 1)!).status).toBe(1);
      // An address this machine does not have (TEST-NET-1): not arrived, whatever listens.
      expect(run(arrivedScript(cluster('pacemaker', { vip: { address: '192.0.2.77', cidr_netmask: 24 }, services: { web: { unit: 'lighttpd', port } } }), 1)!).status).toBe(1);
      expect(arrivedScript(cluster('pacemaker', { vip: undefined }), 5)).toBeUndefined();
    }));

  it('is watched on the target of every move that takes the services somewhere', () => {
    expect(waitOf(planSwitchover(pcmkOnNode1(), CTX))!.node).toBe('node2');
    expect(waitOf(planMigrate(pcmkOnNode1(), CTX, 'node1'))!.node).toBe('node2');
    expect(waitOf(planStandby(pcmkOnNode1(), CTX, 'node1', true))!.node).toBe('node2');
    expect(waitOf(planMigrate(hbOnNode1(), HB, 'node1'))!.node).toBe('node2');
  });
});

describe('resource start / stop (target-role)', () => {
  it('stop sets target-role Stopped on the Pacemaker node, is destructive and guarded, and waits until every instance is stopped', () => {
    const report = pcmkOnNode1();
    const plan = planTargetRole(report, CTX, 'p_svc_web', 'Stopped');
    expect(plan.steps.map((s) => s.description)).toEqual(['set the target-role of p_svc_web to Stopped', 'wait for p_svc_web stopped everywhere']);
    const [command, wait] = plan.steps;
    expect(command).toMatchObject({ node: report.viewFrom, destructive: true, argv: ['crm_resource', '--resource', 'p_svc_web', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped'] });
    const stopped = { ...report, resources: report.resources.map((r) => (r.id === 'p_svc_web' ? { ...r, role: 'Stopped', nodes: [] } : r)) };
    expect(command!.guard!(report)).toBeUndefined();
    expect(command!.guard!(stopped)).toBe('p_svc_web is already stopped');
    expect(wait!.watch!.check('', 0, report).done).toBe(false);
    expect(wait!.watch!.check('', 0, stopped).done).toBe(true);
    expect(planTargetRole(stopped, CTX, 'p_svc_web', 'Stopped')).toMatchObject({ steps: [], reason: 'p_svc_web is stopped' });
    // start: not destructive, waits until it runs again.
    const start = planTargetRole(stopped, CTX, 'p_svc_web', 'Started');
    expect(start.steps[0]).toMatchObject({ argv: ['crm_resource', '--resource', 'p_svc_web', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Started'] });
    expect(start.steps[0]!.destructive).toBeUndefined();
    expect(start.steps[1]!.watch!.check('', 0, report).done).toBe(true);
    expect(planTargetRole(report, CTX, 'p_svc_web', 'Started')).toMatchObject({ steps: [], reason: 'p_svc_web runs' });
  });

  it('a group or clone counts all its members; an unknown id and Heartbeat are refused with the way out', () => {
    const report = pcmkOnNode1();
    expect(planTargetRole(report, CTX, 'g_services', 'Stopped').steps).toHaveLength(2);
    expect(planTargetRole(report, CTX, 'p_svc_nope', 'Stopped').refusal).toMatchObject({ message: "no resource 'p_svc_nope' in cluster lab", hint: expect.stringContaining('g_services') });
    expect(planTargetRole(hbOnNode1(), CTX, 'web', 'Stopped').refusal!.message).toMatch(/Heartbeat v1 starts and stops its resources only as one group/);
  });
});

describe('cib restore', () => {
  it('replaces the configuration from the node that saved it, destructive and guarded, then waits for Pacemaker to answer', () => {
    const report = pcmkOnNode1();
    const plan = planCibRestore(report, CTX, 'node2', '20261206T104512.123456789Z.xml');
    expect(plan.steps[0]).toMatchObject({ node: 'node2', destructive: true, argv: restoreScript('20261206T104512.123456789Z.xml') });
    expect(plan.steps[0]!.guard!(report)).toBeUndefined();
    expect(plan.steps[0]!.guard!({ ...report, viewFrom: undefined })).toBe('Pacemaker answers on no node');
    expect(plan.steps[1]!.watch).toBeDefined();
    expect(planCibRestore(hbOnNode1(), CTX, 'node1', 'x').refusal!.message).toMatch(/runs Heartbeat v1/);
  });
});

describe('a service stopped on purpose', () => {
  it('does not keep the services from counting as running where the rest of the group runs (moves and drills would wait forever)', () => {
    const crmMon = 'lab-crm-mon-web-stopped-on-purpose.xml';
    const report = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon }),
    ]);
    expect(report.resources.find((r) => r.id === 'p_svc_web')).toMatchObject({ role: 'Stopped', stoppedOnPurpose: true });
    expect(runsOn(report, 'node1')).toBe(true);
    const notOnPurpose = { ...report, resources: report.resources.map((r) => ({ ...r, stoppedOnPurpose: undefined })) };
    expect(runsOn(notOnPurpose, 'node1')).toBe(false);
  });
});
