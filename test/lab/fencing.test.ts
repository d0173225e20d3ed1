// Fencing that fires, on real VMs: a Pacemaker cluster bootstrapped with the
// lab's default, SBD on the disk every VM shares and a watchdog in each VM.
// Proven against the failures fencing exists for: a node that hangs (its VM
// stopped, alive but silent, in the middle of a stream of fsync'd writes) is
// fenced and its services taken over; when it runs on, it resets itself
// before it writes anything (no split brain, though its writes were in
// flight); a cut link leaves exactly one node with the services and no split
// brain; every acknowledged write survives; `drill --method hang` does the
// hang end to end and names the fencing in its report.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCli, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;
const NAME = `fence-${process.pid}`;

/** Run on the survivor: seconds until the VIP is its own and the web server answers there (at most `limit`). */
/** Appends numbered lines to a file on the volume, each fsync'd; prints `ack N` once line N is on stable storage (both disks, protocol C). */
const WRITER = `i=0; while :; do printf 'w %d\\n' $i >> /replicated/writer && sync /replicated/writer && echo "ack $i"; i=$((i+1)); sleep 0.2; done`;

const servedScript = (limit: number) => `s=$(date +%s%N)
for i in $(seq 1 ${limit * 2}); do
  if ip -o addr | grep -q " 10.99.0.100/" && curl -s -m 1 -o /dev/null http://10.99.0.100/; then echo $(( ($(date +%s%N) - s) / 1000000 )); exit 0; fi
  sleep 0.5
done; exit 1`;

