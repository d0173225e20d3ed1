// Reads a YAML file into a Document with positions, turning parse errors
// into UserErrors that name file:line:column.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { UserError, UserErrors } from '../errors.js';
import { PositionIndex } from './positions.js';
import { SchemaValidator } from './validate.js';
import type { Schema } from './types.js';

export interface LoadedYaml {
  doc: Document;
  positions: PositionIndex;
}

export async function readYamlFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      hint: code === 'ENOENT' ? `check the path; an example ships as inventory.example.yaml` : undefined,
    });
  }
}

export function parseYaml(file: string, text: string): LoadedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const positions = new PositionIndex(file, lines);
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new UserErrors(
      problems.map(
        (e) =>
          new UserError(`YAML: ${e.message.split('\n')[0]}`, {
            position: positions.at(e.pos[0]),
            hint: e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a map' : 'check indentation and quoting here',
          }),
      ),
    );
  }
  return { doc, positions };
}

/** Parses, validates against the schema and returns the plain value. */
/** `templated`: values with `{{` are templates, checked once rendered (playbooks; inventories are never rendered). */
export function parseAndValidate<T>(file: string, text: string, schema: Schema, templated = false): LoadedYaml & { value: T } {
  const loaded = parseYaml(file, text);
  const validator = new SchemaValidator(loaded.doc, loaded.positions, schema, templated);
  validator.validateDocument();
  if (validator.errors.length > 0) throw new UserErrors(validator.errors);
  return { ...loaded, value: loaded.doc.toJS({ maxAliasCount: 1000 }) as T };
}
