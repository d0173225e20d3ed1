// Reads the regular files out of a tar archive (GNU format, as `tar -c
// --format=gnu` writes it): enough for a fact that fetches many small files
// in one stream. Pure: bytes in, files out.

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
