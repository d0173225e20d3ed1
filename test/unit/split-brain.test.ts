// Split-brain detection, explanation, victim choice and repair planning, on
// output captured in the lab during a real split brain (DRBD 8.4.11; see
// test/fixtures/drbd/README.md) and the 8.3 split brain of runbook 001.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareLineage, drbdLineageFact, generation, madeAsPrimary, parseGetGi } from '../../src/drbd/lineage.js';
import { drbdEvents, lineIsAbout, parseKernelLog, type KernelLog } from '../../src/drbd/kernel-log.js';
import { parseProcDrbd } from '../../src/drbd/status.js';
import { parseMounts } from '../../src/facts/mounts.js';
import { parseRunningManager } from '../../src/facts/running-manager.js';
import { analyseResource, changesSince, type NodeReading, type ResourceReport } from '../../src/procedures/split-brain/detect.js';
import { clock, explain } from '../../src/procedures/split-brain/explain.js';
import { planRepair, resyncWait, type RepairInputs, type RepairPlan } from '../../src/procedures/split-brain/repair.js';
import { discardConnectArgv } from '../../src/drbd/commands.js';
import { chooseVictim, stillTheVictim } from '../../src/procedures/split-brain/victim.js';
import { plannedOutcomes } from '../../src/engine/execute.js';
import { renderRepair } from '../../src/ui/split-brain.js';
import { labRepairSequence, stepLine } from '../support/split-brain.js';

const fx = (name: string) => readFileSync(path.join(__dirname, '../fixtures/drbd', name), 'utf8');
const REF = { cluster: 'lab', name: 'r0', minor: 0, device: '/dev/drbd0', mount: '/replicated', filesystem: 'ext4' };
const IDLE = parseRunningManager('== active\ninactive\ninactive\n== maintenance\n');

/** The drbd-lineage fact's output around a captured get-gi. */
const lineage = (giFile: string) => drbdLineageFact.parse(`== gi\n${fx(giFile)}== lldev\n/dev/vdb\n`, 0);
const journal = (file: string, before = Infinity): KernelLog => {
  const lines = fx(file).split('\n').filter((l) => Number(l.split(' ')[0]) < before);
  return parseKernelLog(`== now\n1796289215\n244.02 122.56\n== journal\n${lines.join('\n')}`);
};
const dmesg = (file: string, dateUptime: string) => parseKernelLog(`== now\n${dateUptime}== dmesg\n${fx(file)}`);

function reading(node: string, proc: string, gi: string | undefined, log: KernelLog, mounts: string): NodeReading {
  return { node, family: '8.4', status: parseProcDrbd(fx(proc)), lineage: gi ? { r0: lineage(gi) } : {}, log, mounts: parseMounts(fx(mounts)), manager: IDLE };
}

/** Both StandAlone after the heal: the state the lab test repairs. */
const splitReadings = () => [
  reading('node1', 'lab-8.4-sb-proc-standalone-primary.txt', 'lab-8.4-get-gi-sb-node1.txt', journal('lab-8.4-sb-journal-node1.txt'), 'lab-8.4-sb-mounts-node1.txt'),
  reading('node2', 'lab-8.4-sb-proc-standalone-secondary.txt', 'lab-8.4-get-gi-sb-node2.txt', journal('lab-8.4-sb-journal-node2.txt'), 'lab-8.4-sb-mounts-node2.txt'),
];
const split = () => analyseResource(REF, splitReadings());

