// The changed-files fact's own command, run here through a real shell on a
// real directory (and, as root, on a real ext4 image through the read-only
// loop device the nodes use for a Secondary's disk), then parsed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changedFilesFact, parseChangedFiles } from '../../src/facts/changed-files.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-changed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });

describe('changed files', () => {
  it('lists files changed since a time on a mounted tree, with a limit and the total', () => {
    const root = path.join(dir, 'tree');
    mkdirSync(path.join(root, 'sub dir'), { recursive: true });
    const since = Math.floor(Date.now() / 1000) - 5;
    for (const name of ['a.txt', 'b.txt', 'sub dir/c d.txt']) writeFileSync(path.join(root, name), name);
    // An old modification time does not hide a file copied in after the split: the inode change time counts.
    utimesSync(path.join(root, 'b.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
    const out = run(changedFilesFact.command({ since, mount: root, limit: 2 }));
    const parsed = parseChangedFiles(out.stdout);
    expect(parsed).toMatchObject({ total: 3, via: 'mount' });
    expect(parsed.error).toBeUndefined();
    expect(parsed.files).toHaveLength(2);
    const all = parseChangedFiles(run(changedFilesFact.command({ since, mount: root, limit: 10 })).stdout);
    expect(all.files.map((f) => f.path).sort()).toEqual(['a.txt', 'b.txt', 'sub dir/c d.txt']);
    expect(all.files.find((f) => f.path === 'a.txt')).toMatchObject({ bytes: 5 });
    expect(all.files.every((f) => f.changedAt >= since)).toBe(true);
    const none = parseChangedFiles(run(changedFilesFact.command({ since: since + 3600, mount: root, limit: 10 })).stdout);
    expect(none).toEqual({ files: [], total: 0, via: 'mount' });
  });

  it('says why when the mount point is gone or the disk cannot be looked at', () => {
    expect(parseChangedFiles(run(changedFilesFact.command({ since: 0, mount: path.join(dir, 'gone'), limit: 10 })).stdout)).toEqual({
      files: [],
      total: 0,
      via: 'mount',
      error: `${path.join(dir, 'gone')} is not a directory`,
    });
    const out = run(changedFilesFact.command({ since: 0, lowerDevice: path.join(dir, 'no-such-disk'), limit: 10 }));
    const parsed = parseChangedFiles(out.stdout);
    expect(parsed.via).toBe('read-only look');
    // losetup's own complaint as root; without root rights (no losetup on PATH, no loop devices) the search stops earlier.
    expect(parsed.error).toMatch(/^losetup: |^the file search did not finish/);
    expect(parsed.files).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('looks at an unmounted ext4 disk read-only, leaving no loop device or mount behind', () => {
    const image = path.join(dir, 'disk.img');
    const tree = path.join(dir, 'content');
    mkdirSync(tree);
    writeFileSync(path.join(tree, 'node2-file.txt'), 'from node2\n');
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkfs.ext4', ['-q', '-d', tree, image]);
    // DRBD's internal metadata magic (v08) in the last 4 KiB, as on a real backing disk: blkid then calls it drbd.
    const magicAt = 16 * 1024 * 1024 - 4096 + 60;
    execFileSync('sh', ['-c', `printf '\\203\\164\\002\\153' | dd of="$1" bs=1 seek=${magicAt} conv=notrunc status=none`, 'sh', image]);
    expect(execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', image], { encoding: 'utf8' })).toBe('drbd\n');
    const before = execFileSync('md5sum', [image], { encoding: 'utf8' });
    const out = run(changedFilesFact.command({ since: Math.floor(Date.now() / 1000) - 60, lowerDevice: image, fstype: 'ext4', limit: 10 }));
    const parsed = parseChangedFiles(out.stdout);
    expect(parsed, out.stdout + out.stderr).toMatchObject({ via: 'read-only look', total: 1 });
    expect(parsed.files.map((f) => f.path)).toEqual(['node2-file.txt']);
    expect(execFileSync('md5sum', [image], { encoding: 'utf8' })).toBe(before);
    expect(execFileSync('losetup', ['-j', image], { encoding: 'utf8' })).toBe('');
    expect(execFileSync('sh', ['-c', 'ls -d /run/haforge-look.* 2>/dev/null || true'], { encoding: 'utf8' })).toBe('');
  });

  it('parses empty and cut-short output as errors, not as "nothing changed"', () => {
    expect(parseChangedFiles('')).toMatchObject({ error: 'the file search did not finish' });
    expect(parseChangedFiles('== via\nmount\n== files\n1700000000.5 3 a\n')).toMatchObject({ error: 'the file search did not finish' });
  });
});
