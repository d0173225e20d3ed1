import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSync, drbdStatusFact, parseDrbdsetupStatusJson, parseProcDrbd } from '../../src/drbd/status.js';

const fixture = (name: string) => readFileSync(path.join(__dirname, '../fixtures/drbd', name), 'utf8');

describe('/proc/drbd', () => {
  it('8.3: both Inconsistent after create-md and up', () => {
    expect(parseProcDrbd(fixture('proc-8.3-inconsistent.txt'))).toEqual({
      version: '8.3.9',
      api: '88',
      proto: '86-95',
      devices: [
        { minor: 0, connection: 'Connected', replication: 'Established', role: 'Secondary', peerRole: 'Secondary', disk: 'Inconsistent', peerDisk: 'Inconsistent', protocol: 'C', outOfSyncKiB: 78148320 },
      ],
    });
  });

  it('8.3: initial sync in progress, sizes in MiB', () => {
    const [dev] = parseProcDrbd(fixture('proc-8.3-syncsource.txt')).devices;
    expect(dev).toMatchObject({ connection: 'Connected', replication: 'SyncSource', role: 'Primary', disk: 'UpToDate', peerDisk: 'Inconsistent' });
    expect(dev!.sync).toEqual({ percent: 11, remainingKiB: 67952 * 1024, totalKiB: 76316 * 1024, etaSeconds: 1 * 3600 + 39 * 60 + 35, speedKiBs: 11640 });
  });

  it('8.3: sync target with a "want" rate, sizes in KiB', () => {
    const [dev] = parseProcDrbd(fixture('proc-8.3-synctarget-want.txt')).devices;
    expect(dev).toMatchObject({ replication: 'SyncTarget', role: 'Secondary', peerRole: 'Primary', disk: 'Inconsistent' });
    expect(dev!.sync).toEqual({ percent: 22.6, remainingKiB: 493440, totalKiB: 633896, etaSeconds: 45, speedKiBs: 10804 });
  });

  it('8.3: split brain seen as StandAlone on one side, WFConnection on the other', () => {
    const [sa] = parseProcDrbd(fixture('proc-8.3-splitbrain-standalone.txt')).devices;
    expect(sa).toMatchObject({ connection: 'StandAlone', replication: undefined, role: 'Secondary', peerRole: 'Unknown', disk: 'UpToDate', peerDisk: 'DUnknown', outOfSyncKiB: 53388 });
    const [wf] = parseProcDrbd(fixture('proc-8.3-wfconnection.txt')).devices;
    expect(wf).toMatchObject({ connection: 'WFConnection', role: 'Primary', peerDisk: 'DUnknown', outOfSyncKiB: 633896 });
  });

  it('8.0: st: instead of ro:', () => {
    const [dev] = parseProcDrbd(fixture('proc-8.0-syncsource.txt')).devices;
    expect(dev).toMatchObject({ replication: 'SyncSource', role: 'Primary', peerRole: 'Secondary', peerDisk: 'Inconsistent' });
    expect(dev!.sync).toMatchObject({ percent: 2.3, etaSeconds: 283, speedKiBs: 10836 });
  });

  it('empty and module-less output', () => {
    expect(parseProcDrbd('')).toEqual({ devices: [] });
    expect(parseProcDrbd('cat: /proc/drbd: No such file or directory\n')).toEqual({ devices: [] });
  });

  it('8.4 in the lab: connected, and syncing on both sides', () => {
    const primary = parseProcDrbd(fixture('lab-8.4-proc-connected-primary.txt'));
    expect(primary.version).toBe('8.4.11');
    expect(primary.devices[0]).toMatchObject({ minor: 0, connection: 'Connected', replication: 'Established', role: 'Primary', peerRole: 'Secondary', disk: 'UpToDate', peerDisk: 'UpToDate', outOfSyncKiB: 0 });
    expect(parseProcDrbd(fixture('lab-8.4-proc-connected-secondary.txt')).devices[0]).toMatchObject({ role: 'Secondary', peerRole: 'Primary' });
    const source = parseProcDrbd(fixture('lab-8.4-proc-syncsource.txt')).devices[0]!;
    expect(source).toMatchObject({ replication: 'SyncSource', disk: 'UpToDate', peerDisk: 'Inconsistent', outOfSyncKiB: 210900 });
    expect(source.sync).toEqual({ percent: 20.4, remainingKiB: 210900, totalKiB: 262100, etaSeconds: 8, speedKiBs: 25600 });
    expect(describeSync('r0', source.sync!)).toBe('r0 20.4% of 256 MiB, 25.0 MiB/s, ETA 0:08');
    const target = parseProcDrbd(fixture('lab-8.4-proc-synctarget-and-status.txt')).devices[0]!;
    expect(target).toMatchObject({ replication: 'SyncTarget', disk: 'Inconsistent', peerDisk: 'UpToDate' });
    expect(target.sync).toMatchObject({ percent: 45.4, speedKiBs: 28672, etaSeconds: 5 });
  });
});

