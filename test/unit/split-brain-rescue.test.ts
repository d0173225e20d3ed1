// The rescue archive check: archives made by the system's GNU tar (as the
// nodes make them) are listed; truncated and corrupt ones are refused.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rescueFile } from '../../src/services/split-brain.js';
import { listTarGz } from '../../src/util/tar.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-rescue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a tree and archives it exactly as the rescue step does (find | tar --null --no-recursion -T -). */
function archive(name: string, build: (root: string) => void): string {
  const root = path.join(dir, `${name}-tree`);
  mkdirSync(root);
  build(root);
  const file = path.join(dir, `${name}.tar.gz`);
  execFileSync('sh', ['-c', `cd "$1" && find . -xdev \\( -type f -o -type l -o -type d \\) -print0 | tar --null --no-recursion -T - -czf - > "$2"`, 'sh', root, file]);
  return file;
}

describe('rescue archive listing', () => {
  it('lists files, directories, links and names longer than 100 bytes', async () => {
    const long = `${'d'.repeat(60)}/${'f'.repeat(80)}.txt`;
    const file = archive('mixed', (root) => {
      writeFileSync(path.join(root, 'node2-file.txt'), 'from node2\n');
      mkdirSync(path.join(root, 'n2dir'));
      writeFileSync(path.join(root, 'n2dir', 'inner'), 'x'.repeat(70_000));
      symlinkSync('node2-file.txt', path.join(root, 'link'));
      mkdirSync(path.join(root, 'd'.repeat(60)));
      writeFileSync(path.join(root, long), 'long\n');
    });
    const entries = await listTarGz(file);
    expect(entries.sort()).toEqual(['d'.repeat(60) + '/', long, 'link', 'n2dir/', 'n2dir/inner', 'node2-file.txt'].sort());
  });

  it('an empty selection is a valid, empty archive', async () => {
    const file = path.join(dir, 'empty.tar.gz');
    execFileSync('sh', ['-c', `printf '' | tar --null --no-recursion -T - -czf - > "$1"`, 'sh', file]);
    expect(await listTarGz(file)).toEqual([]);
  });

  it('refuses a truncated archive and a corrupt one', async () => {
    const good = archive('big', (root) => writeFileSync(path.join(root, 'data'), Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251))));
    const bytes = readFileSync(good);
    const cut = path.join(dir, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(listTarGz(cut)).rejects.toThrow(/broken|truncated/);
    const bad = path.join(dir, 'bad.tar.gz');
    writeFileSync(bad, Buffer.concat([bytes.subarray(0, 20), Buffer.alloc(200, 0x41), bytes.subarray(220)]));
    await expect(listTarGz(bad)).rejects.toThrow(/broken|truncated/);
  });

  it('names the file by cluster, resource, victim and UTC time', () => {
    expect(rescueFile('/r', 'lab', 'r0', 'node2', new Date('2026-11-23T10:01:02.345Z'))).toBe('/r/lab-r0-node2-20261123T100102Z.tar.gz');
  });
});
