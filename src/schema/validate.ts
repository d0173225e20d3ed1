// Validates a parsed YAML document against a Schema, walking the YAML nodes
// (not the plain values) so every error carries file:line:column.
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node as YamlNode } from 'yaml';
import { UserError, type SourcePosition } from '../errors.js';
import { PositionIndex, pathText } from './positions.js';
import { didYouMean } from './suggest.js';
import type { Schema } from './types.js';
import { isSecretName } from '../util/secrets.js';
import { oneLine } from '../util/text.js';

type Path = (string | number)[];

/**
 * A value under a secret's name (a password, a key, ...) is never echoed in
 * an error. Names the schema itself defines are settings of ours, not secrets
 * (corosync's token is a timeout): only names a user chose (agent parameters,
 * variables) can name a secret.
 */
const holdsSecret = (path: Path, ownNames: ReadonlySet<string>) => path.some((k) => typeof k === 'string' && !ownNames.has(k) && isSecretName(k));
const HIDDEN = 'the value (not shown: it is a secret)';

const ownNamesCache = new WeakMap<Schema, Set<string>>();
/** Every property name a schema defines, at any depth. */
function ownNames(root: Schema): Set<string> {
  let names = ownNamesCache.get(root);
  if (names) return names;
  names = new Set<string>();
  const seen = new Set<Schema>();
  const walk = (s: Schema | boolean | undefined) => {
    if (!s || typeof s !== 'object' || seen.has(s)) return;
    seen.add(s);
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      names!.add(k);
      walk(v);
    }
    [s.items, s.additionalProperties, s.propertyNames, ...(s.anyOf ?? []), ...Object.values(s.$defs ?? {})].forEach(walk);
  };
  walk(root);
  ownNamesCache.set(root, names);
  return names;
}

export class SchemaValidator {
  readonly errors: UserError[] = [];

  constructor(
    private readonly doc: Document,
    private readonly positions: PositionIndex,
    private readonly root: Schema,
    /** A playbook's values may be templates, checked again once rendered; an inventory's never are. */
    private readonly templated = false,
  ) {}

  /** Validates the whole document; errors accumulate in this.errors. */
  validateDocument(): void {
    this.check(this.doc.contents as YamlNode | null, this.root, []);
  }

  private resolve(schema: Schema): Schema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/$defs/', '');
    const target = this.root.$defs?.[name];
    if (!target) throw new Error(`schema: unknown $ref ${schema.$ref}`);
    return target;
  }

  private fail(path: Path, node: YamlNode | null | undefined, message: string, hint?: string): void {
    const position = node ? this.positions.ofNode(node) : this.positions.of(path);
    this.errors.push(new UserError(`${oneLine(pathText(path))}: ${message}`, { position, hint }));
  }

  /** Returns true when valid (used by anyOf to try alternatives quietly). */
  private check(rawNode: YamlNode | null, rawSchema: Schema, path: Path): boolean {
    const schema = this.resolve(rawSchema);
    const node = isAlias(rawNode) ? (rawNode.resolve(this.doc) as YamlNode | undefined) ?? null : rawNode;
    this.positions.record(path, node);
    // A templated value is checked again once rendered (see checkRendered).
    if (this.templated && isScalar(node) && typeof node.value === 'string' && node.value.includes('{{')) return true;

    if (schema.anyOf) {
      const probes = schema.anyOf.map((option) => {
        const probe = new SchemaValidator(this.doc, this.positions, this.root, this.templated);
        return { option, ok: probe.check(node, option, path), errors: probe.errors };
      });
      if (probes.some((p) => p.ok)) return true;
      // An alternative of the right kind explains best what is wrong with the value.
      const sameKind = probes.find((p) => kindMatches(this.resolve(p.option), node));
      if (sameKind) this.errors.push(...sameKind.errors);
      else this.fail(path, node, `expected ${describe(schema, this.root)}, got ${describeNode(node, holdsSecret(path, ownNames(this.root)))}`);
      return false;
    }

    switch (schema.type) {
      case 'object':
        return this.checkObject(node, schema, path);
      case 'array':
        return this.checkArray(node, schema, path);
      case undefined:
        return true;
      default:
        return this.checkScalar(node, schema, path);
    }
  }

  private checkObject(node: YamlNode | null, schema: Schema, path: Path): boolean {
    if (!isMap(node)) {
      if (isScalar(node) && node.value === null && !schema.required?.length) return true;
      this.fail(path, node, `expected a map (key: value), got ${describeNode(node)}`);
      return false;
    }
    const before = this.errors.length;
    const known = schema.properties ?? {};
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) {
        this.fail(path, keyNode, 'keys must be plain strings');
        continue;
      }
      seen.add(key);
      const valuePath = [...path, key];
      const valueNode = pair.value as YamlNode | null;
      if (schema.propertyNames) {
        this.check(keyNode, schema.propertyNames, valuePath);
      }
      const propertySchema = known[key];
      if (propertySchema) {
        this.check(valueNode, propertySchema, valuePath);
      } else if (typeof schema.additionalProperties === 'object') {
        this.check(valueNode, schema.additionalProperties, valuePath);
      } else if (schema.additionalProperties === false) {
        const keys = Object.keys(known);
        this.fail(
          valuePath,
          keyNode,
          `unknown key '${oneLine(key)}'${didYouMean(key, keys)}`,
          keys.length ? `allowed here: ${keys.join(', ')}` : undefined,
        );
      }
    }
    for (const required of schema.required ?? []) {
      if (!seen.has(required)) {
        this.fail(path, node, `missing required key '${required}'`, known[required]?.description);
      }
    }
    return this.errors.length === before;
  }

  private checkArray(node: YamlNode | null, schema: Schema, path: Path): boolean {
    if (!isSeq(node)) {
      this.fail(path, node, `expected a list, got ${describeNode(node)}`);
      return false;
    }
    const before = this.errors.length;
    if (schema.minItems !== undefined && node.items.length < schema.minItems) {
      this.fail(path, node, `expected at least ${schema.minItems} item(s), got ${node.items.length}`);
    }
    if (schema.maxItems !== undefined && node.items.length > schema.maxItems) {
      this.fail(path, node, `expected at most ${schema.maxItems} item(s), got ${node.items.length}`);
    }
    node.items.forEach((item, i) => {
      if (schema.items) this.check(item as YamlNode | null, schema.items, [...path, i]);
    });
    return this.errors.length === before;
  }

  private checkScalar(node: YamlNode | null, schema: Schema, path: Path): boolean {
    const value = isScalar(node) ? node.value : node === null ? null : undefined;
    const expected = describe(schema, this.root);
    const hidden = holdsSecret(path, ownNames(this.root));
    if (value === undefined) {
      this.fail(path, node, `expected ${expected}, got ${describeNode(node, hidden)}`);
      return false;
    }
    const typeOk =
      (schema.type === 'string' && typeof value === 'string') ||
      (schema.type === 'boolean' && typeof value === 'boolean') ||
      (schema.type === 'number' && typeof value === 'number') ||
      (schema.type === 'integer' && typeof value === 'number' && Number.isInteger(value)) ||
      (schema.type === 'null' && value === null);
    if (!typeOk) {
      this.fail(path, node, `expected ${expected}, got ${describeNode(node, hidden)}`);
      return false;
    }
    if (schema.enum && !schema.enum.includes(value as string)) {
      const options = schema.enum.map(String);
      this.fail(path, node, hidden ? `${HIDDEN} is not one of ${options.join(', ')}` : `'${oneLine(String(value))}' is not one of ${options.join(', ')}${didYouMean(String(value), options)}`);
      return false;
    }
    if (typeof value === 'string') {
      if (schema.minLength !== undefined && value.length < schema.minLength) {
        this.fail(path, node, 'must not be empty');
        return false;
      }
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
        this.fail(path, node, `${hidden ? HIDDEN : `'${oneLine(value)}'`} is not ${schema.expects ?? schema.description ?? `of the form ${schema.pattern}`}`);
        return false;
      }
    }
    if (typeof value === 'number') {
      if ((schema.minimum !== undefined && value < schema.minimum) || (schema.maximum !== undefined && value > schema.maximum)) {
        this.fail(path, node, `${hidden ? HIDDEN : value} is out of range ${schema.minimum ?? '-∞'}..${schema.maximum ?? '∞'}`);
        return false;
      }
    }
    return true;
  }
}

