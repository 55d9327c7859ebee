import { ApiProperty } from '@nestjs/swagger';
import { DateRangeQueryDto } from '../date-range';

/** ?from=&to= (UTC days, both included). */
export class CancellationAnalyticsQueryDto extends DateRangeQueryDto {}

export class DailyCountDto {
  @ApiProperty({ format: 'date' })
  date!: string;
  @ApiProperty({ type: 'integer' })
  count!: number;
}

export class CancellationAnalyticsDto {
  @ApiProperty({ format: 'date' })
  from!: string;
  @ApiProperty({ format: 'date' })
  to!: string;
  @ApiProperty({ type: 'integer', description: 'Cancellations in the range' })
  total!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { unilateral: 1, forced: 0, mutual: 4, auto_accepted: 2, support: 0 },
  })
  byMode!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { buyer: 5, seller: 2, support: 0 },
  })
  byInitiator!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { no_longer_needed: 3 },
  })
  byReason!: Record<string, number>;
  @ApiProperty({ type: [DailyCountDto], description: 'Every day of the range, zero days included' })
  daily!: DailyCountDto[];
}
