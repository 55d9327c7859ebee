import { ApiProperty } from '@nestjs/swagger';
import { DateRangeQueryDto } from '../date-range';

/** ?from=&to= (UTC days of opening, both included). */
export class DisputeAnalyticsQueryDto extends DateRangeQueryDto {}

export class DisputeAnalyticsDto {
  @ApiProperty({ format: 'date' })
  from!: string;
  @ApiProperty({ format: 'date' })
  to!: string;
  @ApiProperty({ type: 'integer', description: 'Support cases opened in the range' })
  opened!: number;
  @ApiProperty({ type: 'integer', description: 'Of those, resolved (settled_by_parties included)' })
  resolved!: number;
  @ApiProperty({ type: 'integer', description: 'Of those, withdrawn by their opener' })
  withdrawn!: number;
  @ApiProperty({ type: 'integer', description: 'Of those, marked overdue (no first response within 24 h)' })
  overdue!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: {
      cancel_order: 1,
      partial_refund: 2,
      extend_due_date: 0,
      complete_order: 1,
      no_action: 0,
      settled_by_parties: 1,
    },
  })
  byOutcome!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { quality: 2, non_delivery: 1, communication: 0, scope_dispute: 1, other: 0 },
  })
  byCategory!: Record<string, number>;
  @ApiProperty({
    type: Number,
    format: 'double',
    nullable: true,
    description: 'Median minutes from opening to the first claim or support message; null when none',
  })
  medianMinutesToFirstResponse!: number | null;
  @ApiProperty({
    type: Number,
    format: 'double',
    nullable: true,
    description:
      "Median minutes from opening to support's resolution (settled_by_parties left out); null when none",
  })
  medianMinutesToResolution!: number | null;
}