describe.skipIf(skip)('fencing in the lab (real VMs, SBD and a watchdog)', () => {
  let s: LabSession;
  const timings: Record<string, number> = {};
  const haforge = (...args: string[]) => runCli([...args, '-i', s.status.inventory], s.env, 15 * MIN);
  const json = async (...args: string[]) => {
    const ran = await haforge(...args, '--json');
    try {
      return { ran, json: JSON.parse(ran.stdout) };
    } catch {
      throw new Error(`haforge ${args.join(' ')} printed no JSON (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    }
  };
  const status = async () => (await json('status')).json.clusters[0];
  /** Waits until `done(status)` holds (status read every few seconds), up to `minutes`. */
  const until = async (what: string, done: (c: any) => boolean, minutes = 5) => {
    const end = Date.now() + minutes * MIN;
    let last: any;
    while (Date.now() < end) {
      last = await status().catch(() => undefined);
      if (last && done(last)) return last;
      await new Promise((r) => setTimeout(r, 3000));
    }
    throw new Error(`${what}: not within ${minutes} min; last status: ${JSON.stringify(last?.warnings ?? last)}`);
  };
  const healthyOn = (primary: string) => (c: any) => c.healthy && c.primary === primary;
  /** Appends a numbered, fsync'd record on the volume through the primary; the records are what was acknowledged. */
  const acknowledged: string[] = [];
  const write = async (node: string, tag: string) => {
    const record = `${tag} ${acknowledged.length}`;
    await s.ssh(node, `printf '%s\\n' '${record}' >> /replicated/records && sync /replicated/records`);
    acknowledged.push(record);
  };
  const uptime = async (node: string) => Number((await s.ssh(node, 'cut -d" " -f1 /proc/uptime')).trim());

  beforeAll(async () => {
    s = await openLab(NAME, 'hffence-');
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`fencing lab timings (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('bootstraps with SBD fencing on by default: the header, sbd on every node, STONITH in Pacemaker, DRBD fencing', async () => {
    const ran = await haforge('bootstrap', '--yes', '--json');
    const report = JSON.parse(ran.stdout);
    expect(report.ok, JSON.stringify((report.run?.results ?? []).filter((r: any) => r.status === 'failed'))).toBe(true);
    const checks = report.preflight.checks.filter((c: any) => ['fencing', 'watchdog', 'sbd disk'].includes(c.check)).map((c: any) => `${c.node} ${c.check} ${c.status}`);
    expect(checks).toEqual(['node1 fencing ok', 'node1 watchdog ok', 'node1 sbd disk ok', 'node2 fencing ok', 'node2 watchdog ok', 'node2 sbd disk ok']);
    for (const node of ['node1', 'node2']) expect(await s.ssh(node, 'systemctl is-active sbd; grep -c "fencing resource-and-stonith" /etc/drbd.d/global_common.conf')).toBe('active\n1\n');
    const c = await status();
    expect(c).toMatchObject({ healthy: true, primary: 'node1', fencing: { stonithEnabled: true } });
    expect(c.warnings).toEqual([]);
    // Fencing health as status shows it: sbd running, the watchdog armed with the inventory's timeout, every slot clear.
    expect(c.fencing.sbd.map((n: any) => `${n.node} ${n.sbd} ${n.watchdog.state} ${n.watchdog.timeout} ${n.slots.map((x: any) => x.message).join(',')}`)).toEqual(['node1 active active 5 clear', 'node2 active active 5 clear']);
    await write('node1', 'before');
  }, 25 * MIN);

  it('fence --test: a test message through each node\'s slot, nobody fenced', async () => {
    const before = await Promise.all(['node1', 'node2'].map(uptime));
    const { ran, json: r } = await json('fence', '--test');
    expect(ran.code, ran.stderr).toBe(0);
    expect(r.steps.map((x: any) => `${x.node} ${x.status}`)).toEqual(['node2 ok', 'node2 ok', 'node1 ok', 'node1 ok']);
    const after = await Promise.all(['node1', 'node2'].map(uptime));
    after.forEach((u, i) => expect(u).toBeGreaterThan(before[i]!));
  }, 5 * MIN);

  it('a hung primary is fenced and its services taken over; run on, it resets itself before it writes anything', async () => {
    // Writes stream on node1 through the hang: I/O is in flight when it runs on.
    const writer = s.sshRaw('node1', WRITER, 2 * MIN);
    expect(await s.ssh('node1', 'for i in $(seq 1 50); do grep -q "^w 3$" /replicated/writer 2>/dev/null && echo writing && exit 0; sleep 0.2; done; echo not writing')).toBe('writing\n');
    const watch = s.sshRaw('node2', servedScript(120));
    await new Promise((r) => setTimeout(r, 500));
    expect((await s.lab('hang', 'node1')).code).toBe(0);
    const served = await watch;
    expect(served.code, served.stderr).toBe(0);
    timings.hangToServed = Number(served.stdout.trim()) / 1000;
    expect(timings.hangToServed).toBeLessThan(60);
    await write('node2', 'after-hang');
    const history = await s.ssh('node2', 'stonith_admin --history node1');
    expect(history).toMatch(/reboot of node1 successful: delegate=node2/);
    // Run on: its sbd finds the poison pill and resets it at once (the guest's own log says so).
    const bootBefore = await s.ssh('node1', 'true').then(
      () => 'answered while hung',
      () => 'silent',
    );
    expect(bootBefore).toBe('silent');
    expect((await s.lab('resume', 'node1')).code).toBe(0);
    const back = await until('node1 rebooted and a member again, DRBD in sync, the services still on node2', healthyOn('node2'), 6);
    expect(back.nodes.map((n: any) => `${n.name} ${n.membership}`)).toEqual(['node1 online', 'node2 online']);
    expect(await uptime('node1')).toBeLessThan(300);
    expect(back.fencing.history[0]).toMatchObject({ action: 'reboot', target: 'node1', status: 'success', delegate: 'node2' });
    expect(back.fencing.sbd.map((n: any) => `${n.node} ${n.sbd} ${n.slots[0].message}`)).toEqual(['node1 active clear', 'node2 active clear']);
    // Who reset it: haforge's fence-peer handler says so on the console; otherwise sbd (or its watchdog) did.
    const console1 = await readFile(path.join(s.status.stateDir, 'node1.serial.log'), 'utf8');
    timings.resetByFencePeerHandler = /haforge drbd-fence-peer: a 'reset' message waits in node1's SBD slot/.test(console1) ? 1 : 0;
    // No split brain, every acknowledged record is there, and so is every line the writer saw acknowledged.
    expect((await json('split-brain')).json.splitBrain).toBe(false);
    expect((await s.ssh('node2', 'cat /replicated/records')).trim().split('\n')).toEqual(acknowledged);
    const acked = [...(await writer).stdout.matchAll(/^ack (\d+)$/gm)].map((m) => `w ${m[1]}`);
    timings.writerAcked = acked.length;
    expect(acked.length).toBeGreaterThan(0);
    const onVolume = new Set((await s.ssh('node2', 'cat /replicated/writer')).split('\n'));
    expect(acked.filter((line) => !onVolume.has(line))).toEqual([]);
  }, 15 * MIN);

  it('a cut link: exactly one node keeps the services, the other is fenced, no split brain', async () => {
    // The services run on node2 now: it wins the fence race (priority-fencing-delay), node1 is reset.
    const before = await uptime('node2');
    expect((await s.lab('cut', 'node1', 'node2')).code).toBe(0);
    const watch = await s.sshRaw('node2', `${servedScript(60)}; sleep 30; ip -o addr | grep -c " 10.99.0.100/"`);
    expect(watch.code, watch.stderr).toBe(0);
    // node1 reset by its poison pill: it answers again only after a reboot.
    const node1Rebooted = async () => (await s.sshRaw('node1', 'cut -d" " -f1 /proc/uptime')).stdout;
    const end = Date.now() + 4 * MIN;
    let up = Infinity;
    while (Date.now() < end && !(up < 240)) {
      up = Number((await node1Rebooted()).trim() || Infinity);
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(up).toBeLessThan(240);
    expect(await uptime('node2')).toBeGreaterThan(before);
    await write('node2', 'after-cut');
    expect((await s.lab('heal')).code).toBe(0);
    const back = await until('node1 a member again after the heal, DRBD in sync, the services on node2', healthyOn('node2'), 8);
    expect(back.vip.holders).toEqual(['node2']);
    expect((await json('split-brain')).json.splitBrain).toBe(false);
    expect((await s.ssh('node2', 'cat /replicated/records')).trim().split('\n')).toEqual(acknowledged);
  }, 15 * MIN);

  it('drill --method hang: the primary hangs, is fenced and taken over, runs on and rejoins; the report names the fencing', async () => {
    const { ran, json: r } = await json('drill', '--method', 'hang', '--lab', NAME, '--yes');
    expect(ran.code, ran.stderr).toBe(0);
    expect(r).toMatchObject({ status: 'passed', method: 'hang', primary: 'node2', survivor: 'node1', dataIntact: true, finalPrimary: 'node1' });
    expect(r.fencing).toContainEqual(expect.objectContaining({ action: 'reboot', target: 'node2', status: 'success', delegate: 'node1' }));
    // The hung primary's writes stop with it; none it acknowledged is lost, and the survivor writes only after it fenced node2.
    expect(r.probe).toMatchObject({ lost: 0, writers: ['node2', 'node1'] });
    const fenced = r.timeline.find((e: any) => e.stage === 'fenced');
    expect(fenced.atMs).toBeLessThan(r.writesBackMs);
    timings.drillHangFailover = r.failoverMs / 1000;
    timings.drillHangResync = r.resyncMs / 1000;
    expect(r.failoverMs).toBeLessThan(60_000);
    expect((await json('split-brain')).json.splitBrain).toBe(false);
  }, 15 * MIN);
});
