import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
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
  @ApiProperty({ example: 409 })
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

/**
 * Documents problem+json responses by code: `@ApiProblems('VALIDATION_FAILED', 'FORBIDDEN', ...)`, for the codes of
 * HTTP and of the given table (the product's). Codes sharing a status are listed together in that response.
 */
export function apiProblemsFor(
  productCodes: Record<string, ProblemCode>,
): (...codes: string[]) => MethodDecorator & ClassDecorator {
  const known: Record<string, ProblemCode> = { ...HTTP_PROBLEM_CODES, ...productCodes };
  return (...codes) => apiProblems(known, codes);
}

/** Documents problem+json responses of HTTP's own codes. */
export const ApiProblems = apiProblemsFor({});

function apiProblems(known: Record<string, ProblemCode>, codes: string[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = known[code]?.status;
    if (status === undefined) throw new Error(`ApiProblems: unknown code ${code}`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ApiExtraModels(ProblemDto, FieldErrorDto),
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: `Problem details; code: ${list.map((c) => `\`${c}\``).join(' | ')}`,
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}

/** The errors any authenticated route can answer with. */
export const COMMON_PROBLEMS = ['VALIDATION_FAILED', 'UNAUTHENTICATED', 'INTERNAL'] as const;