describe('drbdsetup status --json (DRBD 9.2.18, captured in the DRBD 9 lab)', () => {
  const json = (name: string) => parseDrbdsetupStatusJson(fixture(`lab-9.2-drbdsetup-status-json-${name}.json`));

  it('connected: roles, disks and the peer, on both nodes', () => {
    expect(json('connected-node1')).toEqual([
      { minor: 0, resource: 'r0', connection: 'Connected', replication: 'Established', role: 'Primary', peerRole: 'Secondary', disk: 'UpToDate', peerDisk: 'UpToDate', outOfSyncKiB: 0, sync: undefined },
    ]);
    expect(json('connected-node2')[0]).toMatchObject({ role: 'Secondary', peerRole: 'Primary', disk: 'UpToDate', peerDisk: 'UpToDate', connection: 'Connected' });
  });

  it('a resync (drbdadm invalidate on node2): SyncTarget with its progress', () => {
    expect(json('synctarget-node2')[0]).toMatchObject({
      connection: 'Connected', replication: 'SyncTarget', disk: 'Inconsistent', peerDisk: 'UpToDate', outOfSyncKiB: 247764, sync: { percent: 5.47, remainingKiB: 247764 },
    });
  });

  it('disconnected (drbdadm disconnect on node2): StandAlone there, Connecting on the Primary', () => {
    expect(json('standalone-node2')[0]).toMatchObject({ connection: 'StandAlone', replication: undefined, role: 'Secondary', peerRole: 'Unknown', disk: 'Outdated', peerDisk: 'DUnknown' });
    expect(json('connecting-node1')[0]).toMatchObject({ connection: 'Connecting', replication: undefined, role: 'Primary', disk: 'UpToDate', peerDisk: 'Outdated' });
    expect(parseDrbdsetupStatusJson('')).toEqual([]);
  });

  it("DRBD 9's /proc/drbd names the version and lists no device: the fact reads drbdsetup's JSON", () => {
    const proc = fixture('lab-9.2-proc-node1.txt');
    expect(parseProcDrbd(proc)).toMatchObject({ version: '9.2.18', api: '2', proto: '118-124', devices: [] });
    const state = drbdStatusFact.parse(`== proc\n${proc}== json\n${fixture('lab-9.2-drbdsetup-status-json-connected-node1.json')}`, 0);
    expect(state.devices.map((d) => `${d.resource} ${d.role}/${d.disk} ${d.connection}`)).toEqual(['r0 Primary/UpToDate Connected']);
  });

  it('the 8.4 drbdsetup refuses --json (captured), which haforge never asks it', () => {
    expect(fixture('lab-8.4-drbdsetup-status-json.txt')).toMatch(/unrecognized option '--json'/);
  });
});

describe('whileDrbdDown', () => {
  it('reads the inner fact while the minor is not up, and nothing once it is', async () => {
    const { whileDrbdDown } = await import('../../src/drbd/status.js');
    const { execFileSync } = await import('node:child_process');
    const inner = { id: 'echo', command: (word: string) => ['sh', '-c', `echo "${word}"`], parse: (out: string) => out.trim() };
    const wrapped = whileDrbdDown(inner, 9);
    expect(wrapped.id).toBe('echo@drbd9-down');
    // This host has no /proc/drbd: minor 9 is down, the inner command runs under a real shell.
    const [sh, flag, script] = wrapped.command('hello');
    expect(wrapped.parse(execFileSync(sh!, [flag!, script!], { encoding: 'utf8' }), 0)).toBe('hello');
    expect(wrapped.parse('@@drbd-minor-up\n', 0)).toBeUndefined();
    // The same check on captured /proc/drbd files (the script pointed at them): up once configured, 8.3's Unconfigured is down.
    const run = (proc: string, minor: number) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'hf-drbd-')), 'drbd');
      writeFileSync(file, proc);
      return execFileSync('sh', ['-c', whileDrbdDown(inner, minor).command('hello')[2]!.replaceAll('/proc/drbd', file)], { encoding: 'utf8' }).trim();
    };
    expect(run(fixture('lab-8.4-proc-connected-primary.txt'), 0)).toBe('@@drbd-minor-up');
    expect(run(fixture('proc-8.3-wfconnection.txt'), 0)).toBe('@@drbd-minor-up');
    expect(run(fixture('lab-8.4-proc-connected-primary.txt'), 1)).toBe('hello');
    expect(run(`${fixture('proc-8.3-connected-primary.txt')} 1: cs:Unconfigured\n`, 1)).toBe('hello');
    // A last line without its newline still counts.
    expect(run(fixture('lab-8.4-proc-cut-primary.txt').split('\n').slice(0, 3).join('\n'), 0)).toBe('@@drbd-minor-up');
  });
});
