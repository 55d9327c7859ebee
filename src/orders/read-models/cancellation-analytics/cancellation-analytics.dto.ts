import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ReadQueryDto } from '../../../http/read-your-writes';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class CancellationAnalyticsQueryDto extends ReadQueryDto {
  @ApiProperty({ format: 'date', example: '2025-03-01', description: 'First day (UTC), included' })
  @IsString()
  @Matches(DATE, { message: 'from must be a date YYYY-MM-DD' })
  from!: string;

  @ApiProperty({
    format: 'date',
    example: '2025-03-31',
    description: 'Last day (UTC), included; at most 366 days',
  })
  @IsString()
  @Matches(DATE, { message: 'to must be a date YYYY-MM-DD' })
  to!: string;
}

export class DailyCountDto {
  @ApiProperty({ format: 'date' })
  date!: string;
  @ApiProperty()
  count!: number;
}

export class CancellationAnalyticsDto {
  @ApiProperty({ format: 'date' })
  from!: string;
  @ApiProperty({ format: 'date' })
  to!: string;
  @ApiProperty({ description: 'Cancellations in the range' })
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
