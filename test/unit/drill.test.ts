// The drill's pure pieces: who fails and who survives, and the scripts it
// runs on the nodes, run here for real (sh, find, sort, sha256sum, bash's
// /dev/tcp: the same Debian tools as on the nodes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterStatus } from '../../src/cluster/status.js';
import { checksumScript, MARKER, parseChecksums, planDrill } from '../../src/procedures/drill.js';
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
  marker: 'drill 1',
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
    expect(plan).toMatchObject({ cluster: 'lab', primary: 'node1', survivor: 'node2', mounts: ['/replicated'] });
    // Record on the primary, fail it, wait on the survivor, verify there, bring the primary back (also after a failed wait), wait for it and the resync.
    expect(plan.steps.map((s) => `${s.phase} ${s.node ?? '-'}`)).toEqual(['record node1', 'fail node1', 'failover node2', 'verify node2', 'restore node1', 'rejoin -', 'resync -']);
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
  it('the checksum covers every file and the marker: equal data, equal sum; any change shows', () => {
    const a = volume();
    const b = volume();
    const [sumA] = parseChecksums(run(checksumScript([a], 'drill 1')));
    const [sumB] = parseChecksums(run(checksumScript([b], 'drill 1')));
    expect(sumA).toMatchObject({ mount: a, files: 3 });
    expect(sumA!.sha256).toBe(sumB!.sha256);
    expect(run(['cat', path.join(a, MARKER)])).toBe('drill 1\n');
    // Verifying reads only: the sum stays.
    expect(parseChecksums(run(checksumScript([a])))[0]!.sha256).toBe(sumA!.sha256);
    writeFileSync(path.join(b, 'var/www/html/index.html'), 'other\n');
    expect(parseChecksums(run(checksumScript([b])))[0]!.sha256).not.toBe(sumA!.sha256);
    expect(parseChecksums(run(checksumScript([a], 'drill 2')))[0]!.sha256).not.toBe(sumA!.sha256);
  });

  it('ignores lines that are not checksums', () => {
    expect(parseChecksums('find: ‘/x’: Permission denied\n/replicated 2 ' + 'a'.repeat(64) + '\n')).toEqual([{ mount: '/replicated', files: 2, sha256: 'a'.repeat(64) }]);
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
