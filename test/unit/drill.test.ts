// The drill's pure pieces: who fails and who survives, the scripts it runs
// on the nodes, run here for real (sh, find, sort, sha256sum, dd, bash's
// /dev/tcp: the same Debian tools as on the nodes), the write probe's
// verdict and the failover timeline read from a survivor's journal captured
// in the lab.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterStatus } from '../../src/cluster/status.js';
import { parseChecksums, planDrill, recordScript, verifyScript, verifySections } from '../../src/procedures/drill.js';
import { judgeProbe, PROBE_EXIT, PROBE_FILE, probeScript, type ProbeAck } from '../../src/procedures/write-probe.js';
import { clockOffset, failoverTimeline, recoveryMs, type TimelineEvent } from '../../src/procedures/timeline.js';
import { servesScript } from '../../src/procedures/moves.js';
import { withListeningPort } from '../support/listening-port.js';
import { cluster, read } from '../support/status-readings.js';

const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function volume(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hf-drill-'));
  dirs.push(d);
  mkdirSync(path.join(d, 'var/www/html'), { recursive: true });
  writeFileSync(path.join(d, 'var/www/html/index.html'), 'page\n');
  writeFileSync(path.join(d, 'name with space'), 'x');
  return d;
}

const DRILL = {
  cluster: cluster('pacemaker'),
  timeoutSeconds: 600,
  quiescent: [],
  fail: { description: 'stop the cluster stack', argv: ['systemctl', 'stop', 'pacemaker', 'corosync'] },
  restore: { description: 'start the cluster stack', argv: ['systemctl', 'start', 'corosync', 'pacemaker'] },
};

describe('drill plan', () => {
  it('a hang is drilled only on a cluster that fences: the survivor must fence the hung node before it takes the data over', () => {
    const onNode1 = (spec: ReturnType<typeof cluster>, crmMon: string) =>
      clusterStatus(spec, [
        read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon }),
        read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon }),
      ]);
    const local = async () => undefined;
    const hang = { ...DRILL, needsFencing: true, fail: { description: 'hang', local }, restore: { description: 'run on', local } };
    const unfenced = planDrill(onNode1(cluster('pacemaker'), 'lab-crm-mon-running.xml'), hang);
    expect(unfenced.steps).toEqual([]);
    expect(unfenced.refusal?.message).toBe('cluster lab has no fencing (disabled by the inventory): a hung primary cannot be taken over safely');
    const sbd = cluster('pacemaker', { fencing: { sbd: { devices: ['/dev/disk/by-id/virtio-haforge-sbd'] } } });
    // The inventory fences, but Pacemaker was left with stonith-enabled=false (the capture of a cluster without fencing).
    expect(planDrill(onNode1(sbd, 'lab-crm-mon-running.xml'), hang).refusal?.message).toBe('Pacemaker of cluster lab has stonith-enabled=false: a hung primary cannot be taken over safely');
    const fenced = planDrill(onNode1(sbd, 'lab-crm-mon-fence-history.xml'), hang);
    expect(fenced.refusal).toBeUndefined();
    expect(fenced.steps.filter((s) => s.local).map((s) => [s.phase, s.power])).toEqual([['fail', 'off'], ['restore', 'on']]);
    // The other methods do not ask for fencing.
    expect(planDrill(onNode1(cluster('pacemaker'), 'lab-crm-mon-running.xml'), DRILL).refusal).toBeUndefined();
  });

  it('fails the primary, the online standby survives', () => {
    const healthy = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-connected-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-connected-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
    ]);
    const plan = planDrill(healthy, DRILL);
    expect(plan).toMatchObject({ cluster: 'lab', primary: 'node1', survivor: 'node2' });
    // Record on the primary, fail it, wait on the survivor, verify there, bring the primary back (also after a failed wait), wait for it and the resync.
    expect(plan.steps.map((s) => `${s.phase} ${s.node ?? '-'}`)).toEqual(['record node1', 'fail node1', 'failover node2', 'verify node2', 'restore node1', 'rejoin -', 'resync -']);
    // With the write probe: started after the record, stopped once the services answer, also when that wait gave up.
    const probe = { mount: '/replicated', start: async () => undefined, stop: async () => undefined };
    const probed = planDrill(healthy, { ...DRILL, probe });
    expect(probed.steps.map((s) => `${s.phase} ${s.node ?? '-'}`)).toEqual(['record node1', 'probe node1', 'fail node1', 'failover node2', 'probe-stop node2', 'verify node2', 'restore node1', 'rejoin -', 'resync -']);
    expect(probed.steps.find((s) => s.phase === 'probe-stop')).toMatchObject({ undoes: 'probe', local: probe.stop });
    expect(plan.steps.find((s) => s.phase === 'restore')).toMatchObject({ undoes: 'fail', argv: ['systemctl', 'start', 'corosync', 'pacemaker'] });
    // A power switch acts on this workstation and tells the run the node is off, then on.
    const local = async () => undefined;
    const powered = planDrill(healthy, { ...DRILL, fail: { description: 'power off', local }, restore: { description: 'power on', local } });
    expect(powered.steps.filter((s) => s.local).map((s) => [s.phase, s.power])).toEqual([['fail', 'off'], ['restore', 'on']]);
  });

  it('refuses a cluster that could not survive: DRBD not in sync, or no standby', () => {
    const degraded = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-running.xml' }),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-secondary.txt', crmMon: 'lab-crm-mon-running.xml' }),
    ]);
    expect(planDrill(degraded, DRILL)).toMatchObject({ steps: [], refusal: { message: expect.stringMatching(/DRBD r0 is not in sync \(node1: WFConnection UpToDate\/DUnknown\)/) } });
    const alone = clusterStatus(cluster('pacemaker'), [
      read('node1', 'pacemaker', 'node1: cannot connect'),
      read('node2', 'pacemaker', { proc: 'lab-8.4-proc-cut-primary.txt', mounted: true, vip: true, crmMon: 'lab-crm-mon-after-failover.xml' }),
    ]);
    expect(planDrill(alone, DRILL).refusal!.message).toMatch(/no other node of cluster lab is an online member: a failure of node2 would stop the services/);
  });
});

