// The last step of the published OpenAPI document: what the decorators cannot say, said once for every route from
// what the service does at its edge (the same for every route, so it is not repeated on each of them).
import type {
  HeaderObject,
  MediaTypeObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { problemCodesOf, problemResponse } from './openapi';
import { HTTP_PROBLEM_CODES } from './problem';
import { UUID_RE } from './validation';

export interface OpenApiEdge {
  /** `servers[].url`: where the API is served ('/': relative to the document). */
  servers: string[];
  /** `info.license.name` (the package is UNLICENSED: proprietary). */
  license: string;
  /** Routes without rate limiting (no 429). */
  rateLimitExempt: (path: string) => boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

type Schema = SchemaObject | ReferenceObject;

const HEADERS: Record<string, HeaderObject> = {
  'X-Correlation-Id': {
    description:
      'The request’s X-Correlation-Id (or one made for it): recorded on the events and in the logs',
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'Answers to authenticated requests are not stored by caches',
    schema: { type: 'string', example: 'no-store' },
  },
  'Idempotent-Replayed': {
    description:
      '`true` when this is the recorded response of an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with',
    schema: { type: 'string', enum: ['Bearer'] },
  },
  'Retry-After': {
    description: 'Seconds until the caller may send requests again',
    schema: { type: 'integer', minimum: 0 },
  },
};

/** What fastify answers (not problem+json) to a request arriving while the server closes. */
const SHUTTING_DOWN: SchemaObject = {
  type: 'object',
  properties: {
    error: { type: 'string', example: 'Service Unavailable' },
    message: { type: 'string', example: 'Service Unavailable' },
    statusCode: { type: 'integer', enum: [503] },
  },
  required: ['error', 'message', 'statusCode'],
};

/** Statuses answered before the route's own code runs (no read-model position, no replay). */
const BEFORE_THE_ROUTE = new Set(['401', '413', '429', '503']);

/**
 * Completes the generated document in place and returns it: servers and license; `security: []` on public routes;
 * the edge's responses merged into every operation (400/401/413/429/500/503 by what the route takes and the codes
 * the service has) with their headers; request bodies closed (`additionalProperties: false`, as unknown fields are
 * refused) with the integer and uuid checks of their DTOs; nullable references that accept `null` in OpenAPI 3.0.
 */
export function finishOpenApiDocument(document: OpenAPIObject, edge: OpenApiEdge): OpenAPIObject {
  document.servers = edge.servers.map((url) => ({ url }));
  document.info.license = { name: edge.license };
  const schemas = (document.components ??= {}).schemas ?? {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) finishOperation(path, operation, edge);
    }
  }
  closeRequestSchemas(document, schemas);
  exampleBodies(document, schemas);
  applyValidationFormats(schemas);
  for (const schema of Object.values(schemas)) nullableReferences(schema);
  return document;
}

function finishOperation(path: string, op: OperationObject, edge: OpenApiEdge): void {
  const authenticated = (op.security ?? []).length > 0;
  if (!authenticated) op.security = [];
  const parameters = (op.parameters ?? []) as ParameterObject[];
  const edgeCodes: string[] = ['INTERNAL', 'SERVICE_UNAVAILABLE'];
  if (parameters.length > 0 || op.requestBody) edgeCodes.push('VALIDATION_FAILED');
  if (authenticated) edgeCodes.push('UNAUTHENTICATED');
  if (op.requestBody) edgeCodes.push('PAYLOAD_TOO_LARGE');
  if (!edge.rateLimitExempt(path)) edgeCodes.push('RATE_LIMITED');
  for (const code of edgeCodes) {
    const status = HTTP_PROBLEM_CODES[code]?.status;
    if (status !== undefined) addProblemCode(op, status, code);
  }

  const responses = op.responses as Record<string, ResponseObject>;
  const unavailable = responses['503'];
  if (problemCodesOf(unavailable).length > 0) {
    unavailable.description += '; while shutting down, fastify’s own JSON';
    unavailable.content = { ...unavailable.content, 'application/json': { schema: SHUTTING_DOWN } };
  }
  const header = (status: string, name: string, value: HeaderObject) => {
    responses[status].headers = { ...responses[status].headers, [name]: value };
  };
  if (responses['401']) header('401', 'WWW-Authenticate', HEADERS['WWW-Authenticate']);
  if (responses['429']) header('429', 'Retry-After', HEADERS['Retry-After']);
  const takes = (name: string) => parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === name);
  const position = Object.values(responses)
    .map((r) => r.headers?.['X-Read-Model-Position'] as HeaderObject | undefined)
    .find((h) => h !== undefined);
  for (const status of Object.keys(responses)) {
    // Optional headers: on every answer the service's own code gives (a shutting-down fastify sends none).
    header(status, 'X-Correlation-Id', HEADERS['X-Correlation-Id']);
    if (authenticated) header(status, 'Cache-Control', HEADERS['Cache-Control']);
    if (BEFORE_THE_ROUTE.has(status)) continue;
    if (position) header(status, 'X-Read-Model-Position', position);
    // A replay answers the recorded success or domain refusal; 422 and 500 are never recorded.
    if (takes('idempotency-key') && status !== '422' && status !== '500') {
      header(status, 'Idempotent-Replayed', HEADERS['Idempotent-Replayed']);
    }
  }
}

