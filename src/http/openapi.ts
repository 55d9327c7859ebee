import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  DECORATORS,
  getSchemaPath,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { HTTP_PROBLEM_CODES, PROBLEM_CONTENT_TYPE, type ProblemCode } from './problem';

export class FieldErrorDto {
  @ApiProperty({ example: 'price.amount' })
  field!: string;
  @ApiProperty({ example: 'amount must not be less than 1' })
  message!: string;
}

/** RFC 9457 problem details, as every error is answered. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:resolution-center:problem:request-already-open' })
  type!: string;
  @ApiProperty({ example: 'A request is already open' })
  title!: string;
  @ApiProperty({ type: 'integer', example: 409 })
  status!: number;
  @ApiProperty({ example: 'a request is already open on this order' })
  detail!: string;
  @ApiProperty({
    description: 'Machine-readable code; each route lists its own',
    example: 'REQUEST_ALREADY_OPEN',
  })
  code!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on 400 VALIDATION_FAILED' })
  errors?: FieldErrorDto[];
}

/** A problem code with its status, as the decorators record them. */
interface DocumentedCode {
  code: string;
  status: number;
}

const PROBLEM_CODES_KEY = Symbol('resolution-center:problem-codes');

/** The schema of a problem+json response limited to these codes (all of one status). */
export function problemSchema(status: number, codes: readonly string[]): SchemaObject {
  return {
    allOf: [
      { $ref: getSchemaPath(ProblemDto) },
      {
        type: 'object',
        properties: {
          status: { type: 'integer', enum: [status] },
          code: { type: 'string', enum: [...codes] },
        },
      },
    ],
  };
}

/** One problem+json response (one status) listing its codes; `problemCodesOf` reads them back. */
export function problemResponse(status: number, codes: readonly string[]): ResponseObject {
  return {
    description: `Problem details; code: ${codes.map((c) => `\`${c}\``).join(' | ')}`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema(status, codes) } },
  };
}

/** The codes a problem response made by `problemResponse` lists (none for any other response). */
export function problemCodesOf(response: unknown): string[] {
  const content = (response as ResponseObject | undefined)?.content?.[PROBLEM_CONTENT_TYPE];
  const schema = content?.schema as SchemaObject | undefined;
  const part = schema?.allOf?.[1] as SchemaObject | undefined;
  const code = part?.properties?.code as SchemaObject | undefined;
  return Array.isArray(code?.enum) ? (code.enum as string[]) : [];
}

/**
 * Documents problem+json responses by code: `@ApiProblems('VALIDATION_FAILED', 'FORBIDDEN', ...)`, for the codes of
 * HTTP and of the given table (the product's). Codes sharing a status are listed together in that response, and the
 * codes of a class-level `@ApiProblems` are merged into every method's own: a method's 409 keeps the controller's
 * 409 codes instead of replacing them.
 */
export function apiProblemsFor(
  productCodes: Record<string, ProblemCode>,
): (...codes: string[]) => MethodDecorator & ClassDecorator {
  const known: Record<string, ProblemCode> = { ...HTTP_PROBLEM_CODES, ...productCodes };
  return (...codes) =>
    apiProblems(
      codes.map((code) => {
        const status = known[code]?.status;
        if (status === undefined) throw new Error(`ApiProblems: unknown code ${code}`);
        return { code, status };
      }),
    );
}

/** Documents problem+json responses of HTTP's own codes. */
export const ApiProblems = apiProblemsFor({});

function recorded(target: object): DocumentedCode[] {
  return (Reflect.getMetadata(PROBLEM_CODES_KEY, target) as DocumentedCode[] | undefined) ?? [];
}

/** The responses of these codes, one per status, each code once. */
function responsesOf(codes: DocumentedCode[]): Array<[number, ResponseObject]> {
  const byStatus = new Map<number, string[]>();
  for (const { code, status } of codes) {
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return [...byStatus].map(([status, list]) => [status, problemResponse(status, list)]);
}

/** Sets these responses on the method (or class), replacing the earlier ones of the same statuses. */
function applyResponses(codes: DocumentedCode[], holder: object): void {
  const responses = (Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) as object | undefined) ?? {};
  Reflect.defineMetadata(
    DECORATORS.API_RESPONSE,
    { ...responses, ...Object.fromEntries(responsesOf(codes)) },
    holder,
  );
}

function apiProblems(codes: DocumentedCode[]): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      ApiExtraModels(ProblemDto, FieldErrorDto)(target, key!, descriptor);
      const method = descriptor.value as object;
      const all = [...recorded(method), ...codes];
      Reflect.defineMetadata(PROBLEM_CODES_KEY, all, method);
      applyResponses(all, method);
      return descriptor;
    }
    // A class: its methods' decorators have run already, so each method's responses get the class's codes too.
    const controller = target as { prototype: object };
    ApiExtraModels(ProblemDto, FieldErrorDto)(controller as never);
    const classCodes = [...recorded(controller), ...codes];
    Reflect.defineMetadata(PROBLEM_CODES_KEY, classCodes, controller);
    applyResponses(classCodes, controller);
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const method = Object.getOwnPropertyDescriptor(controller.prototype, name);
      if (name === 'constructor' || typeof method?.value !== 'function') continue;
      const own = recorded(method.value as object);
      if (own.length) applyResponses([...own, ...classCodes], method.value as object);
    }
    return target;
  }) as MethodDecorator & ClassDecorator;
}

/** The errors any authenticated route can answer with. */
export const COMMON_PROBLEMS = ['VALIDATION_FAILED', 'UNAUTHENTICATED', 'INTERNAL'] as const;