describe('drill scripts', () => {
  it('checksums the quiescent paths: equal data, equal sum; any change shows; the record empties the probe file', () => {
    const a = volume();
    const b = volume();
    writeFileSync(path.join(a, PROBE_FILE), 'old drill\n');
    const [sumA] = parseChecksums(run(recordScript([path.join(a, 'var')], a)));
    expect(readFileSync(path.join(a, PROBE_FILE), 'utf8')).toBe('');
    const [sumB] = parseChecksums(run(recordScript([path.join(b, 'var')])));
    expect(sumA).toMatchObject({ path: path.join(a, 'var'), files: 1 });
    expect(sumA!.sha256).toBe(sumB!.sha256);
    // The survivor's read: clock, the same sum, the probe's file, the log (whatever journalctl gives here).
    writeFileSync(path.join(a, PROBE_FILE), 'p1 node1.1 1\n');
    const sections = verifySections(run(verifyScript([path.join(a, 'var')], a, 60)));
    expect(parseChecksums(sections.checksums)[0]!.sha256).toBe(sumA!.sha256);
    expect(sections.probe).toBe('p1 node1.1 1\n');
    expect(clockOffset(sections.clock, Date.now())).toBeLessThan(1000);
    writeFileSync(path.join(b, 'var/www/html/index.html'), 'other\n');
    expect(parseChecksums(run(recordScript([path.join(b, 'var')])))[0]!.sha256).not.toBe(sumA!.sha256);
    // Nothing to record: the script still runs.
    expect(run(recordScript([]))).toBe('');
  });

  it('ignores lines that are not checksums', () => {
    expect(parseChecksums('find: ‘/x’: Permission denied\n/replicated 2 ' + 'a'.repeat(64) + '\n')).toEqual([{ path: '/replicated', files: 2, sha256: 'a'.repeat(64) }]);
  });

  it('serves: a TCP connect to every service port on the VIP', () =>
    withListeningPort((port) => {
      const spec = cluster('pacemaker', { vip: { address: '127.0.0.1', cidr_netmask: 8, nic: 'lo' }, services: { web: { unit: 'lighttpd', port } } });
      expect(() => run(servesScript(spec)!)).not.toThrow();
      const closed = cluster('pacemaker', { vip: { address: '127.0.0.1', cidr_netmask: 8, nic: 'lo' }, services: { web: { unit: 'lighttpd', port }, db: { unit: 'mariadb', port: 1 } } });
      expect(() => run(servesScript(closed)!)).toThrow();
      expect(servesScript(cluster('pacemaker', { services: { web: { unit: 'lighttpd' } } }))).toBeUndefined();
    }));
});