describe('generation identifiers (drbdadm get-gi)', () => {
  it('reads 8.4 get-gi and the data line of show-gi', () => {
    expect(parseGetGi(fx('lab-8.4-get-gi-connected-primary.txt'))).toEqual([
      { current: 'CC9B1FE9C54C4E19', bitmap: '0000000000000000', history: ['BCFBF06589D53E65', '0000000000000004'], consistent: true, primary: true },
    ]);
    expect(parseGetGi(fx('lab-8.4-show-gi-connected-primary.txt'))).toEqual(parseGetGi(fx('lab-8.4-get-gi-connected-primary.txt')));
    expect(parseGetGi(fx('lab-8.4-get-gi-connected-secondary.txt'))[0]).toMatchObject({ current: 'CC9B1FE9C54C4E18', primary: false });
    expect(parseGetGi('')).toEqual([]);
    expect(drbdLineageFact.parse("== gi\n'r0' not defined in your config (for this host).\n== lldev\n", 10)).toEqual({ error: "'r0' not defined in your config (for this host)." });
  });

  it('the role bit is not part of the generation', () => {
    // node2's current UUID while Primary (…09) and after `drbdadm secondary` (…08): the same data.
    const primary = parseGetGi(fx('lab-8.4-get-gi-apart-promoted-node2.txt'))[0]!;
    const secondary = parseGetGi(fx('lab-8.4-get-gi-sb-node2.txt'))[0]!;
    expect(primary.current).not.toBe(secondary.current);
    expect(generation(primary.current)).toBe(generation(secondary.current));
    // The bitmap UUID keeps who was Primary when the nodes parted: node1 was, node2 was not.
    expect(madeAsPrimary(parseGetGi(fx('lab-8.4-get-gi-sb-node1.txt'))[0]!.bitmap)).toBe(true);
    expect(madeAsPrimary(secondary.bitmap)).toBe(false);
  });

  it('tells in sync, fell behind, split brain and unrelated data apart', () => {
    const gi = (f: string) => parseGetGi(fx(f))[0]!;
    expect(compareLineage(gi('lab-8.4-get-gi-connected-primary.txt'), gi('lab-8.4-get-gi-connected-secondary.txt'))).toBe('same');
    expect(compareLineage(gi('lab-8.4-get-gi-apart-node1.txt'), gi('lab-8.4-get-gi-apart-node2.txt'))).toBe('a-ahead');
    expect(compareLineage(gi('lab-8.4-get-gi-apart-node2.txt'), gi('lab-8.4-get-gi-apart-node1.txt'))).toBe('b-ahead');
    expect(compareLineage(gi('lab-8.4-get-gi-sb-node1.txt'), gi('lab-8.4-get-gi-sb-node2.txt'))).toBe('diverged');
    expect(compareLineage(gi('lab-8.4-get-gi-repaired-node1.txt'), gi('lab-8.4-get-gi-repaired-node2.txt'))).toBe('same');
    const stranger = parseGetGi('1111111111111110:2222222222222222:0000000000000000:0000000000000000:1:1:0:0:0:0:0')[0]!;
    expect(compareLineage(gi('lab-8.4-get-gi-sb-node1.txt'), stranger)).toBe('unrelated');
  });
});

describe('DRBD kernel log', () => {
  it('journal lines carry wall-clock times; the events of the split are found in order', () => {
    const log = journal('lab-8.4-sb-journal-node1.txt');
    expect(log.source).toBe('journal');
    expect(log.lines[0]).toEqual({ time: 1796288991.65062, text: 'drbd: initialized. Version: 8.4.11 (api:1/proto:86-101)' });
    const events = drbdEvents(log, 'r0', 0).map((e) => `${e.kind} ${e.time}`);
    expect(events).toEqual([
      'connected 1796289030.089580',
      'promoted 1796289031.223351',
      'connected 1796289049.273471',
      'disconnected 1796289103.950196',
      'split-brain 1796289177.375315',
    ].map((e) => e.replace(/(\d+\.\d*?)0+$/, '$1')));
  });

  it('dmesg times are turned into wall clock with the uptime', () => {
    const log = dmesg('lab-8.4-sb-dmesg-node2.txt', fx('lab-8.4-sb-dmesg-node2-date-uptime.txt'));
    expect(log.source).toBe('dmesg');
    const promoted = drbdEvents(log, 'r0', 0).find((e) => e.kind === 'promoted')!;
    // The journal says 1796289139.948302 for the same line: dmesg's reckoning is close, not exact.
    expect(promoted.time!).toBeCloseTo(1796289215 - 244.02 + 168.650564, 3);
    expect(Math.abs(promoted.time! - 1796289139.948302)).toBeLessThan(1);
  });

  it('knows which resource a line is about (names for 8.4/9, minors for 8.3)', () => {
    expect(lineIsAbout('drbd r0: conn( Connected -> NetworkFailure )', 'r0', 0)).toBe(true);
    expect(lineIsAbout('drbd r10: conn( Connected -> NetworkFailure )', 'r0', 0)).toBe(false);
    expect(lineIsAbout('block drbd0: role( Secondary -> Primary )', 'r0', 0)).toBe(true);
    expect(lineIsAbout('block drbd1: role( Secondary -> Primary )', 'r0', 0)).toBe(false);
    expect(lineIsAbout('drbd r0/0 drbd0 node2: Split-Brain detected but unresolved, dropping connection!', 'r0', 0)).toBe(true);
    expect(lineIsAbout('drbd: initialized. Version: 8.4.11', 'r0', 0)).toBe(false);
  });

  it('empty output and a node without any log', () => {
    expect(parseKernelLog('')).toEqual({ source: 'none', now: undefined, lines: [] });
    expect(parseKernelLog('== now\n1796289215\n244.02 1.0\n== dmesg\n')).toEqual({ source: 'dmesg', now: 1796289215, lines: [] });
  });
});

