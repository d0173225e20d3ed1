import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProcDrbd } from '../../src/facts/drbd.js';

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
});