/**
 * The probe script, run here: `mountpoint` is a stand-in on PATH (this
 * suite has no filesystem to mount); sh, dd's fsync and the stop flag are
 * real. The stop flag lives in /run on a node; here it is moved into the
 * test's directory.
 */
describe('write probe script', () => {
  function probeRun(mounted: boolean, stopAfterMs: number) {
    const dir = volume();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'mountpoint'), `#!/bin/sh\nexit ${mounted ? 0 : 1}\n`);
    chmodSync(path.join(bin, 'mountpoint'), 0o755);
    const argv = probeScript(dir, 'p1', 'node1.1', 0.01);
    const stop = path.join(dir, 'stop');
    argv[7] = stop;
    const script = `(sleep ${stopAfterMs / 1000}; touch ${stop}) & exec "$@"`;
    const r = spawnSync('sh', ['-c', script, 'x', ...argv], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const file = path.join(dir, PROBE_FILE);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, file: existsSync(file) ? readFileSync(file, 'utf8') : undefined };
  }

  it('appends numbered records and acknowledges each after its fsync, until the stop flag', () => {
    const r = probeRun(true, 300);
    expect(r.code).toBe(PROBE_EXIT.stopped);
    const acks = r.stdout.trim().split('\n');
    expect(acks.length).toBeGreaterThan(2);
    expect(acks).toEqual(acks.map((_, i) => `ack ${i + 1}`));
    // Every acknowledged record is in the file, in order (one more may have been written after the last ack was printed).
    expect(r.file!.split('\n').slice(0, acks.length)).toEqual(acks.map((_, i) => `p1 node1.1 ${i + 1}`));
  });

  it('writes nothing where the volume is not mounted: no record lands in the directory beneath the mount point', () => {
    const r = probeRun(false, 100);
    expect(r.code).toBe(PROBE_EXIT.notMounted);
    expect(r.stdout).toBe('');
    expect(r.file).toBeUndefined();
  });
});

describe('write probe verdict', () => {
  const ack = (session: string, seq: number, at: number): ProbeAck => ({ session, node: session.split('.')[0]!, seq, at });
  const acks = [ack('node1.1', 1, 1000), ack('node1.1', 2, 1100), ack('node2.3', 1, 9000), ack('node2.3', 2, 9100)];

  it('every acknowledged record on the survivor: RPO 0; records in flight do not count against it', () => {
    const file = ['p1 node1.1 1', 'p1 node1.1 2', 'p1 node1.1 3', 'p1 node2.3 1', 'p1 node2.3 2', 'p0 node1.1 9', ''].join('\n');
    expect(judgeProbe(acks, file, 'p1', 'node1')).toEqual({ acknowledged: 4, lost: [], unacknowledged: 1, writers: ['node1', 'node2'], lastBeforeFailure: 1100, firstAfterFailure: 9000 });
  });

  it('an acknowledged record missing on the survivor is lost; another drill\'s records do not stand in for it', () => {
    const file = ['p1 node1.1 1', 'p0 node1.1 2', 'p1 node2.3 1', 'p1 node2.3 2'].join('\n');
    expect(judgeProbe(acks, file, 'p1', 'node1').lost).toEqual([ack('node1.1', 2, 1100)]);
    expect(judgeProbe(acks, '', 'p1', 'node1').lost).toHaveLength(4);
  });
});