describe('cluster manager on a node', () => {
  it('the lab (nothing enabled), Pacemaker in and out of maintenance mode, Heartbeat', () => {
    // `systemctl is-active pacemaker heartbeat` in the lab prints one word per unit (exit 3).
    expect(parseRunningManager('== active\ninactive\ninactive\n== maintenance\n')).toEqual({ pacemaker: false, heartbeat: false, maintenanceMode: undefined });
    expect(parseRunningManager('== active\nactive\ninactive\n== maintenance\ntrue\n')).toEqual({ pacemaker: true, heartbeat: false, maintenanceMode: true });
    expect(parseRunningManager('== active\nactive\ninactive\n== maintenance\nfalse\n')).toMatchObject({ maintenanceMode: false });
    expect(parseRunningManager('== active\ninactive\nactive\n== maintenance\n')).toMatchObject({ pacemaker: false, heartbeat: true });
    expect(parseRunningManager('')).toEqual({ pacemaker: false, heartbeat: false, maintenanceMode: undefined });
  });
});

describe('split-brain detection', () => {
  it('both StandAlone after a real split brain: every signal, and each side told apart', () => {
    const r = split();
    expect(r).toMatchObject({ verdict: 'split-brain', splitBrain: true, lineage: 'diverged', splitAt: 1796289103.950196, detectedAt: 1796289177.375315 });
    expect(r.signals.map((s) => `${s.kind} ${s.node ?? ''}`.trim())).toEqual(['standalone node1', 'kernel-log node1', 'standalone node2', 'kernel-log node2', 'diverged-data']);
    expect(r.sides).toEqual([
      {
        node: 'node1',
        reachable: true,
        connection: 'StandAlone',
        role: 'Primary',
        disk: 'UpToDate',
        outOfSyncKiB: 48,
        mountedAt: '/replicated',
        current: '79095420DE401139',
        bitmap: 'CC9B1FE9C54C4E19',
        primaryAtSplit: true,
        lowerDevice: '/dev/vdb',
        disconnectedAt: 1796289103.950196,
        promotedAt: undefined,
        splitLogged: true,
        splitDetectedAt: 1796289177.375315,
      },
      {
        node: 'node2',
        reachable: true,
        connection: 'StandAlone',
        role: 'Secondary',
        disk: 'UpToDate',
        outOfSyncKiB: 80,
        mountedAt: undefined,
        current: '48FEA214FE4CB808',
        bitmap: 'CC9B1FE9C54C4E18',
        primaryAtSplit: false,
        lowerDevice: '/dev/vdb',
        disconnectedAt: 1796289107.94803,
        promotedAt: 1796289139.948302,
        splitLogged: true,
        splitDetectedAt: 1796289177.313347,
      },
    ]);
    // Files are listed from each side's own loss of the link, 30 s early.
    expect(changesSince(r, r.sides[0]!)).toBe(1796289103 - 30);
    expect(changesSince(r, r.sides[1]!)).toBe(1796289107 - 30);
    expect(changesSince(r, r.sides[1]!, 1796280000)).toBe(1796280000);
  });

  it('a node waiting (WFConnection) for a StandAlone peer', () => {
    const [, node2] = splitReadings();
    const node1 = reading('node1', 'lab-8.4-sb-proc-wfconnection-primary.txt', 'lab-8.4-get-gi-sb-node1.txt', journal('lab-8.4-sb-journal-node1.txt'), 'lab-8.4-sb-mounts-node1.txt');
    const r = analyseResource(REF, [node1, node2!]);
    expect(r.verdict).toBe('split-brain');
    expect(r.signals.map((s) => s.detail)).toContain('node1 waits for node2, which refuses to connect (StandAlone)');
  });

  it('still apart, both Primary: the data diverged before DRBD could notice', () => {
    const beforeHeal = 1796289177;
    const r = analyseResource(REF, [
      reading('node1', 'lab-8.4-sb-proc-apart-node1.txt', 'lab-8.4-get-gi-sb-node1.txt', journal('lab-8.4-sb-journal-node1.txt', beforeHeal), 'lab-8.4-sb-mounts-node1.txt'),
      reading('node2', 'lab-8.4-sb-proc-apart-node2.txt', 'lab-8.4-get-gi-apart-promoted-node2.txt', journal('lab-8.4-sb-journal-node2.txt', beforeHeal), 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    expect(r).toMatchObject({ verdict: 'split-brain', lineage: 'diverged', splitAt: 1796289103.950196, detectedAt: undefined });
    expect(r.signals.map((s) => s.kind)).toEqual(['both-primary', 'diverged-data']);
    // The repair waits for the link: DRBD must meet the split brain first.
    const plan = planRepair(r, inputs(r, 'node2', 'node1'));
    expect(plan).toMatchObject({ steps: [], refusal: { message: expect.stringMatching(/neither node is StandAlone .*still apart/) } });
  });

  it('right after the cut only node1 moved on: node2 fell behind, no split brain', () => {
    const r = analyseResource(REF, [
      reading('node1', 'lab-8.4-proc-cut-primary.txt', 'lab-8.4-get-gi-apart-node1.txt', journal('lab-8.4-sb-journal-node1.txt', 1796289110), 'lab-8.4-sb-mounts-node1.txt'),
      reading('node2', 'lab-8.4-proc-cut-secondary.txt', 'lab-8.4-get-gi-apart-node2.txt', journal('lab-8.4-sb-journal-node2.txt', 1796289110), 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    expect(r).toMatchObject({ verdict: 'apart', splitBrain: false, lineage: 'a-ahead' });
    expect(explain(r)).toEqual(['No split brain, but not connected (node1 WFConnection Primary UpToDate, node2 WFConnection Secondary UpToDate); node2 only fell behind: connecting resyncs it.']);
  });

  it('connected and after the repair: healthy', () => {
    const log = journal('lab-8.4-sb-journal-node1.txt', 1796289100);
    const connected = analyseResource(REF, [
      reading('node1', 'lab-8.4-proc-connected-primary.txt', 'lab-8.4-get-gi-connected-primary.txt', log, 'lab-8.4-sb-mounts-node1.txt'),
      reading('node2', 'lab-8.4-proc-connected-secondary.txt', 'lab-8.4-get-gi-connected-secondary.txt', log, 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    expect(connected).toMatchObject({ verdict: 'healthy', splitBrain: false, lineage: 'same', signals: [] });
    const repaired = analyseResource(REF, [
      reading('node1', 'lab-8.4-sb-proc-repaired-primary.txt', 'lab-8.4-get-gi-repaired-node1.txt', log, 'lab-8.4-sb-mounts-node1.txt'),
      reading('node2', 'lab-8.4-sb-proc-repaired-secondary.txt', 'lab-8.4-get-gi-repaired-node2.txt', log, 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    expect(repaired).toMatchObject({ verdict: 'healthy', splitBrain: false, lineage: 'same' });
    expect(explain(repaired)[0]).toBe('No split brain: connected (node1 Connected Primary UpToDate, node2 Connected Secondary UpToDate).');
  });

  it('DRBD 8.3 (runbook 001): no UUIDs read, the kernel log and the states decide', () => {
    const log83 = parseKernelLog(`== now\n1796289215\n100.0 1.0\n== dmesg\n${fx('kernel-8.3-splitbrain-runbook.txt')}`);
    const quiet = parseKernelLog('');
    const r = analyseResource(REF, [
      { node: 'node1', family: '8.3', status: parseProcDrbd(`version: 8.3.9 (api:88/proto:86-95)\n${fx('proc-8.3-wfconnection.txt')}`), lineage: {}, log: quiet, mounts: [], manager: IDLE },
      { node: 'node2', family: '8.3', status: parseProcDrbd(`version: 8.3.9 (api:88/proto:86-95)\n${fx('proc-8.3-splitbrain-standalone.txt')}`), lineage: {}, log: log83, mounts: [], manager: IDLE },
    ]);
    expect(r).toMatchObject({ verdict: 'split-brain', splitBrain: true, lineage: undefined, splitAt: undefined });
    expect(r.signals.map((s) => `${s.kind} ${s.node}`)).toEqual(['waiting-for-standalone-peer node1', 'standalone node2', 'kernel-log node2']);
  });

  it('an unreachable node: cannot tell, unless the other side says so itself', () => {
    const [node1] = splitReadings();
    const r = analyseResource(REF, [node1!, { node: 'node2', error: 'connect ECONNREFUSED 127.0.0.1:2222' }]);
    expect(r).toMatchObject({ verdict: 'split-brain', lineage: undefined });
    expect(r.sides[1]).toEqual({ node: 'node2', reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:2222' });
    const quietNode1 = { ...node1!, log: parseKernelLog('') };
    expect(analyseResource(REF, [quietNode1, { node: 'node2', error: 'down' }])).toMatchObject({ verdict: 'unknown', splitBrain: false });
  });
});

describe('explanation', () => {
  it('says who has which changes since when', () => {
    const r = split();
    r.sides[0]!.changes = { since: 1796289073, via: 'mount', total: 1, files: [{ path: 'node1-file.txt', bytes: 11, changedAt: 1796289120 }] };
    r.sides[1]!.changes = { since: 1796289077, via: 'read-only look', total: 12, files: Array.from({ length: 12 }, (_, i) => ({ path: i ? `n2dir/f${i}` : 'node2-file.txt', bytes: 1, changedAt: 1796289150 })) };
    expect(explain(r)).toEqual([
      `The nodes parted at ${clock(1796289103.950196)} and both changed the data since; DRBD refused to reconnect at ${clock(1796289177.375315)}.`,
      'node1: Primary, StandAlone; filesystem mounted at /replicated; was Primary when the nodes parted; 48 KiB changed (DRBD\'s bitmap).',
      `  1 file(s) changed since ${clock(1796289073)}: node1-file.txt`,
      `node2: Secondary, StandAlone; filesystem not mounted; became Primary at ${clock(1796289139.948302)} while apart; 80 KiB changed (DRBD's bitmap).`,
      `  12 file(s) changed since ${clock(1796289077)} (read-only look at the backing disk): node2-file.txt, n2dir/f1, n2dir/f2, n2dir/f3, n2dir/f4, n2dir/f5, n2dir/f6, n2dir/f7, n2dir/f8, n2dir/f9, and 2 more`,
      expect.stringMatching(/^Signals: node1 is StandAlone: it will not reconnect by itself; node1's kernel log: "Split-Brain detected but unresolved"; .*; the generation UUIDs show both nodes changed the data/),
      'To repair, choose whose changes to discard (they are archived first): haforge split-brain repair --victim NODE, or --policy (fewer-changes -> node1, younger-primary -> node2, not-current-primary -> node2).',
    ]);
    expect(clock(1796289103.950196)).toBe('2026-12-03 09:11:43 UTC');
  });
});

describe('victim choice', () => {
  it('by name and by each policy', () => {
    const r = split();
    expect(chooseVictim(r, { victim: 'node2' })).toEqual({ victim: 'node2', survivor: 'node1', reason: 'named with --victim' });
    expect(chooseVictim(r, { policy: 'fewer-changes' })).toEqual({ victim: 'node1', survivor: 'node2', reason: 'fewer-changes: node1 changed 48 KiB, node2 80 KiB' });
    expect(chooseVictim(r, { policy: 'younger-primary' })).toEqual({ victim: 'node2', survivor: 'node1', reason: 'younger-primary: node1 was Primary when the nodes parted, node2 was not' });
    expect(chooseVictim(r, { policy: 'not-current-primary' })).toEqual({ victim: 'node2', survivor: 'node1', reason: 'not-current-primary: node1 is Primary now' });
  });

  it('refuses when the choice is not clear, with a hint', () => {
    const r = split();
    r.sides[1]!.outOfSyncKiB = 48;
    expect(chooseVictim(r, { policy: 'fewer-changes' })).toEqual({ refusal: 'fewer-changes: both sides changed 48 KiB: no side has fewer changes', hint: expect.stringContaining('--victim NODE') });
    r.sides[1]!.role = 'Primary';
    expect(chooseVictim(r, { policy: 'not-current-primary' })).toMatchObject({ refusal: 'not-current-primary: both nodes are Primary now' });
    r.sides[1]!.primaryAtSplit = true;
    r.sides[0]!.promotedAt = undefined;
    expect(chooseVictim(r, { policy: 'younger-primary' })).toMatchObject({ refusal: expect.stringMatching(/^younger-primary: neither/) });
    expect(chooseVictim(r, { victim: 'node3' })).toMatchObject({ refusal: '--victim node3 is not a node of r0 (node1, node2)' });
    expect(chooseVictim(r, {})).toMatchObject({ refusal: 'no victim named' });
  });

  it('the guard: still split, same victim, not mounted, Secondary before the discard', () => {
    const r = split();
    expect(stillTheVictim(r, { victim: 'node2' }, { victim: 'node2', discarding: true, current: '48FEA214FE4CB809' })).toBeUndefined();
    expect(stillTheVictim(r, { victim: 'node2' }, { victim: 'node2', discarding: false, current: '48FEA214FE4CB000' })).toMatch(/node2's data moved on/);
    expect(stillTheVictim(r, { policy: 'fewer-changes' }, { victim: 'node2', discarding: false })).toBe('the victim changed: fewer-changes: node1 changed 48 KiB, node2 80 KiB (it was node2)');
    const promoted = analyseResource(REF, [
      splitReadings()[0]!,
      reading('node2', 'lab-8.4-sb-proc-standalone-promoted.txt', 'lab-8.4-get-gi-apart-promoted-node2.txt', journal('lab-8.4-sb-journal-node2.txt'), 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    expect(stillTheVictim(promoted, { victim: 'node2' }, { victim: 'node2', discarding: false })).toBeUndefined();
    expect(stillTheVictim(promoted, { victim: 'node2' }, { victim: 'node2', discarding: true })).toBe('node2 is Primary, not Secondary');
    expect(stillTheVictim(split(), { victim: 'node1' }, { victim: 'node1', discarding: false })).toBe('node1 has r0 mounted at /replicated');
    const healed = analyseResource(REF, [
      reading('node1', 'lab-8.4-sb-proc-repaired-primary.txt', 'lab-8.4-get-gi-repaired-node1.txt', parseKernelLog(''), 'lab-8.4-sb-mounts-node1.txt'),
      reading('node2', 'lab-8.4-sb-proc-repaired-secondary.txt', 'lab-8.4-get-gi-repaired-node2.txt', parseKernelLog(''), 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    expect(stillTheVictim(healed, { victim: 'node2' }, { victim: 'node2', discarding: true })).toBe('r0 is no longer in split brain (healthy)');
  });
});

function inputs(r: ResourceReport, victim: string, survivor: string, extra: Partial<RepairInputs> = {}): RepairInputs {
  return { victim, survivor, reason: 'named with --victim', wish: { victim }, families: { node1: '8.4', node2: '8.4' }, managers: { node1: IDLE, node2: IDLE }, rescue: true, rescueSince: 1796289077, rescueFile: '/tmp/rescue.tar.gz', ...extra };
}
const planOf = (plan: RepairPlan): RepairPlan => {
  if (plan.refusal) throw new Error(plan.refusal.message);
  return plan;
};
const sequence = (plan: RepairPlan) => plan.steps.map(stepLine);

describe('repair plan', () => {
  it('DRBD 8.4: rescue, the documented discard sequence, the survivor, the resync wait', () => {
    const plan = planOf(planRepair(split(), inputs(split(), 'node2', 'node1')));
    expect(plan.steps.map(stepLine)).toEqual(labRepairSequence(1796289077));
    expect(plan.steps.filter((s) => s.guard).map((s) => s.argv.join(' '))).toEqual(['drbdadm primary r0', 'drbdadm connect --discard-my-data r0']);
    expect(plan.steps.filter((s) => s.destructive).map((s) => s.argv.join(' '))).toEqual(['drbdadm connect --discard-my-data r0']);
    expect(plan.steps.find((s) => s.argv.join(' ') === 'drbdadm disconnect r0')!.accept).toEqual([{ code: 10, meaning: 'already StandAlone' }]);
    expect(plan.steps.filter((s) => s.undoes === 'rescue').map((s) => s.argv[0])).toEqual(['umount', 'rmdir', 'drbdadm']);
    expect(plan.steps.filter((s) => s.toFile).map((s) => s.toFile!.file)).toEqual(['/tmp/rescue.tar.gz']);
  });

  it('--check shows each step with its node and the exact command, one per line', () => {
    const plan = planOf(planRepair(split(), inputs(split(), 'node2', 'node1')));
    const text = renderRepair({
      inventory: 'inv.yaml',
      check: true,
      ok: true,
      durationMs: 1,
      repairs: [{ cluster: 'lab', resource: 'r0', status: 'planned', message: 'r0: discard node2', victim: 'node2', survivor: 'node1', reason: 'named with --victim', steps: plannedOutcomes(plan.steps), explanation: [] }],
    });
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'cluster lab, resource r0: planned',
      '  victim node2 (named with --victim), survivor node1',
      '   1. node2: make node2 Primary alone (StandAlone: nothing reaches node1) to read its changes [facts re-read first]',
      '      $ drbdadm primary r0',
    ]);
    expect(lines).toContain("      $ sh -c 'cd /run/haforge-rescue-r0 && find . -xdev -newerct @1796289077 \\( -type f -o -type l -o -type d \\) -print0 | tar --null --no-recursion -T - -czf -'");
    expect(lines).toContain('  10. node2: node2 reconnects discarding its own changes [facts re-read first, DESTRUCTIVE]');
    expect(lines.at(-1)).toBe('check mode: nothing was changed');
  });

  it('the discard syntax per version family: 8.3 takes the option after --', () => {
    expect(discardConnectArgv('8.3', 'r0')).toEqual(['drbdadm', '--', '--discard-my-data', 'connect', 'r0']);
    expect(discardConnectArgv('8.4', 'r0')).toEqual(['drbdadm', 'connect', '--discard-my-data', 'r0']);
    expect(discardConnectArgv('9', 'r0')).toEqual(['drbdadm', 'connect', '--discard-my-data', 'r0']);
    for (const family of ['8.3', '9'] as const) {
      const plan = planOf(planRepair(split(), inputs(split(), 'node2', 'node1', { families: { node1: family, node2: family } })));
      expect(plan.steps.find((s) => s.destructive)!.argv).toEqual(discardConnectArgv(family, 'r0'));
    }
  });

  it('--no-rescue skips the archive; a survivor already waiting is not connected again', () => {
    const [, node2] = splitReadings();
    const node1 = reading('node1', 'lab-8.4-sb-proc-wfconnection-primary.txt', 'lab-8.4-get-gi-sb-node1.txt', journal('lab-8.4-sb-journal-node1.txt'), 'lab-8.4-sb-mounts-node1.txt');
    const r = analyseResource(REF, [node1, node2!]);
    const plan = planOf(planRepair(r, inputs(r, 'node2', 'node1', { rescue: false, rescueSince: undefined })));
    expect(sequence(plan)).toEqual(['node2 drbdadm secondary r0', 'node2 drbdadm disconnect r0', 'node2 drbdadm connect --discard-my-data r0', 'node2 (wait)']);
    expect(plan.rescueSince).toBeUndefined();
  });

  it('Pacemaker is put in maintenance mode for the repair and set back as it was', () => {
    const pcmk = (maintenance: string) => parseRunningManager(`== active\nactive\ninactive\n== maintenance\n${maintenance}\n`);
    const unset = planOf(planRepair(split(), inputs(split(), 'node2', 'node1', { managers: { node1: pcmk(''), node2: pcmk('') }, rescue: false })));
    expect(sequence(unset)[0]).toBe('node1 crm_attribute --type crm_config --name maintenance-mode --update true');
    expect(sequence(unset)[1]).toBe('node2 crm_attribute --type crm_config --name maintenance-mode --update true');
    expect(sequence(unset).slice(-2)).toEqual(['node1 crm_attribute --type crm_config --name maintenance-mode --delete', 'node2 crm_attribute --type crm_config --name maintenance-mode --delete']);
    expect(unset.steps.filter((s) => s.undoes === 'hold')).toHaveLength(2);
    const wasFalse = planOf(planRepair(split(), inputs(split(), 'node2', 'node1', { managers: { node1: pcmk('false') }, rescue: false })));
    expect(sequence(wasFalse).at(-1)).toBe('node1 crm_attribute --type crm_config --name maintenance-mode --update false');
    const already = planOf(planRepair(split(), inputs(split(), 'node2', 'node1', { managers: { node1: pcmk('true') }, rescue: false })));
    expect(sequence(already).some((s) => s.includes('crm_attribute'))).toBe(false);
  });

  it('refuses what would hurt: a mounted victim, Heartbeat on a Primary victim, no split time, unknown version', () => {
    const r = split();
    expect(planRepair(r, inputs(r, 'node1', 'node2')).refusal).toMatchObject({ message: expect.stringMatching(/^node1 has r0 mounted at \/replicated/), hint: expect.stringMatching(/unmount/) });
    const promoted = analyseResource(REF, [
      splitReadings()[0]!,
      reading('node2', 'lab-8.4-sb-proc-standalone-promoted.txt', 'lab-8.4-get-gi-apart-promoted-node2.txt', journal('lab-8.4-sb-journal-node2.txt'), 'lab-8.4-sb-mounts-node2.txt'),
    ]);
    const heartbeat = parseRunningManager('== active\ninactive\nactive\n== maintenance\n');
    expect(planRepair(promoted, inputs(promoted, 'node2', 'node1', { managers: { node1: heartbeat, node2: heartbeat } })).refusal).toMatchObject({ hint: 'put node2 in standby first (hb_standby on node2), then run again' });
    expect(planRepair(r, inputs(r, 'node2', 'node1', { rescueSince: undefined })).refusal).toMatchObject({ message: expect.stringMatching(/kernel logs do not say when node2 parted/), hint: expect.stringMatching(/--since .*--no-rescue/) });
    expect(planRepair(r, inputs(r, 'node2', 'node1', { families: { node1: '8.4', node2: undefined } })).refusal).toMatchObject({ message: 'the DRBD version on node2 is unknown: cannot choose the command syntax' });
  });
});

describe('resync wait', () => {
  afterEach(() => vi.restoreAllMocks());
  const wait = () => resyncWait('r0', 0, 3600).watch!;

  it('progress while syncing, done when UpToDate on both sides', () => {
    const w = wait();
    expect(w.check(`== proc\n${fx('lab-8.4-proc-synctarget-and-status.txt')}`, 0)).toEqual({ done: false, progress: 'r0 45.4% of 256 MiB, 28.0 MiB/s, ETA 0:05' });
    expect(w.check(`== proc\n${fx('lab-8.4-sb-proc-repaired-secondary.txt')}`, 0)).toEqual({ done: true, progress: 'r0 UpToDate/UpToDate' });
  });

  it('StandAlone again is a refusal by DRBD; a peer that never connects is given up after two minutes', () => {
    expect(wait().check(`== proc\n${fx('lab-8.4-sb-proc-standalone-secondary.txt')}`, 0)).toMatchObject({ done: false, error: expect.stringMatching(/went StandAlone again/) });
    const w = wait();
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const waiting = `== proc\n${fx('lab-8.4-sb-proc-wfconnection-primary.txt')}`;
    expect(w.check(waiting, 0)).toEqual({ done: false, progress: 'r0: WFConnection, waiting for the peer' });
    now.mockReturnValue(1_000_000 + 121_000);
    expect(w.check(waiting, 0)).toMatchObject({ error: 'r0 did not connect within 120 s (WFConnection)' });
  });
});
