// The analytics' date range (?from=YYYY-MM-DD&to=YYYY-MM-DD, UTC days, both included): its query DTO and its
// validation, shared by the analytics slices.
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { validationFailed } from '../../http/problem';
import { ReadQueryDto } from '../../http/read-your-writes';
import { parseIsoInstant } from '../domain/order.rules';
import { DAY_MS } from '../domain/order.types';

export const MAX_ANALYTICS_DAYS = 366;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class DateRangeQueryDto extends ReadQueryDto {
  @ApiProperty({ format: 'date', example: '2025-03-01', description: 'First day (UTC), included' })
  @IsString()
  @Matches(DATE, { message: 'from must be a date YYYY-MM-DD' })
  from!: string;

  @ApiProperty({
    format: 'date',
    example: '2025-03-31',
    description: `Last day (UTC), included; at most ${MAX_ANALYTICS_DAYS} days`,
  })
  @IsString()
  @Matches(DATE, { message: 'to must be a date YYYY-MM-DD' })
  to!: string;
}

/** Days from..to (YYYY-MM-DD, UTC), both included; 400 for impossible dates, reversed or too long ranges. */
export function daysOf(from: string, to: string): string[] {
  const start = parseIsoInstant(from);
  const end = parseIsoInstant(to);
  const errors = [];
  if (start === null) errors.push({ field: 'from', message: 'from must be a valid date YYYY-MM-DD' });
  if (end === null) errors.push({ field: 'to', message: 'to must be a valid date YYYY-MM-DD' });
  if (errors.length) throw validationFailed(errors);
  if (start! > end!) throw validationFailed([{ field: 'to', message: 'to must not be before from' }]);
  const count = (end! - start!) / DAY_MS + 1;
  if (count > MAX_ANALYTICS_DAYS) {
    throw validationFailed([
      { field: 'to', message: `the range must not exceed ${MAX_ANALYTICS_DAYS} days` },
    ]);
  }
  return Array.from({ length: count }, (_, i) => new Date(start! + i * DAY_MS).toISOString().slice(0, 10));
}