describe('failover timeline', () => {
  it('RTO: a service with no port counts from its start in the log when that came after the watch\'s last look', () => {
    const event = (stage: TimelineEvent['stage'], atMs: number) => ({ stage, atMs, what: stage, line: '' });
    expect(recoveryMs(38_000, [event('vip', 35_900), event('service', 37_800), event('service', 52_200)])).toBe(52_200);
    expect(recoveryMs(38_000, [event('vip', 35_900), event('service', 37_800)])).toBe(38_000);
    expect(recoveryMs(38_000, undefined)).toBe(38_000);
  });

  // Captured in the lab: node2's journal (journalctl -o short-unix) after node1's VM was killed
  // (drill --method lab), Pacemaker with SBD fencing, DRBD 8.4, lighttpd.
  const log = readFileSync(path.join(__dirname, '../fixtures/drill/pacemaker-power-off-survivor-journal.txt'), 'utf8');
  const spec = cluster('pacemaker', { services: { web: { unit: 'lighttpd' } } });
  const ctx = { stack: 'pacemaker' as const, failed: 'node1', survivor: 'node2', vip: '10.99.0.100', services: spec.services, failedAt: 1796551827_000, clockOffsetMs: 0 };

  it('reads each stage of a Pacemaker failover from the survivor\'s log, in order, timed from the failure', () => {
    const events = failoverTimeline(log, ctx);
    expect(events.map((e) => `${(e.atMs / 1000).toFixed(1)} ${e.stage}: ${e.what}`)).toEqual([
      '2.4 detected: node2 noticed node1 was silent (Corosync token lost)',
      '6.8 membership: node1 left the membership',
      '8.6 fencing: fencing (reboot) of node1 requested',
      '31.6 fenced: node1 fenced (reboot) by node2',
      '34.3 promoted: DRBD promoted (drbd0)',
      '35.9 mounted: filesystem on drbd0 mounted',
      '36.6 vip: VIP 10.99.0.100 up',
      '38.5 service: web started',
    ]);
  });

  it('places the node\'s clock on this workstation\'s, and ignores what happened before the failure', () => {
    // The node's clock 5 s ahead: the same events, the same times after the failure.
    const shifted = log.replace(/^(\d+)\./gm, (_, s: string) => `${Number(s) + 5}.`);
    expect(failoverTimeline(shifted, { ...ctx, clockOffsetMs: 5000 }).map((e) => e.atMs)).toEqual(failoverTimeline(log, ctx).map((e) => e.atMs));
    expect(failoverTimeline(log, { ...ctx, failedAt: 1796551870_000 })).toEqual([]);
    expect(clockOffset('1796551827.250000000\n', 1796551827_000)).toBe(250);
    expect(clockOffset('', 1)).toBeUndefined();
  });

  it('reads a Heartbeat takeover without DRBD: the node declared dead, the VIP, the service (haresources order)', () => {
    // Captured in the lab: node1's journal after node2's VM was killed (drill --method lab), Heartbeat v1 with
    // ucast and a ping node, no DRBD, lighttpd (runbook 003's cluster).
    const hb = readFileSync(path.join(__dirname, '../fixtures/drill/heartbeat-no-drbd-power-off-survivor-journal.txt'), 'utf8');
    const hbSpec = cluster('heartbeat', { services: { web: { unit: 'lighttpd' } } });
    const events = failoverTimeline(hb, { stack: 'heartbeat', failed: 'node2', survivor: 'node1', vip: '10.99.0.100', services: hbSpec.services, failedAt: 1796552680_000, clockOffsetMs: 0 });
    expect(events.map((e) => `${(e.atMs / 1000).toFixed(1)} ${e.stage}: ${e.what}`)).toEqual([
      '4.7 membership: Heartbeat declared node2 dead',
      '7.3 vip: VIP 10.99.0.100 up',
      '7.8 service: web started',
    ]);
  });
});
