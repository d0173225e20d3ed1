// A small subset of JSON Schema (draft 2020-12). Our schemas are written in
// it so the same object validates YAML (with positions) and is published as a
// JSON Schema file for editors.

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  /** false: unknown keys are errors; a schema: every other key's value. */
  additionalProperties?: boolean | Schema;
  /** Keys of a map (for maps with free keys, e.g. node names). */
  propertyNames?: Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly (string | number | boolean)[];
  pattern?: string;
  /** What a value matching `pattern` is, for messages ("'x' is not <expects>"); kept when a field overrides its description. */
  expects?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  /** The value must match at least one of these (first match wins for errors). */
  anyOf?: Schema[];
  default?: unknown;
  examples?: unknown[];
  $ref?: string;
  $defs?: Record<string, Schema>;
  title?: string;
  $schema?: string;
  $id?: string;
}