/** Adds a code to the operation's problem response of its status, or the response when it has none. */
function addProblemCode(op: OperationObject, status: number, code: string): void {
  const key = String(status);
  const existing = op.responses[key] as ResponseObject | undefined;
  if (existing && !existing.content) return;
  const codes = problemCodesOf(existing);
  if (existing && codes.length === 0) return; // the route documents this status its own way (e.g. /health's 503)
  if (codes.includes(code)) return;
  op.responses[key] = { ...existing, ...problemResponse(status, [...codes, code]) };
}

/** The component names a schema refers to, directly or through the schemas it refers to. */
function referencedNames(
  root: Schema | undefined,
  schemas: Record<string, Schema>,
  into = new Set<string>(),
): Set<string> {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const ref = (node as ReferenceObject).$ref;
    if (typeof ref === 'string') {
      const name = ref.replace('#/components/schemas/', '');
      if (!into.has(name)) {
        into.add(name);
        stack.push(schemas[name]);
      }
      continue;
    }
    stack.push(...Object.values(node));
  }
  return into;
}

/** Unknown fields are refused in every body: each object schema a body uses is closed. */
function closeRequestSchemas(document: OpenAPIObject, schemas: Record<string, Schema>): void {
  const names = new Set<string>();
  const inline: Schema[] = [];
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const body = item[method]?.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        if (media.schema) {
          referencedNames(media.schema, schemas, names);
          inline.push(media.schema);
        }
      }
    }
  }
  const close = (schema: Schema | undefined) => {
    if (!schema || '$ref' in schema) return;
    if (schema.type === 'object' || schema.properties) {
      schema.type = 'object';
      schema.properties ??= {};
      schema.additionalProperties = false;
      for (const property of Object.values(schema.properties)) {
        if (!('$ref' in property) && property.type === 'array') close(property.items as Schema);
      }
    }
  };
  for (const name of names) close(schemas[name]);
  for (const schema of inline) close(schema);
}

/** A body's example made of its properties' examples (defaults, first enum values); undefined when one is missing. */
function exampleOf(schema: Schema | undefined, schemas: Record<string, Schema>, depth = 0): unknown {
  if (!schema || depth > 8) return undefined;
  if ('$ref' in schema)
    return exampleOf(schemas[schema.$ref.replace('#/components/schemas/', '')], schemas, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.allOf?.length === 1) return exampleOf(schema.allOf[0], schemas, depth + 1);
  if (schema.type === 'array') {
    const item = exampleOf(schema.items, schemas, depth + 1);
    return item === undefined ? undefined : [item];
  }
  if (schema.type !== 'object' && !schema.properties) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const value = exampleOf(property, schemas, depth + 1);
    if (value !== undefined) out[name] = value;
    else if (schema.required?.includes(name)) return undefined;
  }
  return out;
}

/** Every request body without examples gets one made of its schema's examples. */
function exampleBodies(document: OpenAPIObject, schemas: Record<string, Schema>): void {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const body = item[method]?.requestBody as { content?: Record<string, MediaTypeObject> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        if (media.example !== undefined || media.examples !== undefined) continue;
        const example = exampleOf(media.schema, schemas);
        if (example !== undefined) media.example = example;
      }
    }
  }
}

/**
 * What the DTOs' validators check and the generated schema does not say: `@IsInt()` is `type: integer`, a uuid
 * check (`@IsUUID()`, or `@Matches(UUID_RE)`) is `format: uuid`. Schemas are named after their DTO classes.
 */
function applyValidationFormats(schemas: Record<string, Schema>): void {
  const storage = getMetadataStorage() as unknown as {
    validationMetadatas: Map<unknown, ValidationMetadata[]>;
  };
  for (const list of storage.validationMetadatas.values()) {
    for (const rule of list) {
      const target = rule.target as { name?: string } | string;
      const schema = schemas[typeof target === 'string' ? target : (target.name ?? '')] as
        SchemaObject | undefined;
      const property = schema?.properties?.[rule.propertyName] as SchemaObject | undefined;
      if (!property) continue;
      const items = property.type === 'array' && rule.each ? (property.items as SchemaObject) : property;
      if (rule.name === 'isInt') items.type = 'integer';
      const uuid =
        rule.name === 'isUuid' ||
        (rule.name === 'matches' && String(rule.constraints?.[0]) === String(UUID_RE));
      if (uuid) items.format = 'uuid';
    }
  }
}

/** Exactly `null`, in OpenAPI 3.0 terms (`nullable` needs a `type` beside it). */
const NULL_ONLY: SchemaObject = { type: 'object', nullable: true, enum: [null] };

/**
 * `nullable: true` beside a `$ref` or an `allOf` does not admit `null` in OpenAPI 3.0 (nullable only widens a `type`
 * of the same schema): such a property becomes `oneOf: [the reference, null]`.
 */
function nullableReferences(schema: Schema): void {
  if ('$ref' in schema) return;
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if ('$ref' in property) continue;
    const target = property.allOf?.length === 1 ? property.allOf[0] : undefined;
    if (property.nullable === true && target) {
      const { description, example } = property;
      schema.properties![name] = {
        ...(description === undefined ? {} : { description }),
        ...(example === undefined ? {} : { example }),
        oneOf: [target, { ...NULL_ONLY }],
      };
    } else {
      nullableReferences(property);
    }
  }
  if (schema.items) nullableReferences(schema.items);
}
