// Reads tar archives: the regular files of one in memory (GNU format, as
// `tar -c --format=gnu` writes it), enough for a fact that fetches many
// small files in one stream; and the member names of a .tar.gz file on this
// workstation, streamed, to check a rescue archive is whole.
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/** Regular files by member name, in archive order (a later member of the same name wins). */
export function readTar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let longName: string | undefined;
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = number(header.subarray(124, 136));
    const type = String.fromCharCode(header[156]!);
    const data = archive.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    // GNU's long names: a ././@LongLink member whose data is the next member's name.
    if (type === 'L') {
      longName = text(data);
      continue;
    }
    const magic = header.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? text(header.subarray(345, 500)) : '';
    const name = longName ?? (prefix ? `${prefix}/` : '') + text(header.subarray(0, 100));
    longName = undefined;
    if ((type === '0' || type === '\0') && data.length === size) files.set(name, Buffer.from(data));
  }
  return files;
}

/** A NUL-terminated field as UTF-8 text. */
function text(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

/** An octal field, or base-256 when its first byte has the high bit set. */
function number(field: Buffer): number {
  if (field[0]! & 0x80) return field.subarray(1).reduce((n, b) => n * 256 + b, field[0]! & 0x7f);
  return parseInt(text(field).trim() || '0', 8);
}

/**
 * The paths in a .tar.gz (ustar, GNU long names, pax path records). Throws
 * when the archive is truncated or corrupt. Streams: large archives are fine.
 */
export async function listTarGz(file: string): Promise<string[]> {
  const entries: string[] = [];
  let buf = Buffer.alloc(0);
  let skip = 0;
  let longName: { size: number; kind: 'L' | 'x' } | undefined;
  let nextName: string | undefined;
  let ended = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (ended) {
          buf = Buffer.alloc(0);
          break;
        }
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          if (skip > 0) break;
        }
        if (longName) {
          const padded = Math.ceil(longName.size / 512) * 512;
          if (buf.length < padded) break;
          const data = buf.subarray(0, longName.size).toString('utf8');
          nextName = longName.kind === 'L' ? data.replace(/\0.*$/s, '') : (/(?:^|\n)\d+ path=([^\n]*)\n/.exec(data)?.[1] ?? nextName);
          buf = buf.subarray(padded);
          longName = undefined;
          continue;
        }
        if (buf.length < 512) break;
        const header = buf.subarray(0, 512);
        buf = buf.subarray(512);
        if (header.every((b) => b === 0)) {
          ended = true;
          continue;
        }
        const size = number(header.subarray(124, 136));
        const type = String.fromCharCode(header[156]!);
        if (type === 'L' || type === 'x') {
          longName = { size, kind: type };
          continue;
        }
        if (type === 'g') {
          skip = Math.ceil(size / 512) * 512;
          continue;
        }
        const prefix = text(header.subarray(345, 500));
        const name = nextName ?? (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
        nextName = undefined;
        entries.push(name.replace(/^\.\//, ''));
        skip = type === '0' || type === '\0' || type === '7' ? Math.ceil(size / 512) * 512 : 0;
      }
      done();
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), sink);
  } catch (err) {
    throw new Error(`the archive ${file} is broken: ${(err as Error).message}`);
  }
  if (!ended || skip > 0) throw new Error(`the archive ${file} is truncated`);
  return entries.filter((e) => e !== '' && e !== '.' && e !== './');
}
