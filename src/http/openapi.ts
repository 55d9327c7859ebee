// The published OpenAPI document: `@ApiProblems`, and one pass over the generated document for what every route
// shares (the edge's codes and headers, closed request bodies with examples, nullable references 3.0 can read).
import {
  ApiExtension,
  getSchemaPath,
  type HeaderObject,
  type MediaTypeObject,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { RATE_LIMIT_EXEMPT } from './edge';
import { HTTP_PROBLEM_CODES, PROBLEM_CONTENT_TYPE, ProblemDto, type ProblemCode } from './problem';

/** Where `@ApiProblems` records a route's codes and its controller's (Nest keeps the first extension of a name). */
const ROUTE_PROBLEMS = 'x-problems';
const CONTROLLER_PROBLEMS = 'x-controller-problems';
type Schema = SchemaObject | ReferenceObject;

// Documents problem+json responses by code, on a route and on its controller: `@ApiProblems('FORBIDDEN', ...)`.
// Codes sharing a status are listed in one response, the route's first.
export function ApiProblems(...codes: string[]): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const name = descriptor ? ROUTE_PROBLEMS : CONTROLLER_PROBLEMS;
    return ApiExtension(name, codes)(target, key!, descriptor!);
  }) as MethodDecorator & ClassDecorator;
}

/** The errors any authenticated route can answer with. */
export const COMMON_PROBLEMS = ['VALIDATION_FAILED', 'UNAUTHENTICATED', 'INTERNAL'] as const;

const headerDoc = (description: string, schema: SchemaObject): HeaderObject => ({ description, schema });
const HEADERS: Record<string, HeaderObject> = {
  'X-Correlation-Id': headerDoc(
    'The request’s X-Correlation-Id (or one made for it): recorded on the events and in the logs',
    { type: 'string' },
  ),
  'Cache-Control': headerDoc('Answers to authenticated requests are not stored by caches', {
    type: 'string',
    example: 'no-store',
  }),
  'Idempotent-Replayed': headerDoc(
    '`true` when this is the recorded response of an earlier request with the same Idempotency-Key',
    { type: 'string', enum: ['true'] },
  ),
  'WWW-Authenticate': headerDoc('The scheme to authenticate with', { type: 'string', enum: ['Bearer'] }),
  'Retry-After': headerDoc('Seconds until the caller may send requests again', {
    type: 'integer',
    minimum: 0,
  }),
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

/** Completes the generated document in place and returns it; `codes`: the product's problem codes. */
export function finishOpenApiDocument(
  document: OpenAPIObject,
  codes: Record<string, ProblemCode>,
): OpenAPIObject {
  const known = { ...HTTP_PROBLEM_CODES, ...codes };
  const schemas = ((document.components ??= {}).schemas ??= {});
  for (const [path, item] of Object.entries(document.paths)) {
    for (const op of Object.values(item) as OperationObject[]) {
      finishOperation(path, op, known);
      const body = op.requestBody as { content?: Record<string, MediaTypeObject> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        // Unknown fields are refused in every body; a body without examples gets one made of its schema's.
        closeObjects(media.schema, schemas, new Set());
        if (media.example === undefined && media.examples === undefined) {
          media.example = exampleOf(media.schema, schemas); // undefined (left out) when one is missing
        }
      }
    }
  }
  for (const schema of Object.values(schemas)) nullableReferences(schema);
  return document;
}

/** `security: []` on public routes; the edge's problem codes and the route's, by status; the edge's headers. */
function finishOperation(path: string, op: OperationObject, known: Record<string, ProblemCode>): void {
  const authenticated = (op.security ?? []).length > 0;
  if (!authenticated) op.security = [];
  const parameters = (op.parameters ?? []) as ParameterObject[];
  const extended = op as OperationObject & Record<string, string[] | undefined>;
  const codes = [...(extended[ROUTE_PROBLEMS] ?? []), ...(extended[CONTROLLER_PROBLEMS] ?? [])];
  delete extended[ROUTE_PROBLEMS];
  delete extended[CONTROLLER_PROBLEMS];
  codes.push('INTERNAL', 'SERVICE_UNAVAILABLE');
  if (parameters.length > 0 || op.requestBody) codes.push('VALIDATION_FAILED');
  if (authenticated) codes.push('UNAUTHENTICATED');
  if (op.requestBody) codes.push('PAYLOAD_TOO_LARGE');
  if (!RATE_LIMIT_EXEMPT.test(path)) codes.push('RATE_LIMITED');
  const byStatus = new Map<string, string[]>();
  for (const code of new Set(codes)) {
    if (!known[code]) throw new Error(`ApiProblems: unknown code ${code}`);
    const status = String(known[code].status);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }

  const responses = op.responses as Record<string, ResponseObject>;
  for (const [status, listed] of byStatus) {
    if (responses[status]) continue; // the route documents this status its own way (/health's 503)
    const problem = {
      allOf: [
        { $ref: getSchemaPath(ProblemDto) },
        {
          type: 'object',
          properties: {
            status: { type: 'integer', enum: [Number(status)] },
            code: { type: 'string', enum: listed },
          },
        },
      ],
    } satisfies SchemaObject;
    responses[status] = {
      description: `Problem details; code: ${listed.map((c) => `\`${c}\``).join(' | ')}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problem } },
    };
    if (status === '503') {
      responses[status].description += '; while shutting down, fastify’s own JSON';
      responses[status].content!['application/json'] = { schema: SHUTTING_DOWN };
    }
  }

  const header = (status: string, name: string, value: HeaderObject) => {
    responses[status].headers = { ...responses[status].headers, [name]: value };
  };
  if (responses['401']) header('401', 'WWW-Authenticate', HEADERS['WWW-Authenticate']);
  if (responses['429']) header('429', 'Retry-After', HEADERS['Retry-After']);
  const takesKey = parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
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
    if (takesKey && status !== '422' && status !== '500') {
      header(status, 'Idempotent-Replayed', HEADERS['Idempotent-Replayed']);
    }
  }
}

