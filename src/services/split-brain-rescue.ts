// The victim's rescue archive: streamed from the node over the SSH channel
// into a 0600 file on this workstation (never written on the node), then
// read back and listed, so a truncated or broken archive stops the repair
// before anything is discarded.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { AuditedConnection } from '../engine/audit.js';
import { RemoteCommandError, UserError } from '../errors.js';

export function defaultRescueDir(): string {
  const state = process.env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(state, 'haforge', 'rescue');
}

/** <dir>/<cluster>-<resource>-<victim>-<UTC timestamp>.tar.gz */
export function rescueFile(dir: string, cluster: string, resource: string, victim: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return path.join(dir, `${cluster}-${resource}-${victim}-${stamp}.tar.gz`);
}

export interface Rescued {
  file: string;
  bytes: number;
  /** Paths in the archive (directories end with /). */
  entries: string[];
}

/** Runs the archive command and keeps its stdout in `file`; the archive is then checked. */
export async function streamArchive(conn: AuditedConnection, argv: string[], file: string): Promise<Rescued> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'wx': never overwrite an earlier rescue.
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  const opened = new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
  await opened;
  const finished = new Promise<void>((resolve, reject) => out.once('finish', resolve).once('error', reject));
  try {
    const r = await conn.exec('read', argv, { stdoutTo: out });
    out.end();
    await finished;
    if (r.exitCode !== 0) {
      throw new RemoteCommandError(conn.host, argv, r.exitCode, r.stderr, 'the rescue archive could not be made: nothing was discarded; see the error, or repair with --no-rescue to discard without an archive', r.signal);
    }
    const entries = await listTarGz(file);
    return { file, bytes: (await stat(file)).size, entries };
  } catch (err) {
    out.destroy();
    await rm(file, { force: true });
    throw err;
  }
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
        const size = octal(header.subarray(124, 136));
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
    throw new UserError(`the rescue archive ${file} is broken: ${(err as Error).message}`, { hint: 'nothing was discarded; run the repair again' });
  }
  if (!ended || skip > 0) throw new UserError(`the rescue archive ${file} is truncated`, { hint: 'nothing was discarded; run the repair again' });
  return entries.filter((e) => e !== '' && e !== '.' && e !== './');
}

const text = (b: Buffer) => b.toString('utf8').replace(/\0.*$/s, '');

function octal(b: Buffer): number {
  // GNU base-256 for sizes beyond 8 GiB: high bit set, big-endian binary.
  if (b[0]! & 0x80) return b.subarray(1).reduce((acc, byte) => acc * 256 + byte, b[0]! & 0x7f);
  return parseInt(text(b).trim() || '0', 8);
}
