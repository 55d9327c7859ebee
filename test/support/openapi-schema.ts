// A small validator for the subset of OpenAPI 3.0 schemas that the service's document uses ($ref, allOf, oneOf,
// type with nullable, enum, required, properties, additionalProperties: false, items, formats uuid and date-time,
// minimum/maximum, maxLength, pattern, minItems/maxItems), with 3.0's semantics: `nullable` only widens the `type` beside it. Enough
// to check real responses against the published document without a dependency; anything else it meets is an error,
// so a schema it does not understand cannot pass silently.

export type Json = unknown;
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$ref',
  'allOf',
  'oneOf',
  'discriminator',
  'type',
  'nullable',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'format',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'description',
  'example',
  'default',
  'title',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class SchemaValidator {
  constructor(private readonly document: { components?: { schemas?: Record<string, Schema> } }) {}

  /** The errors of `value` against `schema` (none: valid). */
  errors(value: Json, schema: Schema, at = '$'): string[] {
    for (const key of Object.keys(schema)) {
      if (!KNOWN.has(key)) return [`${at}: the validator does not know the keyword ${key}`];
    }
    if (typeof schema.$ref === 'string') return this.errors(value, this.resolve(schema.$ref), at);
    const out: string[] = [];
    for (const part of (schema.allOf as Schema[] | undefined) ?? [])
      out.push(...this.errors(value, part, at));
    if (schema.oneOf) {
      const matching = (schema.oneOf as Schema[]).filter(
        (s) => this.errors(value, s, at).length === 0,
      ).length;
      if (matching !== 1) out.push(`${at}: matches ${matching} of oneOf, not exactly 1`);
    }
    if (value === null) {
      if (schema.type !== undefined && schema.nullable !== true) out.push(`${at}: null is not allowed`);
      if (schema.enum && !(schema.enum as unknown[]).includes(null))
        out.push(`${at}: null is not in the enum`);
      return out;
    }
    if (schema.enum && !(schema.enum as unknown[]).includes(value)) {
      out.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if (schema.type !== undefined) out.push(...this.typeErrors(value, schema, at));
    return out;
  }

  private resolve(ref: string): Schema {
    const schema = this.document.components?.schemas?.[ref.replace('#/components/schemas/', '')];
    if (!schema) throw new Error(`unresolved ${ref}`);
    return schema;
  }

  private typeErrors(value: Json, schema: Schema, at: string): string[] {
    const type = schema.type as string;
    const fail = (why: string) => [`${at}: ${why}`];
    switch (type) {
      case 'string': {
        if (typeof value !== 'string') return fail(`${JSON.stringify(value)} is not a string`);
        if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return fail('too long');
        if (typeof schema.minLength === 'number' && value.length < schema.minLength) return fail('too short');
        if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
          return fail('pattern');
        if (schema.format === 'uuid' && !UUID.test(value)) return fail(`${value} is not a uuid`);
        if (schema.format === 'date-time' && !DATE_TIME.test(value))
          return fail(`${value} is not a date-time`);
        if (schema.format === 'date' && !DATE.test(value)) return fail(`${value} is not a date`);
        return [];
      }
      case 'integer':
      case 'number': {
        if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) {
          return fail(`${JSON.stringify(value)} is not an ${type}`);
        }
        if (typeof schema.minimum === 'number' && value < schema.minimum) return fail('below the minimum');
        if (typeof schema.maximum === 'number' && value > schema.maximum) return fail('above the maximum');
        return [];
      }
      case 'boolean':
        return typeof value === 'boolean' ? [] : fail(`${JSON.stringify(value)} is not a boolean`);
      case 'array': {
        if (!Array.isArray(value)) return fail('not an array');
        if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
          return fail('too many items');
        if (typeof schema.minItems === 'number' && value.length < schema.minItems)
          return fail('too few items');
        const items = schema.items as Schema | undefined;
        return items ? value.flatMap((v, i) => this.errors(v, items, `${at}[${i}]`)) : [];
      }
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) return fail('not an object');
        const record = value as Record<string, unknown>;
        const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
        const out: string[] = [];
        for (const name of (schema.required as string[] | undefined) ?? []) {
          if (!(name in record)) out.push(`${at}: ${name} is required`);
        }
        for (const [name, v] of Object.entries(record)) {
          if (properties[name]) out.push(...this.errors(v, properties[name], `${at}.${name}`));
          else if (schema.additionalProperties === false) out.push(`${at}: ${name} is not allowed`);
          else if (typeof schema.additionalProperties === 'object') {
            out.push(...this.errors(v, schema.additionalProperties as Schema, `${at}.${name}`));
          }
        }
        return out;
      }
      default:
        return fail(`the validator does not know the type ${type}`);
    }
  }
}
