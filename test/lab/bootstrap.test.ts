// `haforge bootstrap` on real VMs, the one-shot path: preflight, DRBD, the
// cluster manager and its monitor, and the final check that the web server
// answers on the VIP; then a second bootstrap that changes nothing. The
// stack-specific behaviour (failover, monitors) is tested in
// heartbeat.test.ts and pacemaker.test.ts; this file proves the command.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, runCli, warnLabSkipped } from './cli.js';
import { openLab, type LabSession } from './session.js';

const skip = labUnavailableReason();
if (skip) warnLabSkipped(skip);

const MIN = 60_000;

describe.skipIf(skip).each(['heartbeat', 'pacemaker'] as const)('haforge bootstrap in the lab (real VMs, stack %s)', (stack) => {
  const NAME = `bs-${stack.slice(0, 2)}-${process.pid}`;
  let s: LabSession;
  let inventory: string;
  const timings: Record<string, number> = {};
  const bootstrap = async () => {
    const auditFile = path.join(s.stateRoot, `audit-${Date.now()}.jsonl`);
    // --stack overrides the inventory's choice (the lab writes pacemaker).
    const ran = await runCli(['bootstrap', '-i', inventory, '--stack', stack, '--yes', '--json', '--audit-log', auditFile], s.env, 20 * MIN);
    const audit = (await fs.readFile(auditFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    let report: any;
    try {
      report = JSON.parse(ran.stdout);
    } catch {
      throw new Error(`bootstrap printed no JSON (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    }
    return { ran, report, audit };
  };

  beforeAll(async () => {
    s = await openLab(NAME, 'hfbs-');
    const inv = parse(await fs.readFile(s.status.inventory, 'utf8'));
    Object.assign(inv.clusters.lab, { heartbeat: { keepalive: 1, warntime: 3, deadtime: 6, initdead: 12 } });
    inventory = path.join(s.stateRoot, 'bootstrap.yaml');
    await fs.writeFile(inventory, stringify(inv));
  }, 10 * MIN);

  afterAll(async () => {
    console.info(`bootstrap lab timings, ${stack} (s): ${JSON.stringify(timings)}`);
    await s?.close();
  }, 2 * MIN);

  it('takes bare VMs to a VIP that serves the web server from the replicated volume', async () => {
    const { ran, report } = await bootstrap();
    timings.first = ran.ms / 1000;
    const failed = (report.run?.results ?? []).filter((r: any) => r.status === 'failed');
    expect(report.ok, JSON.stringify({ failed, preflight: report.preflight?.checks?.filter((c: any) => c.status === 'fail') }, null, 2)).toBe(true);
    // Fencing is off in the lab, said explicitly: preflight warns, never fails.
    expect(report.preflight.checks.filter((c: any) => c.check === 'fencing').map((c: any) => c.status)).toEqual(['warn', 'warn']);
    const waited = report.run.results.filter((r: any) => r.task === 'wait for 10.99.0.100:80');
    expect(waited.map((r: any) => r.status)).toEqual(['ok', 'ok']);
    await s.ssh('node1', 'echo "bootstrapped by haforge" > /replicated/var/www/html/index.html');
    expect(await s.ssh('node2', 'curl -s -m 5 http://10.99.0.100/')).toBe('bootstrapped by haforge\n');
    const manager = stack === 'heartbeat' ? 'heartbeat' : 'pacemaker';
    for (const node of ['node1', 'node2']) expect(await s.ssh(node, `systemctl is-enabled ${manager}; systemctl is-enabled lighttpd || true`)).toBe('enabled\ndisabled\n');
  }, 25 * MIN);

  it('a second bootstrap changes nothing', async () => {
    const { ran, report, audit } = await bootstrap();
    timings.second = ran.ms / 1000;
    expect(report.ok).toBe(true);
    expect(report.run.results.filter((r: any) => r.status !== 'ok').map((r: any) => `${r.host} ${r.task}: ${r.msg}`)).toEqual([]);
    expect(audit.filter((r) => r.kind === 'change')).toEqual([]);
  }, 10 * MIN);
});