function describe(schema: Schema, root: Schema): string {
  if (schema.$ref) return describe(root.$defs?.[schema.$ref.replace('#/$defs/', '')] ?? {}, root);
  if (schema.anyOf) return schema.anyOf.map((s) => describe(s, root)).join(' or ');
  if (schema.enum) return `one of ${schema.enum.join(', ')}`;
  switch (schema.type) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    case 'string':
      return 'a string';
    default:
      return schema.type ?? 'a value';
  }
}

function describeNode(node: YamlNode | null, hidden = false): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'nothing (null)';
    if (hidden) return `a ${typeof v === 'string' ? 'string' : typeof v} (not shown: it is a secret)`;
    if (typeof v === 'string') return `the string '${oneLine(v)}'`;
    return `${typeof v === 'number' ? 'the number' : 'the value'} ${String(v)}`;
  }
  return 'an unsupported value';
}

/**
 * Templates render to text: turns "true"/"42" back into a boolean/number
 * where the schema asks for one.
 */
export function coerceRendered(value: unknown, schema: Schema): unknown {
  if (typeof value === 'string') {
    const types = schema.anyOf ? schema.anyOf.map((s) => s.type) : [schema.type];
    if (types.includes('string')) return value;
    if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    return value;
  }
  if (Array.isArray(value)) return schema.items ? value.map((v) => coerceRendered(v, schema.items!)) : value;
  if (value && typeof value === 'object' && schema.properties) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schema.properties![k] ? coerceRendered(v, schema.properties![k]!) : v]));
  }
  return value;
}

/**
 * Checks a value built at run time (task arguments after templating) against
 * a schema; errors point at `position` (the task in the playbook).
 */
export function checkRendered(value: unknown, schema: Schema, position: SourcePosition, label: string): UserError[] {
  const doc = new Document(value);
  const positions = new PositionIndex(position.file, new LineCounter());
  const validator = new SchemaValidator(doc, positions, schema);
  validator.validateDocument();
  return validator.errors.map(
    (e) => new UserError(`${label}, after templating: ${e.message.replace(/^\(top level\): /, '')}`, { position, hint: e.hint }),
  );
}

function kindMatches(schema: Schema, node: YamlNode | null): boolean {
  const value = isScalar(node) ? node.value : undefined;
  switch (schema.type) {
    case 'object':
      return isMap(node);
    case 'array':
      return isSeq(node);
    case 'string':
      return typeof value === 'string';
    case 'integer':
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}
