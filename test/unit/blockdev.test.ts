import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSignatures, foreignSignatures, parseBlockDevice } from '../../src/facts/blockdev.js';

// Captured on Debian 12 from a loop device (see test/fixtures/blockdev).
const fixture = (name: string) => parseBlockDevice(readFileSync(path.join(__dirname, '../fixtures/blockdev', name), 'utf8'));

describe('block device facts', () => {
  it('a blank disk carries no signature', () => {
    expect(fixture('blank-disk.txt')).toEqual({ exists: true, sizeBytes: 67108864, signatures: [], unreadable: undefined, mountpoint: undefined, children: [] });
  });
  it('a filesystem and a partition table are foreign signatures', () => {
    const ext4 = fixture('ext4-disk.txt');
    expect(foreignSignatures(ext4).map((s) => s.type)).toEqual(['ext4']);
    expect(describeSignatures(foreignSignatures(ext4))).toMatch(/^ext4 \(UUID [0-9a-f-]{36}\)$/);
    expect(foreignSignatures(fixture('dos-partitioned-disk.txt')).map((s) => s.type)).toEqual(['dos']);
  });
  it('a missing device, and unreadable output', () => {
    expect(fixture('missing-disk.txt')).toEqual({ exists: false });
    expect(parseBlockDevice('== size\n1024\n== signatures\nwipefs: error: /dev/drbd0: probing initialization failed: Wrong medium type\n== lsblk\n')).toMatchObject({
      exists: true,
      unreadable: 'wipefs: error: /dev/drbd0: probing initialization failed: Wrong medium type',
    });
  });

  it('DRBD metadata is a signature of its own, not a foreign one (lab capture)', () => {
    const wipefs = readFileSync(path.join(__dirname, '../fixtures/blockdev/lab-drbd-backing-disk-wipefs.json'), 'utf8');
    const state = parseBlockDevice(`== size\n268435456\n== signatures\n${wipefs}== lsblk\n`);
    expect(state).toMatchObject({ exists: true, signatures: [{ type: 'drbd', uuid: '1dea94b768fdc32d' }] });
    expect(foreignSignatures(state)).toEqual([]);
    const secondary = readFileSync(path.join(__dirname, '../fixtures/blockdev/lab-drbd-secondary-wipefs.txt'), 'utf8');
    expect(parseBlockDevice(`== size\n268419072\n== signatures\n${secondary}== lsblk\n`)).toMatchObject({ unreadable: expect.stringMatching(/Wrong medium type/) });
  });
});
