// Reads a YAML file into a Document with positions, turning parse errors
// into UserErrors that name file:line:column.
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { UserError, UserErrors } from '../errors.js';
import { PositionIndex } from './positions.js';
import { SchemaValidator } from './validate.js';
import type { Schema } from './types.js';

export interface LoadedYaml {
  doc: Document;
  positions: PositionIndex;
}

/** Inventories and playbooks are a few KiB; anything near this is the wrong file. */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;

/** Reads a regular file of at most MAX_YAML_BYTES: never blocks on a FIFO, never reads /dev/zero to the end. */
export async function readYamlFile(file: string, what: string): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new UserError(`${what} ${file} is ${kindOf(st)}, not a file`, { hint: `give the path of the ${what} file itself` });
    if (st.size > MAX_YAML_BYTES) throw tooBig(file, what, `${Math.round(st.size / 1024)} KiB`);
    // O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it does not wait for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const buf = Buffer.alloc(MAX_YAML_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buf.length; length += n) n = (await handle.read(buf, length, buf.length - length, null)).bytesRead;
    if (length > MAX_YAML_BYTES) throw tooBig(file, what, 'it grew while read');
    return buf.subarray(0, length).toString('utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      hint: code === 'ENOENT' ? `check the path; an example ships as inventory.example.yaml` : undefined,
    });
  } finally {
    await handle?.close();
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const tooBig = (file: string, what: string, size: string) =>
  new UserError(`${what} ${file} is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB (${size})`, { hint: 'inventories and playbooks are a few KiB: is it the right file?' });

/** Aliases expanded at most this many times in one document: a "billion laughs" is an error, not a hang. */
const MAX_ALIAS_COUNT = 1000;

export function parseYaml(file: string, text: string): LoadedYaml {
  const lines = new LineCounter();
  // Duplicate keys are found below in linear time (the library's check compares every pair of a map's keys).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const positions = new PositionIndex(file, lines);
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new UserErrors(
      problems.map(
        (e) =>
          new UserError(`YAML: ${e.message.split('\n')[0]}`, {
            position: positions.at(e.pos[0]),
            hint: 'check indentation and quoting here',
          }),
      ),
    );
  }
  const duplicates = duplicateKeys(doc, positions);
  if (duplicates.length > 0) throw new UserErrors(duplicates);
  return { doc, positions };
}

function duplicateKeys(doc: Document, positions: PositionIndex): UserError[] {
  const out: UserError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? `s:${String(pair.key.value)}` : `n:${String(pair.key)}`;
        if (seen.has(key)) out.push(new UserError('YAML: Map keys must be unique', { position: positions.at((pair.key as { range?: [number] } | null)?.range?.[0] ?? 0), hint: 'each key may appear once in a map' }));
        seen.add(key);
      }
    },
  });
  return out;
}

/** Parses, validates against the schema and returns the plain value. */
/** `templated`: values with `{{` are templates, checked once rendered (playbooks; inventories are never rendered). */
export function parseAndValidate<T>(file: string, text: string, schema: Schema, templated = false): LoadedYaml & { value: T } {
  const loaded = parseYaml(file, text);
  const validator = new SchemaValidator(loaded.doc, loaded.positions, schema, templated);
  validator.validateDocument();
  if (validator.errors.length > 0) throw new UserErrors(validator.errors);
  return { ...loaded, value: toPlain<T>(loaded, file) };
}

function toPlain<T>(loaded: LoadedYaml, file: string): T {
  try {
    return loaded.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as T;
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new UserError(`${file}: YAML aliases expand too far (${err.message.split('\n')[0]})`, { hint: `a document may expand aliases at most ${MAX_ALIAS_COUNT} times; write the values out` });
  }
}
