import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ReadQueryDto } from '../../../http/read-your-writes';
import { SUPPORT_CASE_CATEGORIES } from '../../domain/order.types';

/**
 * [decision] `status` as api.md has it (open | resolved), plus `withdrawn`: a case's status is exactly one of the
 * three, so `resolved` (which includes `settled_by_parties`) does not list withdrawn cases, and `withdrawn` lists
 * them. Default `open`: the queue.
 */
export const QUEUE_STATUSES = ['open', 'resolved', 'withdrawn'] as const;

export class SupportQueueQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({
    enum: QUEUE_STATUSES,
    default: 'open',
    description:
      'open: the queue (default); resolved: closed with an outcome, settled_by_parties included; withdrawn: withdrawn by their opener',
  })
  @IsOptional()
  @IsIn(QUEUE_STATUSES)
  status?: (typeof QUEUE_STATUSES)[number];

  @ApiPropertyOptional({
    enum: ['me', 'unassigned'],
    description: 'me: claimed by the caller; unassigned: claimed by nobody',
  })
  @IsOptional()
  @IsIn(['me', 'unassigned'])
  assignee?: 'me' | 'unassigned';

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: only overdue cases; false: only the others',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export class SupportQueueItemDto {
  @ApiProperty({ format: 'uuid' })
  caseId!: string;
  @ApiProperty({ format: 'uuid' })
  orderId!: string;
  @ApiProperty({ enum: SUPPORT_CASE_CATEGORIES })
  category!: string;
  @ApiProperty({ enum: ['buyer', 'seller'] })
  openedBy!: string;
  @ApiProperty({ format: 'date-time' })
  openedAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The support agent who claimed it' })
  assignee!: string | null;
  @ApiProperty({ description: 'No first response within 24 h of opening; stays true' })
  overdue!: boolean;
  @ApiProperty({ format: 'date-time', description: 'openedAt + 24 h' })
  firstResponseDueAt!: string;
  @ApiProperty({
    enum: ['support', 'buyer', 'seller', null],
    nullable: true,
    description:
      'The party an outstanding information request asks; otherwise support. null once the case is resolved or withdrawn',
  })
  waitingOn!: string | null;
  @ApiProperty({
    format: 'date-time',
    description:
      'The latest step somebody took: opening, claim, message, information request, statement, withdrawal, resolution',
  })
  lastActivityAt!: string;
}

export class SupportQueueDto {
  @ApiProperty({ type: [SupportQueueItemDto], description: 'Overdue first, then oldest' })
  items!: SupportQueueItemDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next page; null at the end',
  })
  nextCursor!: string | null;
}
