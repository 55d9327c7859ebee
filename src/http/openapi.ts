import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { HTTP_STATUS_OF_CODE, PROBLEM_CONTENT_TYPE } from './problem';

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
  @ApiProperty({ enum: Object.keys(HTTP_STATUS_OF_CODE), example: 'REQUEST_ALREADY_OPEN' })
  code!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on 400 VALIDATION_FAILED' })
  errors?: FieldErrorDto[];
}

/**
 * Documents problem+json responses by code: `@ApiProblems('VALIDATION_FAILED', 'FORBIDDEN', ...)`. Codes sharing a
 * status are listed together in that response's description.
 */
export function ApiProblems(...codes: string[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = HTTP_STATUS_OF_CODE[code];
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