const componentOf = (ref: ReferenceObject, schemas: Record<string, Schema>): Schema | undefined =>
  schemas[ref.$ref.replace('#/components/schemas/', '')];

/** Closes (`additionalProperties: false`) every object schema reachable from a request body's. */
function closeObjects(schema: Schema | undefined, schemas: Record<string, Schema>, seen: Set<Schema>): void {
  if (!schema || seen.has(schema)) return;
  seen.add(schema);
  if ('$ref' in schema) return closeObjects(componentOf(schema, schemas), schemas, seen);
  if (schema.type === 'object' || schema.properties) {
    schema.type = 'object';
    schema.properties ??= {};
    schema.additionalProperties = false;
  }
  const parts = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...Object.values(schema.properties ?? {})];
  for (const part of [...parts, schema.items]) closeObjects(part, schemas, seen);
}

/** A body's example made of its properties' examples (defaults, first enum values); undefined when one is missing. */
function exampleOf(schema: Schema | undefined, schemas: Record<string, Schema>, depth = 0): unknown {
  if (!schema || depth > 8) return undefined;
  if ('$ref' in schema) return exampleOf(componentOf(schema, schemas), schemas, depth + 1);
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

// OpenAPI 3.0's `nullable` beside a `$ref` or an `allOf` does not admit null (it only widens a `type` of the same
// schema): such a property becomes `oneOf: [the reference, exactly null]`.
function nullableReferences(schema: Schema): void {
  if ('$ref' in schema) return;
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if ('$ref' in property) continue;
    const target = property.allOf?.length === 1 ? property.allOf[0] : undefined;
    if (property.nullable === true && target) {
      const { description, example } = property; // undefined ones are left out of the served document
      const oneOf = [target, { type: 'object', nullable: true, enum: [null] } satisfies SchemaObject];
      schema.properties![name] = { description, example, oneOf };
    } else {
      nullableReferences(property);
    }
  }
  if (schema.items) nullableReferences(schema.items);
}
